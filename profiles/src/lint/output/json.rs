//! `--format json`: a stable schema (version 1), documented in the README.

use crate::lint::Report;
use serde_json::json;

pub fn render(report: &Report, version: &str) -> String {
    let findings: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule,
                "name": f.name,
                "severity": f.severity.as_str(),
                "path": f.path,
                "line": f.pos.line,
                "column": f.pos.col,
                "message": f.message,
            })
        })
        .collect();
    let value = json!({
        "version": 1,
        "tool": {"name": "cinch", "version": version},
        "summary": {
            "files": report.files,
            "errors": report.count(crate::lint::Severity::Error),
            "warnings": report.count(crate::lint::Severity::Warning),
            "notes": report.count(crate::lint::Severity::Note),
            "suppressed": report.suppressed,
        },
        "findings": findings,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
