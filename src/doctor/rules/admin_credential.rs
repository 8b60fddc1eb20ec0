//! DBPS006 admin-credential: a service connects as the server's administrator
//! (`postgres`, `root`, `sa`, the Mongo root user) or is handed an administrator
//! password variable (`MYSQL_ROOT_PASSWORD`, `MSSQL_SA_PASSWORD`).

use std::collections::{BTreeMap, BTreeSet};

use super::{Evidence, Finding, Rule, Severity, Target, server_target};
use crate::doctor::graph::{ConnUse, Graph};
use crate::doctor::model::Engine;

/// The rule.
pub const RULE: Rule = Rule {
    id: "DBPS006",
    name: "admin-credential",
    severity: Severity::Warning,
    summary: "a service is given an administrator/superuser database credential",
    hint: "create a least-privilege user that owns only this service's database, and keep the admin password out of the service",
};

fn is_admin(g: &Graph, c: &ConnUse) -> Option<String> {
    let user = c.user.as_deref()?;
    let ds = c.datastore.and_then(|d| g.datastores.get(d));
    let engine = if c.engine == Engine::Unknown {
        ds.map_or(Engine::Unknown, |d| d.engine)
    } else {
        c.engine
    };
    let declared_root = ds.and_then(|d| d.admin.as_ref()).is_some_and(|(u, _)| {
        u == user
            && matches!(
                engine,
                Engine::Mongodb | Engine::Mysql | Engine::Mariadb | Engine::Sqlserver
            )
    });
    (engine.is_admin_user(user) || declared_root).then(|| user.to_string())
}

/// Check the graph.
pub fn check(g: &Graph) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, Option<usize>, String), Vec<&ConnUse>> = BTreeMap::new();
    for c in &g.conns {
        if let Some(user) = is_admin(g, c) {
            groups
                .entry((c.service, c.datastore, user))
                .or_default()
                .push(c);
        }
    }
    let mut out = Vec::new();
    for ((svc, ds, user), conns) in groups {
        let on = ds.map(|d| format!(" to `{}`", g.ds(d))).unwrap_or_default();
        out.push(Finding::from_conns(
            g,
            &RULE,
            format!(
                "service `{}` connects{on} as administrator `{user}`",
                g.name(svc)
            ),
            vec![g.name(svc).to_string()],
            ds.map_or_else(Target::default, |d| server_target(g, d)),
            &conns,
        ));
    }
    let mut keys: BTreeMap<(usize, &str), BTreeSet<Evidence>> = BTreeMap::new();
    for k in &g.admin_keys {
        keys.entry((k.service, k.key.as_str()))
            .or_default()
            .insert(Evidence {
                loc: k.loc.clone(),
                service: Some(g.name(k.service).to_string()),
                note: format!("is given `{}`", k.key),
            });
    }
    for ((svc, key), evidence) in keys {
        out.push(Finding::new(
            &RULE,
            format!(
                "service `{}` is given the administrator password `{key}`",
                g.name(svc)
            ),
            vec![g.name(svc).to_string()],
            Target::default(),
            evidence.into_iter().collect(),
            Vec::new(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::graph::AdminKey;
    use crate::doctor::model::Loc;
    use crate::doctor::rules::testkit::*;

    #[test]
    fn superuser_names() {
        let mut g = graph(&["orders", "billing"]);
        let d = ds(&mut g, "compose:db", Engine::Postgres);
        let a = conn(&mut g, 0, Some(d), Some("orders"), "a");
        g.conns[a].user = Some("postgres".into());
        let b = conn(&mut g, 1, Some(d), Some("billing"), "b");
        g.conns[b].user = Some("billing".into());
        let f = check(&g);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "service `orders` connects to `compose:db` as administrator `postgres`"
        );
    }

    #[test]
    fn declared_mongo_root() {
        let mut g = graph(&["catalog"]);
        let d = ds(&mut g, "compose:mongo", Engine::Mongodb);
        g.datastores[d].admin = Some(("mongoroot".into(), None));
        let a = conn(&mut g, 0, Some(d), Some("catalog"), "a");
        g.conns[a].engine = Engine::Mongodb;
        g.conns[a].user = Some("mongoroot".into());
        assert_eq!(check(&g).len(), 1);
    }

    #[test]
    fn admin_password_variables() {
        let mut g = graph(&["inventory"]);
        g.admin_keys.push(AdminKey {
            service: 0,
            key: "MYSQL_ROOT_PASSWORD".into(),
            loc: Loc::new("docker-compose.yml", 7),
        });
        let f = check(&g);
        assert_eq!(
            f[0].message,
            "service `inventory` is given the administrator password `MYSQL_ROOT_PASSWORD`"
        );
    }
}
