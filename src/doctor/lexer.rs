//! Comment masking and string-literal spans, per language family.
//!
//! Commented-out code must never become evidence, yet a URL such as `postgres://…`
//! contains `//`. So each file is scanned once by a small state machine that knows the
//! language's strings and comments: comments are overwritten with spaces (newlines kept,
//! so byte offsets and line numbers stay valid) and the byte ranges of string literals
//! are recorded for the SQL detector. It is deliberately approximate (no nested block
//! comments, no string interpolation) and never panics.

/// How a file writes comments and strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Rust: `//`, `/* */`, raw strings, lifetimes.
    Rust,
    /// Go: `//`, `/* */`, back-quoted raw strings.
    Go,
    /// Java, Kotlin, Scala: `//`, `/* */`, text blocks.
    Java,
    /// C#: `//`, `/* */`, verbatim `@"…"` strings.
    CSharp,
    /// JavaScript and TypeScript: `//`, `/* */`, template literals.
    JavaScript,
    /// Python: `#`, triple-quoted strings.
    Python,
    /// SQL: `--`, `/* */`, `'…'` strings.
    Sql,
    /// YAML, TOML, properties, shell, Dockerfile: `#` comments.
    Hash,
    /// XML: `<!-- -->`.
    Xml,
    /// No comments (JSON).
    Plain,
}

/// A file with comments blanked out, plus where its string literals are.
#[derive(Debug, Default)]
pub struct Lexed {
    /// The text, comments replaced by spaces (same byte length, same newlines).
    pub masked: String,
    /// Byte ranges of string-literal contents (without the quotes).
    pub strings: Vec<(usize, usize)>,
}

/// Mask comments and find strings.
pub fn lex(text: &str, lang: Lang) -> Lexed {
    let src = text.as_bytes();
    let mut out = src.to_vec();
    let mut strings = Vec::new();
    let n = src.len();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in out.iter_mut().take(to).skip(from) {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let c_like = matches!(
        lang,
        Lang::Rust | Lang::Go | Lang::Java | Lang::CSharp | Lang::JavaScript
    );
    while i < n {
        let c = src[i];
        let next = src.get(i + 1).copied().unwrap_or(0);
        // Comments.
        if (c_like || lang == Lang::Sql) && c == b'/' && next == b'*' {
            let end = find(src, i + 2, b"*/").map_or(n, |e| e + 2);
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        if c_like && c == b'/' && next == b'/' {
            let end = line_end(src, i);
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        if lang == Lang::Sql && c == b'-' && next == b'-' {
            let end = line_end(src, i);
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        if (lang == Lang::Python || lang == Lang::Hash)
            && c == b'#'
            && (lang == Lang::Python || i == 0 || src[i - 1].is_ascii_whitespace())
        {
            let end = line_end(src, i);
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        if lang == Lang::Xml && src[i..].starts_with(b"<!--") {
            let end = find(src, i + 4, b"-->").map_or(n, |e| e + 3);
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        if matches!(lang, Lang::Hash | Lang::Xml | Lang::Plain) {
            i += 1;
            continue;
        }
        // Strings.
        match c {
            b'"' | b'\'' | b'`' => {
                let (start, end, resume) = string_at(src, i, lang);
                if end > start {
                    strings.push((start, end));
                }
                i = resume.max(i + 1);
            }
            _ => i += 1,
        }
    }
    Lexed {
        masked: String::from_utf8(out).unwrap_or_default(),
        strings,
    }
}

fn find(src: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from >= src.len() {
        return None;
    }
    src[from..]
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

fn line_end(src: &[u8], from: usize) -> usize {
    src[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(src.len(), |p| p + from)
}

/// The string literal starting at `i`: (content start, content end, index after it).
fn string_at(src: &[u8], i: usize, lang: Lang) -> (usize, usize, usize) {
    let n = src.len();
    let q = src[i];
    let prev = if i > 0 { src[i - 1] } else { 0 };
    // Triple quotes: Python, Java/Kotlin text blocks, C# raw strings.
    if q != b'`'
        && matches!(lang, Lang::Python | Lang::Java | Lang::CSharp)
        && src[i..].starts_with(&[q, q, q])
    {
        let start = i + 3;
        let end = find(src, start, &[q, q, q]).unwrap_or(n);
        return (start, end, (end + 3).min(n));
    }
    match (lang, q) {
        (Lang::Rust, b'\'') => {
            // 'x' or '\n' is a char; 'a in a lifetime is not a string.
            if src.get(i + 1) == Some(&b'\\') {
                let end = find(src, i + 2, b"'").unwrap_or(n);
                return (i + 1, end.min(line_end(src, i)), end + 1);
            }
            if src.get(i + 2) == Some(&b'\'') {
                return (i + 1, i + 2, i + 3);
            }
            // multibyte char literal
            let mut j = i + 1;
            while j < n && j < i + 6 && src[j] >= 0x80 {
                j += 1;
            }
            if j > i + 1 && src.get(j) == Some(&b'\'') {
                return (i + 1, j, j + 1);
            }
            return (i, i, i + 1);
        }
        (Lang::Rust, b'"') => {
            // r"…", r#"…"#, br"…"
            let mut hashes = 0;
            let mut k = i;
            while k > 0 && src[k - 1] == b'#' {
                hashes += 1;
                k -= 1;
            }
            if k > 0 && src[k - 1] == b'r' {
                let mut close = vec![b'"'];
                close.extend(std::iter::repeat_n(b'#', hashes));
                let end = find(src, i + 1, &close).unwrap_or(n);
                return (i + 1, end, end + close.len());
            }
        }
        (Lang::CSharp, b'"') if prev == b'@' || (prev == b'$' && i >= 2 && src[i - 2] == b'@') => {
            let mut j = i + 1;
            while j < n {
                if src[j] == b'"' {
                    if src.get(j + 1) == Some(&b'"') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            return (i + 1, j.min(n), j + 1);
        }
        (Lang::Go, b'`') => {
            let end = find(src, i + 1, b"`").unwrap_or(n);
            return (i + 1, end, end + 1);
        }
        (Lang::JavaScript, b'`') => {}
        (_, b'`') => return (i, i, i + 1),
        (Lang::Sql, b'"') => {
            let end = find(src, i + 1, b"\"").unwrap_or(n);
            return (i, i, end + 1);
        }
        _ => {}
    }
    // Ordinary escaped string; only Rust, JS templates and SQL span lines.
    let multiline = matches!(lang, Lang::Rust | Lang::Sql) || q == b'`';
    let mut j = i + 1;
    while j < n {
        let b = src[j];
        if b == b'\\' && lang != Lang::Sql {
            j += 2;
            continue;
        }
        if b == q {
            if lang == Lang::Sql && src.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            break;
        }
        if b == b'\n' && !multiline {
            break;
        }
        j += 1;
    }
    let end = j.min(n);
    (i + 1, end, end + 1)
}

/// The 1-based line of a byte offset, given the sorted offsets of every newline.
pub fn line_of(newlines: &[usize], offset: usize) -> u32 {
    let idx = newlines.partition_point(|&nl| nl < offset);
    u32::try_from(idx + 1).unwrap_or(u32::MAX)
}

/// Offsets of every `\n`.
pub fn newlines(text: &str) -> Vec<usize> {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(text: &str, lang: Lang) -> Vec<String> {
        let l = lex(text, lang);
        l.strings
            .iter()
            .map(|&(a, b)| text[a..b].to_string())
            .collect()
    }

    #[test]
    fn masks_comments_not_urls() {
        let src = "let u = \"postgres://a@b/c\"; // postgres://x@y/z\n/* mysql://q */ x";
        let l = lex(src, Lang::Rust);
        assert!(l.masked.contains("postgres://a@b/c"));
        assert!(!l.masked.contains("postgres://x@y/z"));
        assert!(!l.masked.contains("mysql://q"));
        assert_eq!(l.masked.len(), src.len());
    }

    #[test]
    fn rust_lifetimes_and_raw_strings() {
        let src = "fn f<'a>(x: &'a str) -> char { let q = r#\"SELECT \"x\" FROM t\"#; 'c' }";
        assert_eq!(strings(src, Lang::Rust), vec!["SELECT \"x\" FROM t", "c"]);
    }

    #[test]
    fn python_comments_and_triple_quotes() {
        let src = "# url = 'postgres://old@h/db'\nq = \"\"\"\nSELECT * FROM orders\n\"\"\"\n";
        let l = lex(src, Lang::Python);
        assert!(!l.masked.contains("old@h"));
        assert_eq!(strings(src, Lang::Python), vec!["\nSELECT * FROM orders\n"]);
    }

    #[test]
    fn sql_comments() {
        let l = lex(
            "-- SELECT * FROM a\nSELECT 'it''s -- not' FROM b; /* c */",
            Lang::Sql,
        );
        assert!(!l.masked.contains("FROM a"));
        assert!(l.masked.contains("FROM b"));
        assert!(l.masked.contains("not'"));
    }

    #[test]
    fn js_templates_and_go_raw() {
        assert_eq!(
            strings("const q = `SELECT 1\nFROM t`;", Lang::JavaScript),
            vec!["SELECT 1\nFROM t"]
        );
        assert_eq!(
            strings("q := `SELECT * FROM t`", Lang::Go),
            vec!["SELECT * FROM t"]
        );
    }

    #[test]
    fn line_numbers() {
        let nl = newlines("a\nb\nc");
        assert_eq!(line_of(&nl, 0), 1);
        assert_eq!(line_of(&nl, 2), 2);
        assert_eq!(line_of(&nl, 4), 3);
    }

    #[test]
    fn unterminated_never_panics() {
        for lang in [
            Lang::Rust,
            Lang::Go,
            Lang::Java,
            Lang::CSharp,
            Lang::JavaScript,
            Lang::Python,
            Lang::Sql,
            Lang::Hash,
            Lang::Xml,
        ] {
            for s in [
                "\"", "'", "`", "/*", "r#\"", "@\"", "\"\"\"", "'\\", "<!--", "é'", "'é",
            ] {
                let _ = lex(s, lang);
            }
        }
    }
}
