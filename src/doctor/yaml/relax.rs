//! Rewrite what libyaml accepts but YAML 1.2 rejects, so the strict parser reads it too.
//!
//! docker compose (PyYAML in v1, go-yaml in v2) and kubectl (go-yaml) descend from
//! libyaml, which checks no indentation inside flow collections and quoted scalars and
//! takes a tab as the space after `:`. Real compose files rely on it: `{ A: "1",` with
//! `B: "2" }` on the next line at the key's own indentation, a quoted command continued
//! at column 0, `KEY:<tab>value`. This pass changes only white space (and one `%`)
//! inside lines and never adds or removes a line, so every line number stays true:
//!
//! - a continuation line of a flow collection or quoted scalar that spans lines is
//!   indented past the line that opened it (its leading white space is not content: YAML
//!   folds it away), and a blank one loses its white space;
//! - a tab right after a `:` value indicator becomes a space;
//! - an alias key `*name: value` becomes `*name : value` (libyaml ends the name at `:`);
//! - a `%YAML` directive becomes a comment (1.1 needed no `...` before it).
//!
//! Block scalars (`|`, `>`) are copied untouched, and so is every line outside those
//! constructs. It is only a fallback for text the strict parser rejected
//! ([`super::parse_documents`]); it tracks quotes, flow brackets, comments and block
//! scalars line by line, and is deliberately approximate elsewhere.

/// What is still open at the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// Plain block context.
    Nothing,
    /// Inside flow brackets and/or a quoted scalar; continuation lines must be indented
    /// more than `col`.
    Flow {
        depth: usize,
        quote: Option<u8>,
        col: usize,
    },
    /// Inside a block scalar whose parent node is at `parent` (`None`: the document).
    BlockScalar { parent: Option<usize> },
}

/// The relaxed text, or `None` when nothing needed rewriting.
pub fn relax(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut open = Open::Nothing;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let (body, end) = split_end(line);
        if is_document_marker(body) {
            open = Open::Nothing;
        }
        let rewritten = match open {
            Open::BlockScalar { parent } if in_block_scalar(body, parent) => None,
            Open::Flow { depth, quote, col } => {
                let (new, state) = continuation(body, depth, quote, col);
                open = state;
                new
            }
            _ => {
                let (new, state) = block_line(body);
                open = state;
                new
            }
        };
        match rewritten {
            Some(new) => {
                changed |= new != body;
                out.push_str(&new);
            }
            None => out.push_str(body),
        }
        out.push_str(end);
    }
    changed.then_some(out)
}

/// A line without its line break (`\n` or `\r\n`), and the break.
fn split_end(line: &str) -> (&str, &str) {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let body = body.strip_suffix('\r').unwrap_or(body);
    (body, &line[body.len()..])
}

fn is_document_marker(body: &str) -> bool {
    (body.starts_with("---") || body.starts_with("..."))
        && body[3..].chars().next().is_none_or(char::is_whitespace)
}

/// Whether a line is still block-scalar content: blank, or indented past the parent.
fn in_block_scalar(body: &str, parent: Option<usize>) -> bool {
    let indent = body.len() - body.trim_start_matches(' ').len();
    body.trim().is_empty() || parent.is_none_or(|p| indent > p) && !is_document_marker(body)
}

/// A continuation line inside a flow collection or quoted scalar opened on an earlier
/// line: indented past `col`, then scanned on.
fn continuation(body: &str, depth: usize, quote: Option<u8>, col: usize) -> (Option<String>, Open) {
    let content = body.trim_start_matches([' ', '\t']);
    if content.is_empty() {
        // A blank line inside a flow construct is a line break, whatever its spaces.
        return (Some(String::new()), Open::Flow { depth, quote, col });
    }
    let lead = &body[..body.len() - content.len()];
    let width = if lead.contains('\t') {
        col + 1
    } else {
        lead.len().max(col + 1)
    };
    let mut line = " ".repeat(width);
    line.push_str(content);
    let scan = Scan::new(depth, quote, col).run(&line, width);
    (Some(scan.text), scan.open)
}

/// A line in block context: where its node starts, then scanned.
fn block_line(body: &str) -> (Option<String>, Open) {
    if let Some(version) = body.strip_prefix("%YAML") {
        // YAML 1.1 allowed a directive right after a document without `...`; the version
        // says nothing the doctor uses, so it becomes a comment.
        return (Some(format!("#YAML{version}")), Open::Nothing);
    }
    if is_document_marker(body) {
        // `--- |` starts a block scalar whose parent is the document itself.
        let scan = Scan::new(0, None, 0).run(body, 3);
        return (Some(scan.text), scan.open);
    }
    let indent = body.len() - body.trim_start_matches(' ').len();
    let mut col = indent;
    let bytes = body.as_bytes();
    // `- - value`: the node starts after the sequence indicators.
    while bytes.get(col) == Some(&b'-') && bytes.get(col + 1).is_some_and(|b| *b == b' ') {
        col += 2;
        while bytes.get(col) == Some(&b' ') {
            col += 1;
        }
    }
    let scan = Scan::new(0, None, col)
        .with_dash(indent, col > indent)
        .run(body, indent);
    (Some(scan.text), scan.open)
}

/// The scanner of one line's content.
struct Scan {
    depth: usize,
    quote: Option<u8>,
    /// Where continuation lines of a construct opened here must be indented past.
    col: usize,
    /// Column of the last block sequence indicator on the line, if the line has one.
    dash: Option<usize>,
    text: String,
    open: Open,
}

impl Scan {
    fn new(depth: usize, quote: Option<u8>, col: usize) -> Self {
        Scan {
            depth,
            quote,
            col,
            dash: None,
            text: String::new(),
            open: Open::Nothing,
        }
    }

    fn with_dash(mut self, indent: usize, has_dash: bool) -> Self {
        self.dash = has_dash.then_some(indent);
        self
    }

    /// Scan `line` from byte `from` (everything before it is white space or sequence
    /// indicators); the result is in `text` and `open`.
    fn run(mut self, line: &str, from: usize) -> Self {
        let b = line.as_bytes();
        let mut out = b.to_vec();
        let mut token_start = true;
        let mut key_col = None;
        let mut inserts = Vec::new();
        let mut i = from;
        while i < b.len() {
            let c = b[i];
            let next = b.get(i + 1).copied();
            if let Some(q) = self.quote {
                i += match (q, c) {
                    (b'\'', b'\'') if next == Some(b'\'') => 2,
                    (b'"', b'\\') => 2,
                    (_, c) if c == q => {
                        self.quote = None;
                        token_start = false;
                        1
                    }
                    _ => 1,
                };
                continue;
            }
            let after_space = i == 0 || matches!(b[i - 1], b' ' | b'\t');
            match c {
                b' ' | b'\t' => {}
                b'#' if after_space => break,
                b'"' | b'\'' if token_start => self.quote = Some(c),
                b'[' | b'{' if token_start || self.depth > 0 => {
                    self.depth += 1;
                    token_start = true;
                }
                b']' | b'}' if self.depth > 0 => {
                    self.depth -= 1;
                    token_start = false;
                }
                b',' if self.depth > 0 => token_start = true,
                b':' if next.is_none_or(|n| matches!(n, b' ' | b'\t'))
                    || (self.depth > 0 && !token_start) =>
                {
                    // A tab as the separator after `:` is libyaml's, not YAML 1.2's.
                    let mut j = i + 1;
                    while let Some(t) = out.get_mut(j).filter(|t| matches!(**t, b' ' | b'\t')) {
                        *t = b' ';
                        j += 1;
                    }
                    token_start = true;
                }
                b'-' | b'?' if token_start && next.is_none_or(|n| n == b' ') => {}
                b'&' | b'*' if token_start => {
                    // libyaml ends an anchor's name at the first character that is not
                    // alphanumeric, `-` or `_`; YAML 1.2 only at white space, so
                    // `*anchor: value` would alias `anchor:`. Spell it `*anchor : value`.
                    while b
                        .get(i + 1)
                        .is_some_and(|n| n.is_ascii_alphanumeric() || matches!(n, b'-' | b'_'))
                    {
                        i += 1;
                    }
                    if c == b'*'
                        && b.get(i + 1) == Some(&b':')
                        && b.get(i + 2).is_none_or(|n| matches!(n, b' ' | b'\t'))
                    {
                        inserts.push(i + 1);
                    }
                }
                b'!' if token_start => {
                    // A tag runs to the next white space.
                    while b
                        .get(i + 1)
                        .is_some_and(|n| !matches!(n, b' ' | b'\t' | b',' | b']' | b'}'))
                    {
                        i += 1;
                    }
                }
                b'|' | b'>' if token_start && self.depth == 0 && is_block_header(&b[i + 1..]) => {
                    let parent = key_col.or(self.dash);
                    self.open = Open::BlockScalar { parent };
                    self.text = with_spaces(&out, &inserts);
                    return self;
                }
                _ => {
                    if token_start && self.depth == 0 {
                        key_col = Some(i);
                    }
                    token_start = false;
                }
            }
            i += 1;
        }
        self.open = if self.depth > 0 || self.quote.is_some() {
            Open::Flow {
                depth: self.depth,
                quote: self.quote,
                col: self.col,
            }
        } else {
            Open::Nothing
        };
        self.text = with_spaces(&out, &inserts);
        self
    }
}

/// `line` with a space inserted before each byte offset in `at` (ascending).
fn with_spaces(line: &[u8], at: &[usize]) -> String {
    let mut out = Vec::with_capacity(line.len() + at.len());
    let mut from = 0;
    for &i in at {
        out.extend_from_slice(&line[from..i]);
        out.push(b' ');
        from = i;
    }
    out.extend_from_slice(&line[from..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether what follows `|` or `>` is a block scalar header's rest: indicators, then
/// white space, a comment or the end of the line.
fn is_block_header(rest: &[u8]) -> bool {
    let n = rest
        .iter()
        .take_while(|c| matches!(c, b'1'..=b'9' | b'+' | b'-'))
        .count();
    match rest.get(n) {
        None => true,
        Some(b' ' | b'\t') => {
            let tail = String::from_utf8_lossy(&rest[n..]);
            let tail = tail.trim_start();
            tail.is_empty() || tail.starts_with('#')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::relax;

    #[test]
    fn flow_continuations_are_indented_past_their_key() {
        let text =
            "services:\n  web:\n    environment: { A: \"1\",\n    B: \"2\" }\n    image: x\n";
        assert_eq!(
            relax(text).as_deref(),
            Some(
                "services:\n  web:\n    environment: { A: \"1\",\n     B: \"2\" }\n    image: x\n"
            )
        );
        let left = "x:\n  - env: {\n  A: 1\n}\n";
        assert_eq!(
            relax(left).as_deref(),
            Some("x:\n  - env: {\n     A: 1\n     }\n")
        );
    }

    #[test]
    fn quoted_continuations_are_indented_and_tabs_after_colons_are_spaces() {
        let text = "a:\n  cmd: \"run --a\n--b 'x'\"\n  b:\tc\n";
        assert_eq!(
            relax(text).as_deref(),
            Some("a:\n  cmd: \"run --a\n   --b 'x'\"\n  b: c\n")
        );
        let sq = "q: 'it''s\n\tfine'\nr: 1\r\n";
        assert_eq!(relax(sq).as_deref(), Some("q: 'it''s\n fine'\nr: 1\r\n"));
    }

    #[test]
    fn block_scalars_comments_and_plain_text_are_untouched() {
        for text in [
            "a: |\n  { not: \"flow\n  b: 'x\nc: 1\n",
            "- >-\n  it's \"fine\n- x\n",
            "a: it's {not flow # and 'no' quote\nb: x\n",
            "a: \"one line\"\nb: [1, 2]\n",
            "--- |\n{ x\n---\na: 1\n",
        ] {
            assert_eq!(relax(text), None, "{text}");
        }
        // After the block scalar ends, a construct is tracked again.
        let text = "a: |\n  {\nb: {x: 1,\nc: 2}\n";
        assert_eq!(
            relax(text).as_deref(),
            Some("a: |\n  {\nb: {x: 1,\n c: 2}\n")
        );
    }
}
