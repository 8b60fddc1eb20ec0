//! Manifest diagnostics: a message, where it happened, and a hint, rendered like
//! rustc does (`--> file:line:col`, the source line, a caret).

use super::yaml::Pos;

/// Characters of a source line shown under a diagnostic (more when the caret is
/// further right).
const MAX_SHOWN_LINE: usize = 200;

/// One problem found in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, lowercase, user values in backticks.
    pub message: String,
    /// Where, when known.
    pub pos: Option<Pos>,
    /// How many characters the caret underlines (at least 1).
    pub width: usize,
    /// How to fix it.
    pub hint: Option<String>,
    /// A second location that explains the first (e.g. the first definition).
    pub note: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `pos` underlining `width` characters.
    pub fn at(pos: Pos, width: usize, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            pos: Some(pos),
            width: width.max(1),
            hint: None,
            note: None,
        }
    }

    /// Add a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Add a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Render against the source text, naming the file as `file`.
    pub fn render(&self, file: &str, src: &str) -> String {
        let mut out = format!("error: {}", self.message);
        let mut pad = String::from(" ");
        if let Some(pos) = self.pos {
            let full = src.lines().nth(pos.line.saturating_sub(1)).unwrap_or("");
            // A hostile one-line manifest must not be echoed whole.
            let keep = pos
                .col
                .saturating_add(self.width)
                .saturating_add(40)
                .max(MAX_SHOWN_LINE);
            // Control characters (a terminal escape, a NUL) are never echoed.
            let mut line_text: String = full
                .chars()
                .take(keep)
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        '\u{fffd}'
                    } else {
                        c
                    }
                })
                .collect();
            if full.chars().nth(keep).is_some() {
                line_text.push('…');
            }
            let num = pos.line.to_string();
            pad = " ".repeat(num.len());
            // Columns count characters; the caret line reuses the line's own tabs.
            let lead: String = line_text
                .chars()
                .take(pos.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!(
                "\n{pad}--> {file}:{}:{}\n{pad} |\n{num} | {line_text}\n{pad} | {lead}{}",
                pos.line,
                pos.col,
                "^".repeat(self.width)
            ));
        } else {
            out.push_str(&format!("\n  --> {file}"));
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("\n{pad} = note: {note}"));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n{pad} = help: {hint}"));
        }
        out
    }
}

/// Levenshtein distance, for "did you mean" hints.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate within a small edit distance, if any.
pub fn did_you_mean<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (distance(&input, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_caret_under_the_spot() {
        let src = "project: shop\nservices:\n  users:\n    engnie: postgres\n";
        let d = Diagnostic::at(Pos { line: 4, col: 5 }, 6, "unknown key `engnie`")
            .hint("did you mean `engine`?");
        assert_eq!(
            d.render("dbps.yaml", src),
            "error: unknown key `engnie`\n --> dbps.yaml:4:5\n  |\n4 |     engnie: postgres\n  |     ^^^^^^\n  = help: did you mean `engine`?"
        );
    }

    #[test]
    fn long_lines_are_cut_and_control_characters_never_echoed() {
        let src = format!("project: x\u{1b}[2J{}\n", "y".repeat(10_000));
        let shown = Diagnostic::at(Pos { line: 1, col: 11 }, 1, "m").render("f", &src);
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(shown.contains("project: x\u{fffd}[2J"), "{shown}");
        assert!(shown.len() < 400, "{}", shown.len());
        assert!(shown.contains('…'));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("engnie", &["engine", "version"]),
            Some("engine")
        );
        assert_eq!(
            did_you_mean("postgress", &["postgres", "redis"]),
            Some("postgres")
        );
        assert_eq!(did_you_mean("zzzzzz", &["engine", "port"]), None);
        assert_eq!(did_you_mean("x", &["port"]), None);
    }
}
