//! DF005 setuid-chmod.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::Dockerfile;

pub static RULE: Rule = Rule {
    id: "DF005",
    name: "setuid-chmod",
    group: Group::Dockerfile,
    severity: Severity::Warning,
    summary: "a file is made setuid or setgid",
    doc: "\
What it checks: `chmod` with `+s`, `u+s`, `g+s` or a four-digit mode with the 4000/2000 bit in
a RUN, and `--chmod` with such a mode on COPY/ADD.

Why it matters: a setuid binary is a way from the container's user back to root (inside the
container, and on the host without user namespaces). Run with `no-new-privileges` and avoid
the bit altogether.

Example:
    bad:  RUN chmod u+s /usr/local/bin/helper
    good: RUN chmod 0755 /usr/local/bin/helper",
};

/// Whether a chmod mode argument sets the setuid or setgid bit.
fn sets_id_bit(mode: &str) -> bool {
    if mode.chars().all(|c| c.is_ascii_digit()) && mode.len() == 4 {
        return matches!(mode.as_bytes()[0], b'2' | b'3' | b'4' | b'5' | b'6' | b'7');
    }
    mode.split(',').any(|clause| clause.contains('+') && clause.split('+').nth(1).is_some_and(|p| p.contains('s')))
}

pub fn check(file: &Dockerfile, c: &mut Check) {
    for i in file.all() {
        match i.keyword.as_str() {
            "RUN" => {
                let words: Vec<&str> = i.args.split_whitespace().collect();
                for (at, word) in words.iter().enumerate() {
                    if *word == "chmod" {
                        let mode = words[at + 1..].iter().find(|w| !w.starts_with('-'));
                        if let Some(mode) = mode.filter(|m| sets_id_bit(m)) {
                            c.report(&RULE, i.pos, format!("chmod {mode} makes a setuid/setgid file"));
                        }
                    }
                }
            }
            "COPY" | "ADD" => {
                for flag in &i.flags {
                    if let Some(mode) = flag.strip_prefix("--chmod=").filter(|m| sets_id_bit(m)) {
                        c.report(&RULE, i.pos, format!("--chmod={mode} makes a setuid/setgid file"));
                    }
                }
            }
            _ => {}
        }
    }
}
