//! A command forked and held just before its `execve` until cinch has
//! registered it with the tracer, so that the command's first instruction is
//! the first thing traced and the starter's own code after the fork is not.
//!
//! Two close-on-exec pipes: the gate (cinch writes one byte to let the child
//! exec; if cinch dies first, the gate closes and the child exits without
//! running untraced) and the error channel (closed by a successful exec, or
//! carrying execv's errno).

use crate::exec::Exec;
use rustix::pipe::{pipe_with, PipeFlags};
use rustix::process::{kill_process, waitpid, Pid, Signal, WaitOptions};
use std::io;
use std::os::fd::OwnedFd;

/// A forked child waiting at the gate.
pub struct HeldChild {
    pid: Pid,
    gate: OwnedFd,
    errors: OwnedFd,
}

/// A command cinch started and released: ours to reap.
pub struct Child {
    pid: Pid,
    exited: bool,
}

impl HeldChild {
    /// Forks a child that waits for [`HeldChild::release`], then execs `exec`.
    pub fn fork(exec: &Exec) -> io::Result<HeldChild> {
        let (gate_read, gate_write) = pipe_with(PipeFlags::CLOEXEC)?;
        let (err_read, err_write) = pipe_with(PipeFlags::CLOEXEC)?;
        // SAFETY: the child only makes async-signal-safe calls (read, execv,
        // write, _exit) on memory prepared before the fork.
        let child = unsafe { libc::fork() };
        if child < 0 {
            return Err(io::Error::last_os_error());
        }
        if child == 0 {
            hold_then_exec(&gate_read, &err_write, exec);
        }
        drop((gate_read, err_write));
        let pid = Pid::from_raw(child).ok_or_else(|| io::Error::other("fork returned pid 0 to the parent"))?;
        Ok(HeldChild { pid, gate: gate_write, errors: err_read })
    }

    pub fn pid(&self) -> u32 {
        pid_number(self.pid)
    }

    /// Opens the gate. Ok(Err(errno)) when the exec failed (the child is reaped).
    pub fn release(self) -> io::Result<Result<Child, io::Error>> {
        rustix::io::write(&self.gate, &[1])?;
        drop(self.gate);
        let mut errno = [0u8; 4];
        let mut filled = 0;
        while filled < errno.len() {
            match rustix::io::read(&self.errors, &mut errno[filled..]) {
                Ok(0) => return Ok(Ok(Child { pid: self.pid, exited: false })),
                Ok(n) => filled += n,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let _ = waitpid(Some(self.pid), WaitOptions::empty());
        Ok(Err(io::Error::from_raw_os_error(i32::from_ne_bytes(errno))))
    }
}

/// The child's side: wait at the gate, exec, or report why not and exit.
fn hold_then_exec(gate: &OwnedFd, errors: &OwnedFd, exec: &Exec) -> ! {
    // If cinch dies (even by SIGKILL), the command gets the SIGTERM a normal
    // stop would send it, rather than running on untraced. (Kept across the
    // exec, but for set-user-ID programs.)
    // SAFETY: prctl is async-signal-safe and takes plain integers.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
    let mut byte = [0u8; 1];
    loop {
        match rustix::io::read(gate, &mut byte) {
            Ok(1) => break,
            Err(rustix::io::Errno::INTR) => {}
            // The gate closed: cinch is gone, and the command must not run untraced.
            _ => exit_now(127),
        }
    }
    exec.execv();
    let errno = io::Error::last_os_error().raw_os_error().unwrap_or(libc::ENOEXEC);
    let _ = rustix::io::write(errors, &errno.to_ne_bytes());
    exit_now(127)
}

fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the forked child at once, running no atexit handler
    // or destructor of the parent's state.
    unsafe { libc::_exit(code) }
}

fn pid_number(pid: Pid) -> u32 {
    pid.as_raw_nonzero().get().unsigned_abs()
}

impl Child {
    pub fn pid(&self) -> u32 {
        pid_number(self.pid)
    }

    /// Whether it has exited (reaping it if so).
    pub fn has_exited(&mut self) -> bool {
        if !self.exited {
            self.exited = !matches!(waitpid(Some(self.pid), WaitOptions::NOHANG), Ok(None));
        }
        self.exited
    }

    /// Asks it to stop (SIGTERM); it is left to exit on its own.
    pub fn terminate(&self) {
        if !self.exited {
            let _ = kill_process(self.pid, Signal::TERM);
        }
    }
}
