//! Step 1, ownership: which services there are, and which service each directory,
//! compose service and Kubernetes workload belongs to.
//!
//! Service roots (directories) are registered from each source kind, each with a
//! strength: the manifest's service paths (strongest), compose `build:` contexts and
//! Dockerfiles (strong), build files such as `pom.xml` or `package.json` (weak). A weak root
//! inside or around a strong one is a module or a parent of it and is dropped; the root
//! directory is a service only when the manifest says so or it is the only root. Each root
//! becomes a service named after its compose service (while that name is unique) or its
//! directory; migration roots (`orders-migrations`) join the service they migrate.
//! Then the deployment units are matched to services by build directory, name,
//! migration suffix or image: compose application services, Kubernetes workloads.
//!
//! Adding a source: a new kind of service root is one function that adds candidates to
//! [`Roots`], called from [`root_candidates`]; a new kind of deployment unit (an Aspire
//! `AddProject`) is one function like [`compose_members`] that calls
//! [`Builder::match_service`] per unit and records the index it gets, so that the later
//! steps give the unit's datastores and configuration to that service.
//! Must not: declare datastores or look at configuration values.

use std::collections::BTreeMap;
use std::path::Path;

use super::image::{ImageDirs, Role, image_base};
use super::input::Input;
use super::names::{dir_name, is_under, migration_bases, norm, parent_dir};
use super::{Builder, ManifestInfo, Service};
use crate::doctor::readers::Parsed;
use crate::doctor::readers::source::normalize;

/// The manifest's strength: above every other source.
const MANIFEST: u8 = STRONG + 1;
/// A compose `build:` context or a Dockerfile.
const STRONG: u8 = 2;
/// A build file (`pom.xml`, `package.json`, …).
const WEAK: u8 = 1;

/// Directories that hold tests, documentation or deployment, never a service.
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

/// Candidate service roots: directory → (strength, the name a compose service gives it).
type Roots = BTreeMap<String, (u8, Option<String>)>;

/// Register the services and match every deployment unit to one.
pub(super) fn assign(b: &mut Builder, input: &Input) {
    let roots = root_candidates(input);
    register_roots(b, input.files.root, roots);
    join_tool_dirs(b, &input.dirs);
    manifest_services(b, input.manifest);
    compose_members(b, input);
    kube_members(b, input);
}

/// Every source kind's roots, pruned.
fn root_candidates(input: &Input) -> Roots {
    let mut roots = Roots::new();
    manifest_roots(&mut roots, input.manifest);
    compose_build_roots(&mut roots, input);
    file_roots(&mut roots, input);
    prune(&mut roots);
    forget_shared_compose_names(&mut roots);
    roots
}

/// The manifest's service paths, with their names.
fn manifest_roots(roots: &mut Roots, manifest: Option<&ManifestInfo>) {
    for s in manifest.iter().flat_map(|m| &m.services) {
        roots.insert(s.path.clone(), (MANIFEST, Some(s.name.clone())));
    }
}

/// Compose `build:` contexts (in every compose file, overlays included), named after the
/// compose service unless a stronger source named them.
fn compose_build_roots(roots: &mut Roots, input: &Input) {
    for (rel, c) in input.files.compose_files() {
        let dir = parent_dir(rel);
        for s in &c.services {
            if let Some(ctx) = &s.build
                && let Some(path) = normalize(dir, ctx)
                && !input.dirs.is_not_service(&path)
            {
                let e = roots.entry(path).or_insert((STRONG, None));
                if e.1.is_none() && e.0 <= STRONG {
                    *e = (STRONG, Some(s.name.clone()));
                }
            }
        }
    }
}

/// Directories with a Dockerfile (strong) or a build file (weak), outside test,
/// documentation and deployment directories.
fn file_roots(roots: &mut Roots, input: &Input) {
    for f in input.files.all {
        let dir = parent_dir(&f.rel);
        if NOT_SERVICE_DIRS
            .iter()
            .any(|n| dir.split('/').any(|p| p == *n))
            || input.dirs.is_not_service(dir)
        {
            continue;
        }
        let strength = match f.parsed {
            Parsed::Dockerfile(..) => STRONG,
            Parsed::Marker => WEAK,
            _ => continue,
        };
        let e = roots.entry(dir.to_string()).or_insert((strength, None));
        e.0 = e.0.max(strength);
    }
}

/// Drop weak roots related to a strong one (a module of a service, or a parent pom), and
/// the root directory among others unless the manifest names it.
fn prune(roots: &mut Roots) {
    let strong: Vec<String> = roots
        .iter()
        .filter(|(_, (s, _))| *s >= STRONG)
        .map(|(d, _)| d.clone())
        .collect();
    roots.retain(|dir, (s, _)| {
        *s >= STRONG
            || !strong
                .iter()
                .filter(|st| !st.is_empty())
                .any(|st| is_under(dir, st) || (!dir.is_empty() && is_under(st, dir)))
    });
    if roots.len() > 1 {
        roots.retain(|dir, (s, _)| !dir.is_empty() || *s > STRONG);
    }
}

/// A compose service name names its build directory only while it is unique: per-service
/// compose files all call their service `app` (`build: .`), and those directories are
/// different services, named after the directory.
fn forget_shared_compose_names(roots: &mut Roots) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (strength, name) in roots.values() {
        if let (STRONG, Some(n)) = (*strength, name) {
            *counts.entry(norm(n)).or_default() += 1;
        }
    }
    for (strength, name) in roots.values_mut() {
        if *strength == STRONG
            && name
                .as_ref()
                .is_some_and(|n| counts.get(&norm(n)).is_some_and(|&c| c > 1))
        {
            *name = None;
        }
    }
}

/// Turn roots into services. Migration roots (`orders-migrations`, `migrate-orders`) go
/// last, so that they join the service they migrate: one owner plus its own migration
/// job is one service.
fn register_roots(b: &mut Builder, root: &Path, roots: Roots) {
    let mut named: Vec<(String, String)> = roots
        .into_iter()
        .map(|(dir, (_, name))| {
            let name = name.unwrap_or_else(|| root_name(root, &dir));
            (dir, name)
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
}

/// A root's name from its directory (the audited directory's own name for the root).
fn root_name(root: &Path, dir: &str) -> String {
    if dir.is_empty() {
        dir_name(&root.to_string_lossy()).to_string()
    } else {
        dir_name(dir).to_string()
    }
}

/// A directory packaging only a migration tool belongs to the service it migrates, if any.
fn join_tool_dirs(b: &mut Builder, dirs: &ImageDirs) {
    for dir in &dirs.tool {
        if let Some(idx) = b.migrated_service(dir_name(dir)) {
            b.g.services[idx].dirs.insert(dir.clone());
            b.roots.insert(dir.clone(), idx);
        }
    }
}

/// The manifest's services, which exist even without a directory of their own.
fn manifest_services(b: &mut Builder, manifest: Option<&ManifestInfo>) {
    for s in manifest.iter().flat_map(|m| &m.services) {
        let idx = b.service(&s.name, "manifest");
        b.g.services[idx].origins.remove("directory");
        b.manifest_members.push(idx);
    }
}

/// Compose application services: the service whose root they build, or the one their
/// name or image names.
fn compose_members(b: &mut Builder, input: &Input) {
    for (pidx, p) in input.compose.iter().enumerate() {
        for (midx, m) in p.members.iter().enumerate() {
            if m.role != Role::App {
                continue;
            }
            let built = m.service.build.as_deref().and_then(|ctx| p.path(ctx));
            let idx = match built.and_then(|path| b.roots.get(&path).copied()) {
                Some(idx) => idx,
                None => b.match_service(&m.name, m.service.image.as_deref(), "compose"),
            };
            b.g.services[idx].aliases.insert(m.name.clone());
            b.g.services[idx].origins.insert("compose");
            b.compose_projects.entry(idx).or_default().insert(pidx);
            b.compose_members.push((pidx, midx, idx));
        }
    }
}

/// Kubernetes application workloads, by name, migration suffix or image.
fn kube_members(b: &mut Builder, input: &Input) {
    for (widx, w) in input.kube.workloads.iter().enumerate() {
        if w.role != Role::App {
            continue;
        }
        let o = w.object;
        let idx = b.match_service(&o.name, w.image(), "kubernetes");
        b.g.services[idx].aliases.insert(o.name.clone());
        b.g.services[idx].origins.insert("kubernetes");
        b.kube_namespaces
            .entry(idx)
            .or_default()
            .insert(o.namespace.clone());
        b.kube_members.push((widx, idx));
    }
}

impl Builder {
    /// The service named `name` (normalised), created if new; records where it was seen.
    pub(super) fn service(&mut self, name: &str, origin: &'static str) -> usize {
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

    /// The application services of compose project `pidx`: (member, service) pairs.
    pub(super) fn compose_apps(&self, pidx: usize) -> Vec<(usize, usize)> {
        self.compose_members
            .iter()
            .filter(|(p, _, _)| *p == pidx)
            .map(|&(_, midx, idx)| (midx, idx))
            .collect()
    }

    /// Match a compose service or workload to a known service by name, migration suffix or image.
    pub(super) fn match_service(
        &mut self,
        name: &str,
        image: Option<&str>,
        origin: &'static str,
    ) -> usize {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::graph::{ManifestService, test_build, test_compose, test_file as file};
    use crate::doctor::model::Engine;
    use crate::doctor::readers::kubernetes;

    fn dockerfile(rel: &str, base: &str) -> crate::doctor::walk::FileOut {
        file(rel, Parsed::Dockerfile(Some(base.into()), vec![]))
    }

    fn manifest(services: &[(&str, &str)]) -> ManifestInfo {
        ManifestInfo {
            file: "dbps.yaml".into(),
            project: "shop".into(),
            services: services
                .iter()
                .enumerate()
                .map(|(i, (name, path))| ManifestService {
                    name: name.to_string(),
                    path: path.to_string(),
                    engine: Engine::Postgres,
                    port: None,
                    database: name.to_string(),
                    line: i as u32 + 3,
                })
                .collect(),
        }
    }

    fn roots_of(files: &[crate::doctor::walk::FileOut], m: Option<&ManifestInfo>) -> Roots {
        root_candidates(&Input::new(Path::new("/nonexistent"), files, m))
    }

    #[test]
    fn roots_come_from_each_source_kind_with_their_strength() {
        let m = manifest(&[("accounts", "svc/accounts")]);
        let files = vec![
            file(
                "docker-compose.yml",
                test_compose(
                    "services:\n  orders-api:\n    build: ./orders\n  pg:\n    build: ./db\n",
                ),
            ),
            dockerfile("db/Dockerfile", "postgres:16"),
            dockerfile("billing/Dockerfile", "node:20"),
            // A module of a service (weak inside strong) is not a service of its own.
            file("billing/lib/package.json", Parsed::Marker),
            // A build file alone is a (weak) root.
            file("reports/pom.xml", Parsed::Marker),
            // Test and deployment directories hold no services.
            dockerfile("tests/e2e/Dockerfile", "node:20"),
            dockerfile("deploy/Dockerfile", "node:20"),
        ];
        let roots = roots_of(&files, Some(&m));
        let got: Vec<(&str, u8, Option<&str>)> = roots
            .iter()
            .map(|(d, (s, n))| (d.as_str(), *s, n.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("billing", STRONG, None),
                ("orders", STRONG, Some("orders-api")),
                ("reports", WEAK, None),
                ("svc/accounts", MANIFEST, Some("accounts")),
            ]
        );
    }

    #[test]
    fn the_root_directory_is_a_service_only_alone_or_named_by_the_manifest() {
        let alone = vec![file("package.json", Parsed::Marker)];
        assert_eq!(roots_of(&alone, None).keys().collect::<Vec<_>>(), [""]);
        let with_others = vec![
            dockerfile("Dockerfile", "node:20"),
            dockerfile("orders/Dockerfile", "node:20"),
        ];
        assert_eq!(
            roots_of(&with_others, None).keys().collect::<Vec<_>>(),
            ["orders"]
        );
        let m = manifest(&[("shop", ""), ("orders", "orders")]);
        assert_eq!(
            roots_of(&with_others, Some(&m)).keys().collect::<Vec<_>>(),
            ["", "orders"]
        );
    }

    #[test]
    fn a_compose_name_shared_by_several_build_directories_names_none() {
        let mut roots = Roots::new();
        roots.insert("orders".into(), (STRONG, Some("app".into())));
        roots.insert("billing".into(), (STRONG, Some("app".into())));
        roots.insert("users".into(), (STRONG, Some("users-service".into())));
        roots.insert("svc".into(), (MANIFEST, Some("app".into())));
        forget_shared_compose_names(&mut roots);
        assert_eq!(roots["orders"].1, None);
        assert_eq!(roots["billing"].1, None);
        assert_eq!(roots["users"].1.as_deref(), Some("users-service"));
        assert_eq!(roots["svc"].1.as_deref(), Some("app"));
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
        let compose = test_compose(
            "services:\n  orders:\n    build: ./orders\n    environment:\n      DATABASE_URL: postgres://o:pw@db/orders\n  orders-migrations:\n    build: ./orders-migrations\n    environment:\n      FLYWAY_URL: jdbc:postgresql://db/orders\n  reports-migrate:\n    build: ./reports-migrate\n  db:\n    image: postgres:16\n",
        );
        let files = vec![
            file("docker-compose.yml", compose),
            dockerfile("migrate-billing/Dockerfile", "node:20"),
            dockerfile("orders-migrations/Dockerfile", "flyway/flyway:10"),
            dockerfile("orders/Dockerfile", "node:20"),
            file("billing/Dockerfile", Parsed::Dockerfile(None, vec![])),
        ];
        let g = test_build(&files, None);
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
            test_compose(&format!(
                "services:\n  app:\n    build: .\n    environment:\n      DATABASE_URL: postgres://u:pw@db/{db}\n  db:\n    image: postgres:16\n"
            ))
        };
        let files = vec![
            file("billing/Dockerfile", Parsed::Dockerfile(None, vec![])),
            file("billing/docker-compose.yml", compose("billing")),
            file("orders/Dockerfile", Parsed::Dockerfile(None, vec![])),
            file("orders/docker-compose.yml", compose("orders")),
        ];
        let g = test_build(&files, None);
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
    fn deployment_units_are_matched_and_recorded_for_the_later_steps() {
        let compose = test_compose(
            "services:\n  orders:\n    build: ./orders\n  billing-api:\n    image: shop/billing:1\n  pgadmin:\n    image: dpage/pgadmin4\n  db:\n    image: postgres:16\n",
        );
        let kube = kubernetes::parse(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders-migrate\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: m\n          image: shop/migrations:1\n",
        )
        .unwrap();
        let files = vec![
            file("docker-compose.yml", compose),
            dockerfile("orders/Dockerfile", "node:20"),
            file("k8s/orders.yaml", Parsed::Kube(kube)),
        ];
        let input = Input::new(Path::new("/nonexistent"), &files, None);
        let mut b = Builder::default();
        assign(&mut b, &input);
        let names: Vec<_> = b.g.services.iter().map(|s| s.name.as_str()).collect();
        // The database and the admin tool are no services; the migration job is orders'.
        assert_eq!(names, ["orders", "billing-api"]);
        assert_eq!(b.compose_members, [(0, 0, 0), (0, 1, 1)]);
        assert_eq!(b.kube_members, [(0, 0)]);
        assert_eq!(b.compose_projects[&1], [0].into());
        assert_eq!(b.kube_namespaces[&0], ["shop".to_string()].into());
        assert!(b.g.services[0].aliases.contains("orders-migrate"));
    }

    #[test]
    fn manifest_services_exist_without_a_directory_of_their_own() {
        let m = manifest(&[("orders", "orders"), ("billing", "billing")]);
        let files = vec![dockerfile("orders/Dockerfile", "node:20")];
        let input = Input::new(Path::new("/nonexistent"), &files, Some(&m));
        let mut b = Builder::default();
        assign(&mut b, &input);
        // Services are numbered by root directory; the manifest keeps its own order.
        assert_eq!(b.manifest_members, [1, 0]);
        assert_eq!(b.g.services[1].name, "orders");
        assert!(
            b.g.services
                .iter()
                .all(|s| s.origins == ["manifest"].into())
        );
        assert_eq!(b.roots.keys().collect::<Vec<_>>(), ["billing", "orders"]);
    }
}
