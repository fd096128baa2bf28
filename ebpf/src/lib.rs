//! cinch's kernel side, and the only part of cinch that talks to the kernel.
//!
//! The eBPF programs are C (`bpf/cinch.bpf.c`, built by `build-bpf.sh`); the
//! compiled object is committed and embedded here, so `cargo build` needs no
//! clang. [`Tracer`] loads it with aya, points it at one target, and turns what
//! the kernel aggregated into a [`Trace`].

pub mod abi;
pub mod objects;
mod proc;

pub use proc::{mount_namespace_of, own_mount_namespace, process_argv, program_of};

use abi::Fact;
use aya::maps::{Array, HashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::BtfTracePoint;
use aya::{Btf, Ebpf, EbpfLoader};
use cinch_profiles::arch::{recorded_arg_mask, recorded_args};
use cinch_profiles::trace::{Access, ExecSeen, FileSeen, Host, NetOp, NetSeen, SeenPath};
use cinch_profiles::{Arch, Target, Trace};
use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// The programs in the object and the tracepoints they attach to.
const PROGRAMS: &[(&str, &str)] = &[
    ("cinch_fork", "sched_process_fork"),
    ("cinch_exit", "sched_process_exit"),
    ("cinch_sys_enter", "sys_enter"),
    ("cinch_sys_exit", "sys_exit"),
    ("cinch_exec", "sched_process_exec"),
    ("cinch_signal", "signal_generate"),
];

/// The `nr_*` globals of the object (`bpf/config.bpf.h`), read from its ELF
/// symbol table: each receives the number of the syscall it is named after,
/// so a global added in C needs nothing here.
fn syscall_globals(object: &[u8]) -> Result<Vec<(String, String)>, TracerError> {
    use object::{Object, ObjectSection, ObjectSymbol};
    let file = object::File::parse(object).map_err(TracerError::Object)?;
    let rodata = file.section_by_name(".rodata").map(|s| s.index());
    let mut globals = Vec::new();
    for symbol in file.symbols() {
        let Ok(name) = symbol.name() else { continue };
        let Some(syscall) = name.strip_prefix("nr_") else { continue };
        if symbol.section_index() == rodata && rodata.is_some() {
            globals.push((name.to_string(), syscall.to_string()));
        }
    }
    globals.sort();
    Ok(globals)
}

#[derive(Debug, thiserror::Error)]
pub enum TracerError {
    #[error(
        "cinch's eBPF programs are built for x86_64 and aarch64 and this host is {0}: tracing is \
         not supported here (traces, profiles and lint work on any architecture)"
    )]
    UnsupportedArch(&'static str),
    #[error("this kernel (Linux {kernel}) lacks {lacks}: cinch cannot trace here")]
    KernelLacks { kernel: String, lacks: String },
    #[error("the embedded eBPF object cannot be read")]
    Object(#[source] object::Error),
    #[error(
        "this kernel exposes no BTF at /sys/kernel/btf/vmlinux; cinch needs a kernel built \
         with CONFIG_DEBUG_INFO_BTF=y"
    )]
    NoBtf,
    #[error(
        "the kernel refused to load cinch's eBPF program: run cinch as root (or with \
         CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)"
    )]
    NotPermitted,
    #[error(
        "the kernel (Linux {kernel}) refused cinch's eBPF program {program} (tracepoint {tracepoint}, object {object})"
    )]
    Load {
        program: &'static str,
        tracepoint: &'static str,
        object: &'static str,
        kernel: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("eBPF map {map} is not in the object")]
    MissingMap { map: &'static str },
    #[error("program {program} is not in the object")]
    MissingProgram { program: &'static str },
    #[error("eBPF map {map}")]
    Map {
        map: &'static str,
        #[source]
        source: aya::maps::MapError,
    },
    #[error("cannot read cinch's own mount namespace (/proc/self/ns/mnt)")]
    OwnNamespace(#[source] std::io::Error),
    #[error("waiting for trace events")]
    Poll(#[source] std::io::Error),
}

/// Which tasks belong to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// Every task in this mount namespace (a container), including tasks that
    /// join it later and namespaces the target creates from it.
    MountNamespace(u32),
    /// The processes handed to [`Tracer::follow_from_exec`] and all their
    /// descendants.
    ProcessTree,
    /// Containers created from now on, each from the moment its runtime
    /// installs its seccomp filter: every mount namespace created during the
    /// session is kept apart, and [`Tracer::select_container`] picks one.
    NewContainers,
}

/// A mount namespace adopted while watching for new containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSlot {
    pub slot: u32,
    pub mntns: u32,
    /// Leaf names of the cgroups its creator was in, then those of its first
    /// task under the seccomp filter (each v2, then v1 memory; empty ones left out).
    pub cgroups: Vec<String>,
}

/// Attaches the programs of another object to cinch's hooks: each program
/// named like one of cinch's (`cinch_sys_enter`, ...) to its tracepoint. For
/// the benchmark's floor (the same hooks with empty programs: what any eBPF
/// syscall tracer pays); detached when the returned handle drops.
pub fn attach_hooks_of(object: &[u8]) -> Result<Hooks, TracerError> {
    let btf = Btf::from_sys_fs().map_err(|_| TracerError::NoBtf)?;
    raise_memlock_limit();
    let mut ebpf = EbpfLoader::new().btf(Some(&btf)).load(object).map_err(load_error("(object)", "-", "given"))?;
    attach_programs(&mut ebpf, &btf, "given")?;
    Ok(Hooks(ebpf))
}

/// Loads and attaches each of [`PROGRAMS`] of `ebpf` to its tracepoint.
fn attach_programs(ebpf: &mut Ebpf, btf: &Btf, object: &'static str) -> Result<(), TracerError> {
    for (program, tracepoint) in PROGRAMS {
        let prog: &mut BtfTracePoint = ebpf
            .program_mut(program)
            .ok_or(TracerError::MissingProgram { program })?
            .try_into()
            .map_err(load_error(program, tracepoint, object))?;
        prog.load(tracepoint, btf).map_err(load_error(program, tracepoint, object))?;
        prog.attach().map_err(load_error(program, tracepoint, object))?;
    }
    Ok(())
}

/// Programs attached by [`attach_hooks_of`]; detached when dropped.
pub struct Hooks(#[allow(dead_code)] Ebpf);

/// What the tracer watches for besides the trace itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Tell calls the seccomp filter refused from calls that ran
    /// ([`Tracer::refusals`]); costs a task-storage write per syscall.
    pub refusals: bool,
    /// Load the compatibility object even where the kernel has everything
    /// the full one needs (also set by `CINCH_BPF_COMPAT=1`): to test it.
    pub force_compat: bool,
}

/// A syscall the target's seccomp filter refused, seen by `cinch watch`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Refusal {
    /// The syscall's name on this architecture, or `#NR` for a number it has no name for.
    pub syscall: String,
    /// The errno the filter answered with.
    pub errno: i32,
    /// The process as the host sees it, and as the container does.
    pub host_pid: u32,
    pub pid: u32,
    /// The refused thread's name (in a live report only).
    pub comm: String,
    /// How many times (0 in a live report: only the first is known then).
    pub count: u64,
}

/// Live counters, for the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub processes: u64,
    pub distinct_syscalls: usize,
    pub syscalls: u64,
    pub lost_events: u64,
}

/// A loaded and attached tracer. Detaches when dropped.
pub struct Tracer {
    ebpf: Ebpf,
    /// The kernel features this kernel lacks (the compatibility object is
    /// loaded when any is missing).
    lacking: Vec<&'static objects::Feature>,
    /// The ring buffer; None once `finish` has drained and unmapped it.
    facts: Option<RingBuf<MapData>>,
    arch: Arch,
    selector: Selector,
    /// The slot whose counters make the trace (0 unless a container is selected).
    slot: u32,
    /// Argument facts received so far: (slot, syscall number, raw argument values).
    arg_facts: BTreeSet<(u32, u32, [u64; 3])>,
    raw_numbers: BTreeSet<(u32, u32)>,
    /// (slot, signal, sender's euid, receiver's uid) of signals across users.
    kill_facts: BTreeSet<(u32, u32, u64, u64)>,
    /// Files and executions, as the kernel sent them (each once, or again
    /// after an eviction from its first-seen set: a set drops the repeat).
    path_facts: BTreeSet<abi::PathFact>,
    /// The processes of each slot that sent facts lately, newest last: whose
    /// /proc/PID/root to look in when the process a fact names is gone.
    recent_processes: BTreeMap<u32, Vec<u32>>,
    net_facts: BTreeSet<abi::NetFact>,
    /// Processes handed to follow_from_exec (they were not forked under our eyes).
    followed: u64,
    /// The most distinct facts kept of each kind (paths, sockets, argument
    /// values, unknown numbers): what a workload can make cinch hold is bounded.
    max_facts: usize,
    /// Facts dropped at that bound; they count as lost events.
    dropped: u64,
    /// Refusals seen for the first time since the last [`Tracer::new_refusals`].
    new_refusals: Vec<Refusal>,
}

/// The default of [`Tracer::limit_facts`]. Measured (bench/RESULTS.md): a
/// storm of a million distinct failed opens peaks at 152 MB with this bound,
/// 703 MB without; a real service stays far below it.
pub const DEFAULT_MAX_FACTS: usize = 200_000;

/// Inserts `fact` unless `set` is full (a fact already in it is no growth).
fn insert_bounded<T: Ord>(set: &mut BTreeSet<T>, fact: T, max: usize, dropped: &mut u64) {
    if set.len() < max || set.contains(&fact) {
        set.insert(fact);
    } else {
        *dropped += 1;
    }
}

impl Tracer {
    /// Loads the programs, points them at the target and attaches them. From
    /// the moment this returns, every syscall of the target is counted.
    pub fn start(selector: Selector) -> Result<Tracer, TracerError> {
        Tracer::start_with(selector, Options::default())
    }

    /// [`Tracer::start`], watching also for what `options` asks.
    pub fn start_with(selector: Selector, options: Options) -> Result<Tracer, TracerError> {
        let arch = Arch::native().ok_or(TracerError::UnsupportedArch(std::env::consts::ARCH))?;
        let vmlinux = std::fs::read("/sys/kernel/btf/vmlinux").map_err(|_| TracerError::NoBtf)?;
        let lacking = objects::btf_names(&vmlinux).map(|names| objects::missing_features(&names));
        drop(vmlinux);
        let lacking = lacking.ok_or(TracerError::NoBtf)?;
        let force_compat = options.force_compat || std::env::var_os("CINCH_BPF_COMPAT").is_some_and(|v| v == "1");
        let object = objects::choose(arch, &lacking, force_compat).map_err(|fatal| TracerError::KernelLacks {
            kernel: kernel_release(),
            lacks: fatal.iter().map(|f| format!("{} (Linux {})", f.name, f.since)).collect::<Vec<_>>().join(", "),
        })?;
        let btf = Btf::from_sys_fs().map_err(|_| TracerError::NoBtf)?;
        raise_memlock_limit();

        let mode = match selector {
            Selector::MountNamespace(_) => abi::MODE_MNTNS,
            Selector::ProcessTree => abi::MODE_PIDTREE,
            Selector::NewContainers => abi::MODE_NEW_CONTAINERS,
        };
        let numbers: Vec<(String, i64)> = syscall_globals(object.bytes)?
            .into_iter()
            .map(|(global, name)| (global, arch.syscall_number(&name).map_or(-1, i64::from)))
            .collect();
        let host_mntns = own_mount_namespace().map_err(TracerError::OwnNamespace)?;
        let mut loader = EbpfLoader::new();
        // pending_calls is task-local storage, which aya creates but has no
        // user-space type for (only the kernel side uses it).
        loader.allow_unsupported_maps();
        let refusals = u32::from(options.refusals);
        loader
            .btf(Some(&btf))
            .override_global("cfg_mode", &mode, true)
            .override_global("cfg_host_mntns", &host_mntns, true)
            .override_global("cfg_refusals", &refusals, true);
        for (global, nr) in &numbers {
            loader.override_global(global.as_str(), nr, true);
        }
        let mut ebpf = loader.load(object.bytes).map_err(load_error("(object)", "-", object.name))?;

        if let Selector::MountNamespace(inum) = selector {
            let map = ebpf.map_mut("target_mntns").ok_or(missing_map("target_mntns"))?;
            let mut targets: HashMap<_, u32, u32> = HashMap::try_from(map).map_err(map_error("target_mntns"))?;
            targets.insert(inum, 0, 0).map_err(map_error("target_mntns"))?;
        }

        attach_programs(&mut ebpf, &btf, object.name)?;

        // The kernel's BTF (parsed, about 20 MB here) is needed only to load.
        // Free it, and hand the freed heap back, before the ring buffer is
        // mapped, so the two never count together in the tracer's peak RSS.
        drop(btf);
        // SAFETY: malloc_trim only releases free heap memory.
        unsafe { libc::malloc_trim(0) };
        let facts =
            RingBuf::try_from(ebpf.take_map("facts").ok_or(missing_map("facts"))?).map_err(map_error("facts"))?;
        Ok(Tracer {
            ebpf,
            lacking,
            facts: Some(facts),
            arch,
            selector,
            slot: 0,
            arg_facts: BTreeSet::new(),
            raw_numbers: BTreeSet::new(),
            kill_facts: BTreeSet::new(),
            path_facts: BTreeSet::new(),
            recent_processes: BTreeMap::new(),
            net_facts: BTreeSet::new(),
            followed: 0,
            max_facts: DEFAULT_MAX_FACTS,
            dropped: 0,
            new_refusals: Vec::new(),
        })
    }

    /// Follows process `pid` from its next `execve` on (that call included),
    /// and everything it starts after it. Only for [`Selector::ProcessTree`];
    /// call it while the process waits to exec, so that what it does before
    /// (the starter's own code after fork) is not counted.
    pub fn follow_from_exec(&mut self, pid: u32) -> Result<(), TracerError> {
        debug_assert_eq!(self.selector, Selector::ProcessTree);
        let map = self.ebpf.map_mut("target_tgids").ok_or(missing_map("target_tgids"))?;
        let mut tgids: HashMap<_, u32, u8> = HashMap::try_from(map).map_err(map_error("target_tgids"))?;
        tgids.insert(pid, abi::PROC_ARMED, 0).map_err(map_error("target_tgids"))?;
        self.followed += 1;
        Ok(())
    }

    /// The processes of a [`Selector::ProcessTree`] still alive (the kernel
    /// side forgets each at its exit): the command's background children
    /// that outlive it.
    pub fn live_processes(&self) -> Result<Vec<u32>, TracerError> {
        let map = self.ebpf.map("target_tgids").ok_or(missing_map("target_tgids"))?;
        let tgids: HashMap<_, u32, u8> = HashMap::try_from(map).map_err(map_error("target_tgids"))?;
        Ok(tgids.keys().filter_map(Result::ok).collect())
    }

    /// Waits up to `timeout` for new facts, then takes all that arrived.
    /// What this kernel cannot give, for a note at the start of a trace:
    /// the features it lacks, with the release that brought each, and what
    /// the trace loses without them. None on a kernel with everything.
    pub fn kernel_note(&self) -> Option<String> {
        if self.lacking.is_empty() {
            return None;
        }
        let lacks: Vec<String> = self.lacking.iter().map(|f| format!("{} (Linux {})", f.name, f.since)).collect();
        let losses: Vec<&str> = self.lacking.iter().map(|f| f.loss).filter(|l| !l.is_empty()).collect();
        let losses = if losses.is_empty() { String::new() } else { format!("; {}", losses.join("; ")) };
        Some(format!(
            "this kernel (Linux {}) lacks {}: tracing with the compatibility programs (per-task state in hash maps){losses}",
            kernel_release(),
            lacks.join(", ")
        ))
    }

    pub fn poll(&mut self, timeout: Duration) -> Result<(), TracerError> {
        let Some(facts) = &self.facts else { return Ok(()) };
        let mut fds = [libc::pollfd { fd: facts.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd, length 1.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, millis) };
        if ready < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(TracerError::Poll(err));
            }
        }
        self.drain();
        Ok(())
    }

    fn drain(&mut self) {
        let Some(facts) = self.facts.as_mut() else { return };
        while let Some(record) = facts.next() {
            let kind = record.get(..4).map(|b| u32::from_ne_bytes(b.try_into().expect("4 bytes")));
            match kind {
                Some(abi::FACT_FILE | abi::FACT_EXEC) => {
                    if let Some(mut fact) = abi::PathFact::from_bytes(&record) {
                        remember_process(&mut self.recent_processes, fact.header.slot, fact.header.tgid);
                        check_by_name(&mut fact, &self.recent_processes);
                        insert_bounded(&mut self.path_facts, fact, self.max_facts, &mut self.dropped);
                    }
                    continue;
                }
                Some(abi::FACT_REFUSED) => {
                    if let Some(fact) = abi::RefusalFact::from_bytes(&record) {
                        if fact.key.slot == self.slot && self.new_refusals.len() < self.max_facts {
                            let mut refusal = refusal_of(self.arch, &fact.key, 0);
                            refusal.comm = abi::c_name(&fact.comm);
                            self.new_refusals.push(refusal);
                        }
                    }
                    continue;
                }
                Some(abi::FACT_NET) => {
                    if let Some(fact) = abi::NetFact::from_bytes(&record) {
                        insert_bounded(&mut self.net_facts, fact, self.max_facts, &mut self.dropped);
                    }
                    continue;
                }
                _ => {}
            }
            let Some(fact) = Fact::from_bytes(&record) else { continue };
            match fact.kind {
                abi::FACT_ARGS => {
                    let fact = (fact.slot, fact.nr, fact.args);
                    insert_bounded(&mut self.arg_facts, fact, self.max_facts, &mut self.dropped);
                }
                abi::FACT_RAW_NR => {
                    insert_bounded(&mut self.raw_numbers, (fact.slot, fact.nr), self.max_facts, &mut self.dropped);
                }
                abi::FACT_KILL => {
                    let fact = (fact.slot, fact.nr, fact.args[0], fact.args[1]);
                    insert_bounded(&mut self.kill_facts, fact, self.max_facts, &mut self.dropped);
                }

                _ => {}
            }
        }
    }

    /// Refusals seen for the first time since the last call (each distinct
    /// process, syscall and errno once), for a live report.
    pub fn new_refusals(&mut self) -> Vec<Refusal> {
        std::mem::take(&mut self.new_refusals)
    }

    /// Every refusal so far, with its count (needs [`Options::refusals`]).
    pub fn refusals(&self) -> Result<Vec<Refusal>, TracerError> {
        let map = self.ebpf.map("refusals").ok_or(missing_map("refusals"))?;
        let counts: HashMap<_, abi::Refusal, u64> = HashMap::try_from(map).map_err(map_error("refusals"))?;
        let mut out = Vec::new();
        for entry in counts.iter() {
            let (key, count) = entry.map_err(map_error("refusals"))?;
            if key.slot != self.slot {
                continue;
            }
            out.push(refusal_of(self.arch, &key, count));
        }
        out.sort();
        Ok(out)
    }

    /// The mount namespaces adopted so far while watching for new containers.
    pub fn container_slots(&self) -> Result<Vec<ContainerSlot>, TracerError> {
        let mut out = Vec::new();
        for slot in 1..abi::MAX_SLOTS {
            let info = self.slot_info(slot)?;
            if info.mntns == 0 {
                continue;
            }
            let cgroups = [&info.cgroup, &info.cgroup_v1, &info.filtered_cgroup, &info.filtered_cgroup_v1]
                .into_iter()
                .map(|name| abi::c_name(name))
                .filter(|name| !name.is_empty())
                .collect();
            out.push(ContainerSlot { slot, mntns: info.mntns, cgroups });
        }
        Ok(out)
    }

    /// Makes the trace that of the new container whose cgroup is named after
    /// `container_id` (Docker, containerd and CRI-O all name it so). Returns
    /// false if no such container was seen starting.
    pub fn select_container(&mut self, container_id: &str) -> Result<bool, TracerError> {
        debug_assert_eq!(self.selector, Selector::NewContainers);
        let found = self
            .container_slots()?
            .into_iter()
            .find(|s| !container_id.is_empty() && s.cgroups.iter().any(|c| c.contains(container_id)));
        match found {
            Some(s) => {
                self.slot = s.slot;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// How many new mount namespaces could not be told apart (all slots taken).
    pub fn untracked_namespaces(&self) -> Result<u64, TracerError> {
        self.stat(abi::STAT_NO_SLOT)
    }

    /// The counters so far.
    pub fn progress(&self) -> Result<Progress, TracerError> {
        let counts = self.syscall_counts()?;
        Ok(Progress {
            processes: self.processes()?,
            distinct_syscalls: counts.len() + self.raw_numbers.iter().filter(|(s, _)| *s == self.slot).count(),
            syscalls: counts.values().sum(),
            lost_events: self.stat(abi::STAT_LOST)? + self.dropped,
        })
    }

    /// Keeps at most `max` distinct facts of each kind; beyond, facts are
    /// dropped and counted as lost events (so the trace says it is incomplete).
    pub fn limit_facts(&mut self, max: usize) {
        self.max_facts = max;
    }

    /// Stops tracing and returns what was seen, and how many facts were
    /// dropped at the [`Tracer::limit_facts`] bound (already in its lost events).
    pub fn finish(mut self, target: Target) -> Result<(Trace, u64), TracerError> {
        self.detach();
        self.drain();
        // Unmap the (now empty) ring buffer before the trace is built, and
        // hand each path fact over as it is used, so that the ring's pages,
        // the facts and the trace never all count together in the peak RSS.
        self.facts = None;
        let path_facts = std::mem::take(&mut self.path_facts);
        let host = Host {
            kernel: kernel_release(),
            arch: self.arch,
            kernel_lacks: self.lacking.iter().map(|f| f.name.to_string()).collect(),
        };
        let mut trace = Trace::new(target, host);
        let setup = self.counts_at((abi::MAX_SLOTS + self.slot) * abi::MAX_SYSCALLS)?;
        for (nr, count) in self.syscall_counts()? {
            match self.arch.syscall_name(nr) {
                Some(name) => {
                    let entry = trace.syscalls.entry(name.to_string()).or_default();
                    entry.count = count;
                    entry.setup = setup.get(&nr).copied().unwrap_or(0);
                }
                None => {
                    trace.unknown_syscall_numbers.insert(nr);
                }
            }
        }
        trace.setup_recorded = true;
        let slot = self.slot;
        trace.unknown_syscall_numbers.extend(self.raw_numbers.iter().filter(|(s, _)| *s == slot).map(|(_, nr)| *nr));
        for (_, signal, from, to) in self.kill_facts.iter().filter(|(s, ..)| *s == slot) {
            trace.add_signal_across_users(*signal, *from, *to);
        }
        for (_, nr, values) in self.arg_facts.iter().filter(|(s, _, _)| *s == slot) {
            let Some(name) = self.arch.syscall_name(*nr) else { continue };
            let Some(arg_names) = recorded_args(name) else { continue };
            let mask = recorded_arg_mask(name);
            let args = arg_names
                .iter()
                .zip(values)
                .map(|(arg, value)| ((*arg).to_string(), value & mask))
                .collect::<BTreeMap<_, _>>();
            trace.add_args(name, args);
        }
        for fact in path_facts.into_iter().filter(|f| f.header.slot == slot) {
            add_path_fact(&mut trace, fact);
        }
        for fact in self.net_facts.iter().filter(|f| f.slot == slot) {
            trace.add_endpoint(&net_seen(fact));
        }
        trace.processes = self.processes()?;
        trace.lost_events = self.stat(abi::STAT_LOST)? + self.dropped;
        Ok((trace, self.dropped))
    }

    /// Detaches every program so that counters stop moving.
    fn detach(&mut self) {
        for (program, _) in PROGRAMS {
            if let Some(prog) = self.ebpf.program_mut(program) {
                if let Ok(prog) = <&mut BtfTracePoint>::try_from(prog) {
                    // Unloading detaches all of its links; failure only means
                    // it was not loaded.
                    let _ = prog.unload();
                }
            }
        }
    }

    /// Count per syscall number, for numbers called at least once.
    fn syscall_counts(&self) -> Result<BTreeMap<u32, u64>, TracerError> {
        self.counts_at(self.slot * abi::MAX_SYSCALLS)
    }

    /// The counters from index `base` on (a slot's calls, or its setup calls).
    fn counts_at(&self, base: u32) -> Result<BTreeMap<u32, u64>, TracerError> {
        let map = self.ebpf.map("syscall_counts").ok_or(missing_map("syscall_counts"))?;
        let counts: PerCpuArray<_, u64> = PerCpuArray::try_from(map).map_err(map_error("syscall_counts"))?;
        let mut out = BTreeMap::new();
        for nr in 0..abi::MAX_SYSCALLS {
            let per_cpu = counts.get(&(base + nr), 0).map_err(map_error("syscall_counts"))?;
            let total: u64 = per_cpu.iter().sum();
            if total > 0 {
                out.insert(nr, total);
            }
        }
        Ok(out)
    }

    /// Processes created in the selected slot, plus those handed over to us.
    fn processes(&self) -> Result<u64, TracerError> {
        Ok(self.slot_info(self.slot)?.processes + self.followed)
    }

    fn slot_info(&self, slot: u32) -> Result<abi::Slot, TracerError> {
        let map = self.ebpf.map("slot_info").ok_or(missing_map("slot_info"))?;
        let slots: Array<_, abi::Slot> = Array::try_from(map).map_err(map_error("slot_info"))?;
        slots.get(&slot, 0).map_err(map_error("slot_info"))
    }

    fn stat(&self, slot: u32) -> Result<u64, TracerError> {
        let map = self.ebpf.map("stats").ok_or(missing_map("stats"))?;
        let stats: Array<_, u64> = Array::try_from(map).map_err(map_error("stats"))?;
        stats.get(&slot, 0).map_err(map_error("stats"))
    }
}

/// A refusal as the kernel keyed it, named.
fn refusal_of(arch: Arch, key: &abi::Refusal, count: u64) -> Refusal {
    let nr = key.nr;
    Refusal {
        syscall: arch.syscall_name(nr).map_or_else(|| format!("#{nr}"), str::to_string),
        errno: key.error,
        host_pid: key.tgid,
        pid: key.ns_tgid,
        comm: String::new(),
        count,
    }
}

/// Processes remembered per slot by [`remember_process`].
const RECENT_PROCESSES: usize = 8;

/// Notes that process `tgid` of `slot` is (or was just) alive.
fn remember_process(recent: &mut BTreeMap<u32, Vec<u32>>, slot: u32, tgid: u32) {
    let list = recent.entry(slot).or_default();
    if list.last() == Some(&tgid) {
        return;
    }
    list.retain(|t| *t != tgid);
    if list.len() == RECENT_PROCESSES {
        list.remove(0);
    }
    list.push(tgid);
}

/// A successful call by name (`PATH_UNCHECKED`): the kernel side had no
/// inode to compare the caller with, so the file (or the directory) the name
/// gives is read now, through the caller's /proc/PID/root or, once it is gone
/// (`chmod 700 "$PGDATA"` by chmod(1) exits at once), another of its slot's
/// processes' (the same container root), and the kernel's check redone:
/// chmod by another than the owner needed `PATH_FOWNER`, by one not in the
/// file's group `PATH_FSETID`; truncate without
/// write permission, and a name made, removed or renamed in a directory the
/// caller could not write, `PATH_DAC_OVERRIDE` (`PATH_DAC_READ_SEARCH` where
/// only search was missing). A chrooted caller's name is the mount
/// namespace's, which no /proc/PID/root shows reliably, and a file gone by
/// now cannot be read: those stay unchecked.
fn check_by_name(fact: &mut abi::PathFact, recent: &BTreeMap<u32, Vec<u32>>) {
    let header = &mut fact.header;
    if header.kind != abi::FACT_FILE || header.flags & abi::PATH_UNCHECKED == 0 {
        return;
    }
    if header.error != 0 || header.flags & abi::PATH_CHROOTED != 0 {
        return;
    }
    let path = cinch_profiles::path::join_lexically(&fact.strings[0], &fact.strings[1]);
    let of_file = header.access & (abi::ACCESS_CHMOD | abi::ACCESS_TRUNCATE) != 0;
    let target = if of_file {
        path
    } else {
        match path.iter().rposition(|b| *b == b'/') {
            Some(0) => b"/".to_vec(),
            Some(slash) => path[..slash].to_vec(),
            None => return,
        }
    };
    let others = recent.get(&header.slot).into_iter().flatten().rev().filter(|t| **t != header.tgid);
    let found = std::iter::once(&header.tgid)
        .chain(others)
        .find_map(|pid| proc::stat_in_root_of(*pid, &target).map(|stat| (*pid, stat)));
    let Some((pid, (uid, gid, mode))) = found else { return };
    header.flags &= !abi::PATH_UNCHECKED;
    let groups = if pid == header.tgid { proc::groups_of(pid) } else { Vec::new() };
    let in_group = gid == header.fsgid || groups.contains(&gid);
    if header.access & abi::ACCESS_CHMOD != 0 {
        if uid != header.fsuid {
            header.flags |= abi::PATH_FOWNER;
        }
        if !in_group {
            header.flags |= abi::PATH_FSETID;
        }
        return;
    }
    let permitted = if uid == header.fsuid {
        (mode >> 6) & 7
    } else if in_group {
        (mode >> 3) & 7
    } else {
        mode & 7
    };
    let want = if of_file { 2 } else { 3 };
    if want & !permitted & 2 != 0 {
        header.flags |= abi::PATH_DAC_OVERRIDE;
    } else if want & !permitted & 1 != 0 {
        header.flags |= abi::PATH_DAC_READ_SEARCH;
    }
}

/// Access bits of the kernel and what the trace calls them.
const ACCESS_NAMES: &[(u32, Access)] = &[
    (abi::ACCESS_READ, Access::Read),
    (abi::ACCESS_WRITE, Access::Write),
    (abi::ACCESS_APPEND, Access::Append),
    (abi::ACCESS_CREATE, Access::Create),
    (abi::ACCESS_TRUNCATE, Access::Truncate),
    (abi::ACCESS_DELETE, Access::Delete),
    (abi::ACCESS_RENAME, Access::Rename),
    (abi::ACCESS_LINK, Access::Link),
    (abi::ACCESS_CHMOD, Access::Chmod),
    (abi::ACCESS_CHOWN, Access::Chown),
    (abi::ACCESS_LIST, Access::List),
    (abi::ACCESS_EXEC, Access::Exec),
    (abi::ACCESS_MMAP_EXEC, Access::MmapExec),
    (abi::ACCESS_PATH, Access::Path),
    (abi::ACCESS_LOCK, Access::Lock),
    (abi::ACCESS_STAT, Access::Stat),
];

fn add_path_fact(trace: &mut Trace, abi::PathFact { header: fact, strings }: abi::PathFact) {
    let flag = |bit: u32| fact.flags & bit != 0;
    let [first, second, third, fourth] = strings;
    if fact.kind == abi::FACT_EXEC {
        trace.add_exec(&ExecSeen {
            path: first,
            argv0: second,
            parent: (!third.is_empty()).then_some(third),
            in_place: flag(abi::PATH_IN_PLACE),
            truncated: flag(abi::PATH_TRUNCATED),
            outside_root: flag(abi::PATH_OUTSIDE_ROOT),
            given: (!fourth.is_empty()).then_some(fourth),
            script: flag(abi::PATH_SCRIPT),
        });
        return;
    }
    let (path, given) = if flag(abi::PATH_UNRESOLVED) {
        (SeenPath::ByName { base: first, given: second }, None)
    } else {
        (SeenPath::Resolved(first), flag(abi::PATH_GIVEN).then_some(second))
    };
    trace.add_file(&FileSeen {
        path,
        access: ACCESS_NAMES.iter().filter(|(bit, _)| fact.access & bit != 0).map(|(_, a)| *a).collect(),
        error: (fact.error != 0).then_some(fact.error),
        directory: flag(abi::PATH_DIRECTORY),
        truncated: flag(abi::PATH_TRUNCATED),
        outside_root: flag(abi::PATH_OUTSIDE_ROOT),
        chrooted: flag(abi::PATH_CHROOTED),
        procfs: fact.fs_magic == abi::PROC_SUPER_MAGIC,
        pid: fact.ns_tgid,
        tid: fact.ns_tid,
        capabilities: [
            (abi::PATH_DAC_OVERRIDE, "dac_override"),
            (abi::PATH_DAC_READ_SEARCH, "dac_read_search"),
            (abi::PATH_FOWNER, "fowner"),
            (abi::PATH_FSETID, "fsetid"),
        ]
        .into_iter()
        .filter(|(bit, _)| flag(*bit))
        .map(|(_, cap)| cap)
        .collect(),
        given,
    });
}

fn net_seen(fact: &abi::NetFact) -> NetSeen {
    let op = match fact.op {
        abi::NET_BIND => NetOp::Bind,
        abi::NET_LISTEN => NetOp::Listen,
        _ => NetOp::Connect,
    };
    let path_len = usize::from(fact.path_len).min(abi::UNIX_PATH);
    NetSeen {
        op,
        family: fact.family,
        socket_type: fact.socket_type,
        addr: fact.addr,
        port: fact.port,
        unix_path: fact.path[..path_len].to_vec(),
        error: (fact.error != 0).then_some(fact.error),
    }
}

fn missing_map(map: &'static str) -> TracerError {
    TracerError::MissingMap { map }
}

fn map_error(map: &'static str) -> impl FnOnce(aya::maps::MapError) -> TracerError {
    move |source| TracerError::Map { map, source }
}

/// A refusal to load: "not permitted" when the root cause is EPERM (it
/// names what to do), otherwise the error with its cause chain.
fn load_error<E>(program: &'static str, tracepoint: &'static str, object: &'static str) -> impl FnOnce(E) -> TracerError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |err| {
        if root_cause_errno(&err) == Some(libc::EPERM) {
            return TracerError::NotPermitted;
        }
        TracerError::Load { program, tracepoint, object, kernel: kernel_release(), source: Box::new(err) }
    }
}

fn root_cause_errno(err: &(dyn std::error::Error + 'static)) -> Option<i32> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io.raw_os_error();
        }
        current = e.source();
    }
    None
}

/// Older kernels charge BPF maps to RLIMIT_MEMLOCK; newer ones ignore it.
fn raise_memlock_limit() {
    let unlimited = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: plain syscall with a valid struct. Failure is fine: on kernels
    // that need it, loading reports the real error.
    unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) };
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_syscall_global_of_each_object_names_a_syscall() {
        for object in &objects::OBJECTS {
            let globals = syscall_globals(object.bytes).expect("the object reads");
            assert!(globals.len() >= 45, "{}: {} nr_* globals found", object.name, globals.len());
            for (global, syscall) in &globals {
                assert!(
                    Arch::ALL.iter().any(|arch| arch.syscall_number(syscall).is_some()),
                    "{}: {global}: no architecture has a syscall named {syscall}",
                    object.name
                );
            }
            for wanted in ["nr_execve", "nr_openat", "nr_unshare", "nr_connect"] {
                assert!(globals.iter().any(|(g, _)| g == wanted), "{}: {wanted} missing", object.name);
            }
        }
    }

    #[test]
    fn each_object_has_every_program_the_loader_attaches_and_only_its_maps() {
        use object::{Object, ObjectSection, ObjectSymbol};
        for o in &objects::OBJECTS {
            let file = object::File::parse(o.bytes).expect("the object reads");
            let names: Vec<String> = file.symbols().filter_map(|s| s.name().ok().map(str::to_string)).collect();
            for (program, _) in PROGRAMS {
                assert!(names.iter().any(|n| n == program), "{program} is not in {}", o.name);
            }
            // The compatibility object calls no helper its kernels lack:
            // bpf_loop is helper 181, bpf_find_vma 180, task storage 156/157,
            // bpf_get_current_task_btf 158 (call instructions: opcode 0x85, src 0).
            let mut helpers = std::collections::BTreeSet::new();
            for section in file.sections() {
                let Ok(data) = section.data() else { continue };
                if section.kind() != object::SectionKind::Text {
                    continue;
                }
                for insn in data.chunks_exact(8) {
                    if insn[0] == 0x85 && insn[1] >> 4 == 0 {
                        helpers.insert(i32::from_le_bytes(insn[4..8].try_into().unwrap()));
                    }
                }
            }
            let newer = [156, 157, 158, 180, 181];
            let used: Vec<i32> = newer.iter().copied().filter(|h| helpers.contains(h)).collect();
            if o.compat {
                assert!(used.is_empty(), "{} calls helpers {used:?}", o.name);
            } else {
                assert!(used.contains(&181) && used.contains(&156), "{}: {used:?}", o.name);
            }
        }
    }
}
