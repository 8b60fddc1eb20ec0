//! A forgiving YAML tree with line numbers, for the files `doctor` audits.
//!
//! Compose files and Kubernetes manifests use anchors, aliases, `<<` merge keys and
//! multi-document streams, and every piece of evidence must point at a line. This
//! module turns yaml-rust2 parser events into [`Yaml`] nodes that keep their 1-based
//! line, resolve aliases by copy, and apply merge keys. It never panics: malformed
//! input becomes an `Err` with the parser's message, which callers report as a note.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting accepted, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;
/// Most nodes an alias expansion may copy in one document ("billion laughs" guard).
const MAX_NODES: usize = 1_000_000;

/// A YAML node and the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Yaml {
    /// 1-based line.
    pub line: u32,
    /// The node's content.
    pub value: Value,
}

/// The content of a [`Yaml`] node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar, as text (numbers and booleans too).
    Scalar(String),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// A mapping, keys in source order.
    Map(Vec<(Yaml, Yaml)>),
    /// An empty value or `~`/`null`.
    Null,
}

impl Yaml {
    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Yaml, Yaml)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Yaml]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under a scalar key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        self.as_map()?
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Follow a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Yaml> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The scalar under `key`.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Yaml::as_str)
    }
}

/// Parse every document of a YAML stream.
pub fn parse_documents(text: &str) -> Result<Vec<Yaml>, String> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    // Pull events one by one: yaml-rust2's `load` recurses once per nesting level, so
    // deeply indented input would overflow a walker thread's stack (an abort, not a
    // note) long before the builder's depth check could stop it.
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, mark)) => {
                builder.on_event(event, mark);
                if let Some(err) = builder.error {
                    return Err(err);
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    builder.docs.retain(|d| d.value != Value::Null);
    Ok(builder.docs)
}

/// Parse a single-document YAML text (the first document of a stream).
pub fn parse(text: &str) -> Result<Yaml, String> {
    Ok(parse_documents(text)?.into_iter().next().unwrap_or(Yaml {
        line: 1,
        value: Value::Null,
    }))
}

/// Flatten a tree into `a.b.c`-style entries (sequences as `a[0]`), keeping lines.
pub fn flatten(node: &Yaml, prefix: &str, sep: &str, out: &mut Vec<crate::doctor::model::Entry>) {
    match &node.value {
        Value::Scalar(s) => out.push(crate::doctor::model::Entry::new(prefix, s, node.line)),
        Value::Null => {}
        Value::Map(entries) => {
            for (k, v) in entries {
                let Some(key) = k.as_str() else { continue };
                let full = if prefix.is_empty() {
                    key.to_string()
                } else {
                    format!("{prefix}{sep}{key}")
                };
                if let Value::Scalar(s) = &v.value {
                    out.push(crate::doctor::model::Entry::new(&full, s, k.line));
                } else {
                    flatten(v, &full, sep, out);
                }
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(item, &format!("{prefix}[{i}]"), sep, out);
            }
        }
    }
}

enum Frame {
    Seq {
        line: u32,
        anchor: usize,
        items: Vec<Yaml>,
    },
    Map {
        line: u32,
        anchor: usize,
        entries: Vec<(Yaml, Yaml)>,
        key: Option<Yaml>,
    },
}

#[derive(Default)]
struct Builder {
    docs: Vec<Yaml>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Yaml>,
    copied: usize,
    error: Option<String>,
}

fn line_of(mark: &Marker) -> u32 {
    u32::try_from(mark.line()).unwrap_or(u32::MAX).max(1)
}

fn count(node: &Yaml) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count(k) + count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

impl Builder {
    fn push_node(&mut self, node: Yaml, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if k.as_str() == Some("<<") {
                        merge_into(entries, node);
                    } else {
                        entries.push((k, node));
                    }
                }
            },
        }
    }
}

/// Apply a `<<` merge: keys already present win over merged ones.
fn merge_into(entries: &mut Vec<(Yaml, Yaml)>, source: Yaml) {
    let sources = match source.value {
        Value::Map(_) => vec![source],
        Value::Seq(items) => items,
        _ => return,
    };
    for src in sources {
        if let Value::Map(src_entries) = src.value {
            for (k, v) in src_entries {
                let present = entries.iter().any(|(existing, _)| {
                    existing.as_str().is_some() && existing.as_str() == k.as_str()
                });
                if !present {
                    entries.push((k, v));
                }
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = line_of(&mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = matches!(style, TScalarStyle::Plain);
                let value = if plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else {
                    Value::Scalar(text)
                };
                self.push_node(Yaml { line, value }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.error = Some("YAML nested too deeply".into());
                    return;
                }
                self.stack.push(Frame::Seq {
                    line,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.error = Some("YAML nested too deeply".into());
                    return;
                }
                self.stack.push(Frame::Map {
                    line,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    line,
                    anchor,
                    items,
                }) => self.push_node(
                    Yaml {
                        line,
                        value: Value::Seq(items),
                    },
                    anchor,
                ),
                Some(Frame::Map {
                    line,
                    anchor,
                    entries,
                    ..
                }) => self.push_node(
                    Yaml {
                        line,
                        value: Value::Map(entries),
                    },
                    anchor,
                ),
                None => self.error = Some("unbalanced YAML".into()),
            },
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(Yaml {
                    line,
                    value: Value::Null,
                });
                self.copied = self.copied.saturating_add(count(&node));
                if self.copied > MAX_NODES {
                    self.error = Some("YAML aliases expand too far".into());
                    return;
                }
                self.push_node(node, 0);
            }
            Event::DocumentEnd => {
                // An empty document produces no node; keep positions aligned by skipping it.
                self.stack.clear();
                self.copied = 0;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::Nothing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_and_merges() {
        let text = "x-env: &env\n  A: 1\n  B: 2\nsvc:\n  environment:\n    <<: *env\n    B: 3\n";
        let doc = parse(text).unwrap();
        let env = doc.path(&["svc", "environment"]).unwrap();
        assert_eq!(env.str_at("A"), Some("1"));
        assert_eq!(env.str_at("B"), Some("3"));
        assert_eq!(doc.get("svc").unwrap().line, 5);
    }

    #[test]
    fn multi_document() {
        let docs = parse_documents("a: 1\n---\nb: 2\n---\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].get("b").unwrap().line, 3);
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        assert!(parse("a: [1, 2\nb: {").is_err());
        assert!(parse("\t- x: : :").is_err() || parse("\t- x: : :").is_ok());
    }

    #[test]
    fn deeply_nested_block_yaml_is_an_error_not_a_stack_overflow() {
        // Regression: 600 levels of block nesting aborted the whole audit.
        let text: String = std::iter::once("a:\n".to_string())
            .chain((1..5000).map(|i| format!("{}- b:\n", "  ".repeat(i))))
            .collect();
        let run = move || parse_documents(&text).is_err();
        // A small stack, like a walker thread's, so the test fails fast if it recurses.
        let nested = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(run)
            .map(|h| h.join());
        assert!(matches!(nested, Ok(Ok(true))));
    }

    #[test]
    fn null_and_quoted() {
        let doc = parse("a: ~\nb: \"null\"\nc:\n").unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Null);
        assert_eq!(doc.str_at("b"), Some("null"));
        assert_eq!(doc.get("c").unwrap().value, Value::Null);
    }
}
