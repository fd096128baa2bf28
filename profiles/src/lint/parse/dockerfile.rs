//! Dockerfiles and Containerfiles: instructions with their line, flags,
//! arguments and exec form, grouped into build stages.

use super::json;
use crate::lint::finding::Pos;

#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Upper case: FROM, RUN, USER...
    pub keyword: String,
    pub pos: Pos,
    /// Leading `--name=value` flags (`--chmod=4755`, `--platform=...`).
    pub flags: Vec<String>,
    /// The arguments after the flags, continuation lines joined with a space.
    pub args: String,
    /// The arguments as a JSON array of strings (exec form), if they are one.
    pub exec: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// The FROM instruction.
    pub from: Instruction,
    /// The image (or earlier stage) it starts from, as written.
    pub base: String,
    /// The `AS name`, lower case.
    pub name: Option<String>,
    /// Starts from scratch, directly or through earlier stages.
    pub scratch: bool,
    pub instructions: Vec<Instruction>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
    /// Instructions before the first FROM (ARG only, in a valid file).
    pub preamble: Vec<Instruction>,
}

impl Dockerfile {
    pub fn all(&self) -> impl Iterator<Item = &Instruction> {
        self.preamble.iter().chain(self.stages.iter().flat_map(|s| std::iter::once(&s.from).chain(&s.instructions)))
    }
}

pub fn parse(text: &str) -> Dockerfile {
    let mut file = Dockerfile::default();
    for instruction in instructions(text) {
        if instruction.keyword == "FROM" {
            let words: Vec<&str> = instruction.args.split_whitespace().collect();
            let base = words.first().map_or(String::new(), |w| w.to_string());
            let name = match words.as_slice() {
                [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("as") => Some(name.to_lowercase()),
                _ => None,
            };
            let lower = base.to_lowercase();
            let scratch = lower == "scratch"
                || file.stages.iter().any(|s| s.scratch && s.name.as_deref() == Some(lower.as_str()));
            file.stages.push(Stage { from: instruction, base, name, scratch, instructions: Vec::new() });
        } else if let Some(stage) = file.stages.last_mut() {
            stage.instructions.push(instruction);
        } else {
            file.preamble.push(instruction);
        }
    }
    file
}

/// Splits the text into instructions: comments and blank lines dropped,
/// backslash continuations joined, heredoc bodies (`<<EOF`) kept with their
/// instruction.
fn instructions(text: &str) -> Vec<Instruction> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let col = line.chars().count() - trimmed.chars().count() + 1;
        let pos = Pos::new(i + 1, col);
        let mut joined = String::new();
        let mut current = trimmed;
        loop {
            let body = current.trim_end();
            match body.strip_suffix('\\') {
                Some(rest) => {
                    joined.push_str(rest);
                    joined.push(' ');
                    i += 1;
                    // Comment lines inside a continuation are skipped.
                    while i < lines.len() && lines[i].trim_start().starts_with('#') {
                        i += 1;
                    }
                    match lines.get(i) {
                        Some(next) => current = next,
                        None => break,
                    }
                }
                None => {
                    joined.push_str(body);
                    i += 1;
                    break;
                }
            }
        }
        if let Some(end) = heredoc_end(&joined) {
            while i < lines.len() {
                let done = lines[i].trim() == end;
                i += 1;
                if done {
                    break;
                }
            }
        }
        out.push(instruction(&joined, pos));
    }
    out
}

/// The terminator of a heredoc the instruction opens (`<<EOF`, `<<-"EOF"`).
fn heredoc_end(args: &str) -> Option<String> {
    let at = args.find("<<")?;
    let rest = args[at + 2..].trim_start_matches('-');
    let word: String =
        rest.trim_matches(|c| c == '"' || c == '\'').chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!word.is_empty()).then_some(word)
}

fn instruction(text: &str, pos: Pos) -> Instruction {
    let text = text.trim();
    let (keyword, mut rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let mut flags = Vec::new();
    loop {
        rest = rest.trim_start();
        if !rest.starts_with("--") {
            break;
        }
        let (flag, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        flags.push(flag.to_string());
        rest = after;
    }
    let args = rest.trim().to_string();
    let exec = if args.starts_with('[') {
        json::parse(&args).ok().and_then(|node| node.items().iter().map(|n| n.as_str().map(str::to_string)).collect())
    } else {
        None
    };
    Instruction { keyword: keyword.to_uppercase(), pos, flags, args, exec }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_continuations_and_exec_form() {
        let text = "# syntax\nARG V=1\nFROM rust:1 AS build\nRUN cargo build \\\n  # note\n  --release\n\nFROM scratch\nCOPY --from=build --chmod=0555 /a /b\nENTRYPOINT [\"/b\", \"x\"]\n";
        let file = parse(text);
        assert_eq!(file.preamble.len(), 1);
        assert_eq!(file.stages.len(), 2);
        assert_eq!(file.stages[0].name.as_deref(), Some("build"));
        assert_eq!(file.stages[0].instructions[0].args, "cargo build    --release");
        assert!(file.stages[1].scratch);
        let copy = &file.stages[1].instructions[0];
        assert_eq!(copy.flags, ["--from=build", "--chmod=0555"]);
        assert_eq!(copy.pos, Pos::new(9, 1));
        assert_eq!(file.stages[1].instructions[1].exec.as_deref(), Some(&["/b".to_string(), "x".to_string()][..]));
    }

    #[test]
    fn heredoc_body_is_not_instructions() {
        let file = parse("FROM a\nRUN <<EOF\nFROM evil\nEOF\nUSER 1\n");
        assert_eq!(file.stages.len(), 1);
        assert_eq!(file.stages[0].instructions.len(), 2);
    }
}
