//! `docker run` (and `podman run`) command lines in shell scripts and text:
//! shell words with their positions, split into commands.

use crate::docker_cli::GLOBAL_OPTIONS_WITH_VALUE;
use crate::lint::finding::Pos;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word with quotes removed (variables are left as written).
    pub text: String,
    pub pos: Pos,
}

/// A `docker run` (or `create`) found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLine {
    /// Where `docker` is.
    pub pos: Pos,
    /// The words after `run`: options, image, command.
    pub args: Vec<Word>,
}

/// How deep `eval` and `sh -c` strings are read again (hostile input).
const MAX_NESTING: usize = 4;

/// Every `docker run`, `docker create`, their `docker container` forms and
/// podman's in `text`, also inside `eval ...` and `sh -c '...'` strings
/// (whose words then point at the string).
pub fn run_lines(text: &str) -> Vec<RunLine> {
    let mut out = Vec::new();
    collect(text, None, 0, &mut out);
    out
}

fn collect(text: &str, at: Option<Pos>, depth: usize, out: &mut Vec<RunLine>) {
    for words in commands(text) {
        if let Some((inner, pos)) = nested_text(&words) {
            if depth < MAX_NESTING {
                collect(&inner, Some(at.unwrap_or(pos)), depth + 1, out);
            }
            continue;
        }
        if let Some(mut line) = run_line(&words) {
            if let Some(pos) = at {
                line.pos = pos;
                line.args.iter_mut().for_each(|w| w.pos = pos);
            }
            out.push(line);
        }
    }
}

/// The text an `eval` or `sh -c` runs, and where it is written.
fn nested_text(words: &[Word]) -> Option<(String, Pos)> {
    let i = words.iter().position(|w| !is_prefix(&w.text))?;
    let program = words[i].text.rsplit('/').next().unwrap_or("");
    match program {
        "eval" if words.len() > i + 1 => {
            let text = words[i + 1..].iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
            Some((text, words[i + 1].pos))
        }
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" => {
            let c = words[i + 1..].iter().position(|w| w.text == "-c")? + i + 1;
            words.get(c + 1).map(|w| (w.text.clone(), w.pos))
        }
        _ => None,
    }
}

/// Words that may precede the program: VAR=value, sudo, exec, command...
fn is_prefix(t: &str) -> bool {
    let assignment = t
        .split_once('=')
        .is_some_and(|(name, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    assignment || matches!(t, "sudo" | "exec" | "command" | "nohup" | "time" | "env")
}

fn run_line(words: &[Word]) -> Option<RunLine> {
    let i = words.iter().position(|w| !is_prefix(&w.text))?;
    let program = words.get(i)?;
    let name = program.text.rsplit('/').next().unwrap_or("");
    if name != "docker" && name != "podman" {
        return None;
    }
    let mut j = i + 1;
    while let Some(word) = words.get(j) {
        if GLOBAL_OPTIONS_WITH_VALUE.contains(&word.text.as_str()) {
            j += 2;
        } else if word.text.starts_with('-') {
            j += 1;
        } else {
            break;
        }
    }
    let run_at = match (words.get(j).map(|w| w.text.as_str()), words.get(j + 1).map(|w| w.text.as_str())) {
        (Some("run" | "create"), _) => j,
        (Some("container"), Some("run" | "create")) => j + 1,
        _ => return None,
    };
    Some(RunLine { pos: program.pos, args: words[run_at + 1..].to_vec() })
}

/// Splits shell text into commands of words: `;`, `&`, `|`, `(`, `)` and
/// unescaped newlines end a command; `\` + newline continues it; `#` at the
/// start of a word starts a comment.
pub fn commands(text: &str) -> Vec<Vec<Word>> {
    let mut commands = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut word: Option<Word> = None;
    let (mut line, mut col) = (1usize, 0usize);
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;

    fn end_word(word: &mut Option<Word>, words: &mut Vec<Word>) {
        if let Some(w) = word.take() {
            words.push(w);
        }
    }
    fn end_command(words: &mut Vec<Word>, commands: &mut Vec<Vec<Word>>) {
        if !words.is_empty() {
            commands.push(std::mem::take(words));
        }
    }

    while let Some(c) = chars.next() {
        col += 1;
        let pos = Pos::new(line, col);
        if c == '\n' {
            line += 1;
            col = 0;
        }
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                } else if let Some(w) = word.as_mut() {
                    w.text.push(c);
                }
                continue;
            }
            Some(_) => {
                if c == '"' {
                    quote = None;
                } else if c == '\\' && chars.peek().is_some_and(|n| matches!(n, '"' | '\\' | '$' | '`' | '\n')) {
                    let next = chars.next().unwrap_or('\\');
                    col += 1;
                    if next == '\n' {
                        line += 1;
                        col = 0;
                    } else if let Some(w) = word.as_mut() {
                        w.text.push(next);
                    }
                } else if let Some(w) = word.as_mut() {
                    w.text.push(c);
                }
                continue;
            }
            None => {}
        }
        match c {
            '\\' => {
                let next = chars.next();
                col += 1;
                match next {
                    Some('\n') => {
                        line += 1;
                        col = 0;
                    }
                    Some(n) => word.get_or_insert(Word { text: String::new(), pos }).text.push(n),
                    None => {}
                }
            }
            '\'' | '"' => {
                word.get_or_insert(Word { text: String::new(), pos });
                quote = Some(c);
            }
            '#' if word.is_none() => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            '\n' | ';' | '&' | '|' | '(' | ')' => {
                end_word(&mut word, &mut words);
                end_command(&mut words, &mut commands);
            }
            c if c.is_whitespace() => end_word(&mut word, &mut words),
            c => word.get_or_insert(Word { text: String::new(), pos }).text.push(c),
        }
    }
    end_word(&mut word, &mut words);
    end_command(&mut words, &mut commands);
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_runs_with_positions() {
        let text = "#!/bin/sh\n# docker run --privileged x\nset -e\nsudo docker -H unix:///s run --rm \\\n  -p 5001:5001 \"$IMAGE\" 'a b' && echo ok\npodman container run x\n";
        let runs = run_lines(text);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].pos, Pos::new(4, 6));
        let texts: Vec<&str> = runs[0].args.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["--rm", "-p", "5001:5001", "$IMAGE", "a b"]);
        assert_eq!(runs[0].args[1].pos, Pos::new(5, 3));
        assert_eq!(runs[1].args[0].text, "x");
    }

    #[test]
    fn create_eval_and_sh_c_are_read() {
        let text = "docker create --privileged a\neval docker run --privileged b\nsh -c 'docker container create -v /:/h c'\neval \"$CMD\"\n";
        let runs = run_lines(text);
        let images: Vec<&str> = runs.iter().map(|r| r.args.last().unwrap().text.as_str()).collect();
        assert_eq!(images, ["a", "b", "c"]);
        assert_eq!(runs[1].pos, Pos::new(2, 6), "an eval's words point at its string");
        let nested = format!("{}docker run x{}", "sh -c \"".repeat(50), "\"".repeat(50));
        assert!(run_lines(&nested).len() <= 1);
    }
}
