//! RUN008 host-mount.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN008",
    name: "host-mount",
    group: Group::Run,
    severity: Severity::Error,
    summary: "the Docker socket or a sensitive host directory is mounted in",
    doc: "\
What it checks: a bind mount (`-v`, `--mount type=bind`, compose `volumes`) of docker.sock,
containerd.sock, or of /, /etc, /proc, /sys, /dev, /boot, /root, /var/lib/docker, /run,
/var/run, /lib/modules or /usr.

Why it matters: the Docker socket is root on the host (start a privileged container, done);
the directories hold the host's configuration, kernel interfaces and other containers' data.

Example:
    bad:  docker run -v /var/run/docker.sock:/var/run/docker.sock mascot/worker
    good: docker run -v /srv/mascot/results:/usr/local/mascotnode/results mascot/worker",
};

const SENSITIVE: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/var/lib/docker",
    "/run",
    "/var/run",
    "/lib/modules",
    "/usr",
];

pub fn check(run: &RunConfig, c: &mut Check) {
    for (source, pos) in &run.host_mounts {
        let trimmed = if source.len() > 1 { source.trim_end_matches('/') } else { source.as_str() };
        if trimmed.ends_with("docker.sock") || trimmed.ends_with("containerd.sock") || trimmed.ends_with("podman.sock")
        {
            c.report(
                &RULE,
                *pos,
                format!("{source} is mounted: the container can drive the container engine, which is root on the host"),
            );
        } else if SENSITIVE.contains(&trimmed) {
            c.report(&RULE, *pos, format!("the host's {trimmed} is mounted into the container"));
        }
    }
}
