//! Step 2, datastores: the database servers the project declares, each with a stable id,
//! its engine, where it is declared, the databases and administrator it creates at start,
//! the ports it publishes, and the names it answers to in its context (compose service
//! names, aliases and `links`; Kubernetes workload and Service names per namespace).
//!
//! Declared from each source kind by one function: [`manifest_datastores`] (one per
//! service, owned by it), [`compose_datastores`] (services running a database image, or
//! building one), [`kube_datastores`] (workloads running a database image). Servers that
//! are only named by a connection (`db.example.com:5432`) are added by resolution.
//!
//! Adding a source: one function that calls [`Builder::datastore`] per declared server,
//! fills in its facts (`describe_db_env` reads the official images' variables) and
//! registers the names it answers to for its context, called from [`declare`].
//! Must not: create services or read application configuration.

use std::collections::BTreeSet;

use super::compose::Project;
use super::image::Role;
use super::input::{Files, Input};
use super::kube::Cluster;
use super::{Builder, Datastore, ManifestInfo, Published};
use crate::doctor::model::{Engine, Entry, Loc};
use crate::doctor::readers::kubernetes::Body;

/// Declare every source kind's datastores: the manifest's, then compose's, then Kubernetes'.
pub(super) fn declare(b: &mut Builder, input: &Input) {
    manifest_datastores(b, input.manifest);
    for (pidx, p) in input.compose.iter().enumerate() {
        compose_datastores(b, pidx, p, &input.files);
        compose_links(b, pidx, p);
        compose_dependants(b, pidx, p);
    }
    kube_datastores(b, &input.kube);
}

/// One database per manifest service (`dbps:NAME`), owned by it, published on 127.0.0.1.
fn manifest_datastores(b: &mut Builder, manifest: Option<&ManifestInfo>) {
    let Some(m) = manifest else { return };
    for (s, idx) in m.services.iter().zip(b.manifest_members.clone()) {
        let ds = b.datastore(&format!("dbps:{}", s.name), s.engine, true);
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
    }
}

/// A compose project's database services, answering to their service name and network
/// aliases in that project. Their environment is read in this order, the last value of a
/// key winning: the built image's `ENV`, `environment`, the `env_file` entries.
fn compose_datastores(b: &mut Builder, pidx: usize, p: &Project, files: &Files) {
    b.compose_alias.push(Default::default());
    for m in &p.members {
        let Role::Datastore(engine) = m.role else {
            continue;
        };
        let ds = b.datastore(&p.datastore_id(&m.name), engine, true);
        let mut env = m.built_env.clone();
        env.extend(m.env.iter().map(|(_, e)| e.clone()));
        for (path, _) in &m.service.env_files {
            if let Some(entries) = p.path(path).and_then(|rel| files.read_entries(&rel)) {
                env.extend(entries);
            }
        }
        let d = &mut b.g.datastores[ds];
        d.loc = Some(Loc::new(m.rel, m.service.line));
        d.variant = Some(p.variant.clone());
        describe_db_env(d, &env);
        for port in &m.service.ports {
            d.published.push(Published {
                ip: port.host_ip.clone(),
                port: port.host_port,
                loc: Loc::new(m.rel, port.line),
                variant: Some(p.variant.clone()),
            });
        }
        let aliases = &mut b.compose_alias[pidx];
        aliases.insert(m.name.to_ascii_lowercase(), ds);
        for a in &m.service.aliases {
            aliases.insert(a.to_ascii_lowercase(), ds);
        }
    }
}

/// `links: ["db:database"]` makes a datastore answer to another name in the project.
fn compose_links(b: &mut Builder, pidx: usize, p: &Project) {
    let aliases = &mut b.compose_alias[pidx];
    for m in &p.members {
        for (target, alias, _) in &m.service.links {
            if let Some(&ds) = aliases.get(&target.to_ascii_lowercase()) {
                aliases.insert(alias.to_ascii_lowercase(), ds);
            }
        }
    }
}

/// The services that `depends_on` a project's datastore.
fn compose_dependants(b: &mut Builder, pidx: usize, p: &Project) {
    for (midx, idx) in b.compose_apps(pidx) {
        for (target, _) in &p.members[midx].service.depends_on {
            if let Some(&ds) = b.compose_alias[pidx].get(&target.to_ascii_lowercase()) {
                b.g.datastores[ds].dependants.insert(idx);
            }
        }
    }
}

/// Workloads running a database image, named after the first Service selecting them
/// (`k8s:NAMESPACE/NAME`) and answering to the workload's and every selecting Service's
/// name in their namespace; NodePort and LoadBalancer Services publish their ports.
fn kube_datastores(b: &mut Builder, cluster: &Cluster) {
    for w in &cluster.workloads {
        let Role::Datastore(engine) = w.role else {
            continue;
        };
        let o = w.object;
        let selecting = cluster.selecting(w);
        let primary = selecting
            .first()
            .map_or(o.name.as_str(), |(_, s)| s.name.as_str());
        let ds = b.datastore(&format!("k8s:{}/{primary}", o.namespace), engine, true);
        let env: Vec<Entry> = w
            .containers
            .iter()
            .flat_map(|c| cluster.env(c, &o.namespace).0)
            .collect();
        let d = &mut b.g.datastores[ds];
        d.loc = Some(Loc::new(w.rel, o.line));
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
    }
}

/// Facts a database container's environment states about itself, read with the official
/// images' variables: the databases it creates and its administrator.
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

impl Builder {
    /// The datastore with this id, created if new; `declared` and a known engine stick.
    pub(super) fn datastore(&mut self, id: &str, engine: Engine, declared: bool) -> usize {
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
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::doctor::graph::{ManifestService, ownership, test_compose, test_file as file};
    use crate::doctor::readers::{Parsed, kubernetes};
    use crate::doctor::walk::FileOut;

    /// Ownership then datastores over `files`.
    fn declared(files: &[FileOut], manifest: Option<&ManifestInfo>) -> Builder {
        let input = Input::new(Path::new("/nonexistent"), files, manifest);
        let mut b = Builder::default();
        ownership::assign(&mut b, &input);
        declare(&mut b, &input);
        b
    }

    fn described(engine: Engine, env: &[(&str, &str)]) -> Datastore {
        let mut b = Builder::default();
        let ds = b.datastore("compose:db", engine, true);
        let env: Vec<Entry> = env.iter().map(|(k, v)| Entry::new(k, v, 1)).collect();
        describe_db_env(&mut b.g.datastores[ds], &env);
        b.g.datastores.remove(ds)
    }

    #[test]
    fn official_image_variables_describe_databases_and_administrator() {
        let pg = described(Engine::Postgres, &[("POSTGRES_PASSWORD", "pw")]);
        assert_eq!(pg.databases, ["postgres"]);
        assert_eq!(pg.admin, Some(("postgres".into(), Some("pw".into()))));
        let pg = described(
            Engine::Postgres,
            &[
                ("POSTGRES_USER", "app"),
                ("POSTGRES_DB", "shop"),
                ("POSTGRES_DB", ""),
            ],
        );
        // The last value wins, and an empty one means unset.
        assert_eq!(pg.databases, ["app"]);
        let my = described(
            Engine::Mariadb,
            &[("MARIADB_DATABASE", "shop"), ("MARIADB_ROOT_PASSWORD", "r")],
        );
        assert_eq!(my.databases, ["shop"]);
        assert_eq!(my.admin, Some(("root".into(), Some("r".into()))));
        let mongo = described(Engine::Mongodb, &[("MONGO_INITDB_DATABASE", "shop")]);
        assert_eq!((mongo.databases, mongo.admin), (vec!["shop".into()], None));
        let mssql = described(Engine::Sqlserver, &[("SA_PASSWORD", "x")]);
        assert_eq!(mssql.admin, Some(("sa".into(), Some("x".into()))));
        let redis = described(Engine::Redis, &[("REDIS_PASSWORD", "x")]);
        assert_eq!((redis.databases.len(), redis.admin), (0, None));
    }

    #[test]
    fn datastore_ids_are_unique_and_keep_what_is_known() {
        let mut b = Builder::default();
        let a = b.datastore("db:5432", Engine::Unknown, false);
        assert_eq!(b.datastore("db:5432", Engine::Mysql, true), a);
        assert_eq!(b.datastore("db:5432", Engine::Postgres, false), a);
        let d = &b.g.datastores[a];
        assert_eq!((d.engine, d.declared), (Engine::Mysql, true));
        assert_ne!(b.datastore("db2:5432", Engine::Mysql, false), a);
    }

    #[test]
    fn each_manifest_service_owns_its_database_published_locally() {
        let m = ManifestInfo {
            file: "dbps.yaml".into(),
            project: "shop".into(),
            services: vec![ManifestService {
                name: "orders".into(),
                path: "orders".into(),
                engine: Engine::Postgres,
                port: Some(5433),
                database: "orders".into(),
                line: 4,
            }],
        };
        let b = declared(&[], Some(&m));
        let d = &b.g.datastores[0];
        assert_eq!(
            (d.id.as_str(), d.owner, d.declared),
            ("dbps:orders", Some(0), true)
        );
        assert_eq!(d.loc, Some(Loc::new("dbps.yaml", 4)));
        assert_eq!(d.published[0].ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(d.published[0].port, Some(5433));
    }

    #[test]
    fn compose_databases_answer_to_names_aliases_and_links() {
        let compose = test_compose(
            "services:\n  orders:\n    build: ./orders\n    links: [\"pg:database\"]\n    depends_on: [pg, cache]\n  pg:\n    image: postgres:16\n    environment:\n      POSTGRES_DB: shop\n    ports: [\"127.0.0.1:5433:5432\"]\n    networks:\n      default:\n        aliases: [postgres]\n  cache:\n    build: ./cache\n  adminer:\n    image: adminer\n",
        );
        let files = vec![
            file("docker-compose.yml", compose),
            file("orders/Dockerfile", Parsed::Dockerfile(None, vec![])),
            file(
                "cache/Dockerfile",
                Parsed::Dockerfile(Some("redis:7".into()), vec![Entry::new("X", "1", 2)]),
            ),
        ];
        let b = declared(&files, None);
        let ids: Vec<_> = b.g.datastores.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["compose:pg", "compose:cache"]);
        let pg = &b.g.datastores[0];
        assert_eq!(pg.engine, Engine::Postgres);
        assert_eq!(pg.databases, ["shop"]);
        assert_eq!(pg.loc, Some(Loc::new("docker-compose.yml", 6)));
        assert_eq!(pg.variant.as_deref(), Some("compose"));
        assert_eq!(pg.published[0].port, Some(5433));
        assert_eq!(b.g.datastores[1].engine, Engine::Redis);
        let mut names: Vec<_> = b.compose_alias[0].iter().collect();
        names.sort();
        assert_eq!(
            names,
            [
                (&"cache".to_string(), &1),
                (&"database".to_string(), &0),
                (&"pg".to_string(), &0),
                (&"postgres".to_string(), &0)
            ]
        );
        assert!(b.g.datastores.iter().all(|d| d.dependants == [0].into()));
    }

    #[test]
    fn kubernetes_databases_take_their_service_names_and_node_ports() {
        let objects = kubernetes::parse(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: pg-0\n  namespace: shop\nspec:\n  template:\n    metadata:\n      labels: {app: pg}\n    spec:\n      containers:\n        - name: pg\n          image: postgres:16\n          env:\n            - name: POSTGRES_DB\n              value: orders\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: postgres\n  namespace: shop\nspec:\n  type: NodePort\n  selector: {app: pg}\n  ports:\n    - port: 5432\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: postgres\n  namespace: other\nspec:\n  selector: {app: pg}\n",
        )
        .unwrap();
        let b = declared(&[file("k8s/db.yaml", Parsed::Kube(objects))], None);
        assert_eq!(b.g.datastores.len(), 1);
        let d = &b.g.datastores[0];
        assert_eq!(d.id, "k8s:shop/postgres");
        assert_eq!(d.databases, ["orders"]);
        assert_eq!(d.variant.as_deref(), Some("kubernetes"));
        assert_eq!(d.published.len(), 1);
        assert_eq!(d.published[0].ip, None);
        assert_eq!(d.published[0].port, Some(5432));
        let mut names: Vec<_> = b.kube_alias.keys().cloned().collect();
        names.sort();
        let key = |ns: &str, n: &str| (ns.to_string(), n.to_string());
        // The Service of another namespace selects nothing here.
        assert_eq!(names, [key("shop", "pg-0"), key("shop", "postgres")]);
    }
}
