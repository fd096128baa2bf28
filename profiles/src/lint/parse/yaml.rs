//! YAML (compose files) into the same positioned tree as JSON, built from
//! yaml-rust2's marked events. Every scalar stays a string; aliases are
//! copies of their anchor.

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
    anchors: HashMap<usize, Node>,
    error: Option<YamlError>,
}

impl Builder {
    fn add(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
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
        let pos = pos_of(&mark);
        match event {
            Event::Scalar(text, _, anchor, _) => self.add(Node::new(pos, Value::String(text)), anchor),
            Event::SequenceStart(anchor, _) => self.push(Frame::Seq { pos, anchor, items: Vec::new() }, &mark),
            Event::MappingStart(anchor, _) => {
                self.push(Frame::Map { pos, anchor, members: Vec::new(), key: None }, &mark)
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => self.add(Node::new(pos, Value::Array(items)), anchor),
                Some(Frame::Map { pos, anchor, members, .. }) => {
                    self.add(Node::new(pos, Value::Object(members)), anchor)
                }
                None => {}
            },
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Node::new(pos, Value::Null));
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
}
