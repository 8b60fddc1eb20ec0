//! DBPS002 foreign-table: a service reads or writes a table (or collection) that another
//! service creates in its migrations or DDL.
//!
//! A table belongs to the services whose DDL creates it. A use by another service is
//! reported unless the user creates a table of that name itself, or both services'
//! servers are known and disjoint (then the name reaches a different table), or the
//! unqualified name resolves to a different schema than the owner's.

use std::collections::{BTreeMap, BTreeSet};

use super::{Evidence, Finding, Rule, Severity, Target, service_names};
use crate::doctor::graph::{Graph, TableUse};

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS002",
    name: "foreign-table",
    severity: Severity::Error,
    summary: "a service reads or writes a table owned by another service",
    hint: "ask the owning service through its API or events, or move the data to the service that needs it",
};

fn schemas_of(g: &Graph, svc: usize) -> BTreeSet<String> {
    g.conns
        .iter()
        .filter(|c| c.service == svc)
        .flat_map(|c| [c.schema.clone(), c.database.clone()])
        .flatten()
        .collect()
}

fn explicit_schemas(g: &Graph, svc: usize) -> BTreeSet<String> {
    g.conns
        .iter()
        .filter(|c| c.service == svc)
        .filter_map(|c| c.schema.clone())
        .collect()
}

fn servers_of(g: &Graph, svc: usize) -> BTreeSet<usize> {
    g.conns
        .iter()
        .filter(|c| c.service == svc)
        .filter_map(|c| c.datastore)
        .collect()
}

/// The logical databases a service is known to connect to: (server, database).
fn databases_of(g: &Graph, svc: usize) -> BTreeSet<(usize, &str)> {
    g.conns
        .iter()
        .filter(|c| c.service == svc)
        .filter_map(|c| Some((c.datastore?, c.database.as_deref()?)))
        .collect()
}

fn compatible(g: &Graph, created: &TableUse, used: &TableUse) -> bool {
    match (&created.table.qualifier, &used.table.qualifier) {
        (_, None) => true,
        (Some(a), Some(b)) => a == b,
        (None, Some(q)) => {
            q == "public" || q == "dbo" || schemas_of(g, created.service).contains(q)
        }
    }
}

/// A user's uses of a table and the owner's DDL creating it.
type Hit<'a> = (Vec<&'a TableUse>, Vec<&'a TableUse>);

/// Check the graph.
pub fn check(g: &Graph) -> Vec<Finding> {
    let mut creates: BTreeMap<&str, Vec<&TableUse>> = BTreeMap::new();
    for t in g.tables.iter().filter(|t| t.create) {
        creates.entry(t.table.name.as_str()).or_default().push(t);
    }
    // (user, owner, table name) → (uses, creates): `orders` and `public.orders` in one
    // service's SQL reach the same table of the owner, so they are one finding.
    let mut hits: BTreeMap<(usize, usize, &str), Hit<'_>> = BTreeMap::new();
    for u in g.tables.iter().filter(|t| !t.create) {
        let Some(creators) = creates.get(u.table.name.as_str()) else {
            continue;
        };
        let own = creators.iter().any(|c| {
            c.service == u.service
                && (c.table.qualifier == u.table.qualifier
                    || u.table.qualifier.is_none()
                    || c.table.qualifier.is_none())
        });
        if own {
            continue;
        }
        for c in creators
            .iter()
            .filter(|c| c.service != u.service && compatible(g, c, u))
        {
            let (us, them) = (servers_of(g, u.service), servers_of(g, c.service));
            if !us.is_empty() && !them.is_empty() && us.is_disjoint(&them) {
                continue;
            }
            // Separate databases on one server: a name the user does not qualify with the
            // owner's database reaches a table of its own database.
            let (ud, od) = (databases_of(g, u.service), databases_of(g, c.service));
            let names_owner_db = u
                .table
                .qualifier
                .as_deref()
                .is_some_and(|q| od.iter().any(|&(_, db)| db == q));
            if !ud.is_empty() && !od.is_empty() && ud.is_disjoint(&od) && !names_owner_db {
                continue;
            }
            if u.table.qualifier.is_none() && c.table.qualifier.is_none() {
                let (su, sc) = (
                    explicit_schemas(g, u.service),
                    explicit_schemas(g, c.service),
                );
                if !su.is_empty() && !sc.is_empty() && su.is_disjoint(&sc) {
                    continue;
                }
            }
            let entry = hits
                .entry((u.service, c.service, u.table.name.as_str()))
                .or_default();
            entry.0.push(u);
            entry.1.push(c);
        }
    }
    hits.into_iter()
        .map(|((user, owner, _), (uses, creates))| {
            // Named as the owner creates it (qualified if the DDL qualifies it).
            let table = creates
                .iter()
                .map(|c| c.table.to_string())
                .max_by_key(String::len)
                .unwrap_or_default();
            let mut evidence: BTreeSet<Evidence> = uses
                .iter()
                .map(|u| Evidence {
                    loc: u.loc.clone(),
                    service: Some(g.name(user).to_string()),
                    note: format!("uses table `{}`", u.table),
                })
                .collect();
            evidence.extend(creates.iter().map(|c| Evidence {
                loc: c.loc.clone(),
                service: Some(g.name(owner).to_string()),
                note: format!("creates table `{}`", c.table),
            }));
            let services = service_names(g, [user, owner]);
            Finding::new(
                &RULE,
                format!(
                    "service `{}` uses table `{table}` owned by service `{}`",
                    g.name(user),
                    g.name(owner)
                ),
                services,
                Target {
                    table: Some(table),
                    ..Target::default()
                },
                evidence.into_iter().collect(),
                Vec::new(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::model::{Engine, Loc, TableName};
    use crate::doctor::rules::testkit::*;

    fn table(g: &mut Graph, svc: usize, q: Option<&str>, name: &str, create: bool) {
        g.tables.push(TableUse {
            service: svc,
            table: TableName {
                qualifier: q.map(str::to_string),
                name: name.into(),
            },
            create,
            loc: Loc::new("f.sql", 1),
        });
    }

    #[test]
    fn non_owner_use_is_reported() {
        let mut g = graph(&["orders", "reports"]);
        table(&mut g, 0, None, "orders", true);
        table(&mut g, 1, None, "orders", false);
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "service `reports` uses table `orders` owned by service `orders`"
        );
    }

    #[test]
    fn qualified_and_unqualified_uses_of_one_table_are_one_finding() {
        // Regression: `orders` and `public.orders` in billing's SQL were two DBPS002
        // errors about the same table.
        let mut g = graph(&["orders", "billing"]);
        table(&mut g, 0, None, "orders", true);
        table(&mut g, 1, None, "orders", false);
        table(&mut g, 1, Some("public"), "orders", false);
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "service `billing` uses table `orders` owned by service `orders`"
        );
        assert_eq!(f[0].target.table.as_deref(), Some("orders"));
    }

    #[test]
    fn own_table_of_the_same_name_is_fine() {
        let mut g = graph(&["orders", "billing"]);
        table(&mut g, 0, None, "events", true);
        table(&mut g, 1, None, "events", true);
        table(&mut g, 1, None, "events", false);
        assert!(check(&g).is_empty());
    }

    #[test]
    fn disjoint_servers_cannot_reach_it() {
        let mut g = graph(&["orders", "billing"]);
        let a = ds(&mut g, "a", Engine::Postgres);
        let b = ds(&mut g, "b", Engine::Postgres);
        conn(&mut g, 0, Some(a), Some("orders"), "x");
        conn(&mut g, 1, Some(b), Some("billing"), "y");
        table(&mut g, 0, None, "customers", true);
        table(&mut g, 1, None, "customers", false);
        assert!(check(&g).is_empty());
    }

    #[test]
    fn separate_databases_on_one_server_have_separate_tables() {
        // Regression: `orders` (database `orders`) creates `users`; `billing` (database
        // `billing` on the same server) reads its own `users`: a DBPS002 error.
        let mut g = graph(&["orders", "billing"]);
        let d = ds(&mut g, "compose:db", Engine::Postgres);
        conn(&mut g, 0, Some(d), Some("orders"), "x");
        conn(&mut g, 1, Some(d), Some("billing"), "y");
        table(&mut g, 0, None, "users", true);
        table(&mut g, 1, None, "users", false);
        assert!(check(&g).is_empty());
        // MySQL-style `orders.users` names the owner's database: still foreign.
        table(&mut g, 1, Some("orders"), "users", false);
        assert_eq!(check(&g).len(), 1);
    }

    #[test]
    fn schema_qualified_use_across_schemas() {
        let mut g = graph(&["orders", "billing"]);
        let d = ds(&mut g, "db", Engine::Postgres);
        let c = conn(&mut g, 0, Some(d), Some("shop"), "x");
        g.conns[c].schema = Some("orders".into());
        let c = conn(&mut g, 1, Some(d), Some("shop"), "y");
        g.conns[c].schema = Some("billing".into());
        table(&mut g, 0, None, "orders", true);
        table(&mut g, 1, None, "orders", false); // billing.orders: not the owner's
        assert!(check(&g).is_empty());
        table(&mut g, 1, Some("orders"), "orders", false);
        assert_eq!(check(&g).len(), 1);
    }
}
