//! `dbps env SERVICE`: print one service's own variables, for `eval "$(dbps env x)"`.
//! The only command that shows a secret, and only the asked service's own.

use std::path::Path;

use anyhow::{Context, bail};

use crate::cli::EnvArgs;
use crate::exit::Exit;

/// Quote for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Print `export NAME='value'` for each variable in the service's `.env`.
pub fn run(args: &EnvArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let project = super::load_project(file)?;
    super::select(&project.manifest, std::slice::from_ref(&args.service))?;
    let service = project
        .manifest
        .service(&args.service)
        .context("service vanished from the manifest")?;
    let path = project.root.join(&service.path).join(".env");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "`{}` has no `.env` yet\n  = help: run `dbps up {}` first",
                args.service,
                args.service
            )
        }
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", path.display())),
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            println!("export {}={}", name.trim(), shell_quote(value.trim()));
        }
    }
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
}
