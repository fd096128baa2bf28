//! What a rule is and what it reports.

use serde::Serialize;
use std::fmt;

/// A place in a file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, col: 1 };

    pub fn new(line: usize, col: usize) -> Pos {
        Pos { line, col }
    }
}

/// How bad a finding is. `--fail-on` compares against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which artifacts a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// The linter itself: files it cannot read, suppressions.
    General,
    Seccomp,
    Apparmor,
    Userns,
    Dockerfile,
    /// `docker run` flags, in scripts and compose files.
    Run,
    Oci,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::General => "general",
            Group::Seccomp => "seccomp",
            Group::Apparmor => "apparmor",
            Group::Userns => "userns",
            Group::Dockerfile => "dockerfile",
            Group::Run => "run",
            Group::Oci => "oci",
        }
    }
}

/// A lint rule: a stable ID, a name, a default severity, a one-line summary
/// and a doc in three parts (what it checks, why it matters, an example).
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub group: Group,
    pub severity: Severity,
    pub summary: &'static str,
    pub doc: &'static str,
}

/// One problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub path: String,
    pub pos: Pos,
    pub rule: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// Collects the findings of the rules run on one file.
#[derive(Debug)]
pub struct Check<'a> {
    path: &'a str,
    findings: Vec<Finding>,
    /// Findings past MAX_FINDINGS, counted, and where the first was.
    dropped: usize,
    first_dropped: Pos,
}

/// The most findings one file reports: a hostile file with half a million
/// bad entries gets these and one LINT004 that counts the rest, not a
/// hundred megabytes of output.
pub const MAX_FINDINGS: usize = 1000;

impl<'a> Check<'a> {
    pub fn new(path: &'a str) -> Check<'a> {
        Check { path, findings: Vec::new(), dropped: 0, first_dropped: Pos::START }
    }

    pub fn report(&mut self, rule: &'static Rule, pos: Pos, message: impl Into<String>) {
        if self.findings.len() >= MAX_FINDINGS {
            if self.dropped == 0 {
                self.first_dropped = pos;
            }
            self.dropped += 1;
            return;
        }
        self.findings.push(Finding {
            path: self.path.to_string(),
            pos,
            rule: rule.id,
            name: rule.name,
            severity: rule.severity,
            message: message.into(),
        });
    }

    pub fn into_findings(mut self) -> Vec<Finding> {
        if self.dropped > 0 {
            let rule = &crate::lint::rules::general::not_read::RULE;
            self.findings.push(Finding {
                path: self.path.to_string(),
                pos: self.first_dropped,
                rule: rule.id,
                name: rule.name,
                severity: rule.severity,
                message: format!(
                    "{} more findings from here on are not reported (at most {MAX_FINDINGS} a file)",
                    self.dropped
                ),
            });
        }
        self.findings
    }
}
