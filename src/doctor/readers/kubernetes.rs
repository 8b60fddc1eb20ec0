//! Kubernetes manifests (multi-document YAML, `List` objects): workloads (Deployment,
//! StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) with their containers' `env`
//! and `envFrom`, Services, ConfigMaps and Secrets (`data` is base64-decoded).
//!
//! Like every reader it transcribes one file; references between objects
//! (`secretKeyRef`, selectors) are resolved in [`crate::doctor::graph`].

use crate::doctor::model::Entry;
use crate::doctor::yaml::{self, Yaml};

/// Where an environment variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSource {
    /// `value:` (None when absent).
    Value(Option<String>),
    /// `valueFrom.secretKeyRef`.
    Secret {
        /// Secret name.
        name: String,
        /// Key.
        key: String,
    },
    /// `valueFrom.configMapKeyRef`.
    ConfigMap {
        /// ConfigMap name.
        name: String,
        /// Key.
        key: String,
    },
    /// Anything else (`fieldRef`, …).
    Other,
}

/// One `env` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Its source.
    pub source: EnvSource,
    /// 1-based line.
    pub line: u32,
}

/// One `envFrom` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFrom {
    /// `true` for a Secret, `false` for a ConfigMap.
    pub secret: bool,
    /// Object name.
    pub name: String,
    /// `prefix:`.
    pub prefix: String,
    /// 1-based line.
    pub line: u32,
}

/// A container of a workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    /// Container name.
    pub name: String,
    /// Image.
    pub image: Option<String>,
    /// `env`.
    pub env: Vec<EnvVar>,
    /// `envFrom`.
    pub env_from: Vec<EnvFrom>,
}

/// What an object holds, as far as doctor cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A workload and its pod template.
    Workload {
        /// Containers and init containers.
        containers: Vec<Container>,
        /// Pod template labels.
        labels: Vec<(String, String)>,
    },
    /// A Service.
    Service {
        /// Selector.
        selector: Vec<(String, String)>,
        /// `type:`.
        service_type: Option<String>,
        /// Ports as (port, line).
        ports: Vec<(Option<u16>, u32)>,
    },
    /// ConfigMap or Secret data, decoded.
    Data(Vec<Entry>),
}

/// A Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` or `default`.
    pub namespace: String,
    /// Line of `kind`/document start.
    pub line: u32,
    /// Content.
    pub body: Body,
}

/// Whether the text looks like Kubernetes YAML (cheap pre-check before parsing).
pub fn looks_like(text: &str) -> bool {
    text.contains("apiVersion:") && text.contains("kind:")
}

/// Parse every object of a manifest file.
pub fn parse(text: &str) -> Result<Vec<Object>, String> {
    let docs = yaml::parse_documents(text)?;
    let mut out = Vec::new();
    for doc in &docs {
        collect(doc, &mut out);
    }
    // A Helm/Go template that happens to be valid YAML names its objects
    // `{{ .Release.Name }}-app`: every chart would become one service of that name.
    if out.iter().any(|o| o.name.contains("{{")) {
        return Err(
            "unrendered template (`{{ … }}` in an object name): render it \
                    (`helm template`) to audit it"
                .into(),
        );
    }
    Ok(out)
}

fn collect(doc: &Yaml, out: &mut Vec<Object>) {
    let Some(kind) = doc.str_at("kind") else {
        return;
    };
    if kind == "List" {
        for item in doc.get("items").and_then(Yaml::as_seq).unwrap_or(&[]) {
            collect(item, out);
        }
        return;
    }
    let name = doc
        .path(&["metadata", "name"])
        .and_then(Yaml::as_str)
        .unwrap_or("")
        .to_string();
    let namespace = doc
        .path(&["metadata", "namespace"])
        .and_then(Yaml::as_str)
        .unwrap_or("default")
        .to_string();
    let line = doc.get("kind").map_or(doc.line, |k| k.line);
    let body = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            workload(doc.path(&["spec", "template"]))
        }
        "CronJob" => workload(doc.path(&["spec", "jobTemplate", "spec", "template"])),
        "Pod" => workload(Some(doc)),
        "Service" => Some(service(doc)),
        "ConfigMap" => Some(Body::Data(data(doc.get("data"), false))),
        "Secret" => {
            let mut entries = data(doc.get("data"), true);
            entries.extend(data(doc.get("stringData"), false));
            Some(Body::Data(entries))
        }
        _ => None,
    };
    if let Some(body) = body
        && !name.is_empty()
    {
        out.push(Object {
            kind: kind.to_string(),
            name,
            namespace,
            line,
            body,
        });
    }
}

fn pairs(node: Option<&Yaml>) -> Vec<(String, String)> {
    node.and_then(Yaml::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
        .collect()
}

fn workload(template: Option<&Yaml>) -> Option<Body> {
    let template = template?;
    let labels = pairs(template.path(&["metadata", "labels"]));
    let spec = template.get("spec")?;
    let mut containers = Vec::new();
    for key in ["initContainers", "containers"] {
        for c in spec.get(key).and_then(Yaml::as_seq).unwrap_or(&[]) {
            containers.push(container(c));
        }
    }
    Some(Body::Workload { containers, labels })
}

fn container(c: &Yaml) -> Container {
    let mut out = Container {
        name: c.str_at("name").unwrap_or("").to_string(),
        image: c.str_at("image").map(str::to_string),
        ..Container::default()
    };
    for e in c.get("env").and_then(Yaml::as_seq).unwrap_or(&[]) {
        let Some(name) = e.str_at("name") else {
            continue;
        };
        let source = if let Some(v) = e.get("value") {
            EnvSource::Value(v.as_str().map(str::to_string))
        } else if let Some(r) = e.path(&["valueFrom", "secretKeyRef"]) {
            EnvSource::Secret {
                name: r.str_at("name").unwrap_or("").to_string(),
                key: r.str_at("key").unwrap_or("").to_string(),
            }
        } else if let Some(r) = e.path(&["valueFrom", "configMapKeyRef"]) {
            EnvSource::ConfigMap {
                name: r.str_at("name").unwrap_or("").to_string(),
                key: r.str_at("key").unwrap_or("").to_string(),
            }
        } else if e.get("valueFrom").is_some() {
            EnvSource::Other
        } else {
            EnvSource::Value(None)
        };
        out.env.push(EnvVar {
            name: name.to_string(),
            source,
            line: e.line,
        });
    }
    for f in c.get("envFrom").and_then(Yaml::as_seq).unwrap_or(&[]) {
        let prefix = f.str_at("prefix").unwrap_or("").to_string();
        for (key, secret) in [("secretRef", true), ("configMapRef", false)] {
            if let Some(name) = f.get(key).and_then(|r| r.str_at("name")) {
                out.env_from.push(EnvFrom {
                    secret,
                    name: name.to_string(),
                    prefix: prefix.clone(),
                    line: f.line,
                });
            }
        }
    }
    out
}

fn service(doc: &Yaml) -> Body {
    let spec = doc.get("spec");
    let ports = spec
        .and_then(|s| s.get("ports"))
        .and_then(Yaml::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|p| (p.str_at("port").and_then(|s| s.parse().ok()), p.line))
        .collect();
    Body::Service {
        selector: pairs(spec.and_then(|s| s.get("selector"))),
        service_type: spec.and_then(|s| s.str_at("type")).map(str::to_string),
        ports,
    }
}

fn data(node: Option<&Yaml>, base64: bool) -> Vec<Entry> {
    node.and_then(Yaml::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| {
            let key = k.as_str()?;
            let raw = v.as_str().unwrap_or("");
            let value = if base64 {
                decode_base64(raw)?
            } else {
                raw.to_string()
            };
            Some(Entry::new(key, &value, k.line))
        })
        .collect()
}

/// Decode standard base64 (whitespace ignored); `None` if invalid or not UTF-8.
pub fn decode_base64(text: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(((bits >> n) & 0xff) as u8);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_that_parses_as_yaml_is_still_a_template() {
        // Regression: two charts' `name: "{{ .Release.Name }}-app"` Deployments became
        // one service called `{{ .Release.Name }}-app`.
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"{{ .Release.Name }}-app\"\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: shop/app\n";
        let err = parse(text).expect_err("a template");
        assert!(err.starts_with("unrendered template"), "{err}");
    }

    #[test]
    fn base64() {
        assert_eq!(decode_base64("c2VjcmV0").as_deref(), Some("secret"));
        assert_eq!(decode_base64("cG9zdGdyZXM=").as_deref(), Some("postgres"));
        assert_eq!(decode_base64("!!"), None);
    }

    #[test]
    fn objects() {
        let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing
  namespace: shop
spec:
  template:
    metadata:
      labels: {app: billing}
    spec:
      containers:
        - name: app
          image: shop/billing:1.0
          env:
            - name: DB_HOST
              value: postgres
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: billing-db, key: password}
          envFrom:
            - configMapRef: {name: billing-config}
---
apiVersion: v1
kind: Secret
metadata: {name: billing-db, namespace: shop}
data:
  password: c2VjcmV0
---
apiVersion: v1
kind: Service
metadata: {name: postgres}
spec:
  type: NodePort
  selector: {app: postgres}
  ports: [{port: 5432}]
";
        let objs = parse(text).unwrap();
        assert_eq!(objs.len(), 3);
        let Body::Workload { containers, labels } = &objs[0].body else {
            panic!()
        };
        assert_eq!(labels[0], ("app".to_string(), "billing".to_string()));
        assert_eq!(containers[0].env[0].line, 15);
        assert_eq!(
            containers[0].env[1].source,
            EnvSource::Secret {
                name: "billing-db".into(),
                key: "password".into()
            }
        );
        assert_eq!(containers[0].env_from[0].name, "billing-config");
        let Body::Data(d) = &objs[1].body else {
            panic!()
        };
        assert_eq!(d[0].value.as_deref(), Some("secret"));
        assert_eq!(objs[2].namespace, "default");
    }
}
