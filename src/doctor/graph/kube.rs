//! The Kubernetes objects of the walked manifests: workloads classified as datastores,
//! tools or applications, the Services that select them, and each container's environment
//! as the pod sees it (`env`, `envFrom` with prefixes, values from Secrets and ConfigMaps,
//! `$(VAR)` references), with the Secrets and ConfigMaps it references.
//!
//! Only builds the model; the steps decide what the workloads are.

use std::collections::HashMap;

use super::image::{Role, image_engine, is_tool_image};
use crate::doctor::config;
use crate::doctor::model::{Engine, Entry};
use crate::doctor::readers::Parsed;
use crate::doctor::readers::kubernetes::{Body, Container, EnvSource, Object};
use crate::doctor::walk::FileOut;

/// A Secret or ConfigMap a container references: (name, is_secret, line, holds database keys).
pub(super) type ObjectRef = (String, bool, u32, bool);

/// A workload (Deployment, StatefulSet, Job, …).
#[derive(Debug)]
pub(super) struct Workload<'a> {
    /// The file it is declared in.
    pub rel: &'a str,
    /// The object.
    pub object: &'a Object,
    /// Its containers and init containers.
    pub containers: &'a [Container],
    /// Its pod template labels.
    labels: &'a [(String, String)],
    /// What it runs.
    pub role: Role,
}

impl Workload<'_> {
    /// The image of its first container that names one.
    pub fn image(&self) -> Option<&str> {
        self.containers.iter().find_map(|c| c.image.as_deref())
    }
}

/// The objects of every walked Kubernetes manifest.
#[derive(Debug, Default)]
pub(super) struct Cluster<'a> {
    /// Secret and ConfigMap data by (namespace, name, is_secret).
    data: HashMap<(String, String, bool), &'a [Entry]>,
    /// Services, with their files.
    services: Vec<(&'a str, &'a Object)>,
    /// Workloads in file order.
    pub workloads: Vec<Workload<'a>>,
}

impl<'a> Cluster<'a> {
    /// Collect the objects of the walked files.
    pub fn new(files: &'a [FileOut]) -> Self {
        let mut cluster = Self::default();
        for f in files {
            let Parsed::Kube(objects) = &f.parsed else {
                continue;
            };
            for o in objects {
                cluster.add(&f.rel, o);
            }
        }
        cluster
    }

    fn add(&mut self, rel: &'a str, o: &'a Object) {
        match &o.body {
            Body::Data(d) => {
                let key = (o.namespace.clone(), o.name.clone(), o.kind == "Secret");
                self.data.insert(key, d);
            }
            Body::Service { .. } if o.kind == "Service" => self.services.push((rel, o)),
            Body::Workload { containers, labels } => self.workloads.push(Workload {
                rel,
                object: o,
                containers,
                labels,
                role: role(containers),
            }),
            Body::Service { .. } => {}
        }
    }

    /// The Services whose selector picks the workload's pods, in file order.
    pub fn selecting(&self, w: &Workload) -> Vec<(&'a str, &'a Object)> {
        self.services
            .iter()
            .filter(|(_, s)| {
                s.namespace == w.object.namespace
                    && matches!(&s.body, Body::Service { selector, .. }
                        if !selector.is_empty() && selector.iter().all(|p| w.labels.contains(p)))
            })
            .copied()
            .collect()
    }

    /// A container's environment as entries, plus the Secrets/ConfigMaps it references.
    pub fn env(&self, c: &Container, ns: &str) -> (Vec<Entry>, Vec<ObjectRef>) {
        let mut entries = Vec::new();
        let mut refs = Vec::new();
        for f in &c.env_from {
            let obj = self.data.get(&(ns.to_string(), f.name.clone(), f.secret));
            let mut holds_db = false;
            for e in obj.into_iter().flat_map(|d| d.iter()) {
                holds_db |= config::is_db_key(&config::words(&e.key));
                let kind = if f.secret { "secret" } else { "configmap" };
                entries.push(Entry {
                    key: format!("{}{}", f.prefix, e.key),
                    value: e.value.clone(),
                    line: f.line,
                    source_ref: Some(format!("{kind}:{ns}/{}/{}", f.name, e.key)),
                });
            }
            refs.push((f.name.clone(), f.secret, f.line, holds_db));
        }
        for v in &c.env {
            let (value, source_ref) = match &v.source {
                EnvSource::Value(val) => (val.clone(), None),
                EnvSource::Secret { name, key } | EnvSource::ConfigMap { name, key } => {
                    let secret = matches!(v.source, EnvSource::Secret { .. });
                    let holds_db = config::is_db_key(&config::words(&v.name));
                    refs.push((name.clone(), secret, v.line, holds_db));
                    let val = self
                        .data
                        .get(&(ns.to_string(), name.clone(), secret))
                        .and_then(|d| d.iter().find(|e| &e.key == key))
                        .and_then(|e| e.value.clone());
                    let kind = if secret { "secret" } else { "configmap" };
                    (val, Some(format!("{kind}:{ns}/{name}/{key}")))
                }
                EnvSource::Other => (None, None),
            };
            entries.retain(|e: &Entry| e.key != v.name);
            entries.push(Entry {
                key: v.name.clone(),
                value,
                line: v.line,
                source_ref,
            });
        }
        expand_references(&mut entries);
        (entries, refs)
    }
}

/// A workload runs a database when one of its images is one; it is a tool when every
/// image it names is a tool's.
fn role(containers: &[Container]) -> Role {
    let images = || containers.iter().filter_map(|c| c.image.as_deref());
    match images().map(image_engine).find(|e| *e != Engine::Unknown) {
        Some(engine) => Role::Datastore(engine),
        None if !containers.is_empty() && images().all(is_tool_image) => Role::Tool,
        None => Role::App,
    }
}

/// Kubernetes `$(VAR)` references to the container's other variables.
fn expand_references(entries: &mut [Entry]) {
    let lookup: HashMap<String, String> = entries
        .iter()
        .filter_map(|e| Some((e.key.clone(), e.value.clone()?)))
        .collect();
    for e in entries {
        if let Some(v) = &mut e.value
            && v.contains("$(")
        {
            let mut out = v.clone();
            for (k, val) in &lookup {
                out = out.replace(&format!("$({k})"), val);
            }
            *v = out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::graph::test_file as file;
    use crate::doctor::readers::kubernetes;

    const MANIFEST: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orders-db\n  namespace: shop\ndata:\n  DB_HOST: postgres\n  LOG: info\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-secret\n  namespace: shop\nstringData:\n  password: pw\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders\n  namespace: shop\nspec:\n  template:\n    metadata:\n      labels: {app: orders, tier: api}\n    spec:\n      containers:\n        - name: api\n          image: shop/orders:1\n          envFrom:\n            - configMapRef:\n                name: orders-db\n              prefix: ORDERS_\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: {name: orders-secret, key: password}\n            - name: DATABASE_URL\n              value: postgres://orders:$(DB_PASSWORD)@$(ORDERS_DB_HOST)/orders\n            - name: LOG\n              value: debug\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: admin\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: ui\n          image: dpage/pgadmin4\n        - name: exporter\n          image: prometheuscommunity/postgres-exporter\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: pg\n  namespace: shop\nspec:\n  template:\n    metadata:\n      labels: {app: pg}\n    spec:\n      containers:\n        - name: pg\n          image: postgres:16\n        - name: exporter\n          image: prometheuscommunity/postgres-exporter\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: orders\n  namespace: shop\nspec:\n  selector: {app: orders}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: everything\n  namespace: shop\nspec:\n  selector: {app: orders, tier: web}\n";

    fn files() -> Vec<FileOut> {
        vec![file(
            "k8s/shop.yaml",
            Parsed::Kube(kubernetes::parse(MANIFEST).unwrap()),
        )]
    }

    #[test]
    fn workloads_are_classified_and_selected_by_matching_services() {
        let files = files();
        let cluster = Cluster::new(&files);
        let roles: Vec<_> = cluster
            .workloads
            .iter()
            .map(|w| (w.object.name.as_str(), w.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("orders", Role::App),
                ("admin", Role::Tool),
                ("pg", Role::Datastore(Engine::Postgres))
            ]
        );
        assert_eq!(cluster.workloads[0].image(), Some("shop/orders:1"));
        let selecting: Vec<_> = cluster
            .selecting(&cluster.workloads[0])
            .iter()
            .map(|(rel, s)| (*rel, s.name.as_str()))
            .collect();
        // A selector needs every label it names.
        assert_eq!(selecting, [("k8s/shop.yaml", "orders")]);
        assert!(cluster.selecting(&cluster.workloads[2]).is_empty());
    }

    #[test]
    fn a_containers_environment_is_what_the_pod_sees() {
        let files = files();
        let cluster = Cluster::new(&files);
        let c = &cluster.workloads[0].containers[0];
        let (entries, refs) = cluster.env(c, "shop");
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_deref().unwrap_or("-")))
            .collect();
        assert_eq!(
            got,
            [
                ("ORDERS_DB_HOST", "postgres"),
                ("ORDERS_LOG", "info"),
                ("DB_PASSWORD", "pw"),
                ("DATABASE_URL", "postgres://orders:pw@postgres/orders"),
                ("LOG", "debug"),
            ]
        );
        assert_eq!(
            entries[2].source_ref.as_deref(),
            Some("secret:shop/orders-secret/password")
        );
        let names: Vec<_> = refs
            .iter()
            .map(|(n, s, _, db)| (n.as_str(), *s, *db))
            .collect();
        assert_eq!(
            names,
            [("orders-db", false, true), ("orders-secret", true, true)]
        );
        // In another namespace the objects are not found.
        let (elsewhere, _) = cluster.env(c, "other");
        assert_eq!(elsewhere[0].key, "DB_PASSWORD");
        assert_eq!(elsewhere[0].value, None);
    }
}
