//! `--format tty`: each finding with the source line and a caret under the
//! column, colours when wanted (the CLI honours NO_COLOR and non-terminals).

use crate::lint::{Finding, Report, Severity};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// `source(path)` gives a file's text for the snippet.
pub fn render<'a>(report: &Report, source: &dyn Fn(&str) -> Option<&'a str>, color: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&finding(f, source(&f.path), &paint));
        out.push('\n');
    }
    let (e, w, n) = (report.count(Severity::Error), report.count(Severity::Warning), report.count(Severity::Note));
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let files = plural(report.files, "file");
    let suppressed = if report.suppressed > 0 { format!(" ({} suppressed)", report.suppressed) } else { String::new() };
    if report.findings.is_empty() {
        out.push_str(&format!("no findings in {files}{suppressed}\n"));
    } else {
        out.push_str(&format!(
            "{}, {}, {} in {files}{suppressed}\n",
            plural(e, "error"),
            plural(w, "warning"),
            plural(n, "note")
        ));
    }
    out
}

fn finding(f: &Finding, text: Option<&str>, paint: &Paint) -> String {
    let colour = match f.severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Note => "1;36",
    };
    let mut out = format!("{}: {}\n", paint.wrap(colour, &format!("{}[{}]", f.severity, f.rule)), f.message);
    let gutter = f.pos.line.to_string().len();
    let pad = " ".repeat(gutter);
    out.push_str(&format!("{pad}{} {}:{}:{}\n", paint.wrap("1;34", "-->"), f.path, f.pos.line, f.pos.col));
    if let Some(line) = text.and_then(|t| t.lines().nth(f.pos.line.saturating_sub(1))) {
        let bar = paint.wrap("1;34", "|");
        // Tabs stay tabs in the caret line so the caret lines up.
        let lead: String =
            line.chars().take(f.pos.col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        let shown: String = line.chars().map(|c| if c.is_control() && c != '\t' { '?' } else { c }).collect();
        out.push_str(&format!("{pad} {bar}\n"));
        out.push_str(&format!("{} {bar} {shown}\n", paint.wrap("1;34", &f.pos.line.to_string())));
        out.push_str(&format!("{pad} {bar} {lead}{} {}\n", paint.wrap(colour, "^"), f.name));
    }
    out
}
