//! YAML (compose files) into the same positioned tree as JSON, built from
//! yaml-rust2's marked events. Every scalar stays a string; aliases are
//! copies of their anchor, and `<<` merge keys (compose's `<<: *common`)
//! merge their mapping in, as Docker Compose reads them. Aliases may expand
//! to at most MAX_NODES nodes in all, so an alias bomb is an error, not a
//! few gigabytes.

use super::tree::{Member, Node, Value};
use crate::lint::finding::Pos;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

/// Nesting deeper than this is refused (hostile input).
const MAX_DEPTH: usize = 256;

/// The most nodes a document may have, aliases expanded: a 1 MiB compose
/// file of short scalars has about 200 000.
const MAX_NODES: usize = 500_000;

/// The first document of `text` (an empty file is null).
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, false)
        .map_err(|e| YamlError { pos: pos_of(e.marker()), message: e.info().to_string() })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.root.unwrap_or(Node::new(Pos::START, Value::Null)))
}

fn pos_of(mark: &Marker) -> Pos {
    Pos::new(mark.line().max(1), mark.col() + 1)
}

enum Frame {
    Seq { pos: Pos, anchor: usize, items: Vec<Node> },
    Map { pos: Pos, anchor: usize, members: Vec<Member>, key: Option<(String, Pos)> },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Each anchor's node and its size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes made so far, copies of aliases included.
    nodes: usize,
    error: Option<YamlError>,
}

/// The number of nodes in `node`.
fn size(node: &Node) -> usize {
    1 + match &node.value {
        Value::Array(items) => items.iter().map(size).sum(),
        Value::Object(members) => members.iter().map(|m| 1 + size(&m.value)).sum(),
        _ => 0,
    }
}

/// `members` with each `<<` member's mapping (or list of mappings) merged
/// in: keys already present win, as YAML's merge key has it.
fn merge_keys(members: Vec<Member>) -> Vec<Member> {
    if !members.iter().any(|m| m.key == "<<") {
        return members;
    }
    let (merges, mut own): (Vec<Member>, Vec<Member>) = members.into_iter().partition(|m| m.key == "<<");
    for merge in merges {
        let sources = match merge.value.value {
            Value::Object(members) => vec![members],
            Value::Array(items) => items
                .into_iter()
                .filter_map(|n| match n.value {
                    Value::Object(members) => Some(members),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for member in sources.into_iter().flatten() {
            if !own.iter().any(|m| m.key == member.key) {
                own.push(member);
            }
        }
    }
    own
}

impl Builder {
    fn add(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let nodes = size(&node);
            self.anchors.insert(anchor, (node.clone(), nodes));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { members, key, .. }) => match key.take() {
                None => {
                    let text = node.as_str().unwrap_or("").to_string();
                    *key = Some((text, node.pos));
                }
                Some((key, key_pos)) => members.push(Member { key, key_pos, value: node }),
            },
        }
    }

    fn push(&mut self, frame: Frame, mark: &Marker) {
        if self.stack.len() >= MAX_DEPTH {
            self.error.get_or_insert(YamlError { pos: pos_of(mark), message: "nested too deeply".into() });
        }
        self.stack.push(frame);
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return; // the document is refused; build no more of it
        }
        let pos = pos_of(&mark);
        self.nodes += 1;
        match event {
            Event::Scalar(text, _, anchor, _) => self.add(Node::new(pos, Value::String(text)), anchor),
            Event::SequenceStart(anchor, _) => self.push(Frame::Seq { pos, anchor, items: Vec::new() }, &mark),
            Event::MappingStart(anchor, _) => {
                self.push(Frame::Map { pos, anchor, members: Vec::new(), key: None }, &mark)
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => self.add(Node::new(pos, Value::Array(items)), anchor),
                Some(Frame::Map { pos, anchor, members, .. }) => {
                    self.add(Node::new(pos, Value::Object(merge_keys(members))), anchor)
                }
                None => {}
            },
            Event::Alias(id) => {
                let (node, nodes) = self.anchors.get(&id).cloned().unwrap_or((Node::new(pos, Value::Null), 1));
                self.nodes += nodes;
                if self.nodes > MAX_NODES {
                    let message = format!("aliases expand past {MAX_NODES} nodes (an alias bomb?)");
                    self.error = Some(YamlError { pos, message });
                    return;
                }
                self.add(Node { pos, ..node }, 0)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_positions() {
        let text = "services:\n  worker:\n    image: w\n    ports:\n      - \"5001:5001\"\n    privileged: true\n";
        let node = parse(text).unwrap();
        let worker = node.at(&["services", "worker"]).unwrap();
        assert_eq!(worker.member("ports").unwrap().key_pos, Pos::new(4, 5));
        assert_eq!(worker.get("ports").unwrap().items()[0].pos, Pos::new(5, 9));
        assert_eq!(worker.get("privileged").unwrap().as_bool(), Some(true));
    }

    #[test]
    fn errors_and_aliases() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1);
        let node = parse("x: &v {k: 1}\ny: *v\n").unwrap();
        assert_eq!(node.at(&["y", "k"]).unwrap().as_str(), Some("1"));
    }

    #[test]
    fn merge_keys_merge_and_own_keys_win() {
        let text = "x: &common {privileged: \"true\", image: a}\ns:\n  <<: *common\n  image: b\nt:\n  <<: [*common]\n";
        let node = parse(text).unwrap();
        assert_eq!(node.at(&["s", "privileged"]).unwrap().as_str(), Some("true"));
        assert_eq!(node.at(&["s", "image"]).unwrap().as_str(), Some("b"));
        assert!(node.at(&["s", "<<"]).is_none());
        assert_eq!(node.at(&["t", "image"]).unwrap().as_str(), Some("a"));
    }

    #[test]
    fn an_alias_bomb_is_an_error_not_gigabytes() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let prev = (b'a' + level - 1) as char;
            let this = (b'a' + level) as char;
            text.push_str(&format!("{this}: &{this} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
    }
}
