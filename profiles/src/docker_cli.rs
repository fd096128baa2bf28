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
