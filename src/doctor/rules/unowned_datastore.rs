//! DBPS008 unowned-datastore: a declared database server (a compose service or
//! Kubernetes workload running a database image) that no service connects to.
//! `depends_on` alone is not a connection; it is mentioned to help find the owner.

use super::{Evidence, Finding, Rule, Severity, list, server_target, service_names};
use crate::doctor::graph::Graph;

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS008",
    name: "unowned-datastore",
    severity: Severity::Info,
    summary: "a database server that no service connects to",
    hint: "remove it, or configure its owning service's connection so ownership is explicit",
};

/// Check the graph.
pub fn check(g: &Graph) -> Vec<Finding> {
    let mut out = Vec::new();
    for (idx, d) in g.datastores.iter().enumerate() {
        if !d.declared || d.owner.is_some() || g.conns.iter().any(|c| c.datastore == Some(idx)) {
            continue;
        }
        let dependants = service_names(g, d.dependants.iter().copied());
        let suffix = if dependants.is_empty() {
            String::new()
        } else {
            format!(" (only `depends_on` from {})", list(&dependants))
        };
        out.push(Finding::new(
            &RULE,
            format!(
                "database `{}` ({}) has no owner: no service connects to it{suffix}",
                d.id,
                d.engine.name()
            ),
            Vec::new(),
            server_target(g, idx),
            d.loc
                .iter()
                .map(|l| Evidence {
                    loc: l.clone(),
                    service: None,
                    note: "declared here".into(),
                })
                .collect(),
            d.variant.iter().cloned().collect(),
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
    fn unconnected_declared_server() {
        let mut g = graph(&["orders"]);
        let d = ds(&mut g, "compose:legacy", Engine::Mysql);
        g.datastores[d].dependants.insert(0);
        let f = check(&g);
        assert_eq!(
            f[0].message,
            "database `compose:legacy` (mysql) has no owner: no service connects to it (only `depends_on` from `orders`)"
        );
        conn(&mut g, 0, Some(d), Some("x"), "a");
        assert!(check(&g).is_empty());
    }
}
