//! /etc/subuid and /etc/subgid: `owner:start:count` per line.

use crate::lint::finding::Pos;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubRange {
    pub pos: Pos,
    /// A user name or a numeric uid.
    pub owner: String,
    pub start: u64,
    pub count: u64,
}

impl SubRange {
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.count)
    }
}

pub fn parse(text: &str) -> Result<Vec<SubRange>, (Pos, String)> {
    let mut ranges = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let pos = Pos::new(index + 1, 1);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = trimmed.split(':').collect();
        let [owner, start, count] = fields.as_slice() else {
            return Err((pos, format!("expected owner:start:count, found {trimmed:?}")));
        };
        let number = |field: &str, what: &str| {
            field.parse::<u64>().map_err(|_| (pos, format!("{what} {field:?} is not a number")))
        };
        if owner.is_empty() {
            return Err((pos, "the owner is empty".into()));
        }
        ranges.push(SubRange {
            pos,
            owner: owner.to_string(),
            start: number(start, "start")?,
            count: number(count, "count")?,
        });
    }
    Ok(ranges)
}
