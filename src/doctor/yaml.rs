//! A forgiving YAML tree with line numbers, for the files `doctor` audits.
//!
//! Compose files and Kubernetes manifests use anchors, aliases, `<<` merge keys and
//! multi-document streams, and every piece of evidence must point at a line. This
//! module turns yaml-rust2 parser events into [`Yaml`] nodes that keep their 1-based
//! line, resolve aliases by copy, and apply merge keys.
//!
//! **Whatever the deployment tools accept is read.** docker compose and kubectl parse
//! with libyaml descendants (PyYAML, go-yaml), which accept forms that YAML 1.2 and so
//! yaml-rust2 reject, and real repositories rely on them. Text the strict parser
//! rejects gets a second try after [`relax`] has rewritten those forms, line numbers
//! intact. The corpus test (`scripts/yaml-corpus.sh`) holds both to PyYAML's verdicts.
//!
//! Hostile input is bounded per file, not per document: nesting depth, and the nodes
//! alias expansion may copy ("billion laughs"). Hitting a bound, like text that neither
//! try parses, is an `Err` with a message that callers report; it never panics.

mod relax;

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting accepted, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;
/// Most nodes alias expansion may copy in one file, over all its documents together: a
/// stream of small "billion laughs" documents must not multiply the budget.
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

/// Parse every document of a YAML stream: as YAML 1.2, else as libyaml reads it.
pub fn parse_documents(text: &str) -> Result<Vec<Yaml>, String> {
    match parse_strict(text) {
        Err(Failure::Syntax(e)) => match relax::relax(text) {
            Some(relaxed) => parse_strict(&relaxed).map_err(|relaxed_err| match relaxed_err {
                Failure::Limit(limit) => limit,
                // The message about the text as written, not as rewritten.
                Failure::Syntax(_) => e,
            }),
            None => Err(e),
        },
        Err(Failure::Limit(e)) => Err(e),
        Ok(docs) => Ok(docs),
    }
}

/// Why a parse failed: the text's syntax (the relaxed text may still parse), or one of
/// this module's bounds (final).
enum Failure {
    Syntax(String),
    Limit(String),
}

fn parse_strict(text: &str) -> Result<Vec<Yaml>, Failure> {
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
                    return Err(Failure::Limit(err));
                }
            }
            Err(e) => return Err(Failure::Syntax(e.to_string())),
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
    /// Nodes alias expansion has copied so far in this file.
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
                    self.error = Some(format!("YAML nested too deeply (over {MAX_DEPTH} levels)"));
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
                    self.error = Some(format!("YAML nested too deeply (over {MAX_DEPTH} levels)"));
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
                // Counted over the whole file: never reset between documents.
                self.copied = self.copied.saturating_add(count(&node));
                if self.copied > MAX_NODES {
                    self.error = Some(format!(
                        "YAML aliases expand too far (over {MAX_NODES} nodes in this file)"
                    ));
                    return;
                }
                self.push_node(node, 0);
            }
            Event::DocumentEnd => {
                // An empty document produces no node; keep positions aligned by skipping it.
                self.stack.clear();
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

    /// The scalar at `path` in the first document, and its line.
    fn at(text: &str, path: &[&str]) -> Option<(String, u32)> {
        let doc = parse(text).ok()?;
        let node = doc.path(path)?;
        Some((node.as_str()?.to_string(), node.line))
    }

    #[test]
    fn what_docker_compose_accepts_parses() {
        // Regression (issue 9, shape 8): each of these made a whole compose file a note.
        // PyYAML and go-yaml accept them; YAML 1.2 (yaml-rust2) does not.
        let env = ["services", "web", "environment"];
        let flow_same_indent = "services:\n  web:\n    environment: { A: \"1\",\n    B: \"2\" }\n";
        assert_eq!(
            at(flow_same_indent, &[&env[..], &["B"]].concat()),
            Some(("2".into(), 4))
        );
        let flow_left = "services:\n  web:\n    environment: { A: \"1\",\nB: \"2\" }\n";
        assert_eq!(
            at(flow_left, &[&env[..], &["B"]].concat()),
            Some(("2".into(), 4))
        );
        let closing_left = "x:\n  env: {\n    A: 1\n}\n";
        assert_eq!(at(closing_left, &["x", "env", "A"]), Some(("1".into(), 3)));
        let seq = "services:\n  web:\n    ports: [ \"80:80\",\n    \"443:443\" ]\n";
        let doc = parse(seq).unwrap();
        let ports = doc
            .path(&["services", "web", "ports"])
            .unwrap()
            .as_seq()
            .unwrap();
        assert_eq!((ports[1].as_str(), ports[1].line), (Some("443:443"), 4));
        let cmd = ["services", "web", "command"];
        for quoted in [
            "services:\n  web:\n    command: \"run --a\n    --b\"\n",
            "services:\n  web:\n    command: 'run --a\n--b'\n",
        ] {
            assert_eq!(
                at(quoted, &cmd),
                Some(("run --a --b".into(), 3)),
                "{quoted}"
            );
        }
        assert_eq!(at("a:\t1\nb:\t2\n", &["b"]), Some(("2".into(), 2)));
        assert_eq!(at("a: \"x\n\ty\"\n", &["a"]), Some(("x y".into(), 1)));
        let long_ports =
            "services:\n  db:\n    ports:\n      - target: 5432\n        published: ${PG_PORT}\n";
        let doc = parse(long_ports).unwrap();
        let port = &doc
            .path(&["services", "db", "ports"])
            .unwrap()
            .as_seq()
            .unwrap()[0];
        assert_eq!(
            (port.str_at("published"), port.line),
            (Some("${PG_PORT}"), 4)
        );
    }

    #[test]
    fn text_neither_reading_accepts_keeps_the_message_about_the_text_as_written() {
        let err = parse("a: b: c\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let err = parse("a: {x: 1,\nb: 2\nc: [").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(parse("a: [1, 2\nb: {").is_err());
    }

    /// A document whose aliases copy about 670 000 nodes: under the bound alone.
    fn laughs() -> String {
        let mut doc = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x]\n");
        for level in 1..6 {
            let prev = format!("*l{}", level - 1);
            let items = [prev.as_str(); 9].join(", ");
            doc.push_str(&format!("l{level}: &l{level} [{items}]\n"));
        }
        doc
    }

    #[test]
    fn the_alias_expansion_bound_is_per_file_not_per_document() {
        // Regression (issue 11): the count restarted at every document, so 20 small
        // documents cost 20 times the bound (24 s, 5.8 GB).
        let one = laughs();
        assert!(parse_documents(&one).is_ok());
        let two = format!("{one}---\n{one}");
        let err = parse_documents(&two).unwrap_err();
        assert!(err.contains("aliases expand too far"), "{err}");
    }

    /// A tree as `scripts/yaml-corpus.py` writes libyaml's: `{"s"|"seq"|"map", "l"}`,
    /// mappings as `get` sees them (a later key wins), sorted by key.
    fn view(node: &Yaml) -> serde_json::Value {
        use serde_json::json;
        match &node.value {
            Value::Null => json!({ "l": node.line, "s": null }),
            Value::Scalar(s) => json!({ "l": node.line, "s": s }),
            Value::Seq(items) => json!({ "seq": items.iter().map(view).collect::<Vec<_>>() }),
            Value::Map(entries) => effective(entries.iter().map(|(k, v)| (view(k), view(v)))),
        }
    }

    fn effective(
        entries: impl IntoIterator<Item = (serde_json::Value, serde_json::Value)>,
    ) -> serde_json::Value {
        let mut out: Vec<(serde_json::Value, serde_json::Value)> = Vec::new();
        for (k, v) in entries {
            let key = |k: &serde_json::Value| k.get("s").cloned().unwrap_or_else(|| k.clone());
            match out
                .iter_mut()
                .find(|(existing, _)| key(existing) == key(&k))
            {
                Some(slot) => *slot = (k, v),
                None => out.push((k, v)),
            }
        }
        out.sort_by_key(|(k, _)| k.get("s").unwrap_or(k).to_string());
        serde_json::json!({ "map": out.into_iter().map(|(k, v)| serde_json::json!([k, v])).collect::<Vec<_>>() })
    }

    /// libyaml's tree in the same form.
    fn expected_view(tree: &serde_json::Value) -> serde_json::Value {
        if let Some(items) = tree.get("seq").and_then(|s| s.as_array()) {
            return serde_json::json!({ "seq": items.iter().map(expected_view).collect::<Vec<_>>() });
        }
        match tree.get("map").and_then(|m| m.as_array()) {
            Some(entries) => effective(
                entries
                    .iter()
                    .map(|pair| (expected_view(&pair[0]), expected_view(&pair[1]))),
            ),
            None => tree.clone(),
        }
    }

    /// Drop our line wherever libyaml's tree has none (block scalars, empty nodes), and
    /// compare block scalars without their final line breaks, as the corpus has them.
    fn align_lines(ours: &mut serde_json::Value, expected: &serde_json::Value) {
        if let Some(o) = ours.as_object_mut()
            && expected.get("s").is_some()
        {
            if expected.get("l").is_none() {
                o.remove("l");
            }
            if expected.get("b").is_some() {
                let trimmed = o
                    .get("s")
                    .and_then(|s| s.as_str())
                    .map(|s| s.trim_end_matches('\n').to_string());
                o.insert("s".into(), trimmed.into());
                o.insert("b".into(), true.into());
            }
        }
        for field in ["seq", "map"] {
            if let (Some(o), Some(e)) = (
                ours.get_mut(field).and_then(|v| v.as_array_mut()),
                expected.get(field).and_then(|v| v.as_array()),
            ) {
                for (o, e) in o.iter_mut().zip(e) {
                    if field == "map" {
                        align_lines(&mut o[0], &e[0]);
                        align_lines(&mut o[1], &e[1]);
                    } else {
                        align_lines(o, e);
                    }
                }
            }
        }
    }

    #[test]
    fn conformance_corpus() {
        // The corpus is built by scripts/yaml-corpus.sh (PyYAML, PyYAML's test data,
        // yaml-rust2's spec examples); scripts/test.sh sets the variable.
        let Ok(path) = std::env::var("DBPS_YAML_CORPUS") else {
            eprintln!("*** skipped: DBPS_YAML_CORPUS is not set (scripts/test.sh builds it) ***");
            return;
        };
        let text = std::fs::read_to_string(&path).expect("corpus");
        let corpus: serde_json::Value = serde_json::from_str(&text).expect("corpus JSON");
        let cases = corpus["cases"].as_array().expect("cases");
        assert!(cases.len() > 300, "only {} cases in {path}", cases.len());
        let mut failures = Vec::new();
        let (mut parsed, mut compared) = (0, 0);
        for case in cases {
            let id = case["id"].as_str().unwrap_or("?");
            let input = case["text"].as_str().unwrap_or_default();
            let ours = parse_documents(input);
            if case["must_parse"] == true {
                match &ours {
                    Ok(_) => parsed += 1,
                    Err(e) => failures.push(format!("{id}: rejected: {e}")),
                }
            }
            if let (Ok(docs), Some(expected)) = (&ours, case["libyaml"].as_array()) {
                compared += 1;
                let expected: Vec<_> = expected.iter().map(expected_view).collect();
                let mut ours: Vec<_> = docs.iter().map(view).collect();
                for (o, e) in ours.iter_mut().zip(&expected) {
                    align_lines(o, e);
                }
                if ours != expected {
                    failures.push(format!(
                        "{id}: differs from libyaml\n  ours:    {}\n  libyaml: {}",
                        serde_json::Value::from(ours),
                        serde_json::Value::from(expected)
                    ));
                }
            }
        }
        eprintln!("yaml corpus: {parsed} cases parsed, {compared} trees equal to libyaml's");
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
