//! What the walk leaves out on purpose, the way search tools do: third-party and
//! generated code is not the project's evidence, and minified bundles cost time for
//! nothing (and embed other projects' example URLs).
//!
//! - dependency directories (`node_modules`, `vendor`, …) and build output (`target`,
//!   `dist`, …) are pruned by name; VCS metadata, caches and IDE folders too, silently;
//! - the audited root's `.gitattributes` marks paths `linguist-vendored` or
//!   `linguist-generated` (GitHub's own convention; `-attr` and `attr=false` unset it);
//! - minified code: `*.min.js` and friends, and source files whose lines average more
//!   than [`MINIFIED_LINE`] bytes.
//!
//! Every skip except the silent ones is listed in the report with its reason. Nothing
//! here reads a file except `.gitattributes`, through the walk's own safe reader.

use std::fmt;
use std::path::Path;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Why something was left out on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Third-party code: a dependency directory or a `linguist-vendored` path.
    Vendored,
    /// Build output or a `linguist-generated` path.
    Generated,
    /// Minified code: by name, or by line length.
    Minified,
}

impl Reason {
    /// Lowercase name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Vendored => "vendored",
            Reason::Generated => "generated",
            Reason::Minified => "minified",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A file or directory left out on purpose.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    /// Path relative to the root (a directory ends with `/`).
    pub path: String,
    /// Why.
    pub reason: Reason,
}

/// Dependency directories: other projects' code.
const VENDORED_DIRS: &[&str] = &[
    "node_modules",
    "vendor",
    "bower_components",
    "jspm_packages",
    "Pods",
    "Carthage",
    "site-packages",
    "third_party",
    "third-party",
    "venv",
    ".venv",
];

/// Build output.
const GENERATED_DIRS: &[&str] = &[
    "target", "dist", "build", "bin", "obj", "out", ".next", ".nuxt", "coverage",
];

/// VCS metadata, caches and editor folders: never evidence, not worth a line.
const QUIET_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".gradle",
    ".idea",
    ".vscode",
    ".terraform",
    ".cargo",
    ".yarn",
    ".pnpm-store",
    ".cache",
];

/// Why a directory is pruned, if it is; `Some(None)` for a quiet one.
pub fn pruned_dir(name: &str) -> Option<Option<Reason>> {
    if VENDORED_DIRS.contains(&name) {
        Some(Some(Reason::Vendored))
    } else if GENERATED_DIRS.contains(&name) {
        Some(Some(Reason::Generated))
    } else if QUIET_DIRS.contains(&name) {
        Some(None)
    } else {
        None
    }
}

/// Whether a file name says it is minified.
pub fn minified_name(name: &str) -> bool {
    [
        ".min.js",
        ".min.mjs",
        ".min.cjs",
        "-min.js",
        ".bundle.min.js",
    ]
    .iter()
    .any(|s| name.len() > s.len() && name.ends_with(s))
}

/// Source files whose lines average more than this many bytes are minified or generated.
pub const MINIFIED_LINE: usize = 4096;

/// Whether `text` reads as minified: over its first 64 KiB, lines average more than
/// [`MINIFIED_LINE`] bytes.
pub fn minified_text(text: &[u8]) -> bool {
    let sample = &text[..text.len().min(64 * 1024)];
    let lines = sample.iter().filter(|b| **b == b'\n').count() + 1;
    sample.len() / lines > MINIFIED_LINE
}

/// The root `.gitattributes`' linguist marks.
#[derive(Default)]
pub struct Attributes {
    vendored: Option<Gitignore>,
    generated: Option<Gitignore>,
}

impl Attributes {
    /// Parse a `.gitattributes` text whose patterns are relative to `root`.
    pub fn parse(root: &Path, text: &str) -> Self {
        let mut vendored = GitignoreBuilder::new(root);
        let mut generated = GitignoreBuilder::new(root);
        let (mut any_vendored, mut any_generated) = (false, false);
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let Some(pattern) = words.next().filter(|p| !p.starts_with('#')) else {
                continue;
            };
            for attr in words {
                let (builder, any) = match attr_name(attr) {
                    "linguist-vendored" => (&mut vendored, &mut any_vendored),
                    "linguist-generated" => (&mut generated, &mut any_generated),
                    _ => continue,
                };
                // A later line wins, like an ignore file's negation.
                let line = if attr_set(attr) {
                    pattern.to_string()
                } else {
                    format!("!{pattern}")
                };
                *any |= builder.add_line(None, &line).is_ok();
            }
        }
        let build = |b: GitignoreBuilder, any: bool| any.then(|| b.build().ok()).flatten();
        Attributes {
            vendored: build(vendored, any_vendored),
            generated: build(generated, any_generated),
        }
    }

    /// Why a file (path relative to the root) is left out, if the attributes say so.
    pub fn reason(&self, rel: &str) -> Option<Reason> {
        let hit = |g: &Option<Gitignore>| {
            g.as_ref()
                .is_some_and(|g| g.matched_path_or_any_parents(rel, false).is_ignore())
        };
        if hit(&self.vendored) {
            Some(Reason::Vendored)
        } else if hit(&self.generated) {
            Some(Reason::Generated)
        } else {
            None
        }
    }
}

/// `-linguist-vendored`, `linguist-vendored=false` → `linguist-vendored`.
fn attr_name(attr: &str) -> &str {
    let attr = attr.trim_start_matches(['-', '!']);
    attr.split_once('=').map_or(attr, |(name, _)| name)
}

/// Whether an attribute is set (`attr`, `attr=true`), not unset (`-attr`, `attr=false`).
fn attr_set(attr: &str) -> bool {
    !attr.starts_with(['-', '!'])
        && attr
            .split_once('=')
            .is_none_or(|(_, v)| !v.eq_ignore_ascii_case("false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linguist_attributes_mark_vendored_and_generated_paths() {
        let attrs = Attributes::parse(
            Path::new("/repo"),
            "* text=auto\n# comment\nassets/js/** linguist-vendored\nassets/js/app.js -linguist-vendored\n\
             api/client/** linguist-generated=true\napi/client/hand.ts linguist-generated=false\n\
             *.pb.go linguist-generated\n",
        );
        assert_eq!(attrs.reason("assets/js/jquery.js"), Some(Reason::Vendored));
        assert_eq!(attrs.reason("assets/js/app.js"), None);
        assert_eq!(
            attrs.reason("api/client/orders.ts"),
            Some(Reason::Generated)
        );
        assert_eq!(attrs.reason("api/client/hand.ts"), None);
        assert_eq!(attrs.reason("svc/orders.pb.go"), Some(Reason::Generated));
        assert_eq!(attrs.reason("svc/orders.go"), None);
        assert_eq!(Attributes::default().reason("x.js"), None);
    }

    #[test]
    fn minified_by_name_or_by_line_length() {
        assert!(minified_name("jquery.min.js"));
        assert!(minified_name("chart-min.js"));
        assert!(!minified_name(".min.js"));
        assert!(!minified_name("admin.js"));
        assert!(minified_text("x".repeat(100_000).as_bytes()));
        let code = "const a = 1;\n".repeat(10_000);
        assert!(!minified_text(code.as_bytes()));
        let one_long_line_in_code = format!("{code}{}\n{code}", "y".repeat(50_000));
        assert!(!minified_text(one_long_line_in_code.as_bytes()));
    }

    #[test]
    fn directories_are_pruned_by_kind() {
        assert_eq!(pruned_dir("node_modules"), Some(Some(Reason::Vendored)));
        assert_eq!(pruned_dir("dist"), Some(Some(Reason::Generated)));
        assert_eq!(pruned_dir(".git"), Some(None));
        assert_eq!(pruned_dir("orders"), None);
    }
}
