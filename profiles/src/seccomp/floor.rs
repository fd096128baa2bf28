//! Runtime floors: what a container runtime does after it installs the
//! seccomp filter and before it execs the entrypoint. A profile made only of
//! the workload's syscalls does not start the container; the floor is what
//! has to be added.
//!
//! A floor is measured, not guessed: `scripts/measure-runtime-floor` starts a
//! container whose entrypoint makes one syscall (exit) many times under
//! `cinch trace -- docker run ...`, which counts every syscall made under the
//! filter from the moment it is installed, and writes the union to
//! `floors/<runtime>.txt`. The end-to-end tests prove that profiles with the
//! floor start containers in real Docker and under `runc run`.

use crate::arch::Arch;
use std::fmt;
use std::str::FromStr;

/// A container runtime cinch has a measured floor for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// runc, the default runtime of Docker and containerd.
    Runc,
    /// crun (`docker run --runtime crun`, Podman's default): C, it installs
    /// the filter just before exec, so its floor is small.
    Crun,
}

const RUNC_FLOOR: &str = include_str!("floors/runc.txt");
const CRUN_FLOOR: &str = include_str!("floors/crun.txt");

impl Runtime {
    pub const ALL: [Runtime; 2] = [Runtime::Runc, Runtime::Crun];

    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Runc => "runc",
            Runtime::Crun => "crun",
        }
    }

    /// The floor file's text (comments say how and where it was measured).
    pub fn floor_text(self) -> &'static str {
        match self {
            Runtime::Runc => RUNC_FLOOR,
            Runtime::Crun => CRUN_FLOOR,
        }
    }

    /// The runtime a container ran under, from Docker's name for it (None: not one cinch knows).
    pub fn from_docker_name(name: &str) -> Option<Runtime> {
        match name {
            "runc" | "io.containerd.runc.v2" | "io.containerd.runtime.v1.linux" => Some(Runtime::Runc),
            _ if name == "crun" || name.ends_with("/crun") => Some(Runtime::Crun),
            _ => None,
        }
    }

    /// The floor's syscalls that exist on `arch`, and those that do not.
    pub fn floor(self, arch: Arch) -> (Vec<&'static str>, Vec<&'static str>) {
        floor_names(self.floor_text()).partition(|name| arch.syscall_number(name).is_some())
    }

    /// The floor's syscall names as measured (on x86_64).
    pub fn floor_names(self) -> impl Iterator<Item = &'static str> {
        floor_names(self.floor_text())
    }
}

/// The names in a floor file: one per line, `#` starts a comment.
fn floor_names(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty())
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Runtime {
    type Err = String;
    fn from_str(s: &str) -> Result<Runtime, String> {
        Runtime::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("no measured floor for runtime {s:?} (known: runc, crun)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_floor_name_is_an_x86_64_syscall() {
        for runtime in Runtime::ALL {
            let (present, missing) = runtime.floor(Arch::X86_64);
            assert!(missing.is_empty(), "{runtime}: {missing:?}");
            assert!(present.contains(&"execve"), "{runtime}: the exec itself runs under the filter");
        }
    }

    /// A merged trace of container runs keeps runc's floor (it lost fchown once).
    #[test]
    fn a_merge_of_container_traces_gets_the_floor_too() {
        let container =
            crate::Trace::from_json(include_str!("../../../fixtures/traces/worker-container.json")).unwrap();
        let host = crate::Trace::from_json(include_str!("../../../fixtures/traces/worker-host.json")).unwrap();
        let mut second = container.clone();
        second.target =
            crate::Target::Container { id: "0".repeat(64), name: "second".into(), image: "w".into(), runtime: None };
        let merged = crate::merge::merge(&[("a".into(), container), ("b".into(), second)]).unwrap();
        assert!(matches!(merged.target, crate::Target::Merged { .. }), "{:?}", merged.target);
        assert_eq!(FloorChoice::Auto.resolve(&merged), Some(Runtime::Runc));
        let hosts = crate::merge::merge(&[("a".into(), host.clone()), ("b".into(), host)]).unwrap();
        assert_eq!(FloorChoice::Auto.resolve(&hosts), None);
    }

    /// auto gives crun's floor to runs Docker made with crun, and runc's to any mix.
    #[test]
    fn auto_takes_the_floor_of_the_runtime_the_container_ran_under() {
        let mut crun = crate::Trace::from_json(include_str!("../../../fixtures/traces/worker-container.json")).unwrap();
        let crate::Target::Container { runtime, .. } = &mut crun.target else { panic!("a container trace") };
        *runtime = Some("crun".into());
        assert_eq!(FloorChoice::Auto.resolve(&crun), Some(Runtime::Crun));
        let runc = crate::Trace::from_json(include_str!("../../../fixtures/traces/worker-container.json")).unwrap();
        assert_eq!(FloorChoice::Auto.resolve(&runc), Some(Runtime::Runc), "unknown runtime: runc's");
        let mixed = crate::merge::merge(&[("a".into(), crun.clone()), ("b".into(), runc)]).unwrap();
        assert_eq!(FloorChoice::Auto.resolve(&mixed), Some(Runtime::Runc));
        let both = crate::merge::merge(&[("a".into(), crun.clone()), ("b".into(), crun)]).unwrap();
        assert_eq!(FloorChoice::Auto.resolve(&both), Some(Runtime::Crun));
        assert_eq!(Runtime::from_docker_name("io.containerd.runc.v2"), Some(Runtime::Runc));
        assert!(Runtime::Crun.floor_text().contains("crun version"), "a floor names the version it was measured on");
    }
}

/// Which floor a profile gets: `auto`, `none`, or a runtime with a measured floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorChoice {
    Auto,
    Off,
    Runtime(Runtime),
}

impl FromStr for FloorChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<FloorChoice, String> {
        match s {
            "auto" => Ok(FloorChoice::Auto),
            "none" => Ok(FloorChoice::Off),
            other => other.parse().map(FloorChoice::Runtime).map_err(|e| format!("{e}; or auto, none")),
        }
    }
}

impl FloorChoice {
    /// The runtime whose floor a profile of `trace` gets: `auto` adds, to a
    /// container's trace, the floor of the runtime it ran under (crun's only
    /// if every container run of it was crun's; runc's otherwise, and where the
    /// trace does not say), and nothing to a command's.
    pub fn resolve(self, trace: &crate::Trace) -> Option<Runtime> {
        match self {
            FloorChoice::Off => None,
            FloorChoice::Runtime(runtime) => Some(runtime),
            // Even a trace from the container's start gets the floor: Go's
            // scheduler makes a few of runc's calls timing-dependent, and the
            // floor is the union of many measured starts.
            FloorChoice::Auto => {
                let runtimes = trace.target.runtimes();
                let all_crun = !runtimes.is_empty()
                    && runtimes.iter().all(|r| r.and_then(Runtime::from_docker_name) == Some(Runtime::Crun));
                let runtime = if all_crun { Runtime::Crun } else { Runtime::Runc };
                trace.target.is_container().then_some(runtime)
            }
        }
    }
}
