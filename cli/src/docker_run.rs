//! Recognising `docker run ...` as the command to trace, so that cinch traces
//! the container it creates (from its creation) rather than the client.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use cinch_profiles::docker_cli::{GLOBAL_OPTIONS_WITH_VALUE, RUN_FLAGS, SHORT_FLAGS};

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

    /// The `--cidfile` the user gave, if any.
    pub fn cidfile(&self) -> Option<PathBuf> {
        self.option_value("--cidfile").map(PathBuf::from)
    }

    /// The command line with `options` inserted right after `run`.
    pub fn with_options(&self, options: &[OsString]) -> Vec<OsString> {
        self.head.iter().chain(options).chain(&self.rest).cloned().collect()
    }

    /// The command line with every `--security-opt seccomp=...` replaced by `seccomp`.
    pub fn with_seccomp(&self, profile: &OsStr) -> Vec<OsString> {
        let options = self.options();
        let mut kept = Vec::new();
        let mut i = 0;
        while i < options.len() {
            let arg = options[i].as_bytes();
            let value = options.get(i + 1).map(|v| v.as_bytes());
            if arg == b"--security-opt" && value.is_some_and(|v| v.starts_with(b"seccomp")) {
                i += 2;
                continue;
            }
            if !arg.starts_with(b"--security-opt=seccomp") {
                kept.push(options[i].clone());
            }
            i += 1;
        }
        let mut seccomp = OsString::from("seccomp=");
        seccomp.push(profile);
        let mut out = self.head.clone();
        out.extend(["--security-opt".into(), seccomp]);
        out.extend(kept);
        out.extend(self.rest[options.len()..].iter().cloned());
        out
    }

    /// The run options: the words before the image.
    fn options(&self) -> &[OsString] {
        let mut i = 0;
        while i < self.rest.len() {
            let arg = self.rest[i].to_string_lossy();
            if arg == "--" || !arg.starts_with('-') || arg == "-" {
                break;
            }
            let is_flag = RUN_FLAGS.contains(&arg.as_ref())
                || arg.contains('=')
                || (!arg.starts_with("--") && arg[1..].chars().all(|c| SHORT_FLAGS.contains(c)));
            i += if is_flag { 1 } else { 2 };
        }
        &self.rest[..i.min(self.rest.len())]
    }

    /// The value of a run option given as `--name VALUE` or `--name=VALUE`.
    fn option_value(&self, name: &str) -> Option<OsString> {
        let options = self.options();
        let mut found = None;
        for (i, arg) in options.iter().enumerate() {
            let text = arg.to_string_lossy();
            if text == name {
                found = options.get(i + 1).cloned();
            } else if let Some(value) = text.strip_prefix(name).and_then(|t| t.strip_prefix('=')) {
                found = Some(value.into());
            }
        }
        found
    }

    /// Whether the security options ask Docker to run without a seccomp filter.
    pub fn is_unconfined(&self) -> bool {
        self.options().iter().any(|a| {
            let a = a.to_string_lossy();
            a == "seccomp=unconfined" || a == "--security-opt=seccomp=unconfined" || a == "--privileged"
        })
    }
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
            run.with_seccomp(OsStr::new("/p/seccomp.json")),
            argv(
                "docker run --security-opt seccomp=/p/seccomp.json -e A=1 -it --security-opt no-new-privileges img --security-opt seccomp=x"
            )
        );
        assert!(!run.is_unconfined());
        assert!(DockerRun::parse(&argv("docker run --security-opt seccomp=unconfined img")).unwrap().is_unconfined());
    }
}
