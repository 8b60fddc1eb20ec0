//! Step 3a, configuration sources: for each service, the configuration entries it sees and
//! the context its hosts are read in, gathered from each source kind by one function:
//! the manifest (each service's declared database and dbps-written `.env`), compose
//! application services (`env_file` overridden by `environment`), Kubernetes containers
//! (`env`, `envFrom`, Secrets and ConfigMaps), and per-directory files (`.env*`, Dockerfile
//! `ENV`, Spring profiles, appsettings, other configuration) owned by the nearest service
//! root above them. Also records the references that may borrow another service's
//! configuration (`env_file`, compose secrets, Kubernetes Secrets and ConfigMaps).
//!
//! Adding a source: one function that pushes a [`Source`] per owner and file (with
//! [`Owner::Dir`] when only its directory is known, [`Owner::Service`] when a deployment
//! unit names the service) in the right [`Ctx`], called from [`gather`]; a new file kind
//! read per directory is one arm in [`directory_sources`]. Resolution does the rest.
//! Must not: resolve hosts or create datastores.

use std::collections::HashMap;

use super::Builder;
use super::compose::{Member, Project};
use super::input::{Files, Input};
use super::kube::Cluster;
use super::names::{file_name, parent_dir};
use super::{ConnUse, ManifestInfo};
use crate::doctor::config;
use crate::doctor::model::{self, Engine, Entry, Loc};
use crate::doctor::readers::{self, Parsed, spring::SpringDoc};
use crate::doctor::walk::FileOut;

/// How a connection's host is to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ctx {
    /// No deployment context (env files, source, Spring).
    Neutral,
    /// Inside a compose project (its index).
    Compose(usize),
    /// Inside a Kubernetes namespace.
    Kube(String),
}

/// Who a piece of configuration belongs to before services are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Owner {
    /// A file's directory: the nearest service root above it.
    Dir(String),
    /// A known service index.
    Service(usize),
}

/// Configuration entries of one owner in one file.
#[derive(Debug)]
pub(super) struct Source {
    /// Whose configuration it is.
    pub owner: Owner,
    /// The file it is written in.
    pub file: String,
    /// The variant (profile, environment, compose project) it belongs to.
    pub variant: Option<String>,
    /// Where its hosts are resolved.
    pub ctx: Ctx,
    /// The entries.
    pub entries: Vec<Entry>,
    /// Keys written in another file than `file` (compose overrides, `env_file`, `extends`).
    pub key_files: HashMap<String, String>,
}

impl Source {
    /// Entries of one file, without keys from elsewhere.
    pub fn new(owner: Owner, file: &str, variant: Option<String>, ctx: Ctx) -> Self {
        Self {
            owner,
            file: file.to_string(),
            variant,
            ctx,
            entries: Vec::new(),
            key_files: HashMap::new(),
        }
    }

    /// With these entries.
    fn with(mut self, entries: Vec<Entry>) -> Self {
        self.entries = entries;
        self
    }

    /// The file a key is written in.
    pub fn file_of(&self, key: &str) -> &str {
        self.key_files.get(key).map_or(&self.file, String::as_str)
    }
}

/// Gather every source kind's configuration into `b.sources`.
pub(super) fn gather(b: &mut Builder, input: &Input) {
    manifest_sources(b, input.manifest, &input.files);
    for (pidx, p) in input.compose.iter().enumerate() {
        compose_sources(b, pidx, p, &input.files);
    }
    kube_sources(b, &input.kube);
    for f in input.files.all {
        directory_sources(b, f, input);
    }
}

/// Each manifest service's connection to its own database, and the `.env` dbps writes
/// for it (usually gitignored, so read explicitly).
fn manifest_sources(b: &mut Builder, manifest: Option<&ManifestInfo>, files: &Files) {
    let Some(m) = manifest else { return };
    for (i, s) in m.services.iter().enumerate() {
        let idx = b.manifest_members[i];
        b.g.conns.push(ConnUse {
            service: idx,
            datastore: b.ds_by_id.get(&format!("dbps:{}", s.name)).copied(),
            engine: s.engine,
            database: Some(s.database.to_ascii_lowercase()),
            schema: None,
            user: None,
            password: None,
            password_ref: None,
            loc: Loc::new(&m.file, s.line),
            variant: None,
            via: "manifest".into(),
        });
        let env_rel = if s.path.is_empty() {
            ".env".to_string()
        } else {
            format!("{}/.env", s.path)
        };
        if !files.is_walked(&env_rel)
            && let Some(entries) = files.read_entries(&env_rel)
        {
            let src = Source::new(Owner::Service(idx), &env_rel, None, Ctx::Neutral);
            b.sources.push(src.with(entries));
        }
    }
}

/// Each compose application service's environment in its project, its `env_file`
/// references and its password-like secrets.
fn compose_sources(b: &mut Builder, pidx: usize, p: &Project, files: &Files) {
    for (midx, idx) in b.compose_apps(pidx) {
        let m = &p.members[midx];
        let variant = if m.service.profiles.is_empty() {
            p.variant.clone()
        } else {
            format!("{}[{}]", p.variant, m.service.profiles.join(","))
        };
        let mut src = Source::new(
            Owner::Service(idx),
            m.rel,
            Some(variant.clone()),
            Ctx::Compose(pidx),
        );
        container_env(b, &mut src, p, m, idx, files);
        b.sources.push(src);
        for (secret, line) in &m.service.secrets {
            let loc = Loc::new(m.rel, *line);
            compose_secret(b, (p, files), idx, secret, loc, &variant);
        }
    }
}

/// One environment, as the container sees it: `env_file` entries, overridden by
/// `environment` (across override and `extends` files). Each key keeps the file it is
/// written in, so that `DB_HOST` in docker-compose.yml and `DB_NAME` in
/// docker-compose.override.yml are still one connection.
fn container_env(
    b: &mut Builder,
    src: &mut Source,
    p: &Project,
    m: &Member,
    idx: usize,
    files: &Files,
) {
    let mut set = |file: &str, e: Entry| {
        src.entries.retain(|old| old.key != e.key);
        src.key_files.insert(e.key.clone(), file.to_string());
        src.entries.push(e);
    };
    for (path, line) in &m.service.env_files {
        let Some(rel) = p.path(path) else {
            continue;
        };
        b.env_file_refs
            .push((idx, rel.clone(), Loc::new(m.rel, *line)));
        for e in files.read_entries(&rel).unwrap_or_default() {
            set(&rel, e);
        }
    }
    for (file, e) in &m.env {
        set(file, e.clone());
    }
}

/// A compose secret handed to a service: a possibly borrowed reference, and when its name
/// says it is a password, a credential (with the secret file's value when it has one).
fn compose_secret(
    b: &mut Builder,
    (p, files): (&Project, &Files),
    idx: usize,
    secret: &str,
    loc: Loc,
    variant: &str,
) {
    b.object_refs
        .push((idx, secret.to_string(), true, false, loc.clone()));
    let pw_like = config::words(secret).iter().any(|x| {
        matches!(
            x.as_str(),
            "password" | "pass" | "pwd" | "passwd" | "credentials" | "creds"
        )
    });
    if !pw_like {
        return;
    }
    let value = p
        .secret_files
        .get(secret)
        .cloned()
        .flatten()
        .and_then(|f| p.path(&f))
        .and_then(|rel| files.read_text(&rel))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && !model::is_placeholder(t));
    b.g.conns.push(ConnUse {
        service: idx,
        datastore: None,
        engine: Engine::Unknown,
        database: None,
        schema: None,
        user: None,
        password: value,
        password_ref: Some(format!("compose secret `{secret}`")),
        loc,
        variant: Some(variant.to_string()),
        via: format!("secret {secret}"),
    });
}

/// Each application workload's containers: their environment in the workload's
/// namespace, and the Secrets and ConfigMaps they reference.
fn kube_sources(b: &mut Builder, cluster: &Cluster) {
    for (widx, idx) in b.kube_members.clone() {
        let w = &cluster.workloads[widx];
        let ns = &w.object.namespace;
        for c in w.containers {
            let (entries, refs) = cluster.env(c, ns);
            for (name, secret, line, is_db) in refs {
                let loc = Loc::new(w.rel, line);
                b.object_refs.push((idx, name, secret, is_db, loc));
            }
            let ctx = Ctx::Kube(ns.clone());
            let src = Source::new(Owner::Service(idx), w.rel, Some("kubernetes".into()), ctx);
            b.sources.push(src.with(entries));
        }
    }
}

/// A configuration file read for the service whose root holds it.
fn directory_sources(b: &mut Builder, f: &FileOut, input: &Input) {
    let dir = parent_dir(&f.rel);
    let mut push = |variant: Option<String>, entries: Vec<Entry>| {
        let src = Source::new(Owner::Dir(dir.to_string()), &f.rel, variant, Ctx::Neutral);
        b.sources.push(src.with(entries));
    };
    match &f.parsed {
        Parsed::Env(entries) => push(env_file_variant(file_name(&f.rel)), entries.clone()),
        Parsed::Dockerfile(_, entries) if !input.dirs.db.contains_key(dir) => {
            push(None, entries.clone())
        }
        Parsed::Config(entries) => push(None, entries.clone()),
        Parsed::Spring(docs) => {
            for (variant, entries) in spring_sources(docs) {
                push(variant, entries);
            }
        }
        Parsed::AppSettings(env, entries) => {
            push(env.as_ref().map(|e| format!("dotnet:{e}")), entries.clone())
        }
        _ => {}
    }
}

/// `.env.production` is variant `env:production`; `.env`, `.env.local` and the
/// development files are the default configuration.
fn env_file_variant(name: &str) -> Option<String> {
    name.strip_prefix(".env.")
        .filter(|v| !matches!(*v, "local" | "development" | "dev"))
        .map(|v| format!("env:{v}"))
}

/// A Spring file's profiles as sources: each document's entries (`${VAR:default}`
/// resolved to its default), then the variables it reads, as entries without values.
/// `---` documents of a test profile inside application.yml, like application-test.yml,
/// configure test runs and are skipped.
fn spring_sources(docs: &[SpringDoc]) -> Vec<(Option<String>, Vec<Entry>)> {
    let mut out = Vec::new();
    for d in docs
        .iter()
        .filter(|d| !d.profile.as_deref().is_some_and(readers::is_test_profile))
    {
        let variant = d.profile.as_ref().map(|p| format!("spring:{p}"));
        let entries = d
            .entries
            .iter()
            .map(|e| Entry {
                value: e
                    .value
                    .as_deref()
                    .map(|v| config::interpolate(v, &|_| None)),
                ..e.clone()
            })
            .collect();
        out.push((variant.clone(), entries));
        let reads: Vec<Entry> = d
            .entries
            .iter()
            .flat_map(|e| {
                config::referenced_vars(e.value.as_deref().unwrap_or(""))
                    .into_iter()
                    .map(|var| Entry {
                        key: var,
                        value: None,
                        line: e.line,
                        source_ref: None,
                    })
            })
            .collect();
        if !reads.is_empty() {
            out.push((variant, reads));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::doctor::graph::{datastores, ownership, test_compose, test_file as file};

    /// Ownership, datastores, then the sources of `files`.
    fn gathered(root: &Path, files: &[FileOut]) -> Builder {
        let input = Input::new(root, files, None);
        let mut b = Builder::default();
        ownership::assign(&mut b, &input);
        datastores::declare(&mut b, &input);
        gather(&mut b, &input);
        b
    }

    fn keys(src: &Source) -> Vec<(&str, &str)> {
        src.entries
            .iter()
            .map(|e| (e.key.as_str(), src.file_of(&e.key)))
            .collect()
    }

    #[test]
    fn env_file_names_give_variants_except_local_and_development() {
        assert_eq!(
            env_file_variant(".env.production").as_deref(),
            Some("env:production")
        );
        assert_eq!(env_file_variant(".env.local"), None);
        assert_eq!(env_file_variant(".env.dev"), None);
        assert_eq!(env_file_variant(".env"), None);
    }

    #[test]
    fn spring_profiles_are_sources_and_test_profiles_are_not() {
        let doc = |profile: Option<&str>, url: &str| SpringDoc {
            profile: profile.map(str::to_string),
            entries: vec![Entry::new("spring.datasource.url", url, 3)],
        };
        let docs = [
            doc(None, "jdbc:postgresql://${DB_HOST:db}/orders"),
            doc(Some("prod"), "jdbc:postgresql://prod-db/orders"),
            doc(Some("test"), "jdbc:h2:mem:test"),
        ];
        let got: Vec<_> = spring_sources(&docs)
            .into_iter()
            .map(|(v, e)| (v, e[0].key.clone(), e[0].value.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    None,
                    "spring.datasource.url".into(),
                    Some("jdbc:postgresql://db/orders".into())
                ),
                (None, "DB_HOST".into(), None),
                (
                    Some("spring:prod".into()),
                    "spring.datasource.url".into(),
                    Some("jdbc:postgresql://prod-db/orders".into())
                ),
            ]
        );
    }

    #[test]
    fn a_compose_service_sees_env_files_overridden_by_environment() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("orders")).unwrap();
        std::fs::write(
            root.path().join("orders/.env"),
            "DB_HOST=file-db\nDB_USER=u\n",
        )
        .unwrap();
        std::fs::write(root.path().join("db_password.txt"), "hunter2-real\n").unwrap();
        let files = vec![
            file(
                "docker-compose.yml",
                test_compose(
                    "services:\n  orders:\n    build: ./orders\n    env_file: ./orders/.env\n    environment:\n      DB_HOST: db\n    secrets: [db_password, api_key]\n    profiles: [full]\nsecrets:\n  db_password:\n    file: ./db_password.txt\n  api_key:\n    file: ./api.txt\n",
                ),
            ),
            file(
                "docker-compose.override.yml",
                test_compose("services:\n  orders:\n    environment:\n      DB_NAME: orders\n"),
            ),
            file("orders/Dockerfile", Parsed::Dockerfile(None, vec![])),
        ];
        let b = gathered(root.path(), &files);
        let compose: Vec<&Source> = b
            .sources
            .iter()
            .filter(|s| s.ctx == Ctx::Compose(0))
            .collect();
        assert_eq!(compose.len(), 1);
        let src = compose[0];
        assert_eq!(src.owner, Owner::Service(0));
        assert_eq!(src.variant.as_deref(), Some("compose[full]"));
        assert_eq!(
            keys(src),
            [
                ("DB_USER", "orders/.env"),
                ("DB_HOST", "docker-compose.yml"),
                ("DB_NAME", "docker-compose.override.yml")
            ]
        );
        assert_eq!(b.env_file_refs[0].1, "orders/.env");
        // Both secrets may be borrowed; only the password is a credential, with its value.
        let refs: Vec<_> = b.object_refs.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(refs, ["db_password", "api_key"]);
        assert_eq!(b.g.conns.len(), 1);
        assert_eq!(b.g.conns[0].password.as_deref(), Some("hunter2-real"));
        assert_eq!(b.g.conns[0].via, "secret db_password");
    }

    #[test]
    fn directory_files_belong_to_their_directory_and_database_images_to_none() {
        let files = vec![
            file(
                "orders/.env.staging",
                Parsed::Env(vec![Entry::new("A", "1", 1)]),
            ),
            file(
                "orders/appsettings.Production.json",
                Parsed::AppSettings(Some("Production".into()), vec![Entry::new("B", "2", 1)]),
            ),
            file(
                "orders/Dockerfile",
                Parsed::Dockerfile(Some("node:20".into()), vec![Entry::new("C", "3", 2)]),
            ),
            file(
                "db/Dockerfile",
                Parsed::Dockerfile(
                    Some("postgres:16".into()),
                    vec![Entry::new("POSTGRES_DB", "x", 2)],
                ),
            ),
        ];
        let b = gathered(Path::new("/nonexistent"), &files);
        let got: Vec<_> = b
            .sources
            .iter()
            .map(|s| (s.owner.clone(), s.file.as_str(), s.variant.as_deref()))
            .collect();
        let dir = || Owner::Dir("orders".into());
        assert_eq!(
            got,
            [
                (dir(), "orders/.env.staging", Some("env:staging")),
                (
                    dir(),
                    "orders/appsettings.Production.json",
                    Some("dotnet:Production")
                ),
                (dir(), "orders/Dockerfile", None),
            ]
        );
    }
}
