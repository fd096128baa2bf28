//! What a FROM-scratch image needs to know about an executable, read with a
//! real ELF parser (goblin): its architecture, and whether it is static
//! (no `PT_INTERP` program header, no `DT_NEEDED` entry).

use goblin::elf::{header, program_header::PT_INTERP, Elf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfInfo {
    /// `x86_64`, `aarch64`, ... (Docker's and uname's spelling).
    pub arch: String,
    /// The dynamic loader it asks for (`PT_INTERP`), if any.
    pub interpreter: Option<String>,
    /// Shared libraries it needs (`DT_NEEDED`), in order.
    pub needed: Vec<String>,
    /// Where it asks the loader to look first: `DT_RUNPATH`, or the older
    /// `DT_RPATH` (ignored by the loader when a RUNPATH is present), split at `:`.
    pub search: Vec<String>,
}

impl ElfInfo {
    pub fn is_static(&self) -> bool {
        self.interpreter.is_none() && self.needed.is_empty()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ElfError {
    #[error("not an ELF executable: {0}")]
    NotElf(String),
    #[error("an ELF file of type {0}, not an executable")]
    NotExecutable(&'static str),
}

pub fn inspect(bytes: &[u8]) -> Result<ElfInfo, ElfError> {
    let elf = Elf::parse(bytes).map_err(|e| ElfError::NotElf(e.to_string()))?;
    match elf.header.e_type {
        header::ET_EXEC | header::ET_DYN => {}
        other => return Err(ElfError::NotExecutable(header::et_to_str(other))),
    }
    let arch = match elf.header.e_machine {
        header::EM_X86_64 => "x86_64".to_string(),
        header::EM_AARCH64 => "aarch64".to_string(),
        header::EM_386 => "i386".to_string(),
        header::EM_ARM => "arm".to_string(),
        header::EM_RISCV => "riscv64".to_string(),
        other => header::machine_to_str(other).to_ascii_lowercase(),
    };
    // goblin reads the interpreter from PT_INTERP; check the header exists
    // too, so a stripped string table cannot hide it.
    let has_interp = elf.program_headers.iter().any(|ph| ph.p_type == PT_INTERP);
    let interpreter = match (elf.interpreter, has_interp) {
        (Some(path), _) => Some(path.to_string()),
        (None, true) => Some("(unreadable PT_INTERP)".to_string()),
        (None, false) => None,
    };
    let search = if elf.runpaths.is_empty() { &elf.rpaths } else { &elf.runpaths };
    let search = search.iter().flat_map(|p| p.split(':')).filter(|p| !p.is_empty()).map(String::from).collect();
    Ok(ElfInfo { arch, interpreter, needed: elf.libraries.iter().map(|l| l.to_string()).collect(), search })
}

/// The directories the dynamic loader searches for a `DT_NEEDED` name of an
/// object at `object` (its path in the image), in its order: the object's
/// RUNPATH/RPATH (`$ORIGIN` is its directory), the directories of
/// `/etc/ld.so.conf` (what `ld.so.cache` is built from), then the defaults of
/// a multiarch glibc for `arch`.
pub fn library_dirs(info: &ElfInfo, object: &[u8], conf_dirs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let origin = crate::path::parent(object);
    let mut dirs: Vec<Vec<u8>> = Vec::new();
    for entry in &info.search {
        let expanded = entry.replace("${ORIGIN}", "$ORIGIN");
        let bytes = match expanded.strip_prefix("$ORIGIN") {
            Some(rest) => [origin, rest.as_bytes()].concat(),
            None => expanded.into_bytes(),
        };
        if bytes.starts_with(b"/") {
            dirs.push(crate::path::join_lexically(b"/", &bytes));
        }
    }
    dirs.extend(conf_dirs.iter().cloned());
    let triplet = match info.arch.as_str() {
        "x86_64" => "x86_64-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        "i386" => "i386-linux-gnu",
        "arm" => "arm-linux-gnueabihf",
        "riscv64" => "riscv64-linux-gnu",
        _ => "",
    };
    for dir in ["/lib/TRIPLET", "/usr/lib/TRIPLET", "/lib64", "/usr/lib64", "/lib", "/usr/lib"] {
        if triplet.is_empty() && dir.contains("TRIPLET") {
            continue;
        }
        dirs.push(dir.replace("TRIPLET", triplet).into_bytes());
    }
    let mut seen = std::collections::BTreeSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// The directories an `/etc/ld.so.conf`-style text names, and the patterns
/// of its `include` lines (to expand and read in turn).
pub fn parse_ld_conf(text: &str) -> (Vec<Vec<u8>>, Vec<String>) {
    let mut dirs = Vec::new();
    let mut includes = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(pattern) = line.strip_prefix("include") {
            includes.extend(pattern.split_whitespace().map(String::from));
        } else if line.starts_with('/') {
            dirs.push(line.trim_end_matches('/').as_bytes().to_vec());
        }
    }
    (dirs, includes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_system_binary_lists_its_loader_and_libraries() {
        let bytes = std::fs::read("/bin/sh").or_else(|_| std::fs::read("/usr/bin/env")).unwrap();
        let info = inspect(&bytes).unwrap();
        assert!(!info.is_static());
        assert!(info.interpreter.as_deref().is_some_and(|i| i.contains("ld-linux")), "{info:?}");
        assert!(info.needed.iter().any(|l| l.starts_with("libc.so")), "{info:?}");
    }

    #[test]
    fn library_dirs_follow_the_loader_order() {
        let info = ElfInfo {
            arch: "x86_64".into(),
            interpreter: None,
            needed: vec![],
            search: vec!["$ORIGIN/../lib".into(), "relative".into(), "/opt/x/lib".into()],
        };
        let dirs = library_dirs(&info, b"/opt/app/bin/tool", &[b"/usr/local/lib".to_vec(), b"/opt/x/lib".to_vec()]);
        let dirs: Vec<String> = dirs.iter().map(|d| String::from_utf8_lossy(d).into_owned()).collect();
        assert_eq!(
            dirs,
            [
                "/opt/app/lib",
                "/opt/x/lib",
                "/usr/local/lib",
                "/lib/x86_64-linux-gnu",
                "/usr/lib/x86_64-linux-gnu",
                "/lib64",
                "/usr/lib64",
                "/lib",
                "/usr/lib"
            ]
        );
        let (dirs, includes) = parse_ld_conf("# comment\ninclude /etc/ld.so.conf.d/*.conf\n/usr/local/lib/ # x\n\n");
        assert_eq!((dirs, includes), (vec![b"/usr/local/lib".to_vec()], vec!["/etc/ld.so.conf.d/*.conf".to_string()]));
    }

    #[test]
    fn garbage_is_not_an_elf() {
        assert!(matches!(inspect(b"#!/bin/sh\necho hi\n"), Err(ElfError::NotElf(_))));
        assert!(matches!(inspect(&[0x7f, b'E', b'L', b'F', 2, 1, 1]), Err(ElfError::NotElf(_))));
    }
}
