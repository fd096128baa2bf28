//! AppArmor profiles, read as statements: profile headers, rules (ending in
//! a comma), includes and variable assignments, each with its position.
//! Enough to lint; apparmor_parser itself decides what compiles.

use crate::lint::finding::Pos;

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `profile NAME flags=(...) {`, `/usr/bin/x {`, `^hat {`.
    Header {
        pos: Pos,
        text: String,
        flags: Vec<String>,
    },
    /// A closing `}`.
    End {
        pos: Pos,
    },
    Rule(Rule),
    /// `#include <...>`, `include`, `abi`, `@{VAR}=...`: not checked.
    Other {
        pos: Pos,
        text: String,
    },
}

/// One rule, qualifiers separated from the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub pos: Pos,
    pub deny: bool,
    pub audit: bool,
    pub owner: bool,
    /// The words after the qualifiers (`capability sys_admin`, `/etc/** rw`).
    pub words: Vec<String>,
}

impl Rule {
    /// The rule's keyword: `capability`, `network`, `mount`, `ptrace`,
    /// `change_profile`, `file`, ..., or `path` for a file rule.
    pub fn keyword(&self) -> &str {
        match self.words.first().map(String::as_str) {
            Some(word) if is_path(word) => "path",
            Some(word) if self.words.get(1).is_some_and(|w| is_path(w)) && is_perms(word) => "path",
            Some(word) => word,
            None => "",
        }
    }

    /// (path, permissions) of a file rule (either order).
    pub fn file(&self) -> Option<(&str, &str)> {
        // `file /x r,` is `/x r,` with the optional keyword.
        let words = match self.words.first() {
            Some(w) if w == "file" => &self.words[1..],
            _ => &self.words[..],
        };
        let first = words.first()?;
        if is_path(first) {
            let perms = words.get(1).map_or("", String::as_str);
            return Some((first, perms));
        }
        let second = words.get(1)?;
        (is_path(second) && is_perms(first)).then_some((second.as_str(), first.as_str()))
    }
}

fn is_path(word: &str) -> bool {
    let word = word.trim_start_matches('"');
    word.starts_with('/') || word.starts_with("@{")
}

fn is_perms(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| "rwaklmixuUpPcCdDbB".contains(c))
}

/// Whether the text read so far is inside a quoted name (`"..."`, where `\`
/// escapes the next character).
#[derive(Default)]
struct Quoting {
    quoted: bool,
    escaped: bool,
}

impl Quoting {
    /// Takes the next character: true when it belongs to a quoted name,
    /// its quotes included.
    fn take(&mut self, c: char) -> bool {
        if !self.quoted {
            self.quoted = c == '"';
            return self.quoted;
        }
        if self.escaped {
            self.escaped = false;
        } else if c == '\\' {
            self.escaped = true;
        } else if c == '"' {
            self.quoted = false;
        }
        true
    }
}

pub fn parse(text: &str) -> Result<Vec<Statement>, (Pos, String)> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut start = Pos::START;
    let mut line_statement = false; // ends at the end of its line (include, variable)
    let mut quoting = Quoting::default();
    let mut alternation = 0usize; // depth of `{a,b}` and `@{VAR}` braces
    let mut blocks = 0usize;
    let mut parens = 0usize; // `flags=(a, b)`, `signal (send, receive)`
    let (mut line, mut col) = (1usize, 0usize);
    let mut chars = text.chars().peekable();
    let mut last = '\n';
    while let Some(c) = chars.next() {
        col += 1;
        let pos = Pos::new(line, col);
        let at_start = current.trim().is_empty();
        if c == '\n' {
            if quoting.quoted {
                return Err((pos, "a line ends inside a quoted name".into()));
            }
            if line_statement {
                statements.push(Statement::Other { pos: start, text: current.trim().to_string() });
                current.clear();
                line_statement = false;
            } else if !current.trim().is_empty() {
                current.push(' ');
            }
            line += 1;
            col = 0;
            last = c;
            continue;
        }
        if at_start && !c.is_whitespace() {
            start = pos;
            let rest: String = std::iter::once(c).chain(chars.clone().take_while(|&c| c != '\n')).collect();
            let word = rest.split_whitespace().next().unwrap_or("");
            line_statement = word.starts_with("#include")
                || word == "include"
                || (word.starts_with("@{") && rest.contains('=') && !rest.trim_end().ends_with(','));
        }
        if quoting.take(c) {
            current.push(c);
            last = c;
            continue;
        }
        match c {
            '#' if !line_statement => {
                // A comment: skip to the end of the line.
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
                continue;
            }
            '{' if alternation > 0 || !(last.is_whitespace() || current.trim().is_empty()) => {
                alternation += 1;
                current.push(c);
            }
            '{' if !line_statement => {
                let header = current.trim().to_string();
                statements.push(Statement::Header { pos: start, flags: flags_of(&header), text: header });
                current.clear();
                parens = 0;
                blocks += 1;
            }
            '}' if alternation > 0 => {
                alternation -= 1;
                current.push(c);
            }
            '}' if !line_statement => {
                if !current.trim().is_empty() {
                    return Err((start, format!("a rule without a final comma before '}}': {}", current.trim())));
                }
                if blocks == 0 {
                    return Err((pos, "'}' closes no profile".into()));
                }
                blocks -= 1;
                statements.push(Statement::End { pos });
                current.clear();
            }
            '(' => {
                parens += 1;
                current.push(c);
            }
            ')' => {
                parens = parens.saturating_sub(1);
                current.push(c);
            }
            ',' if alternation == 0 && parens == 0 && !line_statement => {
                statements.push(rule(current.trim(), start));
                current.clear();
            }
            _ => current.push(c),
        }
        last = c;
    }
    if quoting.quoted {
        return Err((start, "the file ends inside a quoted name".into()));
    }
    if line_statement {
        statements.push(Statement::Other { pos: start, text: current.trim().to_string() });
    } else if !current.trim().is_empty() {
        return Err((start, format!("a rule without a final comma: {}", current.trim())));
    }
    if blocks > 0 {
        return Err((Pos::new(line, col.max(1)), "the file ends inside a profile: a '}' is missing".into()));
    }
    Ok(statements)
}

fn rule(text: &str, pos: Pos) -> Statement {
    let mut words = split_words(text);
    let (mut deny, mut audit, mut owner) = (false, false, false);
    while let Some(word) = words.first() {
        match word.as_str() {
            "deny" => deny = true,
            "audit" => audit = true,
            "owner" => owner = true,
            "allow" | "other" | "quiet" => {}
            w if w.starts_with("priority=") => {}
            _ => break,
        }
        words.remove(0);
    }
    if words.first().is_some_and(|w| w == "abi") {
        return Statement::Other { pos, text: text.to_string() };
    }
    Statement::Rule(Rule { pos, deny, audit, owner, words })
}

/// Words split on whitespace outside quotes.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoting = Quoting::default();
    for c in text.chars() {
        if quoting.take(c) || !c.is_whitespace() {
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The words of `flags=(a, b)` or `flags=a` in a header.
fn flags_of(header: &str) -> Vec<String> {
    let Some(at) = header.find("flags=") else { return Vec::new() };
    let rest = &header[at + "flags=".len()..];
    let inner = match rest.strip_prefix('(') {
        Some(inside) => inside.split(')').next().unwrap_or(""),
        None => rest.split_whitespace().next().unwrap_or(""),
    };
    inner.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_with_alternations_and_includes() {
        let text = "#include <tunables/global>\n@{X}=/a /b\nprofile p flags=(attach_disconnected, complain) {\n  # a comment, with a comma\n  /{usr/,}bin/ls rix,\n  deny @{PROC}/{sys,sysrq-trigger} w,\n  owner \"/a b/c\" rw,\n  capability net_bind_service,\n  ^hat {\n    /x r,\n  }\n}\n";
        let statements = parse(text).unwrap();
        let rules: Vec<&Rule> =
            statements.iter().filter_map(|s| if let Statement::Rule(r) = s { Some(r) } else { None }).collect();
        assert_eq!(rules.len(), 5, "{rules:#?}");
        assert_eq!(rules[0].file(), Some(("/{usr/,}bin/ls", "rix")));
        assert_eq!(rules[0].pos, Pos::new(5, 3));
        assert!(rules[1].deny);
        assert_eq!(rules[2].file(), Some(("\"/a b/c\"", "rw")));
        assert!(rules[2].owner);
        assert_eq!(rules[3].keyword(), "capability");
        let Statement::Header { flags, .. } = &statements[2] else { panic!("header expected: {statements:?}") };
        assert_eq!(flags, &["attach_disconnected", "complain"]);
    }

    #[test]
    fn errors() {
        assert!(parse("profile p {\n  /a r\n}\n").is_err());
        assert!(parse("profile p {\n  /a r,\n").is_err());
        assert!(parse("}\n").is_err());
        assert!(parse("profile p {\n  \"/a r,\n}\n").is_err());
    }
}
