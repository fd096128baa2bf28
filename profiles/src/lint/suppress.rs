//! Inline suppressions: `# cinch: ignore=ID[,ID...] reason`, on the line of
//! the finding or alone on the line above it.

use super::finding::Pos;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inline {
    /// Where the comment is.
    pub pos: Pos,
    /// The line whose findings it suppresses.
    pub target: usize,
    pub rules: Vec<String>,
    pub reason: String,
}

const MARK: &str = "cinch: ignore=";

pub fn inline(text: &str) -> Vec<Inline> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(at) = line.find(MARK) else { continue };
        let Some(hash) = line[..at].rfind('#') else { continue };
        if !line[hash + 1..at].trim().is_empty() {
            continue; // `# something cinch: ignore=` is prose, not a suppression
        }
        let rest = &line[at + MARK.len()..];
        let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let rules = ids.split(',').filter(|s| !s.is_empty()).map(|s| s.trim().to_string()).collect();
        let alone = line[..hash].trim().is_empty();
        let target = if alone {
            // The next line that is neither blank nor a comment.
            lines[index + 1..]
                .iter()
                .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map_or(index + 1, |offset| index + 2 + offset)
        } else {
            index + 1
        };
        out.push(Inline {
            pos: Pos::new(index + 1, line[..hash].chars().count() + 1),
            target,
            rules,
            reason: reason.trim().to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_line_and_line_above() {
        let text = "a\n# cinch: ignore=DF001,DF008 base image is pinned by the registry mirror\n\n# other\nFROM x\nUSER root # cinch: ignore=DF001\n";
        let found = inline(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].target, 5);
        assert_eq!(found[0].rules, ["DF001", "DF008"]);
        assert_eq!(found[0].reason, "base image is pinned by the registry mirror");
        assert_eq!(found[1].target, 6);
        assert_eq!(found[1].reason, "");
        assert_eq!(found[1].pos, Pos::new(6, 11));
    }
}
