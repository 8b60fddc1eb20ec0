//! Line-oriented key/value files: `.env` files, Dockerfile `ENV` lines, and INI /
//! `.properties` / simple TOML files (keys prefixed by their `[section]`).
//!
//! Comments are dropped, `export` is accepted, quotes are removed, and every entry keeps
//! its line. Anything that is not a `key=value` line is skipped, never an error.

use crate::doctor::model::Entry;

/// Parse a `.env` file.
pub fn parse_env(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let l = l.strip_prefix("export ").unwrap_or(l).trim_start();
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        let key = k.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            continue;
        }
        out.push(Entry::new(key, &unquote_env(v), line));
    }
    out
}

fn unquote_env(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(rest) = v.strip_prefix(q) {
            return rest.split(q).next().unwrap_or(rest).to_string();
        }
    }
    // Unquoted: ` #` starts a comment.
    match v.find(" #") {
        Some(pos) => v[..pos].trim_end().to_string(),
        None => v.to_string(),
    }
}

/// Parse the `ENV` instructions of a Dockerfile (`ENV K=V K2=V2` and `ENV K V`).
pub fn parse_dockerfile(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let l = raw.trim();
        let Some(rest) = l.strip_prefix("ENV ").or_else(|| l.strip_prefix("env ")) else {
            continue;
        };
        let rest = rest.trim().trim_end_matches('\\').trim();
        if rest.contains('=') {
            for pair in split_shell_words(rest) {
                if let Some((k, v)) = pair.split_once('=') {
                    out.push(Entry::new(k, &unquote_env(v), line));
                }
            }
        } else if let Some((k, v)) = rest.split_once(char::is_whitespace) {
            out.push(Entry::new(k, &unquote_env(v), line));
        }
    }
    out
}

/// The image the final stage of a Dockerfile is built `FROM`, following stage names
/// (`FROM postgres:16 AS base` … `FROM base`), so a directory that only customises a
/// database image can be told apart from a service.
pub fn dockerfile_base(text: &str) -> Option<String> {
    let mut stages: Vec<(Option<String>, String)> = Vec::new();
    for raw in text.lines() {
        let mut words = raw.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
            continue;
        }
        let mut words = words.skip_while(|w| w.starts_with("--"));
        let Some(image) = words.next() else { continue };
        let name = match (words.next(), words.next()) {
            (Some(kw), Some(n)) if kw.eq_ignore_ascii_case("AS") => Some(n.to_ascii_lowercase()),
            _ => None,
        };
        let image = stages
            .iter()
            .find(|(n, _)| n.as_deref() == Some(image.to_ascii_lowercase().as_str()))
            .map_or_else(|| image.to_string(), |(_, base)| base.clone());
        stages.push((name, image));
    }
    stages.pop().map(|(_, image)| image)
}

fn split_shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parse INI, `.properties` and flat TOML: `[section]` prefixes keys with `section.`.
pub fn parse_ini(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut section = String::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') || l.starts_with('!') {
            continue;
        }
        if l.starts_with('[') && l.ends_with(']') {
            section = l.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        let split = l.find(['=', ':']);
        let Some(pos) = split else { continue };
        let key = l[..pos].trim();
        let value = l[pos + 1..].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let full = if section.is_empty() {
            key.to_string()
        } else {
            format!("{section}.{key}")
        };
        out.push(Entry::new(&full, &unquote_env(value), line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files() {
        let e = parse_env(
            "# DATABASE_URL=postgres://old\nexport A=1\nB=\"x y\" \nC=plain # note\nnot a line\n",
        );
        let kv: Vec<_> = e
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_deref().unwrap_or(""), e.line))
            .collect();
        assert_eq!(kv, [("A", "1", 2), ("B", "x y", 3), ("C", "plain", 4)]);
    }

    #[test]
    fn dockerfile_env() {
        let e =
            parse_dockerfile("FROM x\nENV DB_HOST=db DB_NAME=\"orders\"\nENV LEGACY value here\n");
        let kv: Vec<_> = e
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            kv,
            [
                ("DB_HOST", "db"),
                ("DB_NAME", "orders"),
                ("LEGACY", "value here")
            ]
        );
    }

    #[test]
    fn dockerfile_final_base_image() {
        assert_eq!(
            dockerfile_base("FROM postgres:16-alpine\nCOPY init /docker-entrypoint-initdb.d/\n")
                .as_deref(),
            Some("postgres:16-alpine")
        );
        assert_eq!(
            dockerfile_base(
                "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN go build\nFROM gcr.io/distroless/base\n"
            )
            .as_deref(),
            Some("gcr.io/distroless/base")
        );
        assert_eq!(
            dockerfile_base("from mysql:8 as db\nfrom db\n").as_deref(),
            Some("mysql:8")
        );
        assert_eq!(dockerfile_base("ENV A=1\n"), None);
    }

    #[test]
    fn ini_sections() {
        let e = parse_ini("[database]\nhost = db\nname: shop\n; x=y\n");
        assert_eq!(e[0].key, "database.host");
        assert_eq!(e[1].value.as_deref(), Some("shop"));
    }
}
