//! Sockets in the trace: every address the target bound, listened on or
//! connected to, once per distinct (operation, family, type, address, port,
//! outcome). Socket families and types created are in `syscalls.socket.args`.

use super::Trace;
use crate::path;
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetOp {
    Bind,
    Listen,
    Connect,
}

/// One address used. `address` is an IP address, or for `unix` the socket's
/// path in the encoding of [`crate::path`] (an abstract name starts `%00`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub op: NetOp,
    /// `inet`, `inet6`, `unix`, `netlink`... or `af<N>`.
    pub family: String,
    /// `stream`, `dgram`, `seqpacket`, `raw`... or `type<N>`.
    #[serde(rename = "type")]
    pub socket_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Errno name when the attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// In a merged trace: how many runs saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
}

/// One socket observation from the tracer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetSeen {
    pub op: NetOp,
    pub family: u16,
    pub socket_type: u16,
    /// IPv4 (first 4 bytes) or IPv6 address.
    pub addr: [u8; 16],
    pub port: u16,
    /// AF_UNIX path bytes (abstract names start with NUL).
    pub unix_path: Vec<u8>,
    pub error: Option<i32>,
}

impl Trace {
    pub fn add_endpoint(&mut self, seen: &NetSeen) {
        let family = i32::from(seen.family);
        let (address, port) = match family {
            libc::AF_INET => {
                let ip: [u8; 4] = seen.addr[..4].try_into().expect("4 bytes");
                (Ipv4Addr::from(ip).to_string(), Some(seen.port))
            }
            libc::AF_INET6 => (Ipv6Addr::from(seen.addr).to_string(), Some(seen.port)),
            libc::AF_UNIX => (path::encode(&seen.unix_path), None),
            _ => (String::new(), None),
        };
        let endpoint = Endpoint {
            op: seen.op,
            family: family_name(family),
            socket_type: type_name(i32::from(seen.socket_type)),
            address,
            port,
            error: seen.error.map(crate::errno::name),
            runs: None,
        };
        if let Err(at) = self.network.binary_search(&endpoint) {
            self.network.insert(at, endpoint);
        }
    }
}

pub fn family_name(family: i32) -> String {
    match family {
        libc::AF_UNIX => "unix".into(),
        libc::AF_INET => "inet".into(),
        libc::AF_INET6 => "inet6".into(),
        libc::AF_NETLINK => "netlink".into(),
        libc::AF_PACKET => "packet".into(),
        libc::AF_VSOCK => "vsock".into(),
        other => format!("af{other}"),
    }
}

pub fn type_name(socket_type: i32) -> String {
    match socket_type {
        libc::SOCK_STREAM => "stream".into(),
        libc::SOCK_DGRAM => "dgram".into(),
        libc::SOCK_RAW => "raw".into(),
        libc::SOCK_SEQPACKET => "seqpacket".into(),
        other => format!("type{other}"),
    }
}
