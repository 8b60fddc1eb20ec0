//! DBPS001 shared-database: two or more services use the same logical database (and,
//! where schemas are stated, the same schema) on the same server.
//!
//! Servers are compared after host resolution, so the same database *name* on two hosts
//! is not sharing; a migration job is part of the service it migrates, so it never
//! counts as a second user.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, Rule, Severity, list, server_target, service_names};
use crate::doctor::graph::{ConnUse, Graph};

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS001",
    name: "shared-database",
    severity: Severity::Error,
    summary: "two or more services use the same logical database",
    hint: "give each service its own database (and credentials); let the others call its API or consume its events",
};

const DEFAULT_SCHEMA: &str = "";

/// The schema each service uses in a (server, database) group; a service that states a
/// schema anywhere is taken at its word and its schema-less connections ignored.
pub(crate) fn schemas_by_service<'a>(conns: &[&'a ConnUse]) -> BTreeMap<usize, BTreeSet<&'a str>> {
    let mut map: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for c in conns {
        map.entry(c.service)
            .or_default()
            .insert(c.schema.as_deref().unwrap_or(DEFAULT_SCHEMA));
    }
    for set in map.values_mut() {
        if set.len() > 1 {
            set.remove(DEFAULT_SCHEMA);
        }
    }
    map
}

/// Check the graph.
pub fn check(g: &Graph) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, &str), Vec<&ConnUse>> = BTreeMap::new();
    for c in &g.conns {
        if let (Some(ds), Some(db)) = (c.datastore, c.database.as_deref()) {
            groups.entry((ds, db)).or_default().push(c);
        }
    }
    let mut out = Vec::new();
    for ((ds, db), conns) in groups {
        let by_service = schemas_by_service(&conns);
        let mut by_schema: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for (svc, schemas) in &by_service {
            for s in schemas {
                by_schema.entry(s).or_default().insert(*svc);
            }
        }
        for (schema, services) in by_schema {
            if services.len() < 2 {
                continue;
            }
            let names = service_names(g, services.iter().copied());
            let involved: Vec<&ConnUse> = conns
                .iter()
                .filter(|c| services.contains(&c.service))
                .filter(|c| schema == DEFAULT_SCHEMA || c.schema.as_deref() == Some(schema))
                .copied()
                .collect();
            let engine = g.datastores[ds].engine.name();
            let what = if schema == DEFAULT_SCHEMA {
                format!("database `{db}`")
            } else {
                format!("schema `{db}.{schema}`")
            };
            let mut target = server_target(g, ds);
            target.database = Some(if schema == DEFAULT_SCHEMA {
                db.to_string()
            } else {
                format!("{db}.{schema}")
            });
            out.push(Finding::from_conns(
                g,
                &RULE,
                format!(
                    "services {} use the same {what} on `{}` ({engine})",
                    list(&names),
                    g.ds(ds)
                ),
                names,
                target,
                &involved,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::model::Engine;
    use crate::doctor::rules::testkit::*;

    #[test]
    fn same_database_same_server_is_shared() {
        let mut g = graph(&["orders", "billing"]);
        let db = ds(&mut g, "compose:db", Engine::Postgres);
        conn(&mut g, 0, Some(db), Some("shop"), "a");
        conn(&mut g, 1, Some(db), Some("shop"), "b");
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].services, ["billing", "orders"]);
        assert_eq!(
            f[0].message,
            "services `billing` and `orders` use the same database `shop` on `compose:db` (postgres)"
        );
    }

    #[test]
    fn same_name_on_different_servers_is_not() {
        let mut g = graph(&["orders", "billing"]);
        let a = ds(&mut g, "compose:orders-db", Engine::Postgres);
        let b = ds(&mut g, "compose:billing-db", Engine::Postgres);
        conn(&mut g, 0, Some(a), Some("app"), "a");
        conn(&mut g, 1, Some(b), Some("app"), "b");
        assert!(check(&g).is_empty());
    }

    #[test]
    fn separate_schemas_are_not_shared_but_the_same_schema_is() {
        let mut g = graph(&["orders", "billing", "reports"]);
        let d = ds(&mut g, "compose:db", Engine::Postgres);
        let c = conn(&mut g, 0, Some(d), Some("shop"), "a");
        g.conns[c].schema = Some("orders".into());
        conn(&mut g, 0, Some(d), Some("shop"), "a2"); // flyway URL without schema
        let c = conn(&mut g, 1, Some(d), Some("shop"), "b");
        g.conns[c].schema = Some("billing".into());
        assert!(check(&g).is_empty());
        let c = conn(&mut g, 2, Some(d), Some("shop"), "c");
        g.conns[c].schema = Some("orders".into());
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].target.database.as_deref(), Some("shop.orders"));
        assert_eq!(f[0].services, ["orders", "reports"]);
    }

    #[test]
    fn one_service_many_connections_is_fine() {
        let mut g = graph(&["orders"]);
        let d = ds(&mut g, "compose:db", Engine::Postgres);
        conn(&mut g, 0, Some(d), Some("orders"), "a");
        conn(&mut g, 0, Some(d), Some("orders"), "b");
        assert!(check(&g).is_empty());
    }
}
