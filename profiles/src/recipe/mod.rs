//! FROM-scratch image recipes: which files an image of one executable
//! holds, as whom it runs, and how it is run hardened.
//!
//! [`plan`] decides, from the executable's ELF facts and (optionally) a
//! trace, every entry of the image's root filesystem: the executable
//! (root-owned, read-only), the data files the trace read, the directories
//! it wrote (owned by the non-root user: volumes, or tmpfs for scratch
//! space), the libraries and loader of a dynamic executable (`--with-libs`),
//! and a minimal `/etc/passwd` and `/etc/group`. The CLI writes those entries
//! into `rootfs.tar` (so the Containerfile never spells a path taken from a
//! trace) and renders the templates ([`render`]).

pub mod complete;
pub mod elf;
pub mod render;

use crate::note::{Note, Remedy};
use crate::trace::{Access, KERNEL_FILESYSTEMS, OUTSIDE};
use crate::{path, Trace};
use elf::ElfInfo;
use std::collections::{BTreeMap, BTreeSet};

/// The non-root account the image runs as.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Where an entry's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on the building host (the executable, a library).
    Host(std::path::PathBuf),
    /// A file of the container, under the `--from` directory.
    FromRoot(Vec<u8>),
    /// Text cinch writes (passwd, group).
    Text(String),
    Directory,
    /// A symbolic link holding this target.
    Link(Vec<u8>),
}

/// One entry of the image's root filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Absolute path in the image.
    pub path: Vec<u8>,
    pub source: Source,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Why it is in the image: the trace fact or ELF dependency (MANIFEST).
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// Short name: container and volume names, labels (a safe word).
    pub name: String,
    /// The executable as shown to the user, where its bytes come from, and
    /// where it goes in the image.
    pub binary: std::path::PathBuf,
    pub binary_source: Source,
    pub binary_path: Vec<u8>,
    pub elf: ElfInfo,
    pub trace: Option<&'a Trace>,
    pub user: User,
    /// Container directories to mount rather than copy (user's `--volume`,
    /// plus the directories of files too large to copy).
    pub volumes: BTreeSet<Vec<u8>>,
    /// Libraries the trace saw mapped, to copy: (where from, path in image).
    pub libraries: Vec<(Source, Vec<u8>)>,
    /// A dynamic executable's loader and libraries go into the image
    /// ([`complete`] adds them); without it a dynamic executable is refused.
    pub with_libs: bool,
}

/// A volume or tmpfs the image's runner mounts, owned by the user when the
/// trace writes there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mount {
    pub path: String,
    /// Docker volume name (`NAME-<last component>`).
    pub volume: String,
    pub writable: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub entries: Vec<Entry>,
    pub volumes: Vec<Mount>,
    pub tmpfs: Vec<String>,
    pub ports: Vec<u16>,
    pub notes: Vec<Note>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecipeError {
    #[error(
        "{binary} is dynamically linked (loader {loader}; needs {libraries}): a FROM scratch image has no libraries. \
         Build it static, or copy exactly these libraries and the loader into the image"
    )]
    Dynamic { binary: String, loader: String, libraries: String },
    #[error("{0}: docker cannot mount this path (it holds a comma, a colon or a control character); mount a parent directory instead")]
    Unmountable(String),
    #[error("invalid {what} {value:?}: {why}")]
    Invalid { what: &'static str, value: String, why: &'static str },
    #[error("{what}, needed by {of}, is not in the root given with --from: an image made from it could not start the program")]
    MissingDependency { what: String, of: String },
    #[error("{0}; give --binary")]
    NoStartedProgram(String),
}

impl RecipeError {
    /// The step that gets past this error, for the front end to word.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            RecipeError::Dynamic { .. } => Some(Remedy::CopyLibraries),
            RecipeError::Unmountable(_) => Some(Remedy::MountParentDirectory),
            RecipeError::Invalid { .. } | RecipeError::MissingDependency { .. } | RecipeError::NoStartedProgram(_) => {
                None
            }
        }
    }
}

/// Directories under which writes are scratch space: tmpfs, not volumes.
const SCRATCH: &[&[u8]] = &[b"/tmp", b"/var/tmp", b"/run", b"/dev/shm"];

/// A short safe word for names and labels.
pub fn check_name(name: &str) -> Result<(), RecipeError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(RecipeError::Invalid {
            what: "name",
            value: name.into(),
            why: "use lowercase letters, digits, '.', '_', '-'",
        })
    }
}

/// Files of the trace a recipe would copy (container paths): for the CLI to
/// look up their sizes before planning.
pub fn data_files(trace: &Trace) -> Vec<Vec<u8>> {
    copied_files(trace).into_keys().collect()
}

/// Where the trace ran an executable of this file name from outside the
/// container (the entrypoint): its path in the image.
pub fn entrypoint_in_trace(trace: &Trace, file_name: &str) -> Option<Vec<u8>> {
    trace
        .executions
        .keys()
        .filter_map(|p| path::decode(p).ok())
        .find(|p| p.rsplit(|&b| b == b'/').next() == Some(file_name.as_bytes()))
}

/// The program the trace saw the container (or command) start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The file, resolved.
    pub path: Vec<u8>,
    /// The name it was started by, where that was a symbolic link to it
    /// (`/usr/bin/redis-server` -> `redis-check-rdb`: a program may act on
    /// the name it is run by), for the ENTRYPOINT.
    pub name: Option<Vec<u8>>,
    /// The script it ran as its `#!` interpreter, when the container started
    /// a script: the ENTRYPOINT then.
    pub script: Option<Vec<u8>>,
}

/// The program the trace saw the container (or command) start: the one
/// program inside the root run from outside it. An error when the trace ran
/// none, or several (`docker exec` of another program).
pub fn started_program(trace: &Trace) -> Result<Started, RecipeError> {
    let started: Vec<&String> = trace
        .executions
        .iter()
        .filter(|(_, e)| e.parents.contains(OUTSIDE) && !e.outside_root && !e.truncated)
        .map(|(p, _)| p)
        .collect();
    match started.as_slice() {
        [one] => {
            let not_a_path = |_| RecipeError::NoStartedProgram(format!("the trace's program {one} is not a path"));
            let path = path::decode(one).map_err(not_a_path)?;
            let names = trace.files.get(*one).map(|f| f.names.iter().collect::<Vec<_>>());
            let name = match names.as_deref() {
                Some([name]) => path::decode(name).ok(),
                _ => None,
            };
            let scripts: Vec<&String> = trace.executions[*one].scripts.iter().collect();
            let script = match scripts.as_slice() {
                [script] => path::decode(script).ok(),
                [] => None,
                many => {
                    return Err(RecipeError::NoStartedProgram(format!(
                        "the trace saw {} run {} scripts ({})",
                        one,
                        many.len(),
                        many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    )))
                }
            };
            Ok(Started { path, name, script })
        }
        [] => Err(RecipeError::NoStartedProgram("the trace saw no program started inside the container".into())),
        many => Err(RecipeError::NoStartedProgram(format!(
            "the trace saw {} programs started from outside ({})",
            many.len(),
            many.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The libraries and loader the trace saw mapped executable inside the
/// container, apart from `binary` and the programs it ran: what a dynamic
/// executable needs in the image (empty when the trace saw none).
pub fn traced_libraries(trace: &Trace, binary: &[u8]) -> Vec<Vec<u8>> {
    trace
        .files
        .iter()
        .filter(|(_, u)| u.access.contains(&Access::MmapExec) && !u.outside_root)
        .filter_map(|(p, _)| path::decode(p).ok())
        .filter(|p| p != binary && !trace.executions.contains_key(&path::encode(p)))
        .collect()
}

/// Where each data file of the trace goes: into the image, or, when larger
/// than the limit, its directory becomes a volume.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// Container directories to mount instead of copying (given and chosen).
    pub volumes: BTreeSet<Vec<u8>>,
    /// Data files not found where the container's files are.
    pub missing: Vec<Vec<u8>>,
    pub notes: Vec<Note>,
}

/// Places the trace's data files. `volumes` are the directories the user
/// mounts already; `size` tells a file's size where the container's files
/// are (an error when it is not there); files over `limit` bytes make their
/// directory a volume.
pub fn place_data_files(
    trace: &Trace,
    binary: &[u8],
    volumes: BTreeSet<Vec<u8>>,
    limit: u64,
    size: impl Fn(&[u8]) -> std::io::Result<u64>,
) -> Placement {
    let mut placement = Placement { volumes, ..Placement::default() };
    for file in data_files(trace) {
        if file == binary || placement.volumes.iter().any(|v| path::is_under(&file, v)) {
            continue;
        }
        match size(&file) {
            Ok(bytes) if bytes > limit => {
                placement.notes.push(
                    format!(
                        "{}: over {} MiB, so its directory is a volume",
                        path::encode(&file),
                        limit / (1024 * 1024)
                    )
                    .into(),
                );
                placement.volumes.insert(path::parent(&file).to_vec());
            }
            Ok(_) => {}
            Err(_) => placement.missing.push(file),
        }
    }
    placement
}

/// Container path -> mode, for every regular file of the trace the image needs.
fn copied_files(trace: &Trace) -> BTreeMap<Vec<u8>, u32> {
    let executed: BTreeSet<&str> =
        trace.executions.iter().filter(|(_, e)| !e.outside_root && !e.truncated).map(|(p, _)| p.as_str()).collect();
    let mut files = BTreeMap::new();
    for (spelling, used) in &trace.files {
        if used.outside_root || used.truncated || used.directory {
            continue;
        }
        let Ok(bytes) = path::decode(spelling) else { continue };
        if KERNEL_FILESYSTEMS.iter().any(|r| path::is_under(&bytes, r)) || !bytes.starts_with(b"/") {
            continue;
        }
        if used.is_written() {
            continue; // the workload makes it: its directory is a volume or tmpfs
        }
        if used.access.iter().all(|a| matches!(a, Access::Stat | Access::Path)) {
            continue; // only looked up: its content is not needed (complete adds directories)
        }
        let program = executed.contains(spelling.as_str()) || used.access.contains(&Access::MmapExec);
        files.insert(bytes, if program { 0o555 } else { 0o444 });
    }
    files
}

fn mountable(path: &[u8]) -> Result<String, RecipeError> {
    let text = String::from_utf8(path.to_vec()).map_err(|_| RecipeError::Unmountable(path::encode(path)))?;
    if text.chars().any(|c| c.is_control() || c == ',' || c == ':') || !text.starts_with('/') {
        return Err(RecipeError::Unmountable(path::encode(path)));
    }
    Ok(text)
}

pub fn plan(input: &Input) -> Result<Plan, RecipeError> {
    check_name(&input.name)?;
    if !input.elf.is_static() && !input.with_libs {
        return Err(RecipeError::Dynamic {
            binary: input.binary.display().to_string(),
            loader: input.elf.interpreter.clone().unwrap_or_else(|| "none".into()),
            libraries: if input.elf.needed.is_empty() { "no library".into() } else { input.elf.needed.join(", ") },
        });
    }
    if input.user.uid == 0 || input.user.gid == 0 {
        return Err(RecipeError::Invalid {
            what: "user",
            value: format!("{}:{}", input.user.uid, input.user.gid),
            why: "the image runs as a non-root uid:gid",
        });
    }
    let (uid, gid) = (input.user.uid, input.user.gid);
    let mut notes = Vec::new();
    let mut entries: BTreeMap<Vec<u8>, Entry> = BTreeMap::new();
    let mut add = |path: Vec<u8>, source: Source, mode: u32, owner: (u32, u32), reason: String| {
        entries.insert(path.clone(), Entry { path, source, mode, uid: owner.0, gid: owner.1, reason });
    };
    add(input.binary_path.clone(), input.binary_source.clone(), 0o555, (0, 0), "the executable".into());
    for (source, in_image) in &input.libraries {
        add(in_image.clone(), source.clone(), 0o555, (0, 0), "mapped executable (trace)".into());
    }
    let name = &input.user.name;
    add(
        b"/etc/passwd".to_vec(),
        Source::Text(format!("{name}:x:{uid}:{gid}::/nonexistent:/sbin/nologin\n")),
        0o444,
        (0, 0),
        "the account the image runs as".into(),
    );
    add(
        b"/etc/group".to_vec(),
        Source::Text(format!("{name}:x:{gid}:\n")),
        0o444,
        (0, 0),
        "the account the image runs as".into(),
    );

    let mut volumes = Vec::new();
    let mut tmpfs = Vec::new();
    let mut ports = BTreeSet::new();
    if let Some(trace) = input.trace {
        let written = trace.written_dirs();
        let mut mounted: BTreeSet<Vec<u8>> = input.volumes.clone();
        for dir in &written {
            if !input.volumes.iter().any(|v| path::is_under(dir, v)) {
                mounted.insert(dir.clone());
            }
        }
        for dir in &mounted {
            let text = mountable(dir)?;
            let writable = written.iter().any(|w| path::is_under(w, dir));
            if writable && SCRATCH.iter().any(|s| path::is_under(dir, s)) {
                tmpfs.push(text);
                continue;
            }
            volumes.push(Mount { volume: String::new(), path: text, writable });
            // The mount point exists in the image, owned by the user when written,
            // so a new named volume starts with that owner.
            let owner = if writable { (uid, gid) } else { (0, 0) };
            let why = if writable { "mount point, written (trace)" } else { "mount point (--volume)" };
            add(dir.clone(), Source::Directory, 0o755, owner, why.into());
        }
        for (file, mode) in copied_files(trace) {
            if file == input.binary_path || input.libraries.iter().any(|(_, p)| *p == file) {
                continue;
            }
            if mounted.iter().any(|m| path::is_under(&file, m)) {
                continue;
            }
            if file == b"/etc/passwd" || file == b"/etc/group" {
                continue;
            }
            let why = if mode & 0o111 != 0 { "run or mapped executable (trace)" } else { "read (trace)" };
            add(file.clone(), Source::FromRoot(file), mode, (0, 0), why.into());
        }
        for endpoint in &trace.network {
            if endpoint.op == crate::trace::NetOp::Listen && endpoint.error.is_none() {
                if let Some(port) = endpoint.port.filter(|p| *p > 0) {
                    if matches!(endpoint.family.as_str(), "inet" | "inet6") {
                        ports.insert(port);
                    }
                }
            }
        }
        let outside_programs: Vec<&String> = trace
            .executions
            .iter()
            .filter(|(p, e)| {
                e.parents.iter().all(|x| x == OUTSIDE)
                    && path::decode(p).ok().as_deref() != Some(&input.binary_path[..])
            })
            .map(|(p, _)| p)
            .collect();
        if !outside_programs.is_empty() {
            notes.push(
                format!(
                    "also copied, because the trace shows them run from outside (docker exec): {}",
                    outside_programs.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
                )
                .into(),
            );
        }
    } else {
        notes.push(Note::with_remedy(
            "no trace: the image holds only the executable, passwd and group, not the data files, mounts and ports it uses",
            Remedy::GiveTrace,
        ));
    }
    complete::add_parents(&mut entries);
    name_volumes(&input.name, &mut volumes);
    Ok(Plan { entries: entries.into_values().collect(), volumes, tmpfs, ports: ports.into_iter().collect(), notes })
}

/// Gives each volume a Docker name, `NAME-<last component>`, with more of
/// its path (`NAME-cache-app-data`) where two would share one: one volume
/// per directory, never one for two.
fn name_volumes(name: &str, volumes: &mut [Mount]) {
    let clean = |c: char| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' };
    let parts: Vec<Vec<String>> = volumes
        .iter()
        .map(|v| v.path.split('/').filter(|c| !c.is_empty()).map(|c| c.chars().map(clean).collect()).collect())
        .collect();
    let named = |parts: &[String], depth: usize| {
        let tail = &parts[parts.len().saturating_sub(depth)..];
        if tail.is_empty() {
            format!("{name}-data")
        } else {
            format!("{name}-{}", tail.join("-"))
        }
    };
    let mut depths = vec![1; volumes.len()];
    loop {
        let names: Vec<String> = parts.iter().zip(&depths).map(|(p, d)| named(p, *d)).collect();
        let mut clash = false;
        for i in 0..names.len() {
            if names.iter().filter(|n| **n == names[i]).count() > 1 && depths[i] < parts[i].len() {
                depths[i] += 1;
                clash = true;
            }
        }
        if !clash {
            // Still equal at full depth (names that differ only in cleaned characters): number them.
            for (i, volume) in volumes.iter_mut().enumerate() {
                let earlier = names[..i].iter().filter(|n| **n == names[i]).count();
                volume.volume = if earlier == 0 { names[i].clone() } else { format!("{}-{}", names[i], earlier + 1) };
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker_input(trace: &Trace) -> Input<'_> {
        Input {
            name: "mascot-worker".into(),
            binary: "/build/mascot-worker".into(),
            binary_source: Source::Host("/build/mascot-worker".into()),
            binary_path: b"/usr/local/bin/mascot-worker".to_vec(),
            elf: ElfInfo { arch: "x86_64".into(), interpreter: None, needed: vec![], search: vec![] },
            trace: Some(trace),
            user: User { name: "mascot-worker".into(), uid: 10001, gid: 10001 },
            volumes: BTreeSet::new(),
            libraries: vec![],
            with_libs: false,
        }
    }

    #[test]
    fn the_worker_gets_its_data_a_results_volume_and_its_port() {
        let trace = Trace::from_json(include_str!("../../../fixtures/traces/worker-files.json")).unwrap();
        let plan = plan(&worker_input(&trace)).unwrap();
        let listing: Vec<String> = plan
            .entries
            .iter()
            .map(|e| format!("{} {:o} {}:{}", path::encode(&e.path), e.mode, e.uid, e.gid))
            .collect();
        insta::assert_debug_snapshot!("worker_entries", listing);
        assert_eq!(plan.ports, [5001]);
        assert_eq!(
            plan.volumes,
            [Mount {
                path: "/usr/local/mascotnode/results".into(),
                volume: "mascot-worker-results".into(),
                writable: true
            }]
        );
        assert!(plan.tmpfs.is_empty());
    }

    #[test]
    fn a_large_data_file_makes_its_directory_a_volume_and_a_missing_one_is_reported() {
        let trace = Trace::from_json(include_str!("../../../fixtures/traces/worker-files.json")).unwrap();
        let binary = b"/usr/local/bin/mascot-worker";
        let fasta = b"/usr/local/mascotnode/sequence/demo/current/demo.fasta";
        let size = |file: &[u8]| match file {
            f if f == fasta => Ok(100 << 20),
            f if f == b"/usr/local/bin/mascot-client" => Err(std::io::ErrorKind::NotFound.into()),
            _ => Ok(10),
        };
        let placement = place_data_files(&trace, binary, BTreeSet::new(), 64 << 20, size);
        assert_eq!(placement.volumes, BTreeSet::from([b"/usr/local/mascotnode/sequence/demo/current".to_vec()]));
        assert_eq!(placement.missing, [b"/usr/local/bin/mascot-client".to_vec()]);
        assert!(placement.notes[0].text.contains("demo.fasta: over 64 MiB"), "{:?}", placement.notes);

        // A file under a given volume is not looked at; a sibling with a longer name is.
        let given = BTreeSet::from([b"/usr/local/mascotnode/seq".to_vec(), b"/usr/local/mascotnode/sequence".to_vec()]);
        let placement = place_data_files(&trace, binary, given.clone(), 64 << 20, size);
        assert_eq!(placement.volumes, given);
        let given = BTreeSet::from([b"/usr/local/mascotnode/seq".to_vec()]);
        assert!(!place_data_files(&trace, binary, given, 64 << 20, size).notes.is_empty());
    }

    #[test]
    fn the_entrypoint_and_traced_libraries_come_from_the_trace() {
        let trace = Trace::from_json(include_str!("../../../fixtures/traces/worker-files.json")).unwrap();
        assert_eq!(entrypoint_in_trace(&trace, "mascot-worker").as_deref(), Some(&b"/usr/local/bin/mascot-worker"[..]));
        assert_eq!(entrypoint_in_trace(&trace, "worker"), None);
        // The worker is static: the only executable mappings are the programs themselves.
        assert!(traced_libraries(&trace, b"/usr/local/bin/mascot-worker").is_empty());
    }

    #[test]
    fn volume_names_never_collide() {
        let mount = |path: &str| Mount { path: path.into(), volume: String::new(), writable: true };
        let mut volumes = [
            mount("/var/cache/app/data"),
            mount("/var/lib/app/data"),
            mount("/srv/logs"),
            mount("/a/b c"),
            mount("/a/b_c"),
        ];
        name_volumes("w", &mut volumes);
        let names: Vec<&str> = volumes.iter().map(|v| v.volume.as_str()).collect();
        assert_eq!(names, ["w-cache-app-data", "w-lib-app-data", "w-logs", "w-a-b_c", "w-a-b_c-2"]);
    }

    #[test]
    fn dynamic_without_libraries_is_refused_with_the_list() {
        let trace = Trace::from_json(include_str!("../../../fixtures/traces/worker-files.json")).unwrap();
        let mut input = worker_input(&trace);
        input.elf.interpreter = Some("/lib64/ld-linux-x86-64.so.2".into());
        input.elf.needed = vec!["libc.so.6".into()];
        let err = plan(&input).unwrap_err();
        assert!(err.to_string().contains("needs libc.so.6"), "{err}");
        assert_eq!(err.remedy(), Some(Remedy::CopyLibraries));
    }

    #[test]
    fn root_and_unmountable_paths_are_refused() {
        let trace = Trace::from_json(include_str!("../../../fixtures/traces/worker-files.json")).unwrap();
        let mut input = worker_input(&trace);
        input.user.uid = 0;
        assert!(plan(&input).is_err());
        let mut input = worker_input(&trace);
        input.volumes.insert(b"/data/a,b".to_vec());
        assert!(matches!(plan(&input), Err(RecipeError::Unmountable(_))));
    }
}
