#![allow(dead_code)] // each benchmark uses part of it
//! bench/RESULTS.md is written by more than one benchmark: `tracers` writes
//! the file, and each other benchmark keeps a section of its own in it,
//! between `<!-- section:NAME -->` and `<!-- /section:NAME -->`. A benchmark
//! replaces only its own section; `tracers` carries the others over.

use std::path::Path;

fn markers(name: &str) -> (String, String) {
    (format!("<!-- section:{name} -->"), format!("<!-- /section:{name} -->"))
}

/// The sections of `text` (each with its markers), in order.
pub fn sections(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!-- section:") {
        let name_end = rest[start..].find(" -->").map(|i| start + i);
        let Some(name_end) = name_end else { break };
        let name = &rest[start + "<!-- section:".len()..name_end];
        let (_, close) = markers(name);
        let Some(end) = rest[start..].find(&close).map(|i| start + i + close.len()) else { break };
        out.push(rest[start..end].to_string());
        rest = &rest[end..];
    }
    out
}

/// Writes `body` as section `name` of the file at `path`: in place of the
/// section of that name, or at the end.
pub fn write_section(path: &Path, name: &str, body: &str) -> Result<(), String> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let (open, close) = markers(name);
    let block = format!("{open}\n{}\n{close}", body.trim_end());
    let new = match (old.find(&open), old.find(&close)) {
        (Some(start), Some(end)) if end > start => format!("{}{block}{}", &old[..start], &old[end + close.len()..]),
        _ => format!("{}\n{block}\n", old.trim_end()),
    };
    std::fs::write(path, new).map_err(|e| format!("{}: {e}", path.display()))
}
