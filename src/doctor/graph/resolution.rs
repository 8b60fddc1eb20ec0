//! Step 3b, resolution: every gathered source and every source-code fact becomes
//! connections, table uses, administrator keys and borrowed configuration of the service
//! that owns it; every connection's host is resolved in its context to a datastore, so
//! that "same database" is decided on servers, not on names.
//!
//! A host is resolved per context by one function each: [`Builder::resolve_local`]
//! (`localhost` and friends: the datastore publishing that port, preferring the service's
//! own compose project), and in [`Builder::resolve_named`] a compose project's names, a
//! Kubernetes namespace's names (`db.shop.svc.cluster.local` names its namespace), or with
//! no context ([`Ctx::Neutral`]) the one datastore of that name anywhere, preferring
//! the service's own projects and namespaces. A host no datastore answers to becomes an
//! undeclared `host:port` datastore.
//!
//! Adding a context: a [`Ctx`] variant for the sources that carry it, and one arm in
//! `resolve_named` that looks the name up in the aliases the datastores step registered.
//! Must not: declare datastores other than undeclared `host:port` ones, or create services.

use std::collections::BTreeSet;

use super::names::parent_dir;
use super::sources::{Ctx, Owner, Source};
use super::{AdminKey, Builder, ConnUse, ForeignRef, Graph, TableUse};
use crate::doctor::config::{self, ConnFound};
use crate::doctor::model::{ConnSpec, Engine, Entry, Fact, Loc};
use crate::doctor::readers::Parsed;
use crate::doctor::walk::FileOut;

/// Resolve every source, fact and reference, then drop duplicates.
pub(super) fn resolve(b: &mut Builder, files: &[FileOut]) {
    let sources = std::mem::take(&mut b.sources);
    for src in &sources {
        resolve_source(b, src);
    }
    for f in files {
        if let Parsed::Source(facts) = &f.parsed
            && let Some(service) = b.owner(&Owner::Dir(parent_dir(&f.rel).to_string()))
        {
            for found in facts {
                source_fact(b, service, &f.rel, found.line, &found.fact);
            }
        }
    }
    borrowed_env_files(b);
    borrowed_objects(b);
    dedup(&mut b.g);
}

/// A source's connections, administrator password keys, and variables that name another
/// service's database.
fn resolve_source(b: &mut Builder, src: &Source) {
    let Some(service) = b.owner(&src.owner) else {
        return;
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

/// One fact a service's source code states.
fn source_fact(b: &mut Builder, service: usize, rel: &str, line: u32, fact: &Fact) {
    let loc = Loc::new(rel, line);
    match fact {
        Fact::Conn(spec) => {
            let src = Source::new(Owner::Service(service), rel, None, Ctx::Neutral);
            let c = ConnFound {
                spec: spec.clone(),
                line,
                keys: vec!["connection string".into()],
            };
            b.add_conn(service, &c, &src);
        }
        Fact::TableCreate(t) | Fact::TableUse(t) => b.g.tables.push(TableUse {
            service,
            table: t.clone(),
            create: matches!(fact, Fact::TableCreate(_)),
            loc,
        }),
        Fact::EnvRead(name) => {
            b.check_var(service, name, loc.clone());
            if config::admin_password_keys(&[Entry::new(name, "", 0)]).len() == 1
                && !config::words(name).is_empty()
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

/// An env file another service's directory holds, used by this one.
fn borrowed_env_files(b: &mut Builder) {
    for (service, path, loc) in std::mem::take(&mut b.env_file_refs) {
        let owner = b.owner(&Owner::Dir(parent_dir(&path).to_string()));
        b.borrowed(service, owner, || format!("env file `{path}`"), loc);
    }
}

/// A Secret or ConfigMap whose name says it is another service's database configuration
/// (`orders-db-credentials`), used by this one.
fn borrowed_objects(b: &mut Builder) {
    for (service, name, secret, is_db, loc) in std::mem::take(&mut b.object_refs) {
        let w = config::words(&name);
        if !(secret || is_db || config::is_db_key(&w)) {
            continue;
        }
        let kind = if secret { "secret" } else { "config map" };
        let owner = b.owner_by_prefix(&w);
        b.borrowed(service, owner, || format!("{kind} `{name}`"), loc);
    }
}

/// Keep the first of identical records: several sources may state the same thing.
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

fn is_localhost(host: &str) -> bool {
    matches!(
        host,
        "localhost" | "127.0.0.1" | "::1" | "0.0.0.0" | "host.docker.internal" | "host-gateway"
    ) || host.starts_with("127.")
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

impl Builder {
    /// The service a piece of configuration belongs to: its own, or the nearest root's.
    pub(super) fn owner(&self, owner: &Owner) -> Option<usize> {
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
    pub(super) fn owner_by_prefix(&self, words: &[String]) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (idx, s) in self.g.services.iter().enumerate() {
            for alias in s.aliases.iter().chain(std::iter::once(&s.name)) {
                let a = super::names::norm(alias);
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

    /// A database variable named after another service (`ORDERS_DB_URL` in billing).
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

    /// The datastore a connection reaches from `service` in context `ctx`.
    fn resolve(&mut self, spec: &ConnSpec, ctx: &Ctx, service: usize) -> Option<usize> {
        let raw = spec.host.as_deref()?.trim().to_ascii_lowercase();
        let host = raw
            .trim_end_matches('.')
            .trim_end_matches(".cluster.local")
            .trim_end_matches(".svc")
            .to_string();
        let port = spec.port.or(spec.engine.default_port());
        let hit = if is_localhost(&host) {
            self.resolve_local(port, ctx, service)
        } else {
            self.resolve_named(&host, ctx, service)
        };
        let id_host = if is_localhost(&host) {
            "localhost"
        } else {
            &host
        };
        let id = format!(
            "{id_host}:{}",
            port.map_or("?".to_string(), |p| p.to_string())
        );
        Some(hit.unwrap_or_else(|| self.datastore(&id, spec.engine, false)))
    }

    /// A local host reaches the datastore publishing that port; among several, the last
    /// one in the service's own compose context.
    fn resolve_local(&self, port: Option<u16>, ctx: &Ctx, service: usize) -> Option<usize> {
        let in_project = |p: usize, idx: usize| {
            self.compose_alias
                .get(p)
                .is_some_and(|m| m.values().any(|&v| v == idx))
        };
        let mut hit = None;
        for (idx, d) in self.g.datastores.iter().enumerate() {
            if !d
                .published
                .iter()
                .any(|p| p.port.is_some() && p.port == port)
            {
                continue;
            }
            let in_ctx = match ctx {
                Ctx::Compose(p) => in_project(*p, idx),
                Ctx::Neutral => self
                    .compose_projects
                    .get(&service)
                    .is_some_and(|ps| ps.iter().any(|&p| in_project(p, idx))),
                Ctx::Kube(_) => false,
            };
            if hit.is_none() || in_ctx {
                hit = Some(idx);
            }
        }
        hit
    }

    /// A name reaches the datastore answering to it in the context: the compose project,
    /// the namespace (or the one a qualified name gives), or with no context the one
    /// datastore of that name, compose projects first.
    fn resolve_named(&self, host: &str, ctx: &Ctx, service: usize) -> Option<usize> {
        let first = host.split('.').next().unwrap_or(host);
        match ctx {
            Ctx::Compose(p) => self
                .compose_alias
                .get(*p)
                .and_then(|m| m.get(host))
                .copied(),
            Ctx::Kube(ns) => {
                let ns = host.split('.').nth(1).unwrap_or(ns);
                self.kube_alias
                    .get(&(ns.to_string(), first.to_string()))
                    .copied()
            }
            Ctx::Neutral => {
                let compose: BTreeSet<(usize, usize)> = self
                    .compose_alias
                    .iter()
                    .enumerate()
                    .filter_map(|(p, m)| Some((p, *m.get(host)?)))
                    .collect();
                let projects = self.compose_projects.get(&service);
                if let Some(ds) = pick(&compose, |p| projects.is_some_and(|s| s.contains(p))) {
                    return Some(ds);
                }
                let kube: BTreeSet<(String, usize)> = self
                    .kube_alias
                    .iter()
                    .filter(|((_, n), _)| n == first)
                    .map(|((ns, _), &d)| (ns.clone(), d))
                    .collect();
                let namespaces = self.kube_namespaces.get(&service);
                let own_ns = |ns: &String| namespaces.is_some_and(|s| s.contains(ns));
                if compose.is_empty() {
                    pick(&kube, own_ns)
                } else {
                    None
                }
            }
        }
    }

    /// Record a connection of `service` found in `src`, resolved to its datastore.
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::doctor::graph::{Published, test_build, test_compose, test_file as file};
    use crate::doctor::model::TableName;

    fn spec(url: &str) -> ConnSpec {
        crate::doctor::connstr::parse(url).expect("a connection URL")
    }

    fn published(b: &mut Builder, id: &str, port: u16) -> usize {
        let ds = b.datastore(id, Engine::Postgres, true);
        b.g.datastores[ds].published.push(Published {
            ip: None,
            port: Some(port),
            loc: Loc::new("docker-compose.yml", 1),
            variant: None,
        });
        ds
    }

    #[test]
    fn compose_hosts_resolve_to_one_datastore() {
        let compose = test_compose(
            "services:\n  orders:\n    build: ./orders\n    environment:\n      DATABASE_URL: postgres://o:pw@db:5432/shop\n  billing:\n    build: ./billing\n    environment:\n      DB_HOST: database\n      DB_NAME: shop\n    links: [\"db:database\"]\n  db:\n    image: postgres:16\n",
        );
        let files = vec![
            file("billing/Dockerfile", Parsed::Dockerfile(None, vec![])),
            file("docker-compose.yml", compose),
            file("orders/Dockerfile", Parsed::Dockerfile(None, vec![])),
        ];
        let g = test_build(&files, None);
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
    fn local_hosts_reach_the_datastore_publishing_the_port_in_the_own_project() {
        let mut b = Builder::default();
        let other = published(&mut b, "compose:a/db", 5432);
        let own = published(&mut b, "compose:b/db", 5432);
        b.compose_alias = vec![
            HashMap::from([("db".into(), other)]),
            HashMap::from([("db".into(), own)]),
        ];
        b.compose_projects.insert(0, [1].into());
        let local = spec("postgres://u:p@localhost/orders");
        assert_eq!(b.resolve(&local, &Ctx::Compose(0), 0), Some(other));
        assert_eq!(b.resolve(&local, &Ctx::Neutral, 0), Some(own));
        // Another port is a server of its own, not declared anywhere.
        let ds = b.resolve(&spec("postgres://u:p@127.0.0.1:6000/x"), &Ctx::Neutral, 0);
        assert_eq!(b.g.ds(ds.unwrap()), "localhost:6000");
        assert!(!b.g.datastores[ds.unwrap()].declared);
    }

    #[test]
    fn names_resolve_in_their_context() {
        let mut b = Builder::default();
        let a = b.datastore("compose:a/db", Engine::Postgres, true);
        let c = b.datastore("compose:c/db", Engine::Postgres, true);
        let k = b.datastore("k8s:shop/postgres", Engine::Postgres, true);
        b.compose_alias = vec![
            HashMap::from([("db".into(), a)]),
            HashMap::from([("db".into(), c)]),
        ];
        b.kube_alias.insert(("shop".into(), "postgres".into()), k);
        let db = spec("postgres://u:p@db/x");
        assert_eq!(b.resolve(&db, &Ctx::Compose(1), 0), Some(c));
        // Two projects answer to `db`: only the service's own project decides.
        b.compose_projects.insert(7, [0].into());
        assert_eq!(b.resolve(&db, &Ctx::Neutral, 7), Some(a));
        let ambiguous = b.resolve(&db, &Ctx::Neutral, 8).unwrap();
        assert_eq!(b.g.ds(ambiguous), "db:5432");
        // A qualified name gives its namespace.
        let fq = spec("postgres://u:p@postgres.shop.svc.cluster.local/x");
        assert_eq!(b.resolve(&fq, &Ctx::Kube("default".into()), 0), Some(k));
        let short = spec("postgres://u:p@postgres/x");
        assert_eq!(b.resolve(&short, &Ctx::Kube("shop".into()), 0), Some(k));
        assert_eq!(b.resolve(&short, &Ctx::Neutral, 0), Some(k));
        assert_ne!(b.resolve(&short, &Ctx::Kube("other".into()), 0), Some(k));
    }

    #[test]
    fn one_candidate_or_the_one_that_is_mine() {
        let cands: BTreeSet<(usize, usize)> = [(0, 4), (1, 4)].into();
        assert_eq!(pick(&cands, |_| false), Some(4));
        let cands: BTreeSet<(usize, usize)> = [(0, 4), (1, 5)].into();
        assert_eq!(pick(&cands, |p| *p == 1), Some(5));
        assert_eq!(pick(&cands, |_| true), None);
        assert_eq!(pick(&BTreeSet::<(usize, usize)>::new(), |_| true), None);
    }

    #[test]
    fn a_connection_takes_the_datastores_engine_and_default_database() {
        let mut b = Builder::default();
        let ds = b.datastore("compose:cache", Engine::Redis, true);
        b.compose_alias = vec![HashMap::from([("cache".into(), ds)])];
        let mut src = Source::new(
            Owner::Service(0),
            "docker-compose.yml",
            None,
            Ctx::Compose(0),
        );
        src.key_files
            .insert("REDIS_HOST".into(), "docker-compose.override.yml".into());
        let found = ConnFound {
            spec: ConnSpec {
                host: Some("cache".into()),
                ..ConnSpec::default()
            },
            line: 9,
            keys: vec!["REDIS_HOST".into()],
        };
        b.add_conn(0, &found, &src);
        let c = &b.g.conns[0];
        assert_eq!((c.datastore, c.engine), (Some(ds), Engine::Redis));
        assert_eq!(c.database.as_deref(), Engine::Redis.default_database());
        assert_eq!(c.loc, Loc::new("docker-compose.override.yml", 9));
    }

    #[test]
    fn configuration_belongs_to_the_nearest_root_above_it() {
        let mut b = Builder::default();
        b.roots.insert("services/orders".into(), 3);
        b.roots.insert(String::new(), 0);
        let dir = |d: &str| Owner::Dir(d.into());
        assert_eq!(b.owner(&dir("services/orders/src/main")), Some(3));
        assert_eq!(b.owner(&dir("services/orders-api")), Some(0));
        assert_eq!(b.owner(&Owner::Service(5)), Some(5));
        b.roots.remove("");
        assert_eq!(b.owner(&dir("docs")), None);
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

    #[test]
    fn source_facts_and_references_are_resolved_for_their_service() {
        let table = TableName {
            qualifier: None,
            name: "orders".into(),
        };
        let mut b = Builder::default();
        let orders = b.service("orders", "directory");
        let billing = b.service("billing", "directory");
        b.roots.insert("orders".into(), orders);
        source_fact(
            &mut b,
            billing,
            "billing/a.sql",
            3,
            &Fact::TableUse(table.clone()),
        );
        source_fact(&mut b, orders, "orders/a.sql", 1, &Fact::TableCreate(table));
        source_fact(
            &mut b,
            billing,
            "billing/a.py",
            5,
            &Fact::EnvRead("ORDERS_DB_URL".into()),
        );
        source_fact(
            &mut b,
            billing,
            "billing/a.py",
            6,
            &Fact::EnvRead("MYSQL_ROOT_PASSWORD".into()),
        );
        source_fact(
            &mut b,
            billing,
            "billing/a.py",
            7,
            &Fact::EnvFileRef("orders/.env".into()),
        );
        b.object_refs.push((
            billing,
            "orders-db-credentials".into(),
            true,
            false,
            Loc::new("k.yaml", 2),
        ));
        borrowed_env_files(&mut b);
        borrowed_objects(&mut b);
        let tables: Vec<_> = b.g.tables.iter().map(|t| (t.service, t.create)).collect();
        assert_eq!(tables, [(billing, false), (orders, true)]);
        let foreign: Vec<_> =
            b.g.foreign
                .iter()
                .map(|f| (f.service, f.owner, f.what.as_str()))
                .collect();
        assert_eq!(
            foreign,
            [
                (billing, orders, "variable `ORDERS_DB_URL`"),
                (billing, orders, "env file `orders/.env`"),
                (billing, orders, "secret `orders-db-credentials`"),
            ]
        );
        let admin: Vec<_> = b.g.admin_keys.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(admin, ["MYSQL_ROOT_PASSWORD"]);
    }

    #[test]
    fn identical_records_are_kept_once() {
        let mut g = Graph::default();
        let conn = ConnUse {
            service: 0,
            datastore: None,
            engine: Engine::Postgres,
            database: Some("x".into()),
            schema: None,
            user: None,
            password: None,
            password_ref: None,
            loc: Loc::new("a", 1),
            variant: None,
            via: "DATABASE_URL".into(),
        };
        // `via` is not part of a connection's identity.
        let same = ConnUse {
            via: "DB_URL".into(),
            ..conn.clone()
        };
        let other = ConnUse {
            loc: Loc::new("a", 2),
            ..conn.clone()
        };
        g.conns = vec![conn, same, other];
        dedup(&mut g);
        let vias: Vec<_> = g
            .conns
            .iter()
            .map(|c| (c.via.as_str(), c.loc.line))
            .collect();
        assert_eq!(vias, [("DATABASE_URL", 1), ("DATABASE_URL", 2)]);
    }
}
