//! `/etc/subuid` and `/etc/subgid` (shadow-utils): `owner:start:count` per
//! line, the owner a user name or a numeric uid. The one reader of the
//! format, for the userns generator (which reads the host's files) and the
//! linter (which reads anyone's).
//!
//! Blank lines and lines starting with `#` hold no range and are skipped:
//! shadow-utils' own tools never write them, but they ignore lines they do
//! not parse, so neither may cinch refuse them. Every id of a range must be
//! a valid id (below `(uid_t)-1`).

use std::ops::Range;

/// The largest id plus one: `(uid_t)-1` is not an id.
pub const MAX_ID: u64 = u32::MAX as u64;

/// One line of a subuid or subgid file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubIdRange {
    pub owner: String,
    pub start: u64,
    pub count: u64,
    /// 1-based line in its file.
    pub line: usize,
}

impl SubIdRange {
    pub fn ids(&self) -> Range<u64> {
        self.start..self.end()
    }

    /// One past the last id.
    pub fn end(&self) -> u64 {
        self.start + self.count
    }
}

/// A line that is not `owner:start:count`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SubIdError {
    pub line: usize,
    pub message: String,
}

pub fn parse(text: &str) -> Result<Vec<SubIdRange>, SubIdError> {
    let mut ranges = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let bad = |message: String| SubIdError { line, message };
        let fields: Vec<&str> = trimmed.split(':').collect();
        let [owner, start, count] = fields[..] else {
            return Err(bad(format!("expected owner:start:count, found {trimmed:?}")));
        };
        if owner.is_empty() {
            return Err(bad("the owner is empty".into()));
        }
        let number = |field: &str, what: &str| {
            field
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= MAX_ID)
                .ok_or_else(|| bad(format!("{what} {field:?} is not an id")))
        };
        let (start, count) = (number(start, "start")?, number(count, "count")?);
        if start + count > MAX_ID {
            return Err(bad(format!("{trimmed:?} runs past the last id ({})", MAX_ID - 1)));
        }
        ranges.push(SubIdRange { owner: owner.to_string(), start, count, line });
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_with_their_lines() {
        let ranges = parse("# made by hand\n\nmascot:100000:65536\n1000:165536:65536\n").unwrap();
        assert_eq!(ranges.len(), 2);
        assert_eq!((ranges[0].owner.as_str(), ranges[0].start, ranges[0].line), ("mascot", 100_000, 3));
        assert_eq!((ranges[1].owner.as_str(), ranges[1].ids()), ("1000", 165_536..231_072));
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(parse("a:100000:65536\nb:x:1\n").unwrap_err().to_string(), "line 2: start \"x\" is not an id");
        assert!(parse("a:1\n").unwrap_err().message.starts_with("expected owner:start:count"));
        assert!(parse(":1:1\n").unwrap_err().message.contains("owner is empty"));
        assert!(parse("a:4294967000:65536\n").unwrap_err().message.contains("runs past the last id"));
        assert!(parse("a:99999999999:1\n").unwrap_err().message.contains("is not an id"));
    }
}
