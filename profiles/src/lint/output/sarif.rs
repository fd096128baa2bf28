//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning takes it: every
//! rule with its help, every result with a repository-relative URI and region.

use crate::lint::{rules, Report, Severity};
use serde_json::json;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

pub fn render(report: &Report, version: &str) -> String {
    let all = rules::all();
    let rule_objects: Vec<serde_json::Value> = all
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.summary},
                "help": {"text": r.doc, "markdown": format!("**{} {}**: {}\n\n```text\n{}\n```", r.id, r.name, r.summary, r.doc)},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"tags": ["security", r.group.as_str()], "security-severity": security_severity(r.severity)},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = all.iter().position(|r| r.id == f.rule).unwrap_or(0);
            let path = f.path.strip_prefix("./").unwrap_or(&f.path);
            let location = if path.starts_with('/') {
                json!({"uri": format!("file://{}", uri_escape(path))})
            } else {
                json!({"uri": relative_uri(path), "uriBaseId": "%SRCROOT%"})
            };
            json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": {"text": f.message},
                "partialFingerprints": {"cinchFindingHash/v1": fingerprint(f.rule, path, &f.message)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": location,
                        "region": {"startLine": f.pos.line, "startColumn": f.pos.col},
                    }
                }],
            })
        })
        .collect();
    let value = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cinch",
                "version": version,
                // The workspace's `repository` (Cargo.toml): one place to set the project's address.
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rule_objects,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// GitHub code scanning's severity scale (0.1–3.9 low, 4–6.9 medium,
/// 7–8.9 high, 9+ critical), so that its severity thresholds apply.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Note => "2.0",
    }
}

/// A finding's identity across runs: rule, file and message, not the line
/// (which moves when lines are added above it). FNV-1a, 64 bits, in hex.
fn fingerprint(rule: &str, path: &str, message: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in [rule, path, message].join("\u{0}").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// A relative reference: escaped, and `./`-prefixed when its first segment
/// holds a `:` (`c:x.sh` would read as a URI with scheme `c`).
fn relative_uri(path: &str) -> String {
    let escaped = uri_escape(path);
    if path.split('/').next().is_some_and(|first| first.contains(':')) {
        format!("./{escaped}")
    } else {
        escaped
    }
}

/// Percent-encodes what a URI path may not hold (spaces, %, #, ?, non-ASCII).
fn uri_escape(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_names_stay_relative_and_fingerprints_are_stable() {
        assert_eq!(relative_uri("c:x.sh"), "./c:x.sh");
        assert_eq!(relative_uri("deploy/c:x.sh"), "deploy/c:x.sh");
        assert_eq!(relative_uri("a b#.sh"), "a%20b%23.sh");
        let a = fingerprint("RUN001", "run.sh", "privileged");
        assert_eq!(a, fingerprint("RUN001", "run.sh", "privileged"));
        assert_ne!(a, fingerprint("RUN001", "other.sh", "privileged"));
        assert_eq!(a.len(), 16);
    }
}
