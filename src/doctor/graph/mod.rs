//! Joins the readers' records into one picture: services, datastores, and who connects
//! to what, which tables each service creates and uses, and which configuration it
//! borrows from another service.
//!
//! Three steps, all pure over the walked files (plus reading the few gitignored files
//! that compose or the manifest name explicitly, such as `env_file` targets):
//! 1. **Ownership**: service roots come from the manifest, compose `build` contexts,
//!    Dockerfiles and build files; compose services and Kubernetes workloads are matched
//!    to them by name, image or migration-job suffix (`orders-migrate` → `orders`).
//! 2. **Datastores**: database containers (compose services, Kubernetes workloads with a
//!    database image, the manifest's per-service databases) with the names they answer
//!    to and the ports they publish.
//! 3. **Resolution**: every connection's host is resolved in its context (compose
//!    project, Kubernetes namespace, or none) to a datastore, so that "same database" is
//!    decided on servers, not on names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::config::{self, ConnFound};
use super::model::{ConnSpec, Engine, Entry, Fact, Loc, TableName};
use super::readers::compose::{ComposeFile, ComposeService};
use super::readers::kubernetes::{Body, EnvSource, Object};
use super::readers::{self, Parsed, envfile};
use super::walk::{FileOut, Note};

mod image;
mod names;

use image::{ImageDirs, image_base};
pub use image::{image_engine, image_repo, is_tool_image};
pub use names::norm;
use names::{dir_name, file_name, is_under, migration_bases, parent_dir};

/// A service from the manifest, as the command layer hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestService {
    /// Service name.
    pub name: String,
    /// Directory relative to the root, `/`-separated.
    pub path: String,
    /// Engine of its database.
    pub engine: Engine,
    /// Published host port (on 127.0.0.1), if fixed.
    pub port: Option<u16>,
    /// Logical database name.
    pub database: String,
    /// Line in the manifest.
    pub line: u32,
}

/// The manifest's view of the project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestInfo {
    /// Manifest path relative to the root.
    pub file: String,
    /// Project name (labels `dbps.project`).
    pub project: String,
    /// Its services.
    pub services: Vec<ManifestService>,
}

/// A service: the unit that should own its data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// Canonical name.
    pub name: String,
    /// Other names it goes by (compose service, workload, directory).
    pub aliases: BTreeSet<String>,
    /// Source directories.
    pub dirs: BTreeSet<String>,
    /// Where it was found: `manifest`, `compose`, `kubernetes`, `directory`.
    pub origins: BTreeSet<&'static str>,
}

/// A published port of a datastore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Host interface, `None` meaning all interfaces.
    pub ip: Option<String>,
    /// Host port.
    pub port: Option<u16>,
    /// Where it is declared.
    pub loc: Loc,
    /// Variant.
    pub variant: Option<String>,
}

/// A database server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datastore {
    /// Stable id: `compose:db`, `k8s:shop/postgres`, `dbps:orders`, or `host:port`.
    pub id: String,
    /// Engine.
    pub engine: Engine,
    /// Declared (a container or workload exists) rather than only named by a connection.
    pub declared: bool,
    /// Where it is declared.
    pub loc: Option<Loc>,
    /// Variant.
    pub variant: Option<String>,
    /// Databases it creates at start (`POSTGRES_DB`).
    pub databases: Vec<String>,
    /// Its administrator user and password, when set in its environment.
    pub admin: Option<(String, Option<String>)>,
    /// Published ports.
    pub published: Vec<Published>,
    /// Services that `depends_on` it.
    pub dependants: BTreeSet<usize>,
    /// The service the manifest gives it to.
    pub owner: Option<usize>,
}

/// A service's connection to a datastore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnUse {
    /// Service index.
    pub service: usize,
    /// Datastore index, when the host is known.
    pub datastore: Option<usize>,
    /// Engine.
    pub engine: Engine,
    /// Logical database.
    pub database: Option<String>,
    /// Schema.
    pub schema: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Literal password.
    pub password: Option<String>,
    /// Password reference (secret) when not literal.
    pub password_ref: Option<String>,
    /// Where.
    pub loc: Loc,
    /// Variant.
    pub variant: Option<String>,
    /// How it was written (`DATABASE_URL`, `spring.datasource.url`, a URL literal).
    pub via: String,
}

/// A table created or used by a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUse {
    /// Service index.
    pub service: usize,
    /// Table.
    pub table: TableName,
    /// Created (DDL) rather than used.
    pub create: bool,
    /// Where.
    pub loc: Loc,
}

/// A service using configuration that belongs to another service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignRef {
    /// The borrowing service.
    pub service: usize,
    /// The owner.
    pub owner: usize,
    /// What is borrowed, for messages (``env file `orders/.env` ``).
    pub what: String,
    /// Where.
    pub loc: Loc,
}

/// An administrator password variable handed to a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKey {
    /// Service index.
    pub service: usize,
    /// Variable name.
    pub key: String,
    /// Where.
    pub loc: Loc,
}

/// The joined picture rules run over.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Services.
    pub services: Vec<Service>,
    /// Datastores.
    pub datastores: Vec<Datastore>,
    /// Connections.
    pub conns: Vec<ConnUse>,
    /// Tables.
    pub tables: Vec<TableUse>,
    /// Borrowed configuration.
    pub foreign: Vec<ForeignRef>,
    /// Administrator variables.
    pub admin_keys: Vec<AdminKey>,
    /// Notes gathered while joining.
    pub notes: Vec<Note>,
}

impl Graph {
    /// Service name by index.
    pub fn name(&self, idx: usize) -> &str {
        self.services.get(idx).map_or("?", |s| s.name.as_str())
    }

    /// Datastore id by index.
    pub fn ds(&self, idx: usize) -> &str {
        self.datastores.get(idx).map_or("?", |d| d.id.as_str())
    }
}

fn is_localhost(host: &str) -> bool {
    matches!(
        host,
        "localhost" | "127.0.0.1" | "::1" | "0.0.0.0" | "host.docker.internal" | "host-gateway"
    ) || host.starts_with("127.")
}

/// How a connection's host is to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ctx {
    /// No deployment context (env files, source, Spring).
    Neutral,
    /// Inside a compose project.
    Compose(usize),
    /// Inside a Kubernetes namespace.
    Kube(String),
}

/// Who a piece of configuration belongs to before services are known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    /// A file's directory: the nearest service root above it.
    Dir(String),
    /// A known service index.
    Service(usize),
}

/// Configuration entries of one owner in one file.
struct Source {
    owner: Owner,
    file: String,
    variant: Option<String>,
    ctx: Ctx,
    entries: Vec<Entry>,
    /// Keys written in another file than `file` (compose overrides, `env_file`, `extends`).
    key_files: HashMap<String, String>,
}

impl Source {
    /// The file a key is written in.
    fn file_of(&self, key: &str) -> &str {
        self.key_files.get(key).map_or(&self.file, String::as_str)
    }
}

#[derive(Default)]
struct Builder {
    g: Graph,
    by_name: HashMap<String, usize>,
    roots: BTreeMap<String, usize>,
    ds_by_id: HashMap<String, usize>,
    /// compose project index → alias → datastore
    compose_alias: Vec<HashMap<String, usize>>,
    /// (namespace, name) → datastore
    kube_alias: HashMap<(String, String), usize>,
    sources: Vec<Source>,
    /// (service, env file path, loc)
    env_file_refs: Vec<(usize, String, Loc)>,
    /// (service, secret or configmap name, is_secret, loc)
    object_refs: Vec<(usize, String, bool, bool, Loc)>,
    /// service → the compose projects it runs in
    compose_projects: HashMap<usize, BTreeSet<usize>>,
    /// service → the Kubernetes namespaces it runs in
    kube_namespaces: HashMap<usize, BTreeSet<String>>,
}

const STRONG: u8 = 2;
const WEAK: u8 = 1;

const NOT_SERVICE_DIRS: &[&str] = &[
    "test",
    "tests",
    "e2e",
    "integration-tests",
    "it",
    "docs",
    "doc",
    "scripts",
    "tools",
    "deploy",
    "deployment",
    "infra",
    "ops",
    "k8s",
    "kubernetes",
    "helm",
    "charts",
    "fixtures",
    "testdata",
    ".github",
];

/// Build the graph.
pub fn build(root: &Path, files: &[FileOut], manifest: Option<&ManifestInfo>) -> Graph {
    let mut b = Builder::default();
    let by_rel: HashMap<&str, &Parsed> =
        files.iter().map(|f| (f.rel.as_str(), &f.parsed)).collect();
    let read_entries = |rel: &str| -> Option<Vec<Entry>> {
        match by_rel.get(rel) {
            Some(Parsed::Env(e)) => Some(e.clone()),
            Some(_) => None,
            None => super::walk::read_text(&root.join(rel))
                .ok()
                .flatten()
                .map(|t| envfile::parse_env(&t)),
        }
    };

    // A compose file an `extends:` names, which need not be a compose file by name.
    let load_compose = |rel: &str| -> Option<ComposeFile> {
        match by_rel.get(rel) {
            Some(Parsed::Compose(c)) => Some(c.clone()),
            _ => super::walk::read_text(&root.join(rel))
                .ok()
                .flatten()
                .and_then(|t| readers::compose::parse(&t).ok()),
        }
    };

    // ---- 1. Service roots ------------------------------------------------------------
    let dirs = ImageDirs::classify(files);
    let db_dirs = &dirs.db;
    let mut root_kind: BTreeMap<String, (u8, Option<String>)> = BTreeMap::new();
    if let Some(m) = manifest {
        for s in &m.services {
            root_kind.insert(s.path.clone(), (STRONG + 1, Some(s.name.clone())));
        }
    }
    let compose_files: Vec<(&str, &ComposeFile)> = files
        .iter()
        .filter_map(|f| match &f.parsed {
            Parsed::Compose(c) => Some((f.rel.as_str(), c)),
            _ => None,
        })
        .collect();
    for (rel, c) in &compose_files {
        let dir = parent_dir(rel);
        for s in &c.services {
            if let Some(ctx) = &s.build
                && let Some(path) = readers::source::normalize(dir, ctx)
                && !dirs.is_not_service(&path)
            {
                let e = root_kind.entry(path).or_insert((STRONG, None));
                if e.1.is_none() && e.0 <= STRONG {
                    *e = (STRONG, Some(s.name.clone()));
                }
            }
        }
    }
    for f in files {
        let dir = parent_dir(&f.rel);
        if NOT_SERVICE_DIRS
            .iter()
            .any(|n| dir.split('/').any(|p| p == *n))
            || dirs.is_not_service(dir)
        {
            continue;
        }
        let strength = match f.parsed {
            Parsed::Dockerfile(..) => STRONG,
            Parsed::Marker => WEAK,
            _ => continue,
        };
        let e = root_kind.entry(dir.to_string()).or_insert((strength, None));
        e.0 = e.0.max(strength);
    }
    // Weak roots related to a strong one (module of a service, or a parent pom) are dropped.
    let strong: Vec<String> = root_kind
        .iter()
        .filter(|(_, (s, _))| *s >= STRONG)
        .map(|(d, _)| d.clone())
        .collect();
    root_kind.retain(|dir, (s, _)| {
        *s >= STRONG
            || !strong
                .iter()
                .filter(|st| !st.is_empty())
                .any(|st| is_under(dir, st) || (!dir.is_empty() && is_under(st, dir)))
    });
    if root_kind.len() > 1 {
        root_kind.retain(|dir, (s, _)| !dir.is_empty() || *s > STRONG);
    }
    // A compose service name names its build directory only while it is unique: per-service
    // compose files all call their service `app` (`build: .`), and those directories are
    // different services, named after the directory.
    let mut compose_names: HashMap<String, usize> = HashMap::new();
    for (strength, name) in root_kind.values() {
        if let (STRONG, Some(n)) = (*strength, name) {
            *compose_names.entry(norm(n)).or_default() += 1;
        }
    }
    for (strength, name) in root_kind.values_mut() {
        if *strength == STRONG
            && name
                .as_ref()
                .is_some_and(|n| compose_names.get(&norm(n)).is_some_and(|&c| c > 1))
        {
            *name = None;
        }
    }
    // Migration roots (`orders-migrations`, `migrate-orders`) last, so that they join the
    // service they migrate: one owner plus its own migration job is one service.
    let mut named: Vec<(String, String)> = root_kind
        .iter()
        .map(|(dir, (_, name))| {
            let name = name.clone().unwrap_or_else(|| {
                if dir.is_empty() {
                    dir_name(&root.to_string_lossy()).to_string()
                } else {
                    dir_name(dir).to_string()
                }
            });
            (dir.clone(), name)
        })
        .collect();
    named.sort_by_key(|(_, name)| !migration_bases(&norm(name)).is_empty());
    for (dir, name) in named {
        let idx = match b.migrated_service(&name) {
            Some(idx) => idx,
            None => b.service(&name, "directory"),
        };
        b.g.services[idx].dirs.insert(dir.clone());
        b.g.services[idx].aliases.insert(dir_name(&dir).to_string());
        b.roots.insert(dir, idx);
    }
    for dir in &dirs.tool {
        if let Some(idx) = b.migrated_service(dir_name(dir)) {
            b.g.services[idx].dirs.insert(dir.to_string());
            b.roots.insert(dir.to_string(), idx);
        }
    }
    if let Some(m) = manifest {
        for s in &m.services {
            let idx = b.service(&s.name, "manifest");
            b.g.services[idx].origins.remove("directory");
            let id = format!("dbps:{}", s.name);
            let ds = b.datastore(&id, s.engine, true);
            let d = &mut b.g.datastores[ds];
            d.loc = Some(Loc::new(&m.file, s.line));
            d.databases.push(s.database.clone());
            d.owner = Some(idx);
            d.published.push(Published {
                ip: Some("127.0.0.1".into()),
                port: s.port,
                loc: Loc::new(&m.file, s.line),
                variant: None,
            });
            b.g.conns.push(ConnUse {
                service: idx,
                datastore: Some(ds),
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
            // dbps writes each service's .env, usually gitignored: read it explicitly.
            let env_rel = if s.path.is_empty() {
                ".env".to_string()
            } else {
                format!("{}/.env", s.path)
            };
            if !by_rel.contains_key(env_rel.as_str())
                && let Some(entries) = read_entries(&env_rel)
            {
                b.sources.push(Source {
                    owner: Owner::Service(idx),
                    file: env_rel,
                    variant: None,
                    ctx: Ctx::Neutral,
                    entries,
                    key_files: HashMap::new(),
                });
            }
        }
    }

    // ---- 2. Compose projects ------------------------------------------------------------
    let mut projects: BTreeMap<&str, Vec<(&str, &ComposeFile)>> = BTreeMap::new();
    for (rel, c) in &compose_files {
        projects.entry(parent_dir(rel)).or_default().push((rel, c));
    }
    let multi = projects.len() > 1;
    for (pidx, (dir, mut pfiles)) in projects.into_iter().enumerate() {
        pfiles.sort_by_key(|(rel, _)| compose_order(file_name(rel)));
        let variant = if multi && !dir.is_empty() {
            format!("compose:{dir}")
        } else {
            "compose".to_string()
        };
        let project_env: HashMap<String, String> = read_entries(&if dir.is_empty() {
            ".env".into()
        } else {
            format!("{dir}/.env")
        })
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| Some((e.key, e.value?)))
        .collect();
        b.compose_alias.push(HashMap::new());
        // Merge services across files: later files override.
        let mut merged: Vec<(String, ComposeService, &str)> = Vec::new();
        let mut env_files: HashMap<String, Vec<(String, Entry)>> = HashMap::new();
        for (rel, c) in &pfiles {
            for s in &c.services {
                let env = env_files.entry(s.name.clone()).or_default();
                for e in &s.environment {
                    env.retain(|(_, old)| old.key != e.key);
                    env.push((rel.to_string(), e.clone()));
                }
                match merged.iter_mut().find(|(n, _, _)| *n == s.name) {
                    Some((_, m, _)) => {
                        m.image = s.image.clone().or(m.image.take());
                        m.build = s.build.clone().or(m.build.take());
                        m.env_files.extend(s.env_files.iter().cloned());
                        m.links.extend(s.links.iter().cloned());
                        m.depends_on.extend(s.depends_on.iter().cloned());
                        m.secrets.extend(s.secrets.iter().cloned());
                        m.ports.extend(s.ports.iter().cloned());
                        m.aliases.extend(s.aliases.iter().cloned());
                    }
                    None => merged.push((s.name.clone(), s.clone(), rel)),
                }
            }
        }
        // `extends`: a service inherits what its base sets and it does not override.
        for i in 0..merged.len() {
            let name = merged[i].0.clone();
            let mut next = merged[i].1.extends.clone();
            // The file the base is looked up in (`None`: this project) and its directory.
            let mut ctx: Option<(String, ComposeFile)> = None;
            for _ in 0..8 {
                let Some((file, base_name)) = next.take() else {
                    break;
                };
                if let Some(f) = file {
                    let from = ctx.as_ref().map_or(dir, |(rel, _)| parent_dir(rel));
                    ctx = readers::source::normalize(from, &f)
                        .and_then(|rel| Some((rel.clone(), load_compose(&rel)?)));
                }
                let (base, base_rel) = match &ctx {
                    Some((rel, c)) => (
                        c.services.iter().find(|s| s.name == base_name).cloned(),
                        rel.clone(),
                    ),
                    None => match merged.iter().find(|(n, _, _)| *n == base_name) {
                        Some((_, s, rel)) => (Some(s.clone()), rel.to_string()),
                        None => (None, String::new()),
                    },
                };
                let Some(base) = base else { break };
                let rebase = |p: &str| {
                    readers::source::normalize(parent_dir(&base_rel), p).map(|abs| {
                        format!(
                            "{}{abs}",
                            "../".repeat(dir.split('/').filter(|x| !x.is_empty()).count())
                        )
                    })
                };
                let env = env_files.entry(name.clone()).or_default();
                for e in &base.environment {
                    if !env.iter().any(|(_, own)| own.key == e.key) {
                        env.push((base_rel.clone(), e.clone()));
                    }
                }
                let m = &mut merged[i].1;
                if m.image.is_none() {
                    m.image = base.image.clone();
                }
                if m.build.is_none() {
                    m.build = base.build.as_deref().and_then(&rebase);
                }
                for (p, line) in &base.env_files {
                    if let Some(p) = rebase(p) {
                        m.env_files.push((p, *line));
                    }
                }
                m.secrets.extend(base.secrets.iter().cloned());
                m.ports.extend(base.ports.iter().cloned());
                next = base.extends.clone();
            }
        }
        let secret_files: HashMap<String, Option<String>> = pfiles
            .iter()
            .flat_map(|(_, c)| c.secrets.iter().map(|s| (s.name.clone(), s.file.clone())))
            .collect();
        let interp = |v: &str| config::interpolate(v, &|k: &str| project_env.get(k).cloned());
        // `image: postgres:${PG_VERSION:-16}` and `ports: ["127.0.0.1:${PG_PORT:-5432}:5432"]`
        // only mean something once interpolated, like `environment`.
        for (_, s, _) in &mut merged {
            s.image = s.image.as_deref().map(&interp);
            s.build = s.build.as_deref().map(&interp);
            for p in &mut s.ports {
                if p.spec.contains("${") {
                    *p = readers::compose::parse_port(&interp(&p.spec), p.line);
                }
            }
        }
        // Datastores first, so app hosts resolve.
        let mut apps = Vec::new();
        for (name, s, rel) in &merged {
            let env: Vec<Entry> = env_files
                .get(name)
                .map(|v| {
                    v.iter()
                        .map(|(_, e)| Entry {
                            value: e.value.as_deref().map(&interp),
                            ..e.clone()
                        })
                        .collect()
                })
                .unwrap_or_default();
            let built_db = s
                .build
                .as_deref()
                .and_then(|ctx| readers::source::normalize(dir, ctx))
                .and_then(|path| db_dirs.get(&path));
            let engine = match (s.image.as_deref().map(image_engine), built_db) {
                (Some(e), _) if e != Engine::Unknown => e,
                (_, Some((e, _))) => *e,
                _ => Engine::Unknown,
            };
            let tool = s.image.as_deref().is_some_and(is_tool_image);
            if engine != Engine::Unknown {
                let id = if multi && !dir.is_empty() {
                    format!("compose:{dir}/{name}")
                } else {
                    format!("compose:{name}")
                };
                let ds = b.datastore(&id, engine, true);
                // The image's own `ENV` first: compose settings override it.
                let mut env_all: Vec<Entry> = built_db.map(|(_, e)| e.clone()).unwrap_or_default();
                env_all.extend(env.iter().cloned());
                for (path, _) in &s.env_files {
                    if let Some(p) = readers::source::normalize(dir, path)
                        && let Some(e) = read_entries(&p)
                    {
                        env_all.extend(e);
                    }
                }
                let d = &mut b.g.datastores[ds];
                d.loc = Some(Loc::new(rel, s.line));
                d.variant = Some(variant.clone());
                describe_db_env(d, &env_all);
                for p in &s.ports {
                    d.published.push(Published {
                        ip: p.host_ip.clone(),
                        port: p.host_port,
                        loc: Loc::new(rel, p.line),
                        variant: Some(variant.clone()),
                    });
                }
                let aliases = &mut b.compose_alias[pidx];
                aliases.insert(name.to_ascii_lowercase(), ds);
                for a in &s.aliases {
                    aliases.insert(a.to_ascii_lowercase(), ds);
                }
            } else if !tool {
                apps.push((name, s, rel, env));
            }
        }
        for (_, s, _) in &merged {
            for (target, alias, _) in &s.links {
                if let Some(&ds) = b.compose_alias[pidx].get(&target.to_ascii_lowercase()) {
                    b.compose_alias[pidx].insert(alias.to_ascii_lowercase(), ds);
                }
            }
        }
        for (name, s, rel, env) in apps {
            let idx = match s
                .build
                .as_deref()
                .and_then(|ctx| readers::source::normalize(dir, ctx))
            {
                Some(path) if b.roots.contains_key(&path) => b.roots[&path],
                _ => b.match_service(name, s.image.as_deref(), "compose"),
            };
            b.g.services[idx].aliases.insert(name.clone());
            b.g.services[idx].origins.insert("compose");
            b.compose_projects.entry(idx).or_default().insert(pidx);
            let variant = if s.profiles.is_empty() {
                variant.clone()
            } else {
                format!("{variant}[{}]", s.profiles.join(","))
            };
            // One environment, as the container sees it: `env_file` entries, overridden
            // by `environment` (across override and `extends` files). Each key keeps the
            // file it is written in, so that `DB_HOST` in docker-compose.yml and `DB_NAME`
            // in docker-compose.override.yml are still one connection.
            let mut entries: Vec<Entry> = Vec::new();
            let mut key_files: HashMap<String, String> = HashMap::new();
            let mut set = |entries: &mut Vec<Entry>, file: &str, e: Entry| {
                entries.retain(|old| old.key != e.key);
                key_files.insert(e.key.clone(), file.to_string());
                entries.push(e);
            };
            for (path, line) in &s.env_files {
                let Some(p) = readers::source::normalize(dir, path) else {
                    continue;
                };
                b.env_file_refs.push((idx, p.clone(), Loc::new(rel, *line)));
                for e in read_entries(&p).unwrap_or_default() {
                    set(&mut entries, &p, e);
                }
            }
            if let Some(v) = env_files.get(name.as_str()) {
                for (f, e) in v {
                    if let Some(interpolated) =
                        env.iter().find(|x| x.key == e.key && x.line == e.line)
                    {
                        set(&mut entries, f, interpolated.clone());
                    }
                }
            }
            b.sources.push(Source {
                owner: Owner::Service(idx),
                file: rel.to_string(),
                variant: Some(variant.clone()),
                ctx: Ctx::Compose(pidx),
                entries,
                key_files,
            });
            for (target, line) in &s.depends_on {
                if let Some(&ds) = b.compose_alias[pidx].get(&target.to_ascii_lowercase()) {
                    b.g.datastores[ds].dependants.insert(idx);
                }
                let _ = line;
            }
            for (secret, line) in &s.secrets {
                let loc = Loc::new(rel, *line);
                b.object_refs
                    .push((idx, secret.clone(), true, false, loc.clone()));
                let w = config::words(secret);
                let pw_like = w.iter().any(|x| {
                    matches!(
                        x.as_str(),
                        "password" | "pass" | "pwd" | "passwd" | "credentials" | "creds"
                    )
                });
                if pw_like {
                    let value = secret_files
                        .get(secret)
                        .cloned()
                        .flatten()
                        .and_then(|f| readers::source::normalize(dir, &f))
                        .and_then(|p| super::walk::read_text(&root.join(p)).ok().flatten())
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty() && !super::model::is_placeholder(t));
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
                        variant: Some(variant.clone()),
                        via: format!("secret {secret}"),
                    });
                }
            }
        }
    }

    // ---- 3. Kubernetes ------------------------------------------------------------
    let mut objects: Vec<(&str, &Object)> = Vec::new();
    for f in files {
        if let Parsed::Kube(objs) = &f.parsed {
            objects.extend(objs.iter().map(|o| (f.rel.as_str(), o)));
        }
    }
    let data: HashMap<(String, String, bool), (&str, &Vec<Entry>)> = objects
        .iter()
        .filter_map(|(rel, o)| match &o.body {
            Body::Data(d) => Some((
                (o.namespace.clone(), o.name.clone(), o.kind == "Secret"),
                (*rel, d),
            )),
            _ => None,
        })
        .collect();
    let services_k8s: Vec<(&str, &Object)> = objects
        .iter()
        .filter(|(_, o)| o.kind == "Service")
        .copied()
        .collect();
    let mut kube_apps = Vec::new();
    for (rel, o) in &objects {
        let Body::Workload { containers, labels } = &o.body else {
            continue;
        };
        let engine = containers
            .iter()
            .filter_map(|c| c.image.as_deref())
            .map(image_engine)
            .find(|e| *e != Engine::Unknown)
            .unwrap_or(Engine::Unknown);
        let tool = containers
            .iter()
            .filter_map(|c| c.image.as_deref())
            .all(is_tool_image)
            && !containers.is_empty();
        if engine != Engine::Unknown {
            // Which Services select it?
            let selecting: Vec<&(&str, &Object)> = services_k8s
                .iter()
                .filter(|(_, s)| {
                    s.namespace == o.namespace
                        && matches!(&s.body, Body::Service { selector, .. } if !selector.is_empty() && selector.iter().all(|p| labels.contains(p)))
                })
                .collect();
            let primary = selecting
                .first()
                .map_or(o.name.as_str(), |(_, s)| s.name.as_str());
            let id = format!("k8s:{}/{}", o.namespace, primary);
            let ds = b.datastore(&id, engine, true);
            let mut env = Vec::new();
            for c in containers {
                env.extend(kube_env(c, &o.namespace, &data).0);
            }
            let d = &mut b.g.datastores[ds];
            d.loc = Some(Loc::new(rel, o.line));
            d.variant = Some("kubernetes".into());
            describe_db_env(d, &env);
            b.kube_alias
                .insert((o.namespace.clone(), o.name.to_ascii_lowercase()), ds);
            for (srel, s) in selecting {
                b.kube_alias
                    .insert((s.namespace.clone(), s.name.to_ascii_lowercase()), ds);
                if let Body::Service {
                    service_type: Some(t),
                    ports,
                    ..
                } = &s.body
                    && (t == "NodePort" || t == "LoadBalancer")
                {
                    for (port, line) in ports {
                        b.g.datastores[ds].published.push(Published {
                            ip: None,
                            port: *port,
                            loc: Loc::new(srel, *line),
                            variant: Some("kubernetes".into()),
                        });
                    }
                }
            }
        } else if !tool {
            kube_apps.push((rel, o, containers));
        }
    }
    for (rel, o, containers) in kube_apps {
        let image = containers.iter().find_map(|c| c.image.as_deref());
        let idx = b.match_service(&o.name, image, "kubernetes");
        b.g.services[idx].aliases.insert(o.name.clone());
        b.g.services[idx].origins.insert("kubernetes");
        b.kube_namespaces
            .entry(idx)
            .or_default()
            .insert(o.namespace.clone());
        for c in containers {
            let (entries, refs) = kube_env(c, &o.namespace, &data);
            for (name, secret, loc_line, is_db) in refs {
                b.object_refs
                    .push((idx, name, secret, is_db, Loc::new(rel, loc_line)));
            }
            b.sources.push(Source {
                owner: Owner::Service(idx),
                file: rel.to_string(),
                variant: Some("kubernetes".into()),
                ctx: Ctx::Kube(o.namespace.clone()),
                entries,
                key_files: HashMap::new(),
            });
        }
    }

    // ---- 4. Per-directory configuration and source --------------------------------------
    for f in files {
        let dir = parent_dir(&f.rel).to_string();
        let name = file_name(&f.rel);
        let push = |b: &mut Builder, variant: Option<String>, entries: Vec<Entry>| {
            b.sources.push(Source {
                owner: Owner::Dir(dir.clone()),
                file: f.rel.clone(),
                variant,
                ctx: Ctx::Neutral,
                entries,
                key_files: HashMap::new(),
            });
        };
        match &f.parsed {
            Parsed::Env(entries) => {
                let variant = name
                    .strip_prefix(".env.")
                    .filter(|v| !matches!(*v, "local" | "development" | "dev"))
                    .map(|v| format!("env:{v}"));
                push(&mut b, variant, entries.clone());
            }
            Parsed::Dockerfile(_, entries) if !db_dirs.contains_key(&dir) => {
                push(&mut b, None, entries.clone())
            }
            Parsed::Config(entries) => push(&mut b, None, entries.clone()),
            Parsed::Spring(docs) => {
                // `---` documents of a test profile inside application.yml, like
                // application-test.yml, configure test runs.
                for d in docs
                    .iter()
                    .filter(|d| !d.profile.as_deref().is_some_and(readers::is_test_profile))
                {
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
                    push(
                        &mut b,
                        d.profile.as_ref().map(|p| format!("spring:{p}")),
                        entries,
                    );
                    // Variables the configuration reads.
                    let mut reads = Vec::new();
                    for e in &d.entries {
                        for var in config::referenced_vars(e.value.as_deref().unwrap_or("")) {
                            reads.push(Entry {
                                key: var,
                                value: None,
                                line: e.line,
                                source_ref: None,
                            });
                        }
                    }
                    if !reads.is_empty() {
                        push(
                            &mut b,
                            d.profile.as_ref().map(|p| format!("spring:{p}")),
                            reads,
                        );
                    }
                }
            }
            Parsed::AppSettings(env, entries) => push(
                &mut b,
                env.as_ref().map(|e| format!("dotnet:{e}")),
                entries.clone(),
            ),
            _ => {}
        }
    }

    // ---- 5. Resolve sources into connections and references ------------------------------
    let sources = std::mem::take(&mut b.sources);
    for src in &sources {
        let Some(service) = b.owner(&src.owner) else {
            continue;
        };
        for c in config::connections(&src.entries) {
            b.add_conn(service, &c, src);
        }
        for e in config::admin_password_keys(&src.entries) {
            b.g.admin_keys.push(AdminKey {
                service,
                key: e.key.clone(),
                loc: Loc::new(src.file_of(&e.key), e.line),
            });
        }
        for e in &src.entries {
            b.check_var(service, &e.key, Loc::new(src.file_of(&e.key), e.line));
        }
    }
    for f in files {
        let Parsed::Source(facts) = &f.parsed else {
            continue;
        };
        let Some(service) = b.owner(&Owner::Dir(parent_dir(&f.rel).to_string())) else {
            continue;
        };
        for found in facts {
            let loc = Loc::new(&f.rel, found.line);
            match &found.fact {
                Fact::Conn(spec) => {
                    let src = Source {
                        owner: Owner::Service(service),
                        file: f.rel.clone(),
                        variant: None,
                        ctx: Ctx::Neutral,
                        entries: Vec::new(),
                        key_files: HashMap::new(),
                    };
                    let c = ConnFound {
                        spec: spec.clone(),
                        line: found.line,
                        keys: vec!["connection string".into()],
                    };
                    b.add_conn(service, &c, &src);
                }
                Fact::TableCreate(t) => b.g.tables.push(TableUse {
                    service,
                    table: t.clone(),
                    create: true,
                    loc,
                }),
                Fact::TableUse(t) => b.g.tables.push(TableUse {
                    service,
                    table: t.clone(),
                    create: false,
                    loc,
                }),
                Fact::EnvRead(name) => {
                    b.check_var(service, name, loc.clone());
                    let w = config::words(name);
                    if config::admin_password_keys(&[Entry::new(name, "", 0)]).len() == 1
                        && !w.is_empty()
                    {
                        b.g.admin_keys.push(AdminKey {
                            service,
                            key: name.clone(),
                            loc,
                        });
                    }
                }
                Fact::EnvFileRef(path) => b.env_file_refs.push((service, path.clone(), loc)),
            }
        }
    }
    for (service, path, loc) in std::mem::take(&mut b.env_file_refs) {
        let owner = b.owner(&Owner::Dir(parent_dir(&path).to_string()));
        b.borrowed(service, owner, || format!("env file `{path}`"), loc);
    }
    for (service, name, secret, is_db, loc) in std::mem::take(&mut b.object_refs) {
        let w = config::words(&name);
        if !(secret || is_db || config::is_db_key(&w)) {
            continue;
        }
        let kind = if secret { "secret" } else { "config map" };
        let owner = b.owner_by_prefix(&w);
        b.borrowed(service, owner, || format!("{kind} `{name}`"), loc);
    }
    dedup(&mut b.g);
    b.g
}

fn compose_order(name: &str) -> (u8, String) {
    let lower = name.to_ascii_lowercase();
    let rank = if matches!(
        lower.as_str(),
        "compose.yml" | "compose.yaml" | "docker-compose.yml" | "docker-compose.yaml"
    ) {
        0
    } else if lower.contains(".override.") {
        1
    } else {
        2
    };
    (rank, lower)
}

/// Facts a database container's environment states about itself.
fn describe_db_env(d: &mut Datastore, env: &[Entry]) {
    let get = |k: &str| {
        env.iter()
            .rev()
            .find(|e| e.key == k)
            .and_then(|e| e.value.clone())
            .filter(|v| !v.is_empty())
    };
    match d.engine {
        Engine::Postgres => {
            let user = get("POSTGRES_USER").unwrap_or_else(|| "postgres".into());
            if let Some(db) = get("POSTGRES_DB").or_else(|| Some(user.clone())) {
                d.databases.push(db);
            }
            d.admin = Some((user, get("POSTGRES_PASSWORD")));
        }
        Engine::Mysql | Engine::Mariadb => {
            if let Some(db) = get("MYSQL_DATABASE").or_else(|| get("MARIADB_DATABASE")) {
                d.databases.push(db);
            }
            d.admin = Some((
                "root".into(),
                get("MYSQL_ROOT_PASSWORD").or_else(|| get("MARIADB_ROOT_PASSWORD")),
            ));
        }
        Engine::Mongodb => {
            if let Some(db) = get("MONGO_INITDB_DATABASE") {
                d.databases.push(db);
            }
            if let Some(u) = get("MONGO_INITDB_ROOT_USERNAME") {
                d.admin = Some((u, get("MONGO_INITDB_ROOT_PASSWORD")));
            }
        }
        Engine::Sqlserver => {
            d.admin = Some((
                "sa".into(),
                get("MSSQL_SA_PASSWORD").or_else(|| get("SA_PASSWORD")),
            ))
        }
        _ => {}
    }
}

/// A Secret or ConfigMap a container references: (name, is_secret, line, holds database keys).
type ObjectRef = (String, bool, u32, bool);

/// A container's environment as entries, plus the Secrets/ConfigMaps it references
/// as (name, is_secret, line, holds_db_keys).
fn kube_env(
    c: &super::readers::kubernetes::Container,
    ns: &str,
    data: &HashMap<(String, String, bool), (&str, &Vec<Entry>)>,
) -> (Vec<Entry>, Vec<ObjectRef>) {
    let mut entries = Vec::new();
    let mut refs = Vec::new();
    for f in &c.env_from {
        let obj = data.get(&(ns.to_string(), f.name.clone(), f.secret));
        let mut holds_db = false;
        if let Some((_, d)) = obj {
            for e in d.iter() {
                holds_db |= config::is_db_key(&config::words(&e.key));
                entries.push(Entry {
                    key: format!("{}{}", f.prefix, e.key),
                    value: e.value.clone(),
                    line: f.line,
                    source_ref: Some(format!(
                        "{}:{ns}/{}/{}",
                        if f.secret { "secret" } else { "configmap" },
                        f.name,
                        e.key
                    )),
                });
            }
        }
        refs.push((f.name.clone(), f.secret, f.line, holds_db));
    }
    for v in &c.env {
        let (value, source_ref) = match &v.source {
            EnvSource::Value(val) => (val.clone(), None),
            EnvSource::Secret { name, key } | EnvSource::ConfigMap { name, key } => {
                let secret = matches!(v.source, EnvSource::Secret { .. });
                refs.push((
                    name.clone(),
                    secret,
                    v.line,
                    config::is_db_key(&config::words(&v.name)),
                ));
                let val = data
                    .get(&(ns.to_string(), name.clone(), secret))
                    .and_then(|(_, d)| d.iter().find(|e| &e.key == key))
                    .and_then(|e| e.value.clone());
                let kind = if secret { "secret" } else { "configmap" };
                (val, Some(format!("{kind}:{ns}/{name}/{key}")))
            }
            EnvSource::Other => (None, None),
        };
        entries.retain(|e: &Entry| e.key != v.name);
        entries.push(Entry {
            key: v.name.clone(),
            value,
            line: v.line,
            source_ref,
        });
    }
    // Kubernetes `$(VAR)` references to earlier variables.
    let lookup: HashMap<String, String> = entries
        .iter()
        .filter_map(|e| Some((e.key.clone(), e.value.clone()?)))
        .collect();
    for e in &mut entries {
        if let Some(v) = &mut e.value
            && v.contains("$(")
        {
            let mut out = v.clone();
            for (k, val) in &lookup {
                out = out.replace(&format!("$({k})"), val);
            }
            *v = out;
        }
    }
    (entries, refs)
}

fn dedup(g: &mut Graph) {
    let mut seen = BTreeSet::new();
    g.conns.retain(|c| {
        seen.insert(format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}",
            c.service,
            c.datastore,
            c.database,
            c.schema,
            c.user,
            c.password,
            c.password_ref,
            c.loc,
            c.variant
        ))
    });
    let mut seen = BTreeSet::new();
    g.tables
        .retain(|t| seen.insert((t.service, t.table.clone(), t.create, t.loc.clone())));
    let mut seen = BTreeSet::new();
    g.foreign
        .retain(|f| seen.insert((f.service, f.owner, f.what.clone(), f.loc.clone())));
    let mut seen = BTreeSet::new();
    g.admin_keys
        .retain(|a| seen.insert((a.service, a.key.clone(), a.loc.clone())));
}

impl Builder {
    fn service(&mut self, name: &str, origin: &'static str) -> usize {
        let key = norm(name);
        if let Some(&idx) = self.by_name.get(&key) {
            self.g.services[idx].origins.insert(origin);
            return idx;
        }
        let idx = self.g.services.len();
        let mut s = Service {
            name: name.to_string(),
            ..Service::default()
        };
        s.aliases.insert(name.to_string());
        s.origins.insert(origin);
        self.g.services.push(s);
        self.by_name.insert(key, idx);
        idx
    }

    /// The known service a migration job or directory named `name` migrates
    /// (`orders-migrate`, `migrate-orders` → `orders`); remembers the name.
    fn migrated_service(&mut self, name: &str) -> Option<usize> {
        let key = norm(name);
        let idx = migration_bases(&key)
            .iter()
            .find_map(|base| self.by_name.get(base).copied())?;
        self.by_name.insert(key, idx);
        Some(idx)
    }

    /// Match a compose service or workload to a known service by name, migration suffix or image.
    fn match_service(&mut self, name: &str, image: Option<&str>, origin: &'static str) -> usize {
        let key = norm(name);
        if let Some(&idx) = self.by_name.get(&key) {
            self.g.services[idx].origins.insert(origin);
            return idx;
        }
        if let Some(idx) = self.migrated_service(name) {
            return idx;
        }
        if let Some(image) = image {
            let base = norm(&image_base(image));
            if let Some(&idx) = self.by_name.get(&base) {
                self.by_name.insert(key, idx);
                return idx;
            }
        }
        self.service(name, origin)
    }

    fn datastore(&mut self, id: &str, engine: Engine, declared: bool) -> usize {
        if let Some(&idx) = self.ds_by_id.get(id) {
            let d = &mut self.g.datastores[idx];
            d.declared |= declared;
            if d.engine == Engine::Unknown {
                d.engine = engine;
            }
            return idx;
        }
        let idx = self.g.datastores.len();
        self.g.datastores.push(Datastore {
            id: id.to_string(),
            engine,
            declared,
            loc: None,
            variant: None,
            databases: Vec::new(),
            admin: None,
            published: Vec::new(),
            dependants: BTreeSet::new(),
            owner: None,
        });
        self.ds_by_id.insert(id.to_string(), idx);
        idx
    }

    fn owner(&self, owner: &Owner) -> Option<usize> {
        match owner {
            Owner::Service(i) => Some(*i),
            Owner::Dir(dir) => {
                let mut d = dir.as_str();
                loop {
                    if let Some(&idx) = self.roots.get(d) {
                        return Some(idx);
                    }
                    if d.is_empty() {
                        return None;
                    }
                    d = parent_dir(d);
                }
            }
        }
    }

    /// The service whose name starts a database variable/secret name (`ORDERS_DB_URL` → orders).
    fn owner_by_prefix(&self, words: &[String]) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (idx, s) in self.g.services.iter().enumerate() {
            for alias in s.aliases.iter().chain(std::iter::once(&s.name)) {
                let a = norm(alias);
                let aw: Vec<&str> = a.split('-').filter(|x| !x.is_empty()).collect();
                if aw.is_empty() || words.len() <= aw.len() {
                    continue;
                }
                if words.iter().zip(&aw).all(|(w, a)| w == a)
                    && config::is_db_key(&words[aw.len()..])
                    && best.is_none_or(|(len, _)| aw.len() > len)
                {
                    best = Some((aw.len(), idx));
                }
            }
        }
        best.map(|(_, idx)| idx)
    }

    fn check_var(&mut self, service: usize, key: &str, loc: Loc) {
        let w = config::words(key);
        if !config::is_db_key(&w) {
            return;
        }
        let owner = self.owner_by_prefix(&w);
        self.borrowed(service, owner, || format!("variable `{key}`"), loc);
    }

    /// Record that `service` uses configuration `what` owned by `owner`, unless it is its own.
    fn borrowed(
        &mut self,
        service: usize,
        owner: Option<usize>,
        what: impl FnOnce() -> String,
        loc: Loc,
    ) {
        if let Some(owner) = owner.filter(|&o| o != service) {
            self.g.foreign.push(ForeignRef {
                service,
                owner,
                what: what(),
                loc,
            });
        }
    }

    /// The one candidate, preferring those where `mine` holds: a service's Spring or
    /// `.env` host `db` is the `db` of the compose project (or namespace) it runs in,
    /// when several projects each have their own `db`.
    fn pick<K: Ord>(cands: &BTreeSet<(K, usize)>, mine: impl Fn(&K) -> bool) -> Option<usize> {
        let all: BTreeSet<usize> = cands.iter().map(|(_, d)| *d).collect();
        if all.len() == 1 {
            return all.into_iter().next();
        }
        let own: BTreeSet<usize> = cands
            .iter()
            .filter(|(k, _)| mine(k))
            .map(|(_, d)| *d)
            .collect();
        (own.len() == 1).then(|| own.into_iter().next()).flatten()
    }

    fn resolve(&mut self, spec: &ConnSpec, ctx: &Ctx, service: usize) -> Option<usize> {
        let raw = spec.host.as_deref()?.trim().to_ascii_lowercase();
        let host = raw
            .trim_end_matches('.')
            .trim_end_matches(".cluster.local")
            .trim_end_matches(".svc")
            .to_string();
        let engine = spec.engine;
        let port = spec.port.or(engine.default_port());
        if is_localhost(&host) {
            let mut hit = None;
            for (idx, d) in self.g.datastores.iter().enumerate() {
                if d.published
                    .iter()
                    .any(|p| p.port.is_some() && p.port == port)
                {
                    let in_project = |p: usize| {
                        self.compose_alias
                            .get(p)
                            .is_some_and(|m| m.values().any(|&v| v == idx))
                    };
                    let in_ctx = match ctx {
                        Ctx::Compose(p) => in_project(*p),
                        Ctx::Neutral => self
                            .compose_projects
                            .get(&service)
                            .is_some_and(|ps| ps.iter().any(|&p| in_project(p))),
                        Ctx::Kube(_) => false,
                    };
                    if hit.is_none() || in_ctx {
                        hit = Some(idx);
                    }
                }
            }
            if let Some(h) = hit {
                return Some(h);
            }
            let id = format!(
                "localhost:{}",
                port.map_or("?".to_string(), |p| p.to_string())
            );
            return Some(self.datastore(&id, engine, false));
        }
        let first = host.split('.').next().unwrap_or(&host).to_string();
        match ctx {
            Ctx::Compose(p) => {
                if let Some(&ds) = self.compose_alias.get(*p).and_then(|m| m.get(&host)) {
                    return Some(ds);
                }
            }
            Ctx::Kube(ns) => {
                let ns2 = host.split('.').nth(1).map_or(ns.clone(), str::to_string);
                if let Some(&ds) = self.kube_alias.get(&(ns2, first.clone())) {
                    return Some(ds);
                }
            }
            Ctx::Neutral => {
                let compose: BTreeSet<(usize, usize)> = self
                    .compose_alias
                    .iter()
                    .enumerate()
                    .filter_map(|(p, m)| Some((p, *m.get(&host)?)))
                    .collect();
                let projects = self.compose_projects.get(&service);
                if let Some(ds) = Self::pick(&compose, |p| projects.is_some_and(|s| s.contains(p)))
                {
                    return Some(ds);
                }
                let kube: BTreeSet<(String, usize)> = self
                    .kube_alias
                    .iter()
                    .filter(|((_, n), _)| *n == first)
                    .map(|((ns, _), &d)| (ns.clone(), d))
                    .collect();
                let namespaces = self.kube_namespaces.get(&service);
                if compose.is_empty()
                    && let Some(ds) =
                        Self::pick(&kube, |ns| namespaces.is_some_and(|s| s.contains(ns)))
                {
                    return Some(ds);
                }
            }
        }
        let id = format!("{host}:{}", port.map_or("?".to_string(), |p| p.to_string()));
        Some(self.datastore(&id, engine, false))
    }

    fn add_conn(&mut self, service: usize, c: &ConnFound, src: &Source) {
        let ds = self.resolve(&c.spec, &src.ctx, service);
        let mut engine = c.spec.engine;
        if let Some(d) = ds {
            let de = self.g.datastores[d].engine;
            if engine == Engine::Unknown {
                engine = de;
            } else if de == Engine::Unknown {
                self.g.datastores[d].engine = engine;
            }
        }
        let database = c
            .spec
            .database
            .clone()
            .or_else(|| ds.and(engine.default_database()).map(str::to_string))
            .map(|d| d.to_ascii_lowercase());
        self.g.conns.push(ConnUse {
            service,
            datastore: ds,
            engine,
            database,
            schema: c.spec.schema.clone(),
            user: c.spec.user.clone(),
            password: c.spec.password.clone(),
            password_ref: c.spec.password_ref.clone(),
            loc: Loc::new(
                src.file_of(c.keys.first().map_or("", String::as_str)),
                c.line,
            ),
            variant: src.variant.clone(),
            via: c.keys.join(" + "),
        });
    }
}

/// A walked file, for tests.
#[cfg(test)]
pub(super) fn test_file(rel: &str, parsed: Parsed) -> FileOut {
    FileOut {
        rel: rel.into(),
        parsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_file as file;

    #[test]
    fn compose_hosts_resolve_to_one_datastore() {
        let compose = readers::compose::parse(
            "services:\n  orders:\n    build: ./orders\n    environment:\n      DATABASE_URL: postgres://o:pw@db:5432/shop\n  billing:\n    build: ./billing\n    environment:\n      DB_HOST: database\n      DB_NAME: shop\n    links: [\"db:database\"]\n  db:\n    image: postgres:16\n",
        )
        .unwrap();
        let files = vec![
            file("billing/Dockerfile", Parsed::Dockerfile(None, vec![])),
            file("docker-compose.yml", Parsed::Compose(compose)),
            file("orders/Dockerfile", Parsed::Dockerfile(None, vec![])),
        ];
        let g = build(Path::new("/nonexistent"), &files, None);
        let names: Vec<_> = g.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["billing", "orders"]);
        assert_eq!(g.conns.len(), 2);
        assert!(
            g.conns
                .iter()
                .all(|c| g.ds(c.datastore.unwrap()) == "compose:db")
        );
        assert!(
            g.conns
                .iter()
                .all(|c| c.database.as_deref() == Some("shop"))
        );
    }

    #[test]
    fn migration_jobs_belong_to_their_service() {
        let mut b = Builder::default();
        let orders = b.service("orders", "directory");
        assert_eq!(
            b.match_service("orders-migrate", None, "kubernetes"),
            orders
        );
        assert_eq!(b.match_service("orders-service", None, "compose"), orders);
        assert_eq!(
            b.match_service("flyway-job", Some("shop/orders:1"), "kubernetes"),
            orders
        );
        assert_ne!(b.match_service("billing", None, "compose"), orders);
    }

    #[test]
    fn a_migration_directory_joins_the_service_it_migrates() {
        // Regression: `orders-migrations/` (a Flyway image with the DDL) became its own
        // service, so `orders` "shared" its database with it (DBPS001) and used a table
        // "owned" by it (DBPS002).
        let compose = readers::compose::parse(
            "services:\n  orders:\n    build: ./orders\n    environment:\n      DATABASE_URL: postgres://o:pw@db/orders\n  orders-migrations:\n    build: ./orders-migrations\n    environment:\n      FLYWAY_URL: jdbc:postgresql://db/orders\n  reports-migrate:\n    build: ./reports-migrate\n  db:\n    image: postgres:16\n",
        )
        .unwrap();
        let files = vec![
            file("docker-compose.yml", Parsed::Compose(compose)),
            file(
                "migrate-billing/Dockerfile",
                Parsed::Dockerfile(Some("node:20".into()), vec![]),
            ),
            file(
                "orders-migrations/Dockerfile",
                Parsed::Dockerfile(Some("flyway/flyway:10".into()), vec![]),
            ),
            file(
                "orders/Dockerfile",
                Parsed::Dockerfile(Some("node:20".into()), vec![]),
            ),
            file("billing/Dockerfile", Parsed::Dockerfile(None, vec![])),
        ];
        let g = build(Path::new("/nonexistent"), &files, None);
        let names: Vec<_> = g.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["billing", "orders", "reports-migrate"]);
        assert!(g.services[0].dirs.contains("migrate-billing"));
        assert!(g.services[1].dirs.contains("orders-migrations"));
        assert!(g.conns.iter().all(|c| c.service == 1));
    }

    #[test]
    fn per_service_compose_files_naming_every_service_app_stay_separate() {
        // Regression: `orders/docker-compose.yml` and `billing/docker-compose.yml` both
        // defining `app: {build: .}` merged orders and billing into one service `app`,
        // hiding every violation between them.
        let compose = |db: &str| {
            readers::compose::parse(&format!(
                "services:\n  app:\n    build: .\n    environment:\n      DATABASE_URL: postgres://u:pw@db/{db}\n  db:\n    image: postgres:16\n"
            ))
            .unwrap()
        };
        let files = vec![
            file("billing/Dockerfile", Parsed::Dockerfile(None, vec![])),
            file(
                "billing/docker-compose.yml",
                Parsed::Compose(compose("billing")),
            ),
            file("orders/Dockerfile", Parsed::Dockerfile(None, vec![])),
            file(
                "orders/docker-compose.yml",
                Parsed::Compose(compose("orders")),
            ),
        ];
        let g = build(Path::new("/nonexistent"), &files, None);
        let names: Vec<_> = g.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["billing", "orders"]);
        let by_service: Vec<_> = g
            .conns
            .iter()
            .map(|c| (g.name(c.service), c.database.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(by_service, [("billing", "billing"), ("orders", "orders")]);
    }

    #[test]
    fn prefix_ownership() {
        let mut b = Builder::default();
        let orders = b.service("orders", "directory");
        let _ = b.service("order-history", "directory");
        assert_eq!(
            b.owner_by_prefix(&config::words("ORDERS_DB_URL")),
            Some(orders)
        );
        assert_eq!(b.owner_by_prefix(&config::words("ORDERS_API_KEY")), None);
        assert_eq!(b.owner_by_prefix(&config::words("DATABASE_URL")), None);
    }
}
