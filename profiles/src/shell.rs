//! Quoting for the command lines and scripts cinch writes for users to run.

/// A word as a POSIX shell reads it back unchanged.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A command line of quoted words.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    words.iter().map(|w| quote(w.as_ref())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_the_shell_would_split_or_expand() {
        assert_eq!(quote("seccomp=/tmp/p.json"), "seccomp=/tmp/p.json");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote(""), "''");
        assert_eq!(join(&["docker", "run", "x y"]), "docker run 'x y'");
    }
}
