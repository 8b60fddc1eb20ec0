//! DBPS007 published-port: a database port is published on all interfaces (compose
//! `ports: ["5432:5432"]`, a bare container port, `0.0.0.0`, or a Kubernetes
//! `NodePort`/`LoadBalancer` Service in front of a database). Publishing on
//! `127.0.0.1` is fine.

use std::collections::BTreeSet;

use super::{Evidence, Finding, Rule, Severity, server_target, service_names};
use crate::doctor::graph::Graph;

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS007",
    name: "published-port",
    severity: Severity::Warning,
    summary: "a database port is published on all network interfaces",
    hint: "publish on 127.0.0.1 only (`127.0.0.1:5432:5432`), or not at all: services reach it on the internal network",
};

fn all_interfaces(ip: Option<&str>) -> bool {
    matches!(ip, None | Some("" | "0.0.0.0" | "::" | "[::]" | "*"))
}

/// `port 5432`, or `a host port` when it is chosen at run time (a bare container
/// port, or a variable without a value).
fn port_words(port: Option<u16>) -> String {
    port.map_or("a host port".to_string(), |p| format!("port {p}"))
}

/// Check the graph.
pub fn check(g: &Graph) -> Vec<Finding> {
    let mut out = Vec::new();
    for (idx, d) in g.datastores.iter().enumerate().filter(|(_, d)| d.declared) {
        let open: Vec<_> = d
            .published
            .iter()
            .filter(|p| all_interfaces(p.ip.as_deref()))
            .collect();
        if open.is_empty() {
            continue;
        }
        let ports: BTreeSet<String> = open.iter().map(|p| port_words(p.port)).collect();
        let variants: BTreeSet<String> = open.iter().filter_map(|p| p.variant.clone()).collect();
        out.push(Finding::new(
            &RULE,
            format!(
                "database `{}` ({}) is published on all interfaces ({})",
                d.id,
                d.engine.name(),
                ports.into_iter().collect::<Vec<_>>().join(", ")
            ),
            service_names(g, d.owner),
            server_target(g, idx),
            open.iter()
                .map(|p| Evidence {
                    loc: p.loc.clone(),
                    service: None,
                    note: format!("publishes {}", port_words(p.port)),
                })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            variants.into_iter().collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::graph::Published;
    use crate::doctor::model::{Engine, Loc};
    use crate::doctor::rules::testkit::*;

    #[test]
    fn loopback_is_fine_all_interfaces_is_not() {
        let mut g = graph(&[]);
        let d = ds(&mut g, "compose:db", Engine::Postgres);
        g.datastores[d].published.push(Published {
            ip: Some("127.0.0.1".into()),
            port: Some(5432),
            loc: Loc::new("c.yml", 5),
            variant: None,
        });
        assert!(check(&g).is_empty());
        g.datastores[d].published.push(Published {
            ip: None,
            port: Some(5433),
            loc: Loc::new("c.yml", 6),
            variant: None,
        });
        let f = check(&g);
        assert_eq!(
            f[0].message,
            "database `compose:db` (postgres) is published on all interfaces (port 5433)"
        );
    }

    #[test]
    fn a_port_chosen_at_run_time_is_worded_as_such() {
        // Regression: the message read "(port an ephemeral port)".
        let mut g = graph(&[]);
        let d = ds(&mut g, "compose:db", Engine::Postgres);
        g.datastores[d].published.push(Published {
            ip: None,
            port: None,
            loc: Loc::new("c.yml", 5),
            variant: None,
        });
        let f = check(&g);
        assert_eq!(
            f[0].message,
            "database `compose:db` (postgres) is published on all interfaces (a host port)"
        );
        assert_eq!(f[0].evidence[0].note, "publishes a host port");
    }
}
