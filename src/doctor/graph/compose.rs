//! The effective compose projects, as the containers see them: compose files grouped by
//! directory (one project each), services merged across the project's files (override
//! files after the base) and `extends`, `${VAR}` interpolated from the project's `.env`,
//! and each service classified as a datastore, a database tool or an application.
//!
//! Only builds the model; which service an application is (ownership), which datastore a
//! database service becomes (datastores) and what its environment connects to
//! (resolution) are decided by the steps. Reads only the files `extends` names.

use std::collections::{BTreeMap, HashMap};

use super::image::{ImageDirs, Role, image_engine, is_tool_image};
use super::input::Files;
use super::names::{file_name, parent_dir};
use crate::doctor::config;
use crate::doctor::model::{Engine, Entry};
use crate::doctor::readers::compose::{self as reader, ComposeFile, ComposeService};
use crate::doctor::readers::source::normalize;

/// How deep `extends` chains are followed.
const MAX_EXTENDS: usize = 8;

/// One compose project: the compose files of one directory.
#[derive(Debug)]
pub(super) struct Project<'a> {
    /// Its directory, relative to the root.
    pub dir: &'a str,
    /// Whether the audited tree has several compose projects (ids then carry the directory).
    pub multi: bool,
    /// The variant its findings carry: `compose`, or `compose:DIR` among several.
    pub variant: String,
    /// Its services, merged across files, in order of first appearance.
    pub members: Vec<Member<'a>>,
    /// Top-level `secrets:` and their `file:`.
    pub secret_files: HashMap<String, Option<String>>,
}

/// A compose service, merged.
#[derive(Debug)]
pub(super) struct Member<'a> {
    /// Service name.
    pub name: String,
    /// The merged service, with `image`, `build` and `ports` interpolated.
    pub service: ComposeService,
    /// The file that first defines it.
    pub rel: &'a str,
    /// `environment`, interpolated, each entry with the file it is written in.
    pub env: Vec<(String, Entry)>,
    /// What it runs.
    pub role: Role,
    /// The `ENV` of the database image it builds (`build:` of a database directory).
    pub built_env: Vec<Entry>,
}

impl Project<'_> {
    /// The id of the datastore a database service becomes.
    pub fn datastore_id(&self, name: &str) -> String {
        if self.multi && !self.dir.is_empty() {
            format!("compose:{}/{name}", self.dir)
        } else {
            format!("compose:{name}")
        }
    }

    /// A path written in the project (`build`, `env_file`, secret `file`), from the root.
    pub fn path(&self, p: &str) -> Option<String> {
        normalize(self.dir, p)
    }
}

/// The compose projects of the walked files, ordered by directory.
pub(super) fn projects<'a>(files: &Files<'a>, dirs: &ImageDirs) -> Vec<Project<'a>> {
    let mut by_dir: BTreeMap<&str, Vec<(&str, &ComposeFile)>> = BTreeMap::new();
    for (rel, c) in files.compose_files() {
        by_dir.entry(parent_dir(rel)).or_default().push((rel, c));
    }
    let multi = by_dir.len() > 1;
    by_dir
        .into_iter()
        .map(|(dir, pfiles)| project(files, dirs, dir, pfiles, multi))
        .collect()
}

/// Merge, interpolate and classify one directory's compose files.
fn project<'a>(
    files: &Files<'a>,
    dirs: &ImageDirs,
    dir: &'a str,
    mut pfiles: Vec<(&'a str, &'a ComposeFile)>,
    multi: bool,
) -> Project<'a> {
    pfiles.sort_by_key(|(rel, _)| compose_order(file_name(rel)));
    let variant = if multi && !dir.is_empty() {
        format!("compose:{dir}")
    } else {
        "compose".to_string()
    };
    let mut merged = merge(&pfiles);
    for i in 0..merged.len() {
        apply_extends(files, dir, &mut merged, i);
    }
    let project_env = project_env(files, dir);
    let interp = |v: &str| config::interpolate(v, &|k: &str| project_env.get(k).cloned());
    let members = merged
        .into_iter()
        .map(|m| classify(dirs, dir, m, &interp))
        .collect();
    let secret_files = pfiles
        .iter()
        .flat_map(|(_, c)| c.secrets.iter().map(|s| (s.name.clone(), s.file.clone())))
        .collect();
    Project {
        dir,
        multi,
        variant,
        members,
        secret_files,
    }
}

/// The base file first, then overrides, then the rest, each group by name.
pub(super) fn compose_order(name: &str) -> (u8, String) {
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

/// The project's `.env`, which compose interpolates `${VAR}` from.
fn project_env(files: &Files, dir: &str) -> HashMap<String, String> {
    let rel = if dir.is_empty() {
        ".env".into()
    } else {
        format!("{dir}/.env")
    };
    files
        .read_entries(&rel)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| Some((e.key, e.value?)))
        .collect()
}

/// A service while merging: its name, the service, the file that first defines it, and its
/// environment with the file each key is written in.
struct Merging<'a> {
    name: String,
    service: ComposeService,
    rel: &'a str,
    env: Vec<(String, Entry)>,
}

/// Merge services across the project's files: later files override.
fn merge<'a>(pfiles: &[(&'a str, &'a ComposeFile)]) -> Vec<Merging<'a>> {
    let mut merged: Vec<Merging> = Vec::new();
    for (rel, c) in pfiles {
        for s in &c.services {
            let i = match merged.iter().position(|m| m.name == s.name) {
                Some(i) => {
                    override_service(&mut merged[i].service, s);
                    i
                }
                None => {
                    merged.push(Merging {
                        name: s.name.clone(),
                        service: s.clone(),
                        rel,
                        env: Vec::new(),
                    });
                    merged.len() - 1
                }
            };
            let m = &mut merged[i];
            for e in &s.environment {
                m.env.retain(|(_, old)| old.key != e.key);
                m.env.push((rel.to_string(), e.clone()));
            }
        }
    }
    merged
}

/// What an override file's service changes in the service it overrides.
fn override_service(m: &mut ComposeService, s: &ComposeService) {
    m.image = s.image.clone().or(m.image.take());
    m.build = s.build.clone().or(m.build.take());
    m.env_files.extend(s.env_files.iter().cloned());
    m.links.extend(s.links.iter().cloned());
    m.depends_on.extend(s.depends_on.iter().cloned());
    m.secrets.extend(s.secrets.iter().cloned());
    m.ports.extend(s.ports.iter().cloned());
    m.aliases.extend(s.aliases.iter().cloned());
}

/// `extends`: service `i` inherits what its bases set and it does not override, following
/// the chain through other files (looked up relative to the file that names them).
fn apply_extends(files: &Files, dir: &str, merged: &mut [Merging], i: usize) {
    let mut next = merged[i].service.extends.clone();
    // The file the base is looked up in (`None`: this project).
    let mut ctx: Option<(String, ComposeFile)> = None;
    for _ in 0..MAX_EXTENDS {
        let Some((file, base_name)) = next.take() else {
            break;
        };
        if let Some(f) = file {
            let from = ctx.as_ref().map_or(dir, |(rel, _)| parent_dir(rel));
            ctx =
                normalize(from, &f).and_then(|rel| Some((rel.clone(), files.load_compose(&rel)?)));
        }
        let (base, base_rel) = match &ctx {
            Some((rel, c)) => (
                c.services.iter().find(|s| s.name == base_name).cloned(),
                rel.clone(),
            ),
            None => match merged.iter().find(|m| m.name == base_name) {
                Some(m) => (Some(m.service.clone()), m.rel.to_string()),
                None => (None, String::new()),
            },
        };
        let Some(base) = base else { break };
        inherit(&mut merged[i], &base, &base_rel, dir);
        next = base.extends.clone();
    }
}

/// Take from `base` (defined in `base_rel`) what `m` does not set itself; its paths are
/// rebased from the base file's directory onto the project's.
fn inherit(m: &mut Merging, base: &ComposeService, base_rel: &str, dir: &str) {
    let rebase = |p: &str| {
        normalize(parent_dir(base_rel), p).map(|abs| {
            format!(
                "{}{abs}",
                "../".repeat(dir.split('/').filter(|x| !x.is_empty()).count())
            )
        })
    };
    for e in &base.environment {
        if !m.env.iter().any(|(_, own)| own.key == e.key) {
            m.env.push((base_rel.to_string(), e.clone()));
        }
    }
    let s = &mut m.service;
    if s.image.is_none() {
        s.image = base.image.clone();
    }
    if s.build.is_none() {
        s.build = base.build.as_deref().and_then(&rebase);
    }
    for (p, line) in &base.env_files {
        if let Some(p) = rebase(p) {
            s.env_files.push((p, *line));
        }
    }
    s.secrets.extend(base.secrets.iter().cloned());
    s.ports.extend(base.ports.iter().cloned());
}

/// Interpolate a merged service and decide what it runs.
fn classify<'a>(
    dirs: &ImageDirs,
    dir: &str,
    m: Merging<'a>,
    interp: &dyn Fn(&str) -> String,
) -> Member<'a> {
    let service = interpolate(m.service, interp);
    let env = m
        .env
        .into_iter()
        .map(|(f, e)| {
            let value = e.value.as_deref().map(interp);
            (f, Entry { value, ..e })
        })
        .collect();
    let built_db = service
        .build
        .as_deref()
        .and_then(|ctx| normalize(dir, ctx))
        .and_then(|path| dirs.db.get(&path));
    Member {
        name: m.name,
        role: role(&service, built_db.map(|(e, _)| *e)),
        service,
        rel: m.rel,
        env,
        built_env: built_db.map(|(_, e)| e.clone()).unwrap_or_default(),
    }
}

/// `image: postgres:${PG_VERSION:-16}` and `ports: ["127.0.0.1:${PG_PORT:-5432}:5432"]`
/// only mean something once interpolated, like `environment`.
fn interpolate(mut service: ComposeService, interp: &dyn Fn(&str) -> String) -> ComposeService {
    service.image = service.image.as_deref().map(interp);
    service.build = service.build.as_deref().map(interp);
    for p in &mut service.ports {
        if p.spec.contains("${") {
            *p = reader::parse_port(&interp(&p.spec), p.line);
        }
    }
    service
}

/// A database (by its image, or by the database image its `build:` directory makes), a
/// tool, or an application.
fn role(service: &ComposeService, built: Option<Engine>) -> Role {
    let engine = match (service.image.as_deref().map(image_engine), built) {
        (Some(e), _) if e != Engine::Unknown => e,
        (_, Some(e)) => e,
        _ => Engine::Unknown,
    };
    if engine != Engine::Unknown {
        Role::Datastore(engine)
    } else if service.image.as_deref().is_some_and(is_tool_image) {
        Role::Tool
    } else {
        Role::App
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::doctor::graph::{test_compose, test_file as file};
    use crate::doctor::readers::Parsed;
    use crate::doctor::walk::FileOut;

    fn projects_of(files: &[FileOut]) -> Vec<Project<'_>> {
        let f = Files::new(Path::new("/nonexistent"), files);
        projects(&f, &ImageDirs::classify(files))
    }

    fn env_of<'a>(m: &'a Member) -> Vec<(&'a str, &'a str, &'a str)> {
        m.env
            .iter()
            .map(|(f, e)| (f.as_str(), e.key.as_str(), e.value.as_deref().unwrap_or("")))
            .collect()
    }

    #[test]
    fn the_base_file_comes_first_then_overrides_then_the_rest() {
        let mut names = vec![
            "docker-compose.prod.yml",
            "docker-compose.override.yml",
            "Docker-Compose.yml",
        ];
        names.sort_by_key(|n| compose_order(n));
        assert_eq!(
            names,
            [
                "Docker-Compose.yml",
                "docker-compose.override.yml",
                "docker-compose.prod.yml"
            ]
        );
    }

    #[test]
    fn override_files_merge_into_the_base_and_each_key_keeps_its_file() {
        let files = vec![
            file(
                "docker-compose.override.yml",
                test_compose(
                    "services:\n  app:\n    image: shop/app:2\n    environment:\n      DB_NAME: shop\n    ports: [\"8081:80\"]\n",
                ),
            ),
            file(
                "docker-compose.yml",
                test_compose(
                    "services:\n  app:\n    image: shop/app:1\n    environment:\n      DB_HOST: db\n      DB_NAME: old\n    ports: [\"8080:80\"]\n  db:\n    image: postgres:16\n",
                ),
            ),
        ];
        let ps = projects_of(&files);
        assert_eq!(ps.len(), 1);
        let p = &ps[0];
        assert_eq!((p.dir, p.variant.as_str()), ("", "compose"));
        let app = &p.members[0];
        assert_eq!(app.rel, "docker-compose.yml");
        assert_eq!(app.service.image.as_deref(), Some("shop/app:2"));
        assert_eq!(app.service.ports.len(), 2);
        assert_eq!(
            env_of(app),
            [
                ("docker-compose.yml", "DB_HOST", "db"),
                ("docker-compose.override.yml", "DB_NAME", "shop")
            ]
        );
        assert_eq!(app.role, Role::App);
        assert_eq!(p.members[1].role, Role::Datastore(Engine::Postgres));
    }

    #[test]
    fn extends_inherits_what_the_service_does_not_set_from_any_file() {
        // The base file is no compose file by name, so the walk did not read it.
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("common")).unwrap();
        std::fs::write(
            root.path().join("common/base.yml"),
            "services:\n  base:\n    build: ../app\n    env_file: [./common.env]\n    environment:\n      LOG: info\n      DB_HOST: base-db\n",
        )
        .unwrap();
        let files = vec![file(
            "deploy/docker-compose.yml",
            test_compose(
                "services:\n  web:\n    extends:\n      file: ../common/base.yml\n      service: base\n    environment:\n      DB_HOST: db\n  worker:\n    extends: web\n",
            ),
        )];
        let f = Files::new(root.path(), &files);
        let ps = projects(&f, &ImageDirs::default());
        let p = &ps[0];
        assert_eq!(p.dir, "deploy");
        let web = &p.members[0];
        // Paths are rebased onto the project's directory.
        assert_eq!(web.service.build.as_deref(), Some("../app"));
        assert_eq!(
            p.path(web.service.build.as_deref().unwrap()).as_deref(),
            Some("app")
        );
        assert_eq!(
            web.service.env_files,
            [("../common/common.env".to_string(), 4)]
        );
        assert_eq!(
            env_of(web),
            [
                ("deploy/docker-compose.yml", "DB_HOST", "db"),
                ("common/base.yml", "LOG", "info")
            ]
        );
        // A chain through the project: worker extends web, which extends base.
        let worker = &p.members[1];
        assert_eq!(worker.service.build.as_deref(), Some("../app"));
        assert_eq!(env_of(worker).len(), 2);
    }

    #[test]
    fn images_ports_and_environment_are_interpolated_from_the_project_env() {
        let files = vec![
            file(
                ".env",
                Parsed::Env(vec![
                    Entry::new("PG", "15", 1),
                    Entry::new("PG_PORT", "5440", 2),
                ]),
            ),
            file(
                "docker-compose.yml",
                test_compose(
                    "services:\n  db:\n    image: postgres:${PG:-16}\n    ports: [\"127.0.0.1:${PG_PORT:-5432}:5432\"]\n    environment:\n      POSTGRES_DB: ${DB:-shop}\n  admin:\n    image: adminer\n  built:\n    build: ./mysql\n",
                ),
            ),
            file(
                "mysql/Dockerfile",
                Parsed::Dockerfile(
                    Some("mysql:8".into()),
                    vec![Entry::new("MYSQL_DATABASE", "x", 2)],
                ),
            ),
        ];
        let ps = projects_of(&files);
        let [db, admin, built] = &ps[0].members[..] else {
            panic!("three services");
        };
        assert_eq!(db.service.image.as_deref(), Some("postgres:15"));
        assert_eq!(db.service.ports[0].host_port, Some(5440));
        assert_eq!(env_of(db), [("docker-compose.yml", "POSTGRES_DB", "shop")]);
        assert_eq!(admin.role, Role::Tool);
        assert_eq!(built.role, Role::Datastore(Engine::Mysql));
        assert_eq!(built.built_env, [Entry::new("MYSQL_DATABASE", "x", 2)]);
    }

    #[test]
    fn several_projects_carry_their_directory_in_variants_and_ids() {
        let c = || test_compose("services:\n  db:\n    image: redis:7\n");
        let files = vec![
            file("a/docker-compose.yml", c()),
            file("docker-compose.yml", c()),
        ];
        let ps = projects_of(&files);
        let got: Vec<_> = ps
            .iter()
            .map(|p| (p.dir, p.variant.as_str(), p.datastore_id("db")))
            .collect();
        assert_eq!(
            got,
            [
                ("", "compose", "compose:db".to_string()),
                ("a", "compose:a", "compose:a/db".to_string())
            ]
        );
        let single = projects_of(&files[..1]);
        assert_eq!(single[0].datastore_id("db"), "compose:db");
    }
}
