//! `dbps init`: write a commented starter manifest, never over an existing one.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::InitArgs;
use crate::exit::{Exit, UsageError};
use crate::manifest::{FILE_NAME, Manifest};

/// The starter manifest; `{project}` is replaced.
const STARTER: &str = "\
# dbps.yaml: the services of this project and the one private database each owns.
# No service may touch another service's database; it asks the owner's API instead.
project: {project}

# `dbps new service NAME --db ENGINE` adds services here, keeping your comments.
# A service written by hand looks like this:
#
#   users:
#     path: services/users      # the service's code; `dbps up` writes its .env here
#     database:
#       engine: postgres        # postgres | mysql | mariadb | redis | mongodb
#       version: \"16\"           # image tag (default: a current major version)
#       port: 5433              # host port, bound on 127.0.0.1 only (default: any free one)
#       extensions: [vector]    # postgres extensions to enable
services: {}
";

/// Turn a directory name into a DNS-safe project name, if it has any usable letters.
fn project_from_dir(dir: &Path) -> Option<String> {
    let raw = dir.file_name()?.to_str()?.to_ascii_lowercase();
    let mut name: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').to_string();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    name.truncate(32);
    let name = name.trim_end_matches('-').to_string();
    name.starts_with(|c: char| c.is_ascii_lowercase())
        .then_some(name)
}

/// Write the starter manifest.
pub fn run(args: &InitArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let path: PathBuf = file.map_or_else(|| cwd.join(FILE_NAME), Path::to_path_buf);
    if path.exists() {
        return Err(UsageError::new(format!(
            "`{}` already exists; dbps will not overwrite it\n  = help: edit it, or use `dbps new service` to add services",
            path.display()
        ))
        .into());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(&cwd);
    let project = match &args.project {
        Some(p) => p.clone(),
        None => project_from_dir(&dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()))
            .ok_or_else(|| UsageError::new("cannot derive a project name from this directory's name\n  = help: pass `--project NAME`"))?,
    };
    let text = STARTER.replace("{project}", &project);
    // Validate before writing: a bad `--project` is reported in manifest terms.
    Manifest::parse(&text, "--project").map_err(|_| {
        UsageError::new(format!(
            "project name `{project}` is not DNS-safe\n  = help: use lowercase letters, digits and `-`, starting with a letter, at most 32 characters"
        ))
    })?;
    // `create_new` closes the race with a concurrent `init`.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("creating `{}`", path.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes())
        .with_context(|| format!("writing `{}`", path.display()))?;
    println!(
        "created {} for project `{project}`",
        crate::manifest::display_path(&path)
    );
    println!("next: dbps new service NAME --db postgres");
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_from_directories() {
        assert_eq!(
            project_from_dir(Path::new("/x/My Shop")),
            Some("my-shop".into())
        );
        assert_eq!(
            project_from_dir(Path::new("/x/shop_v2")),
            Some("shop-v2".into())
        );
        assert_eq!(project_from_dir(Path::new("/x/123")), None);
    }

    #[test]
    fn starter_is_valid() {
        let m = Manifest::parse(&STARTER.replace("{project}", "shop"), "dbps.yaml").unwrap();
        assert_eq!(m.project, "shop");
        assert!(m.services.is_empty());
    }
}
