//! Completing a plan with every name the workload resolves, not only the
//! files behind them: what makes a FROM-scratch image of a dynamically
//! linked service start.
//!
//! [`complete`] walks, in the image's source tree ([`Tree`], the `--from`
//! root), every name an entry is reached by, and adds each symbolic link met
//! on the way as a link with its target:
//! - the program interpreter (`PT_INTERP`) and the `DT_NEEDED` libraries of
//!   every ELF file of the image, searched as the loader searches them
//!   ([`elf::library_dirs`]), recursively;
//! - the other names the trace saw a file opened or executed by
//!   ([`crate::trace::FileUse::names`]: SONAME links, `/etc/alternatives`
//!   chains, config directory links, `/bin/sh`);
//! - the directories the workload listed or looked up without writing
//!   (empty directories it checks, pid and lock directories), with the
//!   owner and mode they have in the tree.
//!
//! Each entry says why it is there (the MANIFEST's last column).

use super::{elf, Entry, RecipeError, Source};
use crate::path;
use crate::trace::{Access, KERNEL_FILESYSTEMS};
use crate::Trace;
use std::collections::{BTreeMap, BTreeSet};

/// What a path is in the tree, once resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    /// A device, FIFO or socket: never copied.
    Other,
}

/// A name resolved in the tree as the container's kernel resolves it from `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The symbolic links met on the way, in order: (where, the target it holds).
    pub links: Vec<(Vec<u8>, Vec<u8>)>,
    /// The path reached, with no link in it.
    pub path: Vec<u8>,
    pub kind: Kind,
    /// Permission bits, owner and group there.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// The image's source tree, read by the front end.
pub trait Tree {
    /// `path` resolved from the tree's root; None if some part of it is missing.
    fn resolve(&self, path: &[u8]) -> Option<Resolved>;
    /// The ELF facts of the regular file at `path` (a resolved path); None if it is not ELF.
    fn elf(&self, path: &[u8]) -> Option<elf::ElfInfo>;
    /// The directories of the tree's `/etc/ld.so.conf` (includes expanded).
    fn ld_conf_dirs(&self) -> Vec<Vec<u8>>;
    /// The interpreter a script at `path` names on its `#!` line; None if it has none.
    fn interpreter_line(&self, path: &[u8]) -> Option<Vec<u8>>;
}

/// What [`complete`] needs besides the entries.
pub struct Completion<'a> {
    /// The executable's path in the image and its ELF facts (it comes from the host).
    pub binary: &'a [u8],
    pub binary_elf: &'a elf::ElfInfo,
    pub trace: Option<&'a Trace>,
    /// Directories mounted over the image (volumes, tmpfs): nothing is added under them.
    pub mounted: &'a [Vec<u8>],
    /// The script the image starts (its ENTRYPOINT), run by its `#!` interpreter.
    pub script: Option<&'a [u8]>,
}

struct Builder<'a, T: Tree> {
    tree: &'a T,
    mounted: &'a [Vec<u8>],
    entries: BTreeMap<Vec<u8>, Entry>,
    /// ELF objects whose dependencies are still to add.
    objects: Vec<Vec<u8>>,
    conf_dirs: Option<Vec<Vec<u8>>>,
}

impl<T: Tree> Builder<'_, T> {
    fn excluded(&self, path: &[u8]) -> bool {
        path == b"/"
            || self.mounted.iter().any(|m| path::is_under(path, m))
            || KERNEL_FILESYSTEMS.iter().any(|k| path::is_under(path, k))
    }

    /// Adds the links on the way to `name` and, if `copy`, the regular file it
    /// reaches; the resolution, None when `name` is not in the tree.
    fn name(&mut self, name: &[u8], copy: Option<u32>, reason: &str) -> Option<Resolved> {
        let resolved = self.tree.resolve(name)?;
        for (link, target) in &resolved.links {
            if self.excluded(link) || self.entries.contains_key(link) {
                continue;
            }
            let why = format!("link on the way to {}: {reason}", path::encode(name));
            self.entries.insert(link.clone(), entry(link, Source::Link(target.clone()), 0o777, (0, 0), why));
        }
        if let (Some(mode), Kind::File) = (copy, resolved.kind) {
            if !self.excluded(&resolved.path) && !self.entries.contains_key(&resolved.path) {
                let source = Source::FromRoot(resolved.path.clone());
                self.entries.insert(resolved.path.clone(), entry(&resolved.path, source, mode, (0, 0), reason.into()));
                if mode & 0o111 != 0 {
                    self.objects.push(resolved.path.clone());
                }
            }
        }
        Some(resolved)
    }

    /// The interpreter and libraries of the ELF object at `object`.
    fn dependencies(&mut self, object: &[u8], info: &elf::ElfInfo) -> Result<(), RecipeError> {
        let shown = path::encode(object);
        if let Some(interpreter) = &info.interpreter {
            let reason = format!("PT_INTERP of {shown}");
            if self.name(interpreter.as_bytes(), Some(0o555), &reason).is_none_or(|r| r.kind != Kind::File) {
                return Err(RecipeError::MissingDependency { what: interpreter.clone(), of: shown });
            }
        }
        let conf_dirs = self.conf_dirs.get_or_insert_with(|| self.tree.ld_conf_dirs()).clone();
        for library in &info.needed {
            let candidates: Vec<Vec<u8>> = if library.contains('/') {
                vec![library.as_bytes().to_vec()]
            } else {
                elf::library_dirs(info, object, &conf_dirs)
                    .into_iter()
                    .map(|dir| [dir, b"/".to_vec(), library.as_bytes().to_vec()].concat())
                    .collect()
            };
            let found = candidates.into_iter().find(|c| self.tree.resolve(c).is_some_and(|r| r.kind == Kind::File));
            let Some(found) = found else {
                return Err(RecipeError::MissingDependency { what: library.clone(), of: shown });
            };
            self.name(&found, Some(0o555), &format!("DT_NEEDED {library} of {shown}"));
        }
        Ok(())
    }
}

fn entry(path: &[u8], source: Source, mode: u32, (uid, gid): (u32, u32), reason: String) -> Entry {
    Entry { path: path.to_vec(), source, mode, uid, gid, reason }
}

/// Adds to `entries` the links, libraries and directories described in the
/// module documentation, then every missing parent directory. A dependency
/// an ELF file of the image names but the tree lacks is an error: the image
/// could not start.
pub fn complete<T: Tree>(entries: Vec<Entry>, input: &Completion, tree: &T) -> Result<Vec<Entry>, RecipeError> {
    let mut builder = Builder {
        tree,
        mounted: input.mounted,
        entries: entries.into_iter().map(|e| (e.path.clone(), e)).collect(),
        objects: Vec::new(),
        conf_dirs: None,
    };
    if !input.binary_elf.is_static() {
        builder.dependencies(input.binary, input.binary_elf)?;
    }
    if let Some(script) = input.script {
        let reason = "the script the container started (trace)";
        let resolved = builder.name(script, Some(0o555), reason);
        let Some(resolved) = resolved.filter(|r| r.kind == Kind::File) else {
            return Err(RecipeError::MissingDependency { what: path::encode(script), of: "the image".into() });
        };
        // Executable, whatever the trace's read made of it.
        if let Some(e) = builder.entries.get_mut(&resolved.path) {
            e.mode = 0o555;
            e.reason = reason.into();
        }
        if let Some(interpreter) = tree.interpreter_line(&resolved.path) {
            builder.name(&interpreter, Some(0o555), &format!("the #! interpreter of {}", path::encode(script)));
        }
    }
    builder.objects.extend(
        builder
            .entries
            .values()
            .filter(|e| matches!(e.source, Source::FromRoot(_)) && e.mode & 0o111 != 0)
            .map(|e| e.path.clone()),
    );
    // Names the trace saw, and ELF dependencies, until nothing new comes in.
    let mut named: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut done: BTreeSet<Vec<u8>> = BTreeSet::from([input.binary.to_vec()]);
    loop {
        let copied: Vec<(Vec<u8>, u32)> = builder
            .entries
            .values()
            .filter(|e| matches!(e.source, Source::FromRoot(_) | Source::Host(_)))
            .map(|e| (e.path.clone(), e.mode))
            .collect();
        let mut changed = false;
        if let Some(trace) = input.trace {
            for (file, mode) in copied {
                if !named.insert(file.clone()) {
                    continue;
                }
                let Some(used) = trace.files.get(&path::encode(&file)) else { continue };
                for name in &used.names {
                    let Ok(bytes) = path::decode(name) else { continue };
                    builder.name(&bytes, Some(mode), &format!("the trace opened {} by this name", path::encode(&file)));
                    changed = true;
                }
            }
        }
        while let Some(object) = builder.objects.pop() {
            if !done.insert(object.clone()) {
                continue;
            }
            if let Some(info) = tree.elf(&object) {
                builder.dependencies(&object, &info)?;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if let Some(trace) = input.trace {
        for (spelling, used) in &trace.files {
            let looked_up = used.access.contains(&Access::Stat);
            if !(used.directory || looked_up) || used.is_written() || !used.is_container_path() {
                continue;
            }
            let Ok(bytes) = path::decode(spelling) else { continue };
            if builder.excluded(&bytes) {
                continue;
            }
            let why = if used.access.contains(&Access::List) { "listed (trace)" } else { "looked up (trace)" };
            let Some(resolved) = builder.name(&bytes, None, why) else { continue };
            if resolved.kind == Kind::Directory && !builder.excluded(&resolved.path) {
                let owner = (resolved.uid, resolved.gid);
                builder
                    .entries
                    .entry(resolved.path.clone())
                    .or_insert_with(|| entry(&resolved.path, Source::Directory, resolved.mode, owner, why.into()));
            }
        }
    }
    let mut entries = builder.entries;
    add_parents(&mut entries);
    Ok(entries.into_values().collect())
}

/// Every entry's parent directories, root-owned 0755 where not already entries.
pub(super) fn add_parents(entries: &mut BTreeMap<Vec<u8>, Entry>) {
    let paths: Vec<Vec<u8>> = entries.keys().cloned().collect();
    for p in paths {
        let mut dir = path::parent(&p).to_vec();
        while dir != b"/" && !dir.is_empty() {
            entries
                .entry(dir.clone())
                .or_insert_with(|| entry(&dir, Source::Directory, 0o755, (0, 0), "parent directory".into()));
            dir = path::parent(&dir).to_vec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::FileUse;

    /// A merged-/usr Debian tree in miniature.
    struct Fake {
        links: BTreeMap<&'static str, &'static str>,
        files: BTreeMap<&'static str, Option<elf::ElfInfo>>,
        dirs: BTreeSet<&'static str>,
    }

    impl Tree for Fake {
        fn resolve(&self, name: &[u8]) -> Option<Resolved> {
            let mut links = Vec::new();
            let mut current = b"/".to_vec();
            let mut pending: Vec<Vec<u8>> =
                name.split(|b| *b == b'/').filter(|c| !c.is_empty()).rev().map(<[u8]>::to_vec).collect();
            while let Some(part) = pending.pop() {
                let candidate = path::join_lexically(&current, &part);
                let text = String::from_utf8(candidate.clone()).unwrap();
                if let Some(target) = self.links.get(text.as_str()) {
                    links.push((candidate, target.as_bytes().to_vec()));
                    if target.starts_with('/') {
                        current = b"/".to_vec();
                    }
                    pending.extend(target.split('/').filter(|c| !c.is_empty()).rev().map(|c| c.as_bytes().to_vec()));
                    continue;
                }
                let known = self.files.contains_key(text.as_str()) || self.dirs.contains(text.as_str());
                if !known || (!pending.is_empty() && !self.dirs.contains(text.as_str())) {
                    return None;
                }
                current = candidate;
            }
            let text = String::from_utf8(current.clone()).unwrap();
            let kind = if self.dirs.contains(text.as_str()) { Kind::Directory } else { Kind::File };
            Some(Resolved { links, path: current, kind, mode: 0o750, uid: 33, gid: 4 })
        }
        fn elf(&self, path: &[u8]) -> Option<elf::ElfInfo> {
            self.files.get(std::str::from_utf8(path).ok()?).cloned().flatten()
        }
        fn ld_conf_dirs(&self) -> Vec<Vec<u8>> {
            vec![]
        }
        fn interpreter_line(&self, _: &[u8]) -> Option<Vec<u8>> {
            Some(b"/bin/sh".to_vec())
        }
    }

    fn elf_info(interpreter: Option<&str>, needed: &[&str]) -> Option<elf::ElfInfo> {
        Some(elf::ElfInfo {
            arch: "x86_64".into(),
            interpreter: interpreter.map(String::from),
            needed: needed.iter().map(|s| s.to_string()).collect(),
            search: vec![],
        })
    }

    fn debian() -> Fake {
        let loader = "/lib64/ld-linux-x86-64.so.2";
        Fake {
            links: BTreeMap::from([
                ("/lib", "usr/lib"),
                ("/lib64", "usr/lib64"),
                ("/bin", "usr/bin"),
                ("/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
                ("/usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13"),
                ("/usr/bin/sh", "dash"),
                ("/etc/nginx/sites-enabled/default", "/etc/nginx/sites-available/default"),
            ]),
            files: BTreeMap::from([
                ("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", elf_info(None, &[])),
                ("/usr/lib/x86_64-linux-gnu/libc.so.6", elf_info(Some(loader), &[])),
                ("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", elf_info(Some(loader), &["libc.so.6"])),
                ("/usr/bin/dash", elf_info(Some(loader), &["libc.so.6"])),
                ("/etc/nginx/sites-available/default", None),
            ]),
            dirs: BTreeSet::from([
                "/usr",
                "/usr/lib",
                "/usr/lib64",
                "/usr/lib/x86_64-linux-gnu",
                "/usr/bin",
                "/etc",
                "/etc/nginx",
                "/etc/nginx/sites-enabled",
                "/etc/nginx/sites-available",
                "/etc/nginx/modules-enabled",
            ]),
        }
    }

    fn listing(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match &e.source {
                Source::Link(target) => format!("{} -> {}", path::encode(&e.path), path::encode(target)),
                _ => format!("{} {:o} {}:{}", path::encode(&e.path), e.mode, e.uid, e.gid),
            })
            .collect()
    }

    #[test]
    fn the_loader_sonames_and_traced_names_come_with_their_links() {
        let tree = debian();
        let binary_elf = elf_info(Some("/lib64/ld-linux-x86-64.so.2"), &["libz.so.1", "libc.so.6"]).unwrap();
        let mut trace = Trace::new(
            crate::trace::Target::Command { argv: vec!["nginx".into()] },
            crate::trace::Host { kernel: "6.1.0".into(), arch: crate::Arch::X86_64, kernel_lacks: vec![] },
        );
        let with_name = |name: &str| FileUse {
            access: [Access::Read].into(),
            names: [name.to_string()].into(),
            ..FileUse::default()
        };
        trace.files.insert("/etc/nginx/sites-available/default".into(), with_name("/etc/nginx/sites-enabled/default"));
        trace.files.insert("/usr/bin/dash".into(), FileUse { access: [Access::Exec].into(), ..with_name("/bin/sh") });
        trace.files.insert(
            "/etc/nginx/modules-enabled".into(),
            FileUse { access: [Access::List].into(), directory: true, ..FileUse::default() },
        );
        let given = vec![
            entry(b"/usr/sbin/nginx", Source::Host("/build/nginx".into()), 0o555, (0, 0), "the executable".into()),
            entry(b"/usr/bin/dash", Source::FromRoot(b"/usr/bin/dash".to_vec()), 0o555, (0, 0), "run".into()),
            entry(
                b"/etc/nginx/sites-available/default",
                Source::FromRoot(b"/etc/nginx/sites-available/default".to_vec()),
                0o444,
                (0, 0),
                "read".into(),
            ),
        ];
        let input = Completion {
            binary: b"/usr/sbin/nginx",
            binary_elf: &binary_elf,
            trace: Some(&trace),
            mounted: &[],
            script: None,
        };
        let entries = complete(given, &input, &tree).unwrap();
        insta::assert_debug_snapshot!("completed_entries", listing(&entries));
        let reasons: BTreeMap<String, String> =
            entries.iter().map(|e| (path::encode(&e.path), e.reason.clone())).collect();
        assert_eq!(reasons["/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"], "DT_NEEDED libz.so.1 of /usr/sbin/nginx");
        assert!(reasons["/lib64"].contains("PT_INTERP of /usr/sbin/nginx"), "{reasons:?}");
        assert_eq!(reasons["/etc/nginx/modules-enabled"], "listed (trace)");
    }

    #[test]
    fn a_library_missing_from_the_tree_is_an_error_naming_it() {
        let tree = debian();
        let binary_elf = elf_info(Some("/lib64/ld-linux-x86-64.so.2"), &["libpcre2-8.so.0"]).unwrap();
        let given = vec![entry(b"/usr/sbin/nginx", Source::Host("/b".into()), 0o555, (0, 0), String::new())];
        let input =
            Completion { binary: b"/usr/sbin/nginx", binary_elf: &binary_elf, trace: None, mounted: &[], script: None };
        let err = complete(given, &input, &tree).unwrap_err();
        assert_eq!(
            err,
            RecipeError::MissingDependency { what: "libpcre2-8.so.0".into(), of: "/usr/sbin/nginx".into() }
        );
    }
}
