//! Writing paths into AppArmor rules so that each one stays exactly one rule
//! and matches exactly what it says.
//!
//! A file name seen in a container is attacker-controlled: it may hold a
//! newline, a comma, a quote, `#`, glob characters or `@{` (a variable).
//! Every path is therefore written double-quoted, and every byte of a
//! literal part that the parser would read as anything but itself is escaped:
//! `"` and the glob/variable characters `* ? [ ] { } ^ @` with a backslash;
//! the backslash itself, control bytes and every byte outside ASCII as
//! `\xHH` (two hex digits: the parser reads no more). The result is plain
//! ASCII.
//!
//! `tests/apparmor.rs` proves it on random hostile names: each generated rule
//! compiles, with `apparmor_parser`, to the same binary policy as the same
//! name written entirely as `\xHH` escapes, which the parser takes literally.

/// One piece of a path expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    /// Bytes that must match themselves, whatever they are.
    Literal(&'a [u8]),
    /// AppArmor syntax written by cinch itself, never by data: a variable
    /// such as `@{pid}` or a glob such as `*`.
    Syntax(&'static str),
}

/// The quoted form of a path made of `parts`.
pub fn quote(parts: &[Part]) -> String {
    let mut out = String::from("\"");
    for part in parts {
        match part {
            Part::Literal(bytes) => push_literal(&mut out, bytes),
            Part::Syntax(text) => out.push_str(text),
        }
    }
    out.push('"');
    out
}

/// The quoted form of a literal path.
pub fn literal(bytes: &[u8]) -> String {
    quote(&[Part::Literal(bytes)])
}

/// Characters the parser would read as glob or variable syntax, and the
/// quote. A backslash is written `\x5c`: the parser's lexer ends a quoted
/// string at `\\"` (it does not pair the backslashes), so `\\` cannot be used.
const SPECIAL: &[u8] = b"\"*?[]{}^@";

fn push_literal(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if b == b'\\' {
            out.push_str("\\x5c");
        } else if SPECIAL.contains(&b) {
            out.push('\\');
            out.push(char::from(b));
        } else if b.is_ascii_graphic() || b == b' ' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
}

/// The same literal path with every byte after the leading `/` as `\xHH`:
/// the spelling the parser can only read literally. Tests compare the
/// compiled policy of [`literal`] against it.
pub fn all_hex(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    let (first, rest) = match bytes.split_first() {
        // The parser's lexer wants a quoted path to start with a real `/`.
        Some((b'/', rest)) => ("/", rest),
        _ => ("", bytes),
    };
    out.push_str(first);
    for b in rest {
        out.push_str(&format!("\\x{b:02x}"));
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_is_syntax() {
        assert_eq!(literal(b"/usr/bin/worker"), r#""/usr/bin/worker""#);
        assert_eq!(literal(b"/d/a b,c#d"), r#""/d/a b,c#d""#);
        assert_eq!(literal(b"/d/*?[]{}^@"), r#""/d/\*\?\[\]\{\}\^\@""#);
        assert_eq!(literal(b"/d/\"\\"), r#""/d/\"\x5c""#);
        assert_eq!(literal(b"/d/x\ny\x7f\xe9"), r#""/d/x\x0ay\x7f\xe9""#);
        assert_eq!(literal("/d/é".as_bytes()), r#""/d/\xc3\xa9""#);
    }

    #[test]
    fn only_cinch_writes_syntax() {
        let parts = [Part::Syntax("@{PROC}/@{pid}"), Part::Literal(b"/@{x}")];
        assert_eq!(quote(&parts), r#""@{PROC}/@{pid}/\@\{x\}""#);
    }

    #[test]
    fn the_output_is_ascii_with_no_bare_quote_or_line_break() {
        let all: Vec<u8> = (1..=255).collect();
        let quoted = literal(&all);
        assert!(quoted.is_ascii());
        assert!(!quoted.contains('\n') && !quoted.contains('\r'));
        let inner = &quoted[1..quoted.len() - 1];
        // Every quote inside is escaped: an odd run of backslashes before it.
        for (i, _) in inner.match_indices('"') {
            let run = inner[..i].bytes().rev().take_while(|&b| b == b'\\').count();
            assert_eq!(run % 2, 1, "bare quote at {i} in {inner}");
        }
        assert_eq!(all_hex(b"/a\n"), r#""/\x61\x0a""#);
    }
}
