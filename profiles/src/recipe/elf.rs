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
    Ok(ElfInfo { arch, interpreter, needed: elf.libraries.iter().map(|l| l.to_string()).collect() })
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
    fn garbage_is_not_an_elf() {
        assert!(matches!(inspect(b"#!/bin/sh\necho hi\n"), Err(ElfError::NotElf(_))));
        assert!(matches!(inspect(&[0x7f, b'E', b'L', b'F', 2, 1, 1]), Err(ElfError::NotElf(_))));
    }
}
