//! Paths are bytes. A file name seen in a container may hold spaces,
//! newlines, quotes, glob characters or bytes that are not UTF-8, and every
//! one of them must survive into the trace and out to the generators exactly.
//!
//! The trace stores a path as a JSON string in this encoding:
//! - every byte of a valid UTF-8 character is kept as that character, except
//! - `%`, the control bytes 0x00-0x1F and 0x7F, and any byte that is not part
//!   of a valid UTF-8 character, which are written `%XX` (two upper-case hex
//!   digits).
//!
//! So `/data/a b{1}.txt` stays as it is, a newline is `%0A`, `%` is `%25` and
//! the Latin-1 byte 0xE9 is `%E9`. Decoding is exact: `decode(encode(b)) == b`
//! for every byte string, and `encode` is the only writer, so one path has
//! one spelling.

/// The trace's spelling of a byte path.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                push_text(&mut out, valid);
                break;
            }
            Err(err) => {
                let (valid, after) = rest.split_at(err.valid_up_to());
                push_text(&mut out, std::str::from_utf8(valid).expect("checked valid"));
                // The bytes that are not a character (at least one).
                let bad = err.error_len().unwrap_or(after.len());
                for byte in &after[..bad] {
                    push_byte(&mut out, *byte);
                }
                rest = &after[bad..];
            }
        }
    }
    out
}

fn push_text(out: &mut String, text: &str) {
    for ch in text.chars() {
        if ch == '%' || ch.is_ascii_control() {
            push_byte(out, ch as u8);
        } else {
            out.push(ch);
        }
    }
}

fn push_byte(out: &mut String, byte: u8) {
    out.push_str(&format!("%{byte:02X}"));
}

/// Why an encoded path could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("{0:?}: `%` must be followed by two hex digits (write a literal % as %25)")]
    BadEscape(String),
    #[error("{0:?}: control characters must be written %XX")]
    RawControl(String),
    #[error("{0:?}: not the canonical spelling (it encodes as {1:?})")]
    NotCanonical(String, String),
}

/// The bytes of an encoded path. Refuses anything `encode` would not have
/// written, so that two spellings can never name one path.
pub fn decode(text: &str) -> Result<Vec<u8>, PathError> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            let hex = text.get(i + 1..i + 3).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
            let Some(hex) = hex else { return Err(PathError::BadEscape(text.to_string())) };
            out.push(u8::from_str_radix(hex, 16).expect("checked hex"));
            i += 3;
        } else if byte.is_ascii_control() {
            return Err(PathError::RawControl(text.to_string()));
        } else {
            out.push(byte);
            i += 1;
        }
    }
    let canonical = encode(&out);
    if canonical != text {
        return Err(PathError::NotCanonical(text.to_string(), canonical));
    }
    Ok(out)
}

/// `base` joined with `given` and `.`/`..` removed, as the kernel would
/// walk it without symlinks: an absolute `given` starts from the root.
/// `..` at the root stays at the root.
pub fn join_lexically(base: &[u8], given: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let start: &[u8] = if given.first() == Some(&b'/') { b"" } else { base };
    for part in start.split(|b| *b == b'/').chain(given.split(|b| *b == b'/')) {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            name => parts.push(name),
        }
    }
    let mut out = Vec::new();
    for part in &parts {
        out.push(b'/');
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The directory part of a path: `/a/b` -> `/a`, `/a` -> `/`, `/` -> `/`;
/// empty for a name with no `/`. A trailing `/` is not a separate level.
pub fn parent(path: &[u8]) -> &[u8] {
    let path = match path.strip_suffix(b"/") {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => path,
    };
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) => b"/",
        Some(i) => &path[..i],
        None => b"",
    }
}

/// The last component of a path: `/a/b` -> `b`, `/` -> empty.
pub fn file_name(path: &[u8]) -> &[u8] {
    let path = path.strip_suffix(b"/").unwrap_or(path);
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// `path` is `dir` or below it, by whole components (`/ab` is not under
/// `/a`); every absolute path is under `/`. A trailing `/` on either is ignored.
pub fn is_under(path: &[u8], dir: &[u8]) -> bool {
    let (path, dir) = (without_trailing_slash(path), without_trailing_slash(dir));
    if dir.is_empty() {
        return path.is_empty() || path.starts_with(b"/");
    }
    path == dir || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

/// `path` without one trailing `/` (the root `/` becomes empty: the root as a prefix).
pub fn without_trailing_slash(path: &[u8]) -> &[u8] {
    path.strip_suffix(b"/").unwrap_or(path)
}

/// `dir` and a name under it, with no doubled `/` when `dir` is the root.
pub fn child(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = without_trailing_slash(dir).to_vec();
    out.push(b'/');
    out.extend_from_slice(name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents() {
        assert_eq!(parent(b"/a/b"), b"/a");
        assert_eq!(parent(b"/a"), b"/");
        assert_eq!(parent(b"/"), b"/");
        assert_eq!(parent(b"/a/b/"), b"/a");
        assert_eq!(parent(b"name"), b"");
    }

    #[test]
    fn under_by_whole_components() {
        assert!(is_under(b"/a/b", b"/a"));
        assert!(is_under(b"/a", b"/a"));
        assert!(is_under(b"/a/", b"/a"));
        assert!(is_under(b"/a/b", b"/a/"));
        assert!(!is_under(b"/ab", b"/a"));
        assert!(!is_under(b"/a", b"/a/b"));
        assert!(is_under(b"/anything", b"/"));
        assert!(is_under(b"/", b"/"));
    }

    #[test]
    fn children() {
        assert_eq!(child(b"/", b"*"), b"/*");
        assert_eq!(child(b"/var/log", b"*"), b"/var/log/*");
        assert_eq!(child(b"/var/log/", b"x"), b"/var/log/x");
    }

    #[test]
    fn plain_paths_are_unchanged() {
        assert_eq!(
            encode(b"/usr/local/mascotnode/db 1/{a,b}[x]*?.fasta"),
            "/usr/local/mascotnode/db 1/{a,b}[x]*?.fasta"
        );
        assert_eq!(encode("/données/été".as_bytes()), "/données/été");
    }

    #[test]
    fn control_percent_and_invalid_bytes_are_escaped() {
        assert_eq!(encode(b"/a\nb"), "/a%0Ab");
        assert_eq!(encode(b"/100%"), "/100%25");
        assert_eq!(encode(b"/caf\xe9\x7f"), "/caf%E9%7F");
        assert_eq!(encode(b"\"'\\"), "\"'\\");
    }

    #[test]
    fn every_byte_string_round_trips() {
        let mut samples: Vec<Vec<u8>> = (0u8..=255).map(|b| vec![b'/', b, b'x']).collect();
        samples.push(b"/\xf0\x9f\x92\xa9/\xf0\x9f\x92/\xc3".to_vec());
        samples.push("/日本/%41".as_bytes().to_vec());
        for bytes in samples {
            let text = encode(&bytes);
            assert_eq!(decode(&text).as_deref(), Ok(bytes.as_slice()), "{text}");
        }
    }

    #[test]
    fn other_spellings_are_refused() {
        assert!(matches!(decode("/a%"), Err(PathError::BadEscape(_))));
        assert!(matches!(decode("/a%zz"), Err(PathError::BadEscape(_))));
        assert!(matches!(decode("/a\nb"), Err(PathError::RawControl(_))));
        assert!(matches!(decode("/%61"), Err(PathError::NotCanonical(..))));
    }

    #[test]
    fn lexical_join() {
        assert_eq!(join_lexically(b"/work/dir", b"../x/./y"), b"/work/x/y");
        assert_eq!(join_lexically(b"/work", b"/etc/passwd"), b"/etc/passwd");
        assert_eq!(join_lexically(b"/", b"../../.."), b"/");
        assert_eq!(join_lexically(b"/a", b""), b"/a");
    }
}
