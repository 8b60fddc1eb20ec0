//! DBPS004 shared-server: services keep separate logical databases (or schemas) on one
//! database server. Allowed by the pattern, but they are coupled in operations: one
//! outage, one upgrade, one resource budget.
//!
//! Not reported when every service on the server uses one and the same database: that
//! is DBPS001's finding.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, Rule, Severity, list, server_target, service_names};
use crate::doctor::graph::{ConnUse, Graph};

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS004",
    name: "shared-server",
    severity: Severity::Warning,
    summary: "services keep separate databases on one shared database server",
    hint: "acceptable for small systems; give each service its own server when they must scale, fail or upgrade independently",
};

/// A logical database: (database, schema).
type Logical<'a> = (Option<&'a str>, Option<&'a str>);

/// Check the graph.
pub fn check(g: &Graph) -> Vec<Finding> {
    let mut by_ds: BTreeMap<usize, Vec<&ConnUse>> = BTreeMap::new();
    for c in &g.conns {
        if let Some(ds) = c.datastore {
            by_ds.entry(ds).or_default().push(c);
        }
    }
    let mut out = Vec::new();
    for (ds, conns) in by_ds {
        let mut keys: BTreeMap<usize, BTreeSet<Logical<'_>>> = BTreeMap::new();
        for c in &conns {
            keys.entry(c.service)
                .or_default()
                .insert((c.database.as_deref(), c.schema.as_deref()));
        }
        if keys.len() < 2 {
            continue;
        }
        // Everyone on one known database (and schema): DBPS001 covers it.
        let mut common: Option<BTreeSet<Logical<'_>>> = None;
        for set in keys.values() {
            let known: BTreeSet<_> = set.iter().filter(|(d, _)| d.is_some()).copied().collect();
            common = Some(match common {
                None => known,
                Some(c) => c.intersection(&known).copied().collect(),
            });
        }
        if common.is_some_and(|c| !c.is_empty()) {
            continue;
        }
        let names = service_names(g, keys.keys().copied());
        let engine = g.datastores[ds].engine.name();
        out.push(Finding::from_conns(
            g,
            &RULE,
            format!(
                "services {} keep separate databases on the same server `{}` ({engine})",
                list(&names),
                g.ds(ds)
            ),
            names,
            server_target(g, ds),
            &conns,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::model::Engine;
    use crate::doctor::rules::testkit::*;

    #[test]
    fn separate_databases_on_one_server() {
        let mut g = graph(&["orders", "billing"]);
        let d = ds(&mut g, "compose:pg", Engine::Postgres);
        conn(&mut g, 0, Some(d), Some("orders"), "a");
        conn(&mut g, 1, Some(d), Some("billing"), "b");
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "services `billing` and `orders` keep separate databases on the same server `compose:pg` (postgres)"
        );
    }

    #[test]
    fn one_shared_database_is_left_to_dbps001() {
        let mut g = graph(&["orders", "billing"]);
        let d = ds(&mut g, "compose:pg", Engine::Postgres);
        conn(&mut g, 0, Some(d), Some("shop"), "a");
        conn(&mut g, 1, Some(d), Some("shop"), "b");
        assert!(check(&g).is_empty());
    }

    #[test]
    fn own_servers_are_fine() {
        let mut g = graph(&["orders", "billing"]);
        let a = ds(&mut g, "a", Engine::Postgres);
        let b = ds(&mut g, "b", Engine::Postgres);
        conn(&mut g, 0, Some(a), Some("orders"), "a");
        conn(&mut g, 1, Some(b), Some("billing"), "b");
        assert!(check(&g).is_empty());
    }
}
