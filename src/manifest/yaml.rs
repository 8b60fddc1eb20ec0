//! A small YAML tree that remembers where every node came from.
//!
//! serde-based parsers drop positions, and the manifest's diagnostics must point at
//! the exact line and column, including for duplicate keys (which a map type would
//! silently merge). So the manifest is read as yaml-rust2 parser events into this
//! tree, keeping every key, in order, with its position.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting accepted; a manifest never needs more, and a limit keeps hostile
/// input from exhausting the stack.
const MAX_DEPTH: usize = 64;

/// A 1-based line and column in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
}

impl Pos {
    fn from_marker(m: &Marker) -> Self {
        Self {
            line: m.line().max(1),
            col: m.col() + 1,
        }
    }
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What it holds.
    pub kind: Kind,
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A scalar, as written (after YAML unquoting); `quoted` if it had quotes.
    Scalar {
        /// The text.
        value: String,
        /// Whether it was written in quotes (so `"16"` stays a string).
        quoted: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, keys in source order, duplicates kept.
    Map(Vec<(Node, Node)>),
    /// An alias (`*name`): not supported in manifests.
    Alias,
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Whether this is the YAML null (`~`, `null`, or nothing).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { value, quoted: false } if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A short name for the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "nothing",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
            Kind::Alias => "an alias",
        }
    }
}

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where it happened.
    pub pos: Pos,
    /// What the parser said.
    pub message: String,
}

enum Frame {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
    error: Option<SyntaxError>,
}

impl Builder {
    fn push_node(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }

    fn open(&mut self, frame: Frame, pos: Pos) {
        if self.stack.len() >= MAX_DEPTH {
            if self.error.is_none() {
                self.error = Some(SyntaxError {
                    pos,
                    message: format!("nesting deeper than {MAX_DEPTH} levels"),
                });
            }
            return;
        }
        self.stack.push(frame);
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = Pos::from_marker(&mark);
        match ev {
            Event::Scalar(value, style, _, _) => self.push_node(Node {
                pos,
                kind: Kind::Scalar {
                    value,
                    quoted: !matches!(style, TScalarStyle::Plain),
                },
            }),
            Event::Alias(_) => self.push_node(Node {
                pos,
                kind: Kind::Alias,
            }),
            Event::SequenceStart(..) => self.open(Frame::Seq(pos, Vec::new()), pos),
            Event::MappingStart(..) => self.open(Frame::Map(pos, Vec::new(), None), pos),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(pos, items)) => Node {
                        pos,
                        kind: Kind::Seq(items),
                    },
                    // A block mapping's start mark lies after its first key;
                    // the first key is where a reader looks for it.
                    Some(Frame::Map(pos, entries, _)) => Node {
                        pos: entries.first().map_or(pos, |(key, _)| key.pos),
                        kind: Kind::Map(entries),
                    },
                    None => return,
                };
                self.push_node(node);
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// Parse YAML text into positioned documents.
pub fn parse(src: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(src);
    // Pull events one by one: yaml-rust2's `load` recurses once per nesting level,
    // which hostile input could turn into a stack overflow before any depth check.
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, mark)) => {
                builder.on_event(event, mark);
                if builder.error.is_some() {
                    break;
                }
            }
            Err(err) => {
                return Err(SyntaxError {
                    pos: Pos::from_marker(err.marker()),
                    message: err.info().to_string(),
                });
            }
        }
    }
    match builder.error {
        Some(err) => Err(err),
        None => Ok(builder.docs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_duplicate_keys() {
        let docs = parse("a: 1\nb:\n  c: x\nb: 2\n").unwrap();
        let Kind::Map(entries) = &docs[0].kind else {
            panic!("expected a map")
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].0.pos, Pos { line: 2, col: 1 });
        let Kind::Map(inner) = &entries[1].1.kind else {
            panic!("expected a map")
        };
        assert_eq!(inner[0].0.pos, Pos { line: 3, col: 3 });
        assert_eq!(entries[2].0.pos, Pos { line: 4, col: 1 });
    }

    #[test]
    fn quoted_scalars_are_marked() {
        let docs = parse("v: \"16\"\nw: 16\n").unwrap();
        let Kind::Map(entries) = &docs[0].kind else {
            panic!("expected a map")
        };
        assert!(matches!(
            entries[0].1.kind,
            Kind::Scalar { quoted: true, .. }
        ));
        assert!(matches!(
            entries[1].1.kind,
            Kind::Scalar { quoted: false, .. }
        ));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1);
        assert!(!err.message.is_empty());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        // Flow nesting is capped by the parser; block nesting used to recurse.
        for src in ["[".repeat(10_000), "- ".repeat(100_000) + "x\n"] {
            let err = parse(&src).unwrap_err();
            assert!(!err.message.is_empty());
        }
        let err = parse(&("- ".repeat(100_000) + "x\n")).unwrap_err();
        assert_eq!(
            err.message,
            format!("nesting deeper than {MAX_DEPTH} levels")
        );
    }
}
