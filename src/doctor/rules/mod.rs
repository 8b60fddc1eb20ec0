//! The rules: each one a file with a stable id, a severity, and a pure function from
//! the [`Graph`] to findings. Findings carry everything the formats print; rules never
//! print, and never look at files.

mod admin_credential;
mod foreign_config;
mod foreign_table;
mod published_port;
mod reused_credential;
mod shared_database;
mod shared_server;
pub mod unaudited_file;
mod unowned_datastore;

use std::collections::BTreeSet;
use std::fmt;

use super::graph::{ConnUse, Graph};
use super::model::Loc;

/// How bad a finding is; ordered so that the worst compares greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Allowed, but coupling or risk.
    Warning,
    /// A Database-per-Service violation.
    Error,
}

impl Severity {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule's identity and documentation.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, `DBPS001`.
    pub id: &'static str,
    /// Stable kebab-case name.
    pub name: &'static str,
    /// Severity of its findings.
    pub severity: Severity,
    /// What it catches, one line.
    pub summary: &'static str,
    /// How to fix it, one line.
    pub hint: &'static str,
}

/// One piece of evidence behind a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    /// Where.
    pub loc: Loc,
    /// The service it belongs to, if any.
    pub service: Option<String>,
    /// What is there, briefly.
    pub note: String,
}

impl Evidence {
    /// `service: note`, or just the note when no service is involved.
    pub fn text(&self) -> String {
        match &self.service {
            Some(s) => format!("{s}: {}", self.note),
            None => self.note.clone(),
        }
    }
}

/// The datastore a finding is about, at the levels known.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// Server id (`compose:db`, `k8s:shop/postgres`, `localhost:5432`).
    pub server: Option<String>,
    /// Engine.
    pub engine: Option<String>,
    /// Logical database (with `.schema` when a schema is involved).
    pub database: Option<String>,
    /// Table or collection.
    pub table: Option<String>,
}

/// Why a finding is waived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waived {
    /// The documented reason.
    pub reason: String,
    /// Where the waiver is written.
    pub loc: Loc,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// One line naming the services and the datastore.
    pub message: String,
    /// Services involved, sorted.
    pub services: Vec<String>,
    /// The datastore.
    pub target: Target,
    /// Evidence, sorted.
    pub evidence: Vec<Evidence>,
    /// Deployment variants the finding holds in (empty: all).
    pub variants: Vec<String>,
    /// Set when a waiver covers it.
    pub waived: Option<Waived>,
}

impl Finding {
    /// An unwaived finding of `rule`.
    pub(crate) fn new(
        rule: &'static Rule,
        message: String,
        services: Vec<String>,
        target: Target,
        evidence: Vec<Evidence>,
        variants: Vec<String>,
    ) -> Self {
        Self {
            rule,
            message,
            services,
            target,
            evidence,
            variants,
            waived: None,
        }
    }

    /// A finding whose evidence and variants are the connections behind it.
    pub(crate) fn from_conns(
        g: &Graph,
        rule: &'static Rule,
        message: String,
        services: Vec<String>,
        target: Target,
        conns: &[&ConnUse],
    ) -> Self {
        Self::new(
            rule,
            message,
            services,
            target,
            conn_evidence(g, conns.iter().copied()),
            variants(conns.iter().copied()),
        )
    }

    /// Whether it counts towards the exit code at `deny_warnings`.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.waived.is_none()
            && (self.rule.severity == Severity::Error
                || (deny_warnings && self.rule.severity == Severity::Warning))
    }
}

/// Every rule, in id order.
pub const RULES: &[&Rule] = &[
    &shared_database::RULE,
    &foreign_table::RULE,
    &foreign_config::RULE,
    &shared_server::RULE,
    &reused_credential::RULE,
    &admin_credential::RULE,
    &published_port::RULE,
    &unowned_datastore::RULE,
    &unaudited_file::RULE,
];

/// Run every rule; findings come back sorted by severity (worst first), rule, message.
pub fn run_all(g: &Graph) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(shared_database::check(g));
    out.extend(foreign_table::check(g));
    out.extend(foreign_config::check(g));
    out.extend(shared_server::check(g));
    out.extend(reused_credential::check(g));
    out.extend(admin_credential::check(g));
    out.extend(published_port::check(g));
    out.extend(unowned_datastore::check(g));
    sort(&mut out);
    out
}

/// Findings in report order: by severity (worst first), rule, message.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.rule
            .severity
            .cmp(&a.rule.severity)
            .then(a.rule.id.cmp(b.rule.id))
            .then(a.message.cmp(&b.message))
    });
}

/// Comma-joined with a final "and": `a, b and c`.
pub(crate) fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

/// Backquoted, comma-joined names: `` `a`, `b` and `c` ``.
pub(crate) fn list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    join_and(&quoted)
}

/// The sorted names of services.
pub(crate) fn service_names(g: &Graph, services: impl IntoIterator<Item = usize>) -> Vec<String> {
    let mut names: Vec<String> = services
        .into_iter()
        .map(|s| g.name(s).to_string())
        .collect();
    names.sort();
    names
}

/// A finding's target when it is about a whole server.
pub(crate) fn server_target(g: &Graph, ds: usize) -> Target {
    Target {
        server: Some(g.ds(ds).to_string()),
        engine: g.datastores.get(ds).map(|d| d.engine.name().to_string()),
        ..Target::default()
    }
}

/// Evidence for a set of connections.
pub(crate) fn conn_evidence<'a>(
    g: &Graph,
    conns: impl IntoIterator<Item = &'a ConnUse>,
) -> Vec<Evidence> {
    let set: BTreeSet<Evidence> = conns
        .into_iter()
        .map(|c| Evidence {
            loc: c.loc.clone(),
            service: Some(g.name(c.service).to_string()),
            note: describe(g, c),
        })
        .collect();
    set.into_iter().collect()
}

/// "connects to `shop` on `compose:db` as `app` (DATABASE_URL)"
pub(crate) fn describe(g: &Graph, c: &ConnUse) -> String {
    let mut s = String::from("connects");
    if let Some(db) = &c.database {
        s.push_str(&format!(" to `{db}`"));
        if let Some(schema) = &c.schema {
            s.push_str(&format!(" (schema `{schema}`)"));
        }
    }
    if let Some(d) = c.datastore {
        s.push_str(&format!(" on `{}`", g.ds(d)));
    }
    if let Some(u) = &c.user {
        s.push_str(&format!(" as `{u}`"));
    }
    if !c.via.is_empty() {
        s.push_str(&format!(" via {}", c.via));
    }
    s
}

/// Variants of a set of connections (empty when none is variant-specific).
pub(crate) fn variants<'a>(conns: impl IntoIterator<Item = &'a ConnUse>) -> Vec<String> {
    let set: BTreeSet<String> = conns
        .into_iter()
        .filter_map(|c| c.variant.clone())
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Small graphs for rule tests.
    use super::super::graph::{ConnUse, Datastore, Graph, Service};
    use super::super::model::{Engine, Loc};

    /// A graph with named services.
    pub fn graph(services: &[&str]) -> Graph {
        Graph {
            services: services
                .iter()
                .map(|n| Service {
                    name: n.to_string(),
                    ..Service::default()
                })
                .collect(),
            ..Graph::default()
        }
    }

    /// Add a declared datastore.
    pub fn ds(g: &mut Graph, id: &str, engine: Engine) -> usize {
        g.datastores.push(Datastore {
            id: id.into(),
            engine,
            declared: true,
            loc: Some(Loc::new("docker-compose.yml", 1)),
            variant: Some("compose".into()),
            databases: Vec::new(),
            admin: None,
            published: Vec::new(),
            dependants: Default::default(),
            owner: None,
        });
        g.datastores.len() - 1
    }

    /// Add a connection.
    pub fn conn(
        g: &mut Graph,
        service: usize,
        ds: Option<usize>,
        db: Option<&str>,
        file: &str,
    ) -> usize {
        g.conns.push(ConnUse {
            service,
            datastore: ds,
            engine: Engine::Postgres,
            database: db.map(str::to_string),
            schema: None,
            user: None,
            password: None,
            password_ref: None,
            loc: Loc::new(file, 1),
            variant: None,
            via: "DATABASE_URL".into(),
        });
        g.conns.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_ordered() {
        let ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
    }

    #[test]
    fn lists() {
        assert_eq!(list(&["a".into()]), "`a`");
        assert_eq!(
            list(&["a".into(), "b".into(), "c".into()]),
            "`a`, `b` and `c`"
        );
        assert_eq!(join_and::<&str>(&[]), "");
        assert_eq!(join_and(&["x", "y"]), "x and y");
    }
}
