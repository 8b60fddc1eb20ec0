//! `dbps env SERVICE`: print one service's own variables, for `eval "$(dbps env x)"`.
//! The only command that shows a secret, and only the asked service's own.
//!
//! The output is shell code, so it is built only from checked parts: every name
//! matches `[A-Za-z_][A-Za-z0-9_]*`, every value is single-quoted, and nothing at
//! all is printed when any line is wrong. The `.env` is read only inside the
//! project, only if it is a regular file, and only up to a size cap.

use std::path::Path;

use anyhow::{Context, bail};

use crate::cli::EnvArgs;
use crate::exit::{Exit, UsageError};
use crate::fs::Inside;

/// A `.env` holds a line or two; this is generous.
const CAP: u64 = 64 * 1024;

/// Quote for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Whether `name` is a portable shell variable name.
fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `export NAME='value'` lines for a `.env` text; `file` names it in errors.
fn exports(text: &str, file: &str) -> Result<String, UsageError> {
    let mut out = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{file}:{}", i + 1);
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err(UsageError::new(format!(
                "{at}: expected `NAME=value`\n  = help: comment the line out with `#`, or remove it"
            )));
        };
        let name = name.trim();
        if !is_var_name(name) {
            return Err(UsageError::new(format!(
                "{at}: `{name}` is not a valid variable name\n  = help: names are ASCII letters, digits and `_`, not starting with a digit"
            )));
        }
        if value.contains('\0') {
            return Err(UsageError::new(format!(
                "{at}: the value of `{name}` holds a NUL byte, which no shell variable can"
            )));
        }
        out.push_str(&format!("export {name}={}\n", shell_quote(value.trim())));
    }
    Ok(out)
}

/// Print `export NAME='value'` for each variable in the service's `.env`.
pub fn run(args: &EnvArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let project = super::load_project(file)?;
    super::select(&project.manifest, std::slice::from_ref(&args.service))?;
    let service = project
        .manifest
        .service(&args.service)
        .context("service vanished from the manifest")?;
    let rel = service.path.join(".env");
    let inside = Inside::new(&project.root)
        .with_context(|| format!("resolving `{}`", project.root.display()))?;
    let path = inside.resolve(&rel)?;
    let text = match crate::fs::read_text(&path, CAP) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => {
            bail!(
                "`{}` has no `.env` yet\n  = help: run `dbps up {}` first",
                args.service,
                args.service
            )
        }
        Err(e) => return Err(e.into()),
    };
    print!("{}", exports(&text, &rel.display().to_string())?);
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(
            shell_quote("postgres://u:p@h:1/d"),
            "'postgres://u:p@h:1/d'"
        );
    }

    #[test]
    fn names_are_checked_and_values_quoted() {
        assert_eq!(
            exports("# c\n\nexport A=1\n_b2 = x y \n", ".env").unwrap(),
            "export A='1'\nexport _b2='x y'\n"
        );
        for bad in [
            "FOO;touch x;BAR=1",
            "$(id)=1",
            "2A=1",
            "A B=1",
            "=1",
            "-x=1",
        ] {
            let err = exports(&format!("OK=1\n{bad}\n"), "s/.env").unwrap_err();
            assert!(err.to_string().starts_with("s/.env:2: `"), "{bad}: {err}");
        }
        assert!(exports("just words\n", ".env").is_err());
        assert!(exports("A=x\0y\n", ".env").is_err());
    }
}
