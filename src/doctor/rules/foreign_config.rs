//! DBPS003 foreign-config: a service reads another service's database variable
//! (`ORDERS_DATABASE_URL`), secret or config map (`orders-db`), or `.env` file.
//!
//! Ownership of configuration comes from its name (the owning service's name followed
//! by database words) or its location (an env file inside the owner's directory).

use std::collections::{BTreeMap, BTreeSet};

use super::{Evidence, Finding, Rule, Severity, Target, join_and, service_names};
use crate::doctor::graph::Graph;

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS003",
    name: "foreign-config",
    severity: Severity::Error,
    summary: "a service reads another service's database variable, secret or .env file",
    hint: "give the service its own database configuration; never load another service's credentials",
};

/// What one service borrows from another, and where.
type Borrowed<'a> = (BTreeSet<&'a str>, BTreeSet<Evidence>);

/// Check the graph: one finding per (borrowing service, owning service).
pub fn check(g: &Graph) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, usize), Borrowed<'_>> = BTreeMap::new();
    for f in &g.foreign {
        let entry = groups.entry((f.service, f.owner)).or_default();
        entry.0.insert(f.what.as_str());
        entry.1.insert(Evidence {
            loc: f.loc.clone(),
            service: Some(g.name(f.service).to_string()),
            note: format!("reads {}", f.what),
        });
    }
    groups
        .into_iter()
        .map(|((svc, owner), (whats, evidence))| {
            let whats: Vec<&str> = whats.into_iter().collect();
            let what = join_and(&whats);
            let services = service_names(g, [svc, owner]);
            Finding::new(
                &RULE,
                format!(
                    "service `{}` reads service `{}`'s {what}",
                    g.name(svc),
                    g.name(owner)
                ),
                services,
                Target::default(),
                evidence.into_iter().collect(),
                Vec::new(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::graph::ForeignRef;
    use crate::doctor::model::Loc;
    use crate::doctor::rules::testkit::*;

    #[test]
    fn grouped_per_borrowed_thing() {
        let mut g = graph(&["orders", "billing"]);
        for line in [3, 9] {
            g.foreign.push(ForeignRef {
                service: 1,
                owner: 0,
                what: "variable `ORDERS_DB_URL`".into(),
                loc: Loc::new("billing/main.go", line),
            });
        }
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "service `billing` reads service `orders`'s variable `ORDERS_DB_URL`"
        );
        assert_eq!(f[0].evidence.len(), 2);
        g.foreign.push(ForeignRef {
            service: 1,
            owner: 0,
            what: "secret `orders-db`".into(),
            loc: Loc::new("k8s/billing.yaml", 4),
        });
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "service `billing` reads service `orders`'s secret `orders-db` and variable `ORDERS_DB_URL`"
        );
    }
}
