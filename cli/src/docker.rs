//! Looks a container up, and exports an image's files, through the Docker
//! Engine API on its unix socket (`DOCKER_HOST=unix://...`, else
//! /var/run/docker.sock). A tiny HTTP/1.0 client is enough: one request per
//! connection, which the daemon closes after its answer (never chunked).

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

/// One HTTP/1.0 request over the unix socket, with a JSON body if given:
/// the status code and the connection, positioned at the answer's body.
fn request(socket: &std::path::Path, method: &str, path: &str, body: Option<&str>) -> Result<(u16, UnixStream)> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 || head.len() > 64 * 1024 {
            bail!("malformed HTTP answer");
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let status =
        head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).context("malformed HTTP status line")?;
    Ok((status, stream))
}

fn text_of(mut stream: UnixStream) -> String {
    let mut body = String::new();
    let _ = stream.read_to_string(&mut body);
    body
}

/// Writes the files of `image` as one tar (a container created from it, not
/// started, exported, then removed) into `out`; returns the image's size as
/// the daemon reports it (bytes of all its layers).
pub fn export_image(image: &str, out: &mut dyn Write) -> Result<u64> {
    let socket = socket_path()?;
    let unreachable = || format!("cannot reach the Docker daemon at {} to export {image}", socket.display());
    let (status, answer) = request(&socket, "GET", &format!("/images/{}/json", percent_encode_ref(image)), None)
        .with_context(unreachable)?;
    let answer = text_of(answer);
    match status {
        200 => {}
        404 => bail!("--from {image}: no such directory, file or image (see `docker images`)"),
        _ => bail!("the Docker daemon answered {status} for image {image}: {}", answer.trim()),
    }
    let size = serde_json::from_str::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| v.pointer("/Size").and_then(|s| s.as_u64()))
        .unwrap_or(0);
    let create = serde_json::json!({ "Image": image, "Cmd": ["/cinch-export"], "Labels": { "dev.cinch.export": "1" } });
    let (status, answer) = request(&socket, "POST", "/containers/create", Some(&create.to_string()))?;
    let answer = text_of(answer);
    if status != 201 {
        bail!("the Docker daemon could not create a container of {image} to export it: {status} {}", answer.trim());
    }
    let id = serde_json::from_str::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| v.pointer("/Id").and_then(|s| s.as_str()).map(String::from))
        .context("unexpected answer from the Docker daemon to a create")?;
    let exported = (|| -> Result<()> {
        let (status, mut body) = request(&socket, "GET", &format!("/containers/{id}/export"), None)?;
        if status != 200 {
            bail!("the Docker daemon could not export {image}: {status} {}", text_of(body).trim());
        }
        std::io::copy(&mut body, out).context("reading the exported files")?;
        Ok(())
    })();
    let _ = request(&socket, "DELETE", &format!("/containers/{id}?force=1"), None).map(|(_, s)| text_of(s));
    exported?;
    Ok(size)
}

/// An image reference in a URL path: `/` and `:` kept, the rest as [`percent_encode`].
fn percent_encode_ref(text: &str) -> String {
    text.split('/')
        .map(|part| part.split(':').map(percent_encode).collect::<Vec<_>>().join(":"))
        .collect::<Vec<_>>()
        .join("/")
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
