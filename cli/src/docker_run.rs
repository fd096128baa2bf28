//! Recognising `docker run ...` as the command to trace, so that cinch traces
//! the container it creates (from its creation) rather than the client.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use cinch_profiles::docker_cli::{run_options, RunOption, GLOBAL_OPTIONS_WITH_VALUE};

/// A `docker run` command line, split where cinch adds its own options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerRun {
    /// `docker [global options] run` or `docker ... container run`.
    pub head: Vec<OsString>,
    /// Everything after `run`: run options, image, command.
    pub rest: Vec<OsString>,
}

impl DockerRun {
    /// Recognises `docker [global options] [container] run ...`.
    pub fn parse(argv: &[OsString]) -> Option<DockerRun> {
        let program = argv.first()?;
        if PathBuf::from(program).file_name() != Some(OsStr::new("docker")) {
            return None;
        }
        let mut i = 1;
        while i < argv.len() {
            let arg = argv[i].to_string_lossy();
            if GLOBAL_OPTIONS_WITH_VALUE.contains(&arg.as_ref()) {
                i += 2;
            } else if arg.starts_with('-') {
                i += 1;
            } else {
                break;
            }
        }
        let word = |i: usize| argv.get(i).map(|a| a.as_bytes());
        let run_at = match (word(i), word(i + 1)) {
            (Some(b"run"), _) => i,
            (Some(b"container"), Some(b"run")) => i + 1,
            _ => return None,
        };
        Some(DockerRun { head: argv[..=run_at].to_vec(), rest: argv[run_at + 1..].to_vec() })
    }

    /// The same client, with its global options, for another verb:
    /// `docker -H h run ...` gives `docker -H h VERB`.
    pub fn client_command(&self, verb: &str) -> Vec<OsString> {
        let mut words = self.head[..self.head.len().saturating_sub(1)].to_vec();
        words.push(verb.into());
        words
    }

    /// The `--cidfile` the user gave, if any.
    pub fn cidfile(&self) -> Option<PathBuf> {
        self.option_value("--cidfile").map(PathBuf::from)
    }

    /// The command line with `options` inserted right after `run`.
    pub fn with_options(&self, options: &[OsString]) -> Vec<OsString> {
        self.head.iter().chain(options).chain(&self.rest).cloned().collect()
    }

    /// The command line with every `--security-opt seccomp=...` replaced by `seccomp`, and with
    /// `apparmor` given, every `--security-opt apparmor=...` by that profile.
    pub fn with_profiles(&self, seccomp: &OsStr, apparmor: Option<&str>) -> Vec<OsString> {
        let (options, image) = self.options();
        let mut dropped = vec![false; image];
        let replaced = |o: &RunOption| {
            is_security_option(o, "seccomp") || (apparmor.is_some() && is_security_option(o, "apparmor"))
        };
        for option in options.iter().filter(|o| replaced(o)) {
            dropped[option.word] = true;
            if option.value_is_next_word && option.word + 1 < image {
                dropped[option.word + 1] = true;
            }
        }
        let mut flag = OsString::from("seccomp=");
        flag.push(seccomp);
        let mut out = self.head.clone();
        out.extend(["--security-opt".into(), flag]);
        if let Some(name) = apparmor {
            out.extend(["--security-opt".into(), format!("apparmor={name}").into()]);
        }
        out.extend(self.rest[..image].iter().zip(&dropped).filter(|(_, d)| !**d).map(|(w, _)| w.clone()));
        out.extend(self.rest[image..].iter().cloned());
        out
    }

    /// The run options (read as docker does, one walker for cinch and its
    /// linter), and the index in `rest` of the image.
    fn options(&self) -> (Vec<RunOption>, usize) {
        let words: Vec<String> = self.rest.iter().map(|w| w.to_string_lossy().into_owned()).collect();
        run_options(&words)
    }

    /// The value of the last run option `name` (`--name VALUE` or `--name=VALUE`).
    fn option_value(&self, name: &str) -> Option<OsString> {
        let (options, _) = self.options();
        let option = options.into_iter().rev().find(|o| o.name == name)?;
        // From the original words: a value is not always valid UTF-8.
        if option.value_is_next_word {
            return self.rest.get(option.word + 1).cloned();
        }
        option.value.map(OsString::from)
    }

    /// Whether the security options ask Docker to run without a seccomp filter.
    pub fn is_unconfined(&self) -> bool {
        let (options, _) = self.options();
        options.iter().any(|o| {
            (o.name == "--privileged" && cinch_profiles::docker_cli::flag_is_on(o.value.as_deref()))
                || (o.name == "--security-opt"
                    && matches!(o.value.as_deref(), Some("seccomp=unconfined" | "seccomp:unconfined")))
        })
    }
}

/// `--security-opt KIND=...` (or `KIND:...`).
fn is_security_option(option: &RunOption, kind: &str) -> bool {
    option.name == "--security-opt"
        && option
            .value
            .as_deref()
            .is_some_and(|v| v.strip_prefix(kind).is_some_and(|rest| rest.starts_with('=') || rest.starts_with(':')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(text: &str) -> Vec<OsString> {
        text.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn recognises_docker_run_forms() {
        assert!(DockerRun::parse(&argv("docker run --rm img")).is_some());
        assert!(DockerRun::parse(&argv("/usr/bin/docker -H unix:///x.sock run img")).is_some());
        assert!(DockerRun::parse(&argv("docker container run img")).is_some());
        assert!(DockerRun::parse(&argv("docker ps")).is_none());
        assert!(DockerRun::parse(&argv("podman run img")).is_none());
        assert!(DockerRun::parse(&argv("docker")).is_none());
    }

    #[test]
    fn inserts_options_after_run() {
        let run = DockerRun::parse(&argv("docker -H x run --rm img --listen 1")).unwrap();
        assert_eq!(run.with_options(&argv("--cidfile /c")), argv("docker -H x run --cidfile /c --rm img --listen 1"));
    }

    #[test]
    fn finds_the_users_cidfile_before_the_image_only() {
        let run = DockerRun::parse(&argv("docker run --cidfile=/a img --cidfile /b")).unwrap();
        assert_eq!(run.cidfile(), Some(PathBuf::from("/a")));
        let run = DockerRun::parse(&argv("docker run img --cidfile /b")).unwrap();
        assert_eq!(run.cidfile(), None);
        let run = DockerRun::parse(&argv("docker run -e X --rm --cidfile /c img")).unwrap();
        assert_eq!(run.cidfile(), Some(PathBuf::from("/c")));
    }

    #[test]
    fn replaces_the_seccomp_option() {
        let run = DockerRun::parse(&argv(
            "docker run -e A=1 -it --security-opt seccomp=old.json --security-opt no-new-privileges img --security-opt seccomp=x",
        ))
        .unwrap();
        assert_eq!(
            run.with_profiles(OsStr::new("/p/seccomp.json"), None),
            argv(
                "docker run --security-opt seccomp=/p/seccomp.json -e A=1 -it --security-opt no-new-privileges img --security-opt seccomp=x"
            )
        );
        let run = DockerRun::parse(&argv("docker run --security-opt apparmor=old --security-opt=seccomp=o.json img"))
            .unwrap();
        assert_eq!(
            run.with_profiles(OsStr::new("/s.json"), Some("w")),
            argv("docker run --security-opt seccomp=/s.json --security-opt apparmor=w img")
        );
        assert!(!run.is_unconfined());
        assert!(DockerRun::parse(&argv("docker run --security-opt seccomp=unconfined img")).unwrap().is_unconfined());
        let run = DockerRun::parse(&argv("docker -H unix:///s container run img")).unwrap();
        assert_eq!(run.client_command("stop"), argv("docker -H unix:///s container stop"));
    }

    #[test]
    fn an_attached_short_value_leaves_the_image_and_its_arguments_alone() {
        let run = DockerRun::parse(&argv("docker run -p5001:5001 img --jobs 1")).unwrap();
        assert_eq!(run.options().1, 1, "the image is rest[1]");
        assert_eq!(
            run.with_profiles(OsStr::new("/p.json"), None),
            argv("docker run --security-opt seccomp=/p.json -p5001:5001 img --jobs 1")
        );
        let run = DockerRun::parse(&argv("docker run -p5001:5001 img --privileged")).unwrap();
        assert!(!run.is_unconfined(), "--privileged after the image is the container's argument");
    }
}
