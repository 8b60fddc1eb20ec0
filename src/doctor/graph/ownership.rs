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
