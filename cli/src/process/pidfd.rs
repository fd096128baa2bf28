//! Watching a process cinch did not start (a container's first process):
//! a pidfd becomes readable when the process exits, and never names a
//! recycled pid.

use rustix::event::{poll, PollFd, PollFlags};
use rustix::process::{pidfd_open, Pid, PidfdFlags};
use std::io;
use std::os::fd::OwnedFd;

pub struct Pidfd(OwnedFd);

impl Pidfd {
    pub fn open(pid: u32) -> io::Result<Pidfd> {
        let pid = i32::try_from(pid).ok().and_then(Pid::from_raw).ok_or_else(|| io::Error::other("no such pid"))?;
        Ok(Pidfd(pidfd_open(pid, PidfdFlags::empty())?))
    }

    /// Whether the process has exited, without waiting.
    pub fn has_exited(&self) -> bool {
        let mut fds = [PollFd::new(&self.0, PollFlags::IN)];
        let zero = rustix::event::Timespec { tv_sec: 0, tv_nsec: 0 };
        poll(&mut fds, Some(&zero)).is_ok_and(|ready| ready > 0)
    }
}
