//! The trace: what a target was seen doing. It is the contract between the
//! tracer (which writes it) and the generators and users (who read, keep,
//! merge and review it), so its JSON form is versioned and deterministic:
//! maps are sorted, nothing in it depends on when or how fast it was taken,
//! and writing a parsed trace gives back the same bytes.
//!
//! The format is documented in the README ("The trace file").

mod files;
mod network;

pub use files::{
    Access, ExecSeen, ExecUse, FailedUse, FileSeen, FileUse, SeenPath, IN_PLACE, KERNEL_FILESYSTEMS, OUTSIDE,
};
pub use network::{family_name, type_name, Endpoint, NetOp, NetSeen};

use crate::arch::{recorded_args, Arch};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The value of the `format` field this version reads and writes.
pub const FORMAT: &str = "cinch-trace/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// Always [`FORMAT`].
    pub format: String,
    pub target: Target,
    pub host: Host,
    /// Processes created inside the target while it was traced (threads are
    /// not counted; processes already running when tracing began are not either).
    pub processes: u64,
    /// The trace begins when the container runtime installed the seccomp
    /// filter (`cinch trace -- docker run ...`), so it holds what the runtime
    /// itself does under the filter before it execs the entrypoint.
    #[serde(default, skip_serializing_if = "is_false")]
    pub from_container_start: bool,
    /// Whether the trace saw the workload exit (its shutdown path is in it):
    /// false when tracing stopped with the workload still running; absent in
    /// traces from before cinch recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_exited: Option<bool>,
    /// Who made each call is recorded: the calls the container runtime made
    /// setting the container up, before the entrypoint's exec (or a `runc
    /// exec`'s before its exec), are counted apart in each syscall's `setup`.
    /// False in traces from before cinch recorded it (and in a merge with one).
    #[serde(default, skip_serializing_if = "is_false")]
    pub setup_recorded: bool,
    /// Facts the kernel side could not deliver. Non-zero means the trace is
    /// incomplete and a profile made from it may be too tight.
    pub lost_events: u64,
    /// A merged trace (`cinch merge`): how many runs it unites. Every fact in
    /// it then says in how many of them it was seen (`runs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
    /// Every syscall the target made, by name for `host.arch`.
    pub syscalls: BTreeMap<String, SyscallUse>,
    /// Syscall numbers the target made that `host.arch`'s table does not name
    /// (e.g. x32 syscalls on x86_64). Kept so that nothing seen is dropped.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unknown_syscall_numbers: BTreeSet<u32>,
    /// Files the target touched, by the path the container sees.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileUse>,
    /// Attempts that failed, by path, with their errno.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed_files: BTreeMap<String, FailedUse>,
    /// Signals the target sent to processes of another user, which the
    /// kernel let through on CAP_KILL: `SIGHUP from uid 0 to uid 33`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub signals_across_users: BTreeSet<String>,
    /// Programs executed, by path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub executions: BTreeMap<String, ExecUse>,
    /// Addresses bound, listened on and connected to, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<Endpoint>,
}

/// What was traced. Descriptive, but for one decision: a container's trace gets
/// the runtime's floor ([`Target::is_container`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// A Docker container, looked up by name or id. `runtime` is the OCI
    /// runtime Docker ran it with (`runc`, `crun`), when known.
    Container {
        id: String,
        name: String,
        image: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runtime: Option<String>,
    },
    /// A command cinch started (`cinch trace -- CMD ARGS...`).
    Command { argv: Vec<String> },
    /// A running process given by pid, and everything in its mount namespace.
    Process { argv: Vec<String> },
    /// Several runs united by `cinch merge`.
    Merged { targets: Vec<Target> },
}

impl Target {
    /// A container's run, or a merge with one among its runs: what
    /// `--runtime-floor auto` gives runc's floor (a merged trace of container
    /// runs needs it as much as each run did).
    pub fn is_container(&self) -> bool {
        match self {
            Target::Container { .. } => true,
            Target::Merged { targets } => targets.iter().any(Target::is_container),
            Target::Command { .. } | Target::Process { .. } => false,
        }
    }

    /// The runtimes the container runs were made with (`None` where not known).
    pub fn runtimes(&self) -> Vec<Option<&str>> {
        match self {
            Target::Container { runtime, .. } => vec![runtime.as_deref()],
            Target::Merged { targets } => targets.iter().flat_map(Target::runtimes).collect(),
            Target::Command { .. } | Target::Process { .. } => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Kernel release (`uname -r`) of the machine that traced.
    pub kernel: String,
    /// Architecture whose syscall table names the syscalls.
    pub arch: Arch,
    /// eBPF features the kernel lacked (`bpf_loop`, `task storage`...): the
    /// tracer loaded its compatibility programs; what that costs is in
    /// docs/trace-format.md.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kernel_lacks: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyscallUse {
    /// How many times it was called (entered) by the target.
    pub count: u64,
    /// Of those, how many the container runtime made while setting the
    /// container up (see [`Trace::setup_recorded`]); the rest are the workload's.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub setup: u64,
    /// Distinct argument values seen, for the syscalls listed in
    /// [`crate::arch::RECORDED_ARGS`]; each entry maps argument name to value.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub args: BTreeSet<BTreeMap<String, u64>>,
    /// In a merged trace: how many runs made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
}

/// Why a trace file could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    #[error("line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("line {line}: unsupported trace format {found:?}; this cinch reads {FORMAT:?}")]
    Format { line: usize, found: String },
    #[error("line {line}: {name:?} is not a syscall on {arch}")]
    UnknownSyscall { line: usize, name: String, arch: Arch },
    #[error("line {line}: cinch does not record arguments of {syscall:?}")]
    ArgsNotRecorded { line: usize, syscall: String },
    #[error("line {line}: {syscall:?} has no recorded argument {arg:?} (expected one of {expected})")]
    UnknownArg { line: usize, syscall: String, arg: String, expected: String },
    #[error("line {line}: path {path:?}: {message}")]
    BadPath { line: usize, path: String, message: String },
    #[error("line {line}: {name:?} is not an errno name")]
    BadErrno { line: usize, name: String },
}

impl TraceError {
    pub fn line(&self) -> usize {
        match self {
            TraceError::Syntax { line, .. }
            | TraceError::Format { line, .. }
            | TraceError::UnknownSyscall { line, .. }
            | TraceError::ArgsNotRecorded { line, .. }
            | TraceError::UnknownArg { line, .. }
            | TraceError::BadPath { line, .. }
            | TraceError::BadErrno { line, .. } => *line,
        }
    }
}

impl Trace {
    /// An empty trace of `target` on a host.
    pub fn new(target: Target, host: Host) -> Trace {
        Trace {
            format: FORMAT.to_string(),
            target,
            host,
            processes: 0,
            from_container_start: false,
            target_exited: None,
            setup_recorded: false,
            lost_events: 0,
            runs: None,
            syscalls: BTreeMap::new(),
            unknown_syscall_numbers: BTreeSet::new(),
            files: BTreeMap::new(),
            failed_files: BTreeMap::new(),
            signals_across_users: BTreeSet::new(),
            executions: BTreeMap::new(),
            network: Vec::new(),
        }
    }

    /// Adds a signal the tracer saw sent to a process of another user.
    pub fn add_signal_across_users(&mut self, signal: u32, from_euid: u64, to_uid: u64) {
        self.signals_across_users.insert(format!("{} from uid {from_euid} to uid {to_uid}", signal_name(signal)));
    }

    /// Whether the workload itself made `syscall` (not only the container
    /// runtime while setting the container up); None where the trace cannot
    /// say (it does not record who made each call).
    pub fn workload_made(&self, syscall: &str) -> Option<bool> {
        let made = self.syscalls.get(syscall).is_some_and(|u| u.count > u.setup);
        (self.setup_recorded || !made).then_some(made)
    }

    /// Parses and validates a trace file's text.
    pub fn from_json(text: &str) -> Result<Trace, TraceError> {
        // The format is checked first, on its own, so that a file of another
        // version is refused for what it is rather than for an odd field.
        #[derive(Deserialize)]
        struct FormatOnly {
            format: Option<serde_json::Value>,
        }
        let head: FormatOnly = serde_json::from_str(text).map_err(syntax_error)?;
        match head.format {
            Some(serde_json::Value::String(found)) if found == FORMAT => {}
            Some(other) => {
                let found = other.as_str().map_or_else(|| other.to_string(), str::to_string);
                return Err(TraceError::Format { line: line_of_key(text, "format", 0), found });
            }
            None => return Err(TraceError::Format { line: 1, found: "(no \"format\" field)".into() }),
        }
        let mut trace: Trace = serde_json::from_str(text).map_err(syntax_error)?;
        trace.validate(text)?;
        trace.network.sort();
        trace.network.dedup();
        Ok(trace)
    }

    /// The canonical text of the trace: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a Trace has only string keys and plain values");
        text.push('\n');
        text
    }

    /// Records one syscall argument observation (values by argument name).
    pub fn add_args(&mut self, syscall: &str, args: BTreeMap<String, u64>) {
        self.syscalls.entry(syscall.to_string()).or_default().args.insert(args);
    }

    /// A name for the profiles made from this trace that Kubernetes (RFC 1123)
    /// and AppArmor both accept: the container's name, lowercased, with every
    /// other character made `-`, at most 63 long; `cinch` when there is none.
    pub fn default_profile_name(&self) -> String {
        let raw = match &self.target {
            Target::Container { name, .. } if !name.is_empty() => name.as_str(),
            _ => "cinch",
        };
        let cleaned: String = raw
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' })
            .collect();
        let trimmed = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        if trimmed.is_empty() {
            "cinch".into()
        } else {
            trimmed.chars().take(63).collect()
        }
    }

    /// Total number of syscalls made.
    pub fn total_calls(&self) -> u64 {
        self.syscalls.values().map(|s| s.count).sum()
    }

    /// The directories the workload writes in: the parent of every container
    /// path it changed ([`FileUse::is_written`]: a file written, created,
    /// truncated, deleted, renamed or linked, a directory made or removed),
    /// outside the kernel filesystems; a directory inside another written
    /// one is left out, being covered by it. Paths as bytes, decoded.
    pub fn written_dirs(&self) -> BTreeSet<Vec<u8>> {
        let mut dirs = BTreeSet::new();
        for (spelling, used) in &self.files {
            if !used.is_container_path() || !used.is_written() {
                continue;
            }
            let Ok(bytes) = crate::path::decode(spelling) else { continue };
            if !bytes.starts_with(b"/") || KERNEL_FILESYSTEMS.iter().any(|k| crate::path::is_under(&bytes, k)) {
                continue;
            }
            dirs.insert(crate::path::parent(&bytes).to_vec());
        }
        let all = dirs.clone();
        dirs.retain(|d| !all.iter().any(|o| o != d && crate::path::is_under(d, o)));
        dirs
    }

    fn validate(&self, text: &str) -> Result<(), TraceError> {
        self.validate_syscalls(text)?;
        self.validate_files(text)
    }

    /// Every path decodes, a truncated path is the only kind without a
    /// leading `/`, and every errno is a name.
    fn validate_files(&self, text: &str) -> Result<(), TraceError> {
        // The line is looked for only once something is wrong: finding it
        // for every path would make loading a large trace quadratic.
        let check = |section: &str, path: &str, truncated: bool| -> Result<(), TraceError> {
            let bad = |message: String| {
                let from = text.find(&format!("\"{section}\"")).unwrap_or(0);
                TraceError::BadPath { line: line_of_key(text, path, from), path: path.to_string(), message }
            };
            crate::path::decode(path).map_err(|e| bad(e.to_string()))?;
            if truncated == path.starts_with('/') {
                return Err(bad(if truncated {
                    "a truncated path keeps only its end and has no leading /".into()
                } else {
                    "a path must be absolute, or marked truncated".into()
                }));
            }
            Ok(())
        };
        for (path, usage) in &self.files {
            check("files", path, usage.truncated)?;
        }
        for (path, usage) in &self.failed_files {
            check("failed_files", path, usage.truncated)?;
            for name in &usage.errors {
                if crate::errno::number(name).is_none() {
                    let from = text.find("\"failed_files\"").unwrap_or(0);
                    let line = line_of_key(text, path, from);
                    return Err(TraceError::BadErrno { line, name: name.clone() });
                }
            }
        }
        for (path, usage) in &self.executions {
            check("executions", path, usage.truncated)?;
        }
        Ok(())
    }

    fn validate_syscalls(&self, text: &str) -> Result<(), TraceError> {
        let syscalls_at = text.find("\"syscalls\"").unwrap_or(0);
        for (name, usage) in &self.syscalls {
            let line = line_of_key(text, name, syscalls_at); // a few hundred syscalls at most
            if self.host.arch.syscall_number(name).is_none() {
                return Err(TraceError::UnknownSyscall { line, name: name.clone(), arch: self.host.arch });
            }
            if usage.args.is_empty() {
                continue;
            }
            let Some(expected) = recorded_args(name) else {
                return Err(TraceError::ArgsNotRecorded { line, syscall: name.clone() });
            };
            for arg in usage.args.iter().flat_map(|values| values.keys()) {
                if !expected.contains(&arg.as_str()) {
                    return Err(TraceError::UnknownArg {
                        line,
                        syscall: name.clone(),
                        arg: arg.clone(),
                        expected: expected.join(", "),
                    });
                }
            }
        }
        Ok(())
    }
}

fn syntax_error(err: serde_json::Error) -> TraceError {
    // serde_json appends " at line L column C" to its messages; we report the
    // position in our own fields instead.
    let message = err.to_string();
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    };
    TraceError::Syntax { line: err.line().max(1), column: err.column(), message }
}

/// The 1-based line of the first `"key":` at or after byte `from`, or the
/// line of `from` when it is not found (e.g. the key was written escaped).
fn line_of_key(text: &str, key: &str, from: usize) -> usize {
    let needle = format!("{}:", serde_json::Value::String(key.to_string()));
    let offset = from + text[from..].find(&needle).unwrap_or(0);
    text[..offset].matches('\n').count() + 1
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Container { name, image, id, .. } => {
                let short = id.get(..12).unwrap_or(id);
                write!(f, "container {name} ({image}, {short})")
            }
            Target::Command { argv } => write!(f, "command {}", argv.join(" ")),
            Target::Process { argv } => write!(f, "process {}", argv.join(" ")),
            Target::Merged { targets } => write!(f, "{} targets merged", targets.len()),
        }
    }
}

pub(crate) fn is_zero(value: &u64) -> bool {
    *value == 0
}

pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// A signal's name (`SIGHUP`), or its number for a real-time one (`signal 34`).
fn signal_name(signal: u32) -> String {
    const NAMES: [&str; 31] = [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match signal.checked_sub(1).and_then(|i| NAMES.get(i as usize)) {
        Some(name) => name.to_string(),
        None => format!("signal {signal}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn written_dirs_are_the_parents_of_what_changed_outside_kernel_filesystems() {
        use super::files::FileUse;
        let mut trace = super::Trace::new(
            super::Target::Command { argv: vec!["w".into()] },
            super::Host { kernel: "6.18".into(), arch: super::Arch::X86_64, kernel_lacks: vec![] },
        );
        let mut add = |path: &str, access: &[super::Access], directory: bool| {
            let used = FileUse { access: access.iter().copied().collect(), directory, ..FileUse::default() };
            trace.files.insert(path.to_string(), used);
        };
        add("/srv/results/1.txt", &[super::Access::Create, super::Access::Write], false);
        add("/srv/results/tmp/x", &[super::Access::Delete], false);
        add("/srv/db/x.fasta", &[super::Access::Read], false);
        add("/var/log/new", &[super::Access::Create], true);
        add("/dev/null", &[super::Access::Write], false);
        add("/proc/self/attr/exec", &[super::Access::Write], false);
        add("/top", &[super::Access::Link], false);
        let dirs: Vec<String> = trace.written_dirs().iter().map(|d| crate::path::encode(d)).collect();
        assert_eq!(dirs, ["/"], "/ covers them all");
        trace.files.remove("/top");
        let dirs: Vec<String> = trace.written_dirs().iter().map(|d| crate::path::encode(d)).collect();
        assert_eq!(dirs, ["/srv/results", "/var/log"]);
    }

    use super::*;

    fn sample() -> Trace {
        let mut trace = Trace::new(
            Target::Command { argv: vec!["/bin/true".into()] },
            Host { kernel: "6.1.0".into(), arch: Arch::X86_64, kernel_lacks: vec![] },
        );
        trace.syscalls.insert("read".into(), SyscallUse { count: 3, ..Default::default() });
        trace.syscalls.insert("socket".into(), SyscallUse { count: 1, ..Default::default() });
        trace.add_args("socket", BTreeMap::from([("domain".into(), 2), ("type".into(), 1), ("protocol".into(), 0)]));
        trace
    }

    #[test]
    fn round_trips_to_the_same_bytes() {
        let text = sample().to_json();
        let parsed = Trace::from_json(&text).expect("valid");
        assert_eq!(parsed, sample());
        assert_eq!(parsed.to_json(), text);
    }

    #[test]
    fn canonical_form_is_stable() {
        insta::assert_snapshot!(sample().to_json());
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let text = sample().to_json().replace("\"count\": 3", "\"count\": 3,,");
        let err = Trace::from_json(&text).unwrap_err();
        assert!(matches!(err, TraceError::Syntax { .. }), "{err}");
        assert_eq!(err.line(), text.lines().position(|l| l.contains(",,")).unwrap() + 1);
    }

    #[test]
    fn other_format_is_refused_with_its_line() {
        let text = sample().to_json().replace(FORMAT, "cinch-trace/9");
        let err = Trace::from_json(&text).unwrap_err();
        assert_eq!(err, TraceError::Format { line: 2, found: "cinch-trace/9".into() });
        assert!(err.to_string().contains("cinch-trace/1"));
    }

    #[test]
    fn unknown_syscall_is_refused_with_its_line() {
        let text = sample().to_json().replace("\"read\"", "\"raed\"");
        let err = Trace::from_json(&text).unwrap_err();
        let expected = text.lines().position(|l| l.contains("raed")).unwrap() + 1;
        assert_eq!(err.line(), expected, "{err}");
        assert!(err.to_string().contains("\"raed\" is not a syscall on x86_64"));
    }

    #[test]
    fn unknown_argument_name_is_refused() {
        let text = sample().to_json().replace("\"domain\"", "\"family\"");
        let err = Trace::from_json(&text).unwrap_err();
        assert!(matches!(err, TraceError::UnknownArg { .. }), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = sample().to_json().replace("\"processes\"", "\"procs\"");
        let err = Trace::from_json(&text).unwrap_err();
        assert!(err.to_string().contains("procs"), "{err}");
    }
}
