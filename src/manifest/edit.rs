//! Editing the user's manifest text in place, keeping comments, order and formatting
//! (as `cargo add` does for `Cargo.toml`): new services are inserted as text at the
//! end of the `services:` block, indented like their siblings. The caller re-validates
//! the result before writing it.

use std::path::Path;

/// The manifest cannot be edited automatically.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    /// `services` is written in flow style (`services: {a: …}`).
    #[error(
        "line {0}: `services` is written in flow style (`{{…}}`), which dbps cannot extend without reformatting it\n  = help: rewrite `services` as an indented block, or add the service by hand"
    )]
    FlowStyle(usize),
}

/// What to add.
#[derive(Debug, Clone)]
pub struct NewService<'a> {
    /// Service name.
    pub name: &'a str,
    /// Relative path.
    pub path: &'a Path,
    /// Engine name as written in the manifest.
    pub engine: &'a str,
}

/// A YAML scalar for `text`: plain when that is unambiguous, else single-quoted.
fn yaml_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
        && !text.starts_with(['-', '.']);
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

fn is_top_level_key(line: &str) -> bool {
    let first = line.chars().next();
    matches!(first, Some(c) if !c.is_whitespace() && c != '#')
}

fn strip_comment(text: &str) -> &str {
    // Good enough for the `services:` line itself, which holds no quoted `#`.
    match text.find(" #") {
        Some(i) => &text[..i],
        None if text.trim_start().starts_with('#') => "",
        None => text,
    }
}

/// Return `src` with `service` appended to the `services` mapping.
pub fn add_service(src: &str, service: &NewService) -> Result<String, EditError> {
    let newline = if src.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = src.split_inclusive('\n').collect();
    let header = lines.iter().position(|l| {
        let l = l.trim_end();
        l == "services:"
            || l.starts_with("services:") && (l.as_bytes()[9] == b' ' || l.as_bytes()[9] == b'\t')
    });
    let block = |indent: &str| {
        format!(
            "{i}{name}:{nl}{i}{i}path: {path}{nl}{i}{i}database:{nl}{i}{i}{i}engine: {engine}{nl}",
            i = indent,
            nl = newline,
            name = service.name,
            path = yaml_quote(&service.path.display().to_string()),
            engine = service.engine,
        )
    };
    let Some(header) = header else {
        let mut out = src.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        out.push_str(&format!("services:{newline}"));
        out.push_str(&block("  "));
        return Ok(out);
    };
    let header_line = lines[header].trim_end_matches(['\r', '\n']);
    let value = strip_comment(&header_line["services:".len()..]).trim();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
    match value {
        "" => {}
        "{}" | "~" | "null" => {
            // An empty mapping: keep any trailing comment, drop the empty value.
            let comment = header_line
                .find(" #")
                .map(|i| &header_line[i..])
                .unwrap_or("");
            out[header] = format!("services:{comment}{newline}");
        }
        _ => return Err(EditError::FlowStyle(header + 1)),
    }
    // The block runs until the next top-level key; insert after its last content line.
    let mut end = header + 1;
    let mut last_content = header;
    let mut indent: Option<String> = None;
    while end < lines.len() && !is_top_level_key(lines[end]) {
        let trimmed = lines[end].trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            last_content = end;
            if indent.is_none() {
                let width = lines[end].len() - lines[end].trim_start().len();
                indent = Some(lines[end][..width].to_string());
            }
        }
        end += 1;
    }
    let indent = indent.unwrap_or_else(|| "  ".to_string());
    if !out[last_content].ends_with('\n') {
        out[last_content].push_str(newline);
    }
    out.insert(last_content + 1, block(&indent));
    Ok(out.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc<'a>(name: &'a str, path: &'a Path) -> NewService<'a> {
        NewService {
            name,
            path,
            engine: "postgres",
        }
    }

    #[test]
    fn appends_to_an_existing_block_keeping_comments() {
        let src = "# my project\nproject: shop # inline\nservices:\n    # the users\n    users:\n        database:\n            engine: redis\n\n# trailing comment about doctor\ndoctor: {}\n";
        let out = add_service(src, &svc("orders", Path::new("services/orders"))).unwrap();
        assert_eq!(
            out,
            "# my project\nproject: shop # inline\nservices:\n    # the users\n    users:\n        database:\n            engine: redis\n    orders:\n        path: services/orders\n        database:\n            engine: postgres\n\n# trailing comment about doctor\ndoctor: {}\n"
        );
    }

    #[test]
    fn fills_an_empty_mapping() {
        let src = "project: p\nservices: {} # none yet\n# example:\n#   users: ...\n";
        let out = add_service(src, &svc("a", Path::new("services/a"))).unwrap();
        assert_eq!(
            out,
            "project: p\nservices: # none yet\n  a:\n    path: services/a\n    database:\n      engine: postgres\n# example:\n#   users: ...\n"
        );
    }

    #[test]
    fn adds_a_missing_services_key() {
        let out = add_service("project: p", &svc("a", Path::new("x/a"))).unwrap();
        assert_eq!(
            out,
            "project: p\nservices:\n  a:\n    path: x/a\n    database:\n      engine: postgres\n"
        );
    }

    #[test]
    fn odd_paths_are_quoted() {
        let out = add_service("project: p\n", &svc("a", Path::new("my dir #2/it's"))).unwrap();
        assert!(out.contains("    path: 'my dir #2/it''s'\n"), "{out}");
        let m = crate::manifest::Manifest::parse(&out, "dbps.yaml").unwrap();
        assert_eq!(m.services[0].path, Path::new("my dir #2/it's"));
    }

    #[test]
    fn refuses_flow_style() {
        let err = add_service(
            "project: p\nservices: {a: {database: {engine: redis}}}\n",
            &svc("b", Path::new("b")),
        )
        .unwrap_err();
        assert_eq!(err, EditError::FlowStyle(2));
    }

    #[test]
    fn keeps_crlf() {
        let out = add_service(
            "project: p\r\nservices:\r\n  a:\r\n    database: {engine: redis}\r\n",
            &svc("b", Path::new("b")),
        )
        .unwrap();
        assert!(
            out.ends_with("    database:\r\n      engine: postgres\r\n"),
            "{out:?}"
        );
        assert!(!out.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn result_still_validates() {
        let src = "project: p\nservices:\n  a:\n    database:\n      engine: redis\n";
        let out = add_service(src, &svc("b", Path::new("services/b"))).unwrap();
        let m = crate::manifest::Manifest::parse(&out, "dbps.yaml").unwrap();
        assert_eq!(m.services.len(), 2);
    }
}
