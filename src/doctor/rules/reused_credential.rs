//! DBPS005 reused-credential: several services use the same database password (compared
//! as parsed values, so short demo passwords count), or mount the same password secret.
//!
//! Placeholders never count. Not reported when the services already share one logical
//! database (DBPS001 says more). Passwords are never printed.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, Rule, Severity, Target, list, service_names};
use crate::doctor::graph::{ConnUse, Graph};

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS005",
    name: "reused-credential",
    severity: Severity::Warning,
    summary: "the same database credential is used by several services",
    hint: "give every service its own database user and password, so one leak or rotation touches one service",
};

/// Where a password comes from, for the message: `secret:shop/pg/password` → "password
/// from secret `pg` (key `password`)"; `compose secret `db_pw`` → "password from compose
/// secret `db_pw`".
fn ref_words(r: &str) -> String {
    for (prefix, kind) in [("secret:", "secret"), ("configmap:", "config map")] {
        if let Some(rest) = r.strip_prefix(prefix)
            && let [_namespace, name, key] = rest.splitn(3, '/').collect::<Vec<_>>()[..]
        {
            return format!("password from {kind} `{name}` (key `{key}`)");
        }
    }
    format!("password from {r}")
}

/// Check the graph.
pub fn check(g: &Graph) -> Vec<Finding> {
    let mut groups: BTreeMap<String, Vec<&ConnUse>> = BTreeMap::new();
    for c in &g.conns {
        let key = match (&c.password, &c.password_ref) {
            (Some(p), _) => format!("value:{p}"),
            (None, Some(r)) => format!("ref:{r}"),
            _ => continue,
        };
        groups.entry(key).or_default().push(c);
    }
    let mut out = Vec::new();
    for (key, conns) in groups {
        let services: BTreeSet<usize> = conns.iter().map(|c| c.service).collect();
        if services.len() < 2 {
            continue;
        }
        // Covered by DBPS001 when all of them share one (server, database).
        let shares_one = g
            .conns
            .iter()
            .filter_map(|c| Some((c.datastore?, c.database.clone()?)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .any(|(ds, db)| {
                services.iter().all(|&s| {
                    g.conns.iter().any(|c| {
                        c.service == s
                            && c.datastore == Some(ds)
                            && c.database.as_deref() == Some(db.as_str())
                    })
                })
            });
        if shares_one {
            continue;
        }
        let names = service_names(g, services.iter().copied());
        let users: BTreeSet<&str> = conns.iter().filter_map(|c| c.user.as_deref()).collect();
        let what = if key.starts_with("ref:") {
            conns
                .iter()
                .find_map(|c| c.password_ref.as_deref())
                .map(ref_words)
                .unwrap_or_default()
        } else if users.is_empty() {
            "password".to_string()
        } else {
            format!(
                "password (user {})",
                list(&users.iter().map(|u| u.to_string()).collect::<Vec<_>>())
            )
        };
        out.push(Finding::from_conns(
            g,
            &RULE,
            format!("services {} use the same database {what}", list(&names)),
            names,
            Target::default(),
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
    fn same_password_on_separate_databases() {
        let mut g = graph(&["orders", "billing"]);
        let d = ds(&mut g, "pg", Engine::Postgres);
        let a = conn(&mut g, 0, Some(d), Some("orders"), "a");
        let b = conn(&mut g, 1, Some(d), Some("billing"), "b");
        g.conns[a].password = Some("pw".into());
        g.conns[b].password = Some("pw".into());
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert!(!f[0].message.contains("pw"));
    }

    #[test]
    fn a_shared_secret_is_named_readably() {
        // Regression: the message read "use the same database
        // secret:default/pg-credentials/password".
        let mut g = graph(&["orders", "billing"]);
        let a = conn(&mut g, 0, None, Some("orders"), "a");
        let b = conn(&mut g, 1, None, Some("billing"), "b");
        for c in [a, b] {
            g.conns[c].password_ref = Some("secret:default/pg-credentials/password".into());
        }
        let f = check(&g);
        assert_eq!(
            f[0].message,
            "services `billing` and `orders` use the same database password from secret `pg-credentials` (key `password`)"
        );
        assert_eq!(
            ref_words("compose secret `db_pw`"),
            "password from compose secret `db_pw`"
        );
    }

    #[test]
    fn shared_database_is_left_to_dbps001_and_distinct_passwords_are_fine() {
        let mut g = graph(&["orders", "billing"]);
        let d = ds(&mut g, "pg", Engine::Postgres);
        let a = conn(&mut g, 0, Some(d), Some("shop"), "a");
        let b = conn(&mut g, 1, Some(d), Some("shop"), "b");
        g.conns[a].password = Some("pw".into());
        g.conns[b].password = Some("pw".into());
        assert!(check(&g).is_empty());
        let mut g = graph(&["orders", "billing"]);
        let a = conn(&mut g, 0, None, None, "a");
        let b = conn(&mut g, 1, None, None, "b");
        g.conns[a].password = Some("x".into());
        g.conns[b].password = Some("y".into());
        assert!(check(&g).is_empty());
    }
}
