//! Looks a container up through the Docker Engine API on its unix socket
//! (`DOCKER_HOST=unix://...`, else /var/run/docker.sock). A tiny HTTP/1.0
//! client is enough: one GET, and the daemon closes the connection after it.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// What cinch needs to know about a running container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    /// Host pid of the container's first process.
    pub pid: u32,
    /// The OCI runtime it runs under, as Docker names it (`runc`, `crun`).
    pub runtime: String,
}

/// The daemon socket named by DOCKER_HOST, or Docker's default.
pub fn socket_path() -> Result<PathBuf> {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => match host.strip_prefix("unix://") {
            Some(path) => Ok(PathBuf::from(path)),
            None => bail!(
                "DOCKER_HOST={host} is not a unix socket; cinch must run on the container's \
                 host. Use DOCKER_HOST=unix:///path/to/docker.sock, or --pid PID"
            ),
        },
        _ => Ok(PathBuf::from(DEFAULT_SOCKET)),
    }
}

/// Finds a running container by name or id.
pub fn inspect(name_or_id: &str) -> Result<Container> {
    match lookup(name_or_id)? {
        None => bail!("no such container: {name_or_id} (see `docker ps`)"),
        Some(Inspected { running: false, .. }) => {
            bail!("container {name_or_id} is not running; start it, then trace it")
        }
        Some(Inspected { container, .. }) => Ok(container),
    }
}

/// A container as the daemon describes it, running or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// `pid` is 0 when it is not running.
    pub container: Container,
    pub running: bool,
}

/// Looks a container up, running or not; None if the daemon does not know it.
pub fn lookup(name_or_id: &str) -> Result<Option<Inspected>> {
    let socket = socket_path()?;
    let path = format!("/containers/{}/json", percent_encode(name_or_id));
    let (status, body) = get(&socket, &path).with_context(|| {
        format!(
            "cannot reach the Docker daemon at {}: is dockerd running? (set DOCKER_HOST, \
             or trace by --pid PID)",
            socket.display()
        )
    })?;
    match status {
        200 => {}
        404 => return Ok(None),
        _ => bail!("the Docker daemon answered {status} for container {name_or_id}: {}", body.trim()),
    }
    parse_inspect(&body)
        .map(Some)
        .with_context(|| format!("unexpected answer from the Docker daemon about {name_or_id}"))
}

/// The container described by an inspect answer.
fn parse_inspect(body: &str) -> Result<Inspected> {
    let json: serde_json::Value = serde_json::from_str(body)?;
    let text = |pointer: &str| -> Result<String> {
        json.pointer(pointer).and_then(|v| v.as_str()).map(str::to_string).with_context(|| format!("no {pointer}"))
    };
    let running = json.pointer("/State/Running").and_then(|v| v.as_bool()).unwrap_or(false);
    let pid = json.pointer("/State/Pid").and_then(|v| v.as_u64()).unwrap_or(0);
    Ok(Inspected {
        container: Container {
            id: text("/Id")?,
            name: text("/Name")?.trim_start_matches('/').to_string(),
            image: text("/Config/Image")?,
            pid: u32::try_from(pid).context("pid out of range")?,
            runtime: text("/HostConfig/Runtime").unwrap_or_default(),
        },
        running: running && pid != 0,
    })
}

/// One HTTP/1.0 GET over the unix socket: (status code, body).
fn get(socket: &std::path::Path, path: &str) -> Result<(u16, String)> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").context("malformed HTTP answer")?;
    let status =
        head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).context("malformed HTTP status line")?;
    Ok((status, body.to_string()))
}

/// Percent-encodes everything but the characters Docker allows in names.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_running_container() {
        let body = r#"{"Id":"abc123","Name":"/worker","Config":{"Image":"cinch/worker:1"},
                      "State":{"Running":true,"Pid":4242},"HostConfig":{"Runtime":"crun"}}"#;
        let inspected = parse_inspect(body).unwrap();
        assert!(inspected.running);
        assert_eq!(
            inspected.container,
            Container {
                id: "abc123".into(),
                name: "worker".into(),
                image: "cinch/worker:1".into(),
                pid: 4242,
                runtime: "crun".into()
            }
        );
    }

    #[test]
    fn a_stopped_container_is_not_running() {
        let body = r#"{"Id":"a","Name":"/w","Config":{"Image":"i"},"State":{"Running":false,"Pid":0}}"#;
        assert!(!parse_inspect(body).unwrap().running);
    }

    #[test]
    fn names_are_encoded_for_the_url() {
        assert_eq!(percent_encode("my worker/../x"), "my%20worker%2F..%2Fx");
    }
}
