//! `--format github`: workflow commands that GitHub Actions shows as
//! annotations on the pull request.

use crate::lint::{Report, Severity};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        out.push_str(&format!(
            "::{command} file={},line={},col={},title={}::{}\n",
            property(&f.path),
            f.pos.line,
            f.pos.col,
            property(&format!("{} {}", f.rule, f.name)),
            data(&f.message)
        ));
    }
    out
}

fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
