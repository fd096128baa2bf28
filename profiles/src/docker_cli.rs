//! The docker client's command line, as far as cinch reads it: which options
//! take a value. Shared by `cinch trace -- docker run ...` (cli) and the
//! linter's reading of `docker run` lines.

/// Global options of the docker client that take a value (`docker -H X run`).
pub const GLOBAL_OPTIONS_WITH_VALUE: &[&str] =
    &["-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey"];

/// `docker run` options that take no value; every other option takes one
/// (as the next word, or after `=`).
pub const RUN_FLAGS: &[&str] = &[
    "-d",
    "--detach",
    "-i",
    "--interactive",
    "-t",
    "--tty",
    "--rm",
    "--privileged",
    "--init",
    "-P",
    "--publish-all",
    "--read-only",
    "--no-healthcheck",
    "--oom-kill-disable",
    "--sig-proxy",
    "--disable-content-trust",
    "-q",
    "--quiet",
    "--help",
];

/// Single-letter `docker run` flags that take no value, and may be combined (`-dit`).
pub const SHORT_FLAGS: &str = "ditPq";

/// One `docker run` option as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOption {
    /// `--publish`, `-p`, `--rm`: the name, without any `=value`.
    pub name: String,
    /// The value, for an option that takes one (None when the line ends first).
    pub value: Option<String>,
    /// Index of the word the option starts in.
    pub word: usize,
    /// Whether the value is the next word (`-p 80:80`), not part of this one
    /// (`-p80:80`, `--publish=80:80`).
    pub value_is_next_word: bool,
}

/// The options of a `docker run` line (`words` are what follows `run`) and the
/// index of the first word that is not an option: the image, or `words.len()`.
///
/// Options are read as the docker client reads them: `--name=value`,
/// `--name value`, flags that take no value (`--rm`), short flags combined
/// (`-dit`, each its own option) and a short option with its value attached
/// (`-p5001:5001`, `-v=/a:/b`) or in the next word (`-p 5001:5001`, `-itp 80:80`).
/// `--` ends the options.
pub fn run_options<S: AsRef<str>>(words: &[S]) -> (Vec<RunOption>, usize) {
    let mut options = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let text = words[i].as_ref();
        if text == "--" || text == "-" || !text.starts_with('-') {
            break;
        }
        let next = words.get(i + 1).map(|w| w.as_ref().to_string());
        let mut used = 1;
        if let Some(long) = text.strip_prefix("--") {
            let option = match long.split_once('=') {
                Some((name, value)) => valued(format!("--{name}"), Some(value.to_string()), i, false),
                None if RUN_FLAGS.contains(&text) => valued(text.to_string(), None, i, false),
                None => {
                    used = 2;
                    valued(text.to_string(), next, i, true)
                }
            };
            options.push(option);
        } else {
            let letters: Vec<char> = text[1..].chars().collect();
            let valued_at = letters.iter().position(|c| !SHORT_FLAGS.contains(*c));
            let flags = valued_at.unwrap_or(letters.len());
            options.extend(letters[..flags].iter().map(|c| valued(format!("-{c}"), None, i, false)));
            if let Some(at) = valued_at {
                let attached: String = letters[at + 1..].iter().collect();
                let attached = attached.strip_prefix('=').map(str::to_string).unwrap_or(attached);
                let name = format!("-{}", letters[at]);
                if attached.is_empty() {
                    used = 2;
                    options.push(valued(name, next, i, true));
                } else {
                    options.push(valued(name, Some(attached), i, false));
                }
            }
        }
        i += used;
    }
    (options, i.min(words.len()))
}

/// Whether a boolean flag is on: `--privileged` alone or with a true value
/// (`=true`, `=1`, `=t`, as the docker client's flag parsing has it).
pub fn flag_is_on(value: Option<&str>) -> bool {
    match value {
        None => true,
        Some(v) => matches!(v, "1" | "t" | "T" | "TRUE" | "true" | "True"),
    }
}

fn valued(name: String, value: Option<String>, word: usize, value_is_next_word: bool) -> RunOption {
    RunOption { name, value, word, value_is_next_word }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_and_image(line: &str) -> (Vec<(String, Option<String>)>, Option<String>) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (options, image) = run_options(&words);
        (options.into_iter().map(|o| (o.name, o.value)).collect(), words.get(image).map(|w| w.to_string()))
    }

    fn opt(name: &str, value: Option<&str>) -> (String, Option<String>) {
        (name.to_string(), value.map(str::to_string))
    }

    #[test]
    fn an_attached_short_value_is_one_word_and_the_image_follows() {
        let (options, image) = names_and_image("-p5001:5001 img --jobs 1");
        assert_eq!(options, vec![opt("-p", Some("5001:5001"))]);
        assert_eq!(image.as_deref(), Some("img"));
    }

    #[test]
    fn every_form_of_option() {
        let (options, image) = names_and_image(
            "-dit --rm -e A=1 --name=w -p 80:80 -v=/a:/b -itp 1:1 --security-opt seccomp=x.json -P img -p 2:2",
        );
        assert_eq!(
            options,
            vec![
                opt("-d", None),
                opt("-i", None),
                opt("-t", None),
                opt("--rm", None),
                opt("-e", Some("A=1")),
                opt("--name", Some("w")),
                opt("-p", Some("80:80")),
                opt("-v", Some("/a:/b")),
                opt("-i", None),
                opt("-t", None),
                opt("-p", Some("1:1")),
                opt("--security-opt", Some("seccomp=x.json")),
                opt("-P", None),
            ]
        );
        assert_eq!(image.as_deref(), Some("img"));
    }

    #[test]
    fn the_line_may_end_inside_an_option_or_at_a_double_dash() {
        assert_eq!(names_and_image("--name"), (vec![opt("--name", None)], None));
        assert_eq!(names_and_image("--rm -- img").1.as_deref(), Some("--"));
    }
}
