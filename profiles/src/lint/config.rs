//! `.cinch.toml`: findings to ignore (per path and rule, with a reason) and
//! severity overrides.
//!
//! ```toml
//! [[ignore]]
//! path = "legacy/**"        # optional glob on the path as cinch lint prints it
//! rule = "RUN010"
//! reason = "the legacy host only listens on the VPN"
//!
//! [severity]
//! DF008 = "note"            # error, warning, note, or off
//! ```

use super::finding::{Finding, Severity};
use super::rules;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub ignores: Vec<Ignore>,
    /// Rule ID → its severity, or None for off.
    pub severity: BTreeMap<String, Option<Severity>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ignore {
    pub path: Option<String>,
    pub rule: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: line {line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    path: Option<String>,
    rule: String,
    reason: String,
}

pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    let error = |offset: usize, message: String| ConfigError {
        file: file.to_string(),
        line: crate::line_of(text, offset),
        message,
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        error(offset, e.message().to_string())
    })?;
    let mut config = Config::default();
    for spanned in raw.ignore {
        let offset = spanned.span().start;
        let ignore = spanned.into_inner();
        let Some(rule) = rules::find(&ignore.rule) else {
            return Err(error(offset, format!("ignore: unknown rule {:?} (cinch explain lists them)", ignore.rule)));
        };
        if ignore.reason.trim().is_empty() {
            return Err(error(offset, format!("ignore of {}: the reason is empty", rule.id)));
        }
        config.ignores.push(Ignore { path: ignore.path, rule: rule.id.to_string(), reason: ignore.reason });
    }
    for (id, value) in raw.severity {
        let offset = value.span().start;
        let Some(rule) = rules::find(&id) else {
            return Err(error(offset, format!("severity: unknown rule {id:?}")));
        };
        let severity = match value.get_ref().as_str() {
            "off" => None,
            other => Some(Severity::parse(other).ok_or_else(|| {
                error(offset, format!("severity of {id}: {other:?} is not error, warning, note or off"))
            })?),
        };
        config.severity.insert(rule.id.to_string(), severity);
    }
    Ok(config)
}

impl Config {
    /// Whether an ignore entry covers `finding`.
    pub fn ignores(&self, finding: &Finding) -> bool {
        let path = finding.path.strip_prefix("./").unwrap_or(&finding.path);
        self.ignores
            .iter()
            .any(|i| i.rule == finding.rule && i.path.as_deref().is_none_or(|glob| glob_matches(glob, path)))
    }
}

/// `*` (within a path segment), `**` (any segments) and `?`.
pub fn glob_matches(glob: &str, path: &str) -> bool {
    fn matches(g: &[u8], p: &[u8]) -> bool {
        match g {
            [] => p.is_empty(),
            [b'*', b'*', b'/', rest @ ..] => matches(rest, p) || (!p.is_empty() && matches(g, &p[1..])),
            [b'*', b'*', rest @ ..] => (0..=p.len()).any(|i| matches(rest, &p[i..])),
            [b'*', rest @ ..] => {
                (0..=p.len()).take_while(|&i| i == 0 || p[i - 1] != b'/').any(|i| matches(rest, &p[i..]))
            }
            [b'?', rest @ ..] => !p.is_empty() && p[0] != b'/' && matches(rest, &p[1..]),
            [c, rest @ ..] => p.first() == Some(c) && matches(rest, &p[1..]),
        }
    }
    matches(glob.strip_prefix("./").unwrap_or(glob).as_bytes(), path.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("legacy/**", "legacy/a/b.sh"));
        assert!(glob_matches("**/*.json", "a/b/c.json"));
        assert!(glob_matches("**/*.json", "c.json"));
        assert!(!glob_matches("*.json", "a/c.json"));
        assert!(glob_matches("deploy/run-?.sh", "deploy/run-1.sh"));
    }

    #[test]
    fn errors_name_the_line() {
        let err =
            parse("[[ignore]]\nrule = \"RUN010\"\n\n[[ignore]]\nrule = \"NOPE1\"\nreason = \"x\"\n", ".cinch.toml")
                .unwrap_err();
        assert!(err.to_string().starts_with(".cinch.toml: line ") && err.message.contains("reason"), "{err}");
        let err = parse("[severity]\nDF008 = \"loud\"\n", ".cinch.toml").unwrap_err();
        assert_eq!(err.line, 2);
        let config = parse(
            "[[ignore]]\npath = \"a/*\"\nrule = \"run010\"\nreason = \"vpn only\"\n[severity]\nDF008 = \"off\"\n",
            "c",
        )
        .unwrap();
        assert_eq!(config.ignores[0].rule, "RUN010");
        assert_eq!(config.severity["DF008"], None);
    }
}
