//! Service scaffolding: render the embedded templates in memory (pure), then write
//! them all-or-nothing into a temporary directory that is moved into place.
//!
//! Template layout: `templates/common/` plus `templates/<engine>/` (an engine file
//! replaces a common file at the same path). Every template name ends in `.tera`,
//! which is dropped; a path part starting with `dot-` becomes a dotfile, so git and
//! cargo never mistake the templates for live files.

mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;

use include_dir::{Dir, DirEntry, include_dir};

pub use write::{WriteError, write_atomically};

use crate::engine::Engine;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// One rendered file, relative to the service directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Relative output path.
    pub path: PathBuf,
    /// File contents.
    pub contents: String,
}

/// Rendering failed: a bug in the embedded templates, never in user input.
#[derive(Debug, thiserror::Error)]
#[error("rendering template `{template}`: {message}")]
pub struct RenderError {
    /// The template that failed.
    pub template: String,
    /// Tera's explanation, flattened.
    pub message: String,
}

/// What the templates are rendered with.
#[derive(Debug, Clone)]
pub struct ServiceTemplate<'a> {
    /// Service name (DNS-safe).
    pub name: &'a str,
    /// The engine the service owns.
    pub engine: Engine,
}

fn collect<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(d) => collect(d, out),
            DirEntry::File(f) => out.push(f),
        }
    }
}

/// Map a template path (below its engine folder) to the output path.
fn output_path(relative: &std::path::Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    let mut parts = relative.components().peekable();
    while let Some(part) = parts.next() {
        let mut name = part.as_os_str().to_str()?.to_string();
        if parts.peek().is_none() {
            name = name.strip_suffix(".tera")?.to_string();
        }
        if let Some(rest) = name.strip_prefix("dot-") {
            name = format!(".{rest}");
        }
        out.push(name);
    }
    Some(out)
}

/// Render the files of a new service, sorted by path. Pure: touches no disk.
pub fn render(template: &ServiceTemplate) -> Result<Vec<RenderedFile>, RenderError> {
    let mut sources: BTreeMap<PathBuf, (String, &str)> = BTreeMap::new();
    for folder in ["common", template.engine.spec().template()] {
        let Some(dir) = TEMPLATES.get_dir(folder) else {
            continue;
        };
        let mut files = Vec::new();
        collect(dir, &mut files);
        for file in files {
            let Ok(relative) = file.path().strip_prefix(folder) else {
                continue;
            };
            let Some(out) = output_path(relative) else {
                continue;
            };
            let text = file.contents_utf8().ok_or_else(|| RenderError {
                template: file.path().display().to_string(),
                message: "not UTF-8".into(),
            })?;
            sources.insert(out, (file.path().display().to_string(), text));
        }
    }
    let mut tera = tera::Tera::default();
    tera.autoescape_on(Vec::new());
    let mut context = tera::Context::new();
    context.insert("name", template.name);
    context.insert("crate_name", &template.name.replace('-', "_"));
    context.insert("engine", template.engine.spec().template());
    context.insert("dbps_version", env!("CARGO_PKG_VERSION"));
    sources
        .into_iter()
        .map(|(path, (template_name, text))| {
            let contents = tera.render_str(text, &context).map_err(|err| RenderError {
                template: template_name.clone(),
                message: error_chain(&err),
            })?;
            Ok(RenderedFile { path, contents })
        })
        .collect()
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn engine(name: &str) -> Engine {
        Engine::parse(name).unwrap()
    }

    #[test]
    fn output_paths() {
        assert_eq!(
            output_path(std::path::Path::new("dot-gitignore.tera")),
            Some(PathBuf::from(".gitignore"))
        );
        assert_eq!(
            output_path(std::path::Path::new("src/main.rs.tera")),
            Some(PathBuf::from("src/main.rs"))
        );
        assert_eq!(output_path(std::path::Path::new("notes.txt")), None);
    }

    #[test]
    fn every_engine_renders_a_complete_service() {
        for name in Engine::names() {
            let files = render(&ServiceTemplate {
                name: "order-api",
                engine: engine(name),
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
            for required in [
                "Cargo.toml",
                "Dockerfile",
                "README.md",
                ".gitignore",
                "src/main.rs",
                "tests/api.rs",
            ] {
                assert!(
                    paths.iter().any(|p| p == required),
                    "{name}: missing {required} in {paths:?}"
                );
            }
            let cargo = &files
                .iter()
                .find(|f| f.path == Path::new("Cargo.toml"))
                .unwrap()
                .contents;
            assert!(cargo.contains("name = \"order-api\""), "{name}: {cargo}");
            let gitignore = &files
                .iter()
                .find(|f| f.path == Path::new(".gitignore"))
                .unwrap()
                .contents;
            assert!(
                gitignore.lines().any(|l| l.trim() == ".env"),
                "{name}: .env must be ignored"
            );
            for file in &files {
                assert!(
                    !file.contents.contains("{{"),
                    "{name}: unrendered tag in {}",
                    file.path.display()
                );
                assert!(!file.path.to_string_lossy().contains(".tera"));
            }
        }
    }

    #[test]
    fn sql_engines_ship_migrations() {
        for name in ["postgres", "mysql", "mariadb"] {
            let files = render(&ServiceTemplate {
                name: "users",
                engine: engine(name),
            })
            .unwrap();
            assert!(
                files.iter().any(|f| f.path.starts_with("migrations")
                    && f.path.extension().is_some_and(|e| e == "sql")),
                "{name}"
            );
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        let t = ServiceTemplate {
            name: "users",
            engine: engine("redis"),
        };
        assert_eq!(render(&t).unwrap(), render(&t).unwrap());
    }
}
