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
                "properties": {"tags": ["security", r.group.as_str()]},
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
                json!({"uri": uri_escape(path), "uriBaseId": "%SRCROOT%"})
            };
            json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": {"text": f.message},
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
                "informationUri": "https://example.invalid/cinch",
                "rules": rule_objects,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
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
