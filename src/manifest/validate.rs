//! Manifest validation: walk the positioned YAML tree, collect every problem, and
//! build the domain types only when there is none.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::diagnostic::{Diagnostic, did_you_mean};
use super::yaml::{self, Kind, Node, Pos};
use super::{Database, Manifest, Service, database_name};
use crate::engine::Engine;

const TOP_KEYS: &[&str] = &["project", "services", "doctor"];
const SERVICE_KEYS: &[&str] = &["path", "database", "description"];
const DATABASE_KEYS: &[&str] = &["engine", "version", "image", "port", "name", "extensions"];
/// Longest service name: MySQL user names stop at 32 characters.
pub const MAX_NAME: usize = 32;

/// Validate manifest text into a [`Manifest`], or every problem found.
pub fn validate(src: &str) -> Result<Manifest, Vec<Diagnostic>> {
    if let Some(d) = unprintable(src) {
        return Err(vec![d]);
    }
    let docs = match yaml::parse(src) {
        Ok(docs) => docs,
        Err(err) => {
            return Err(vec![
                Diagnostic::at(err.pos, 1, format!("invalid YAML: {}", err.message))
                    .hint("check the indentation and quoting around this spot"),
            ]);
        }
    };
    let mut v = Validator::default();
    let manifest = match docs.as_slice() {
        [] => {
            v.push(
                Diagnostic::at(Pos { line: 1, col: 1 }, 1, "the manifest is empty")
                    .hint("it needs at least `project: NAME`; `dbps init` writes a starter"),
            );
            None
        }
        [doc, rest @ ..] => {
            if let Some(extra) = rest.first() {
                v.push(
                    Diagnostic::at(
                        extra.pos,
                        3,
                        "the manifest holds more than one YAML document",
                    )
                    .hint("keep one document; remove the `---` separator"),
                );
            }
            v.top(doc)
        }
    };
    match manifest {
        Some(m) if v.diags.is_empty() => Ok(m),
        _ => Err(v.diags),
    }
}

/// YAML allows no control characters but tab and line breaks; the parser stops
/// silently at a NUL, which would hide whatever follows it.
fn unprintable(src: &str) -> Option<Diagnostic> {
    let (line, text) = src
        .lines()
        .enumerate()
        .find(|(_, l)| l.chars().any(is_unprintable))?;
    let col = text.chars().position(is_unprintable)? + 1;
    let c = text.chars().nth(col - 1)?;
    Some(
        Diagnostic::at(
            Pos {
                line: line + 1,
                col,
            },
            1,
            format!(
                "the manifest holds a control character (U+{:04X})",
                u32::from(c)
            ),
        )
        .hint("YAML allows no control characters but tabs and line breaks; remove it"),
    )
}

fn is_unprintable(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\u{85}')
}

/// What the services claimed so far, each looked up in constant time, so a
/// manifest of n services validates in O(n) (it used to compare every path with
/// every other: 10,000 services took 25–48 s).
#[derive(Default)]
struct Claims<'n> {
    names: HashMap<&'n str, Pos>,
    ports: HashMap<u16, String>,
    /// Each claimed directory → its service.
    paths: HashMap<PathBuf, String>,
    /// Every proper ancestor of a claimed directory → a service below it.
    above: HashMap<PathBuf, String>,
}

impl Claims<'_> {
    /// The service whose directory is `path` (`true`), or contains it or lies
    /// inside it (`false`).
    fn path_clash(&self, path: &Path) -> Option<(&str, bool)> {
        if let Some(owner) = self.paths.get(path) {
            return Some((owner, true));
        }
        path.ancestors()
            .skip(1)
            .find_map(|a| self.paths.get(a))
            .or_else(|| self.above.get(path))
            .map(|owner| (owner.as_str(), false))
    }

    fn claim_path(&mut self, path: &Path, owner: &str) {
        for a in path
            .ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty())
        {
            self.above
                .entry(a.to_path_buf())
                .or_insert_with(|| owner.to_string());
        }
        self.paths.insert(path.to_path_buf(), owner.to_string());
    }
}

/// A `database` mapping as read so far.
#[derive(Default)]
struct Draft<'n> {
    ok: bool,
    engine_seen: bool,
    engine: Option<Engine>,
    version: Option<String>,
    image: Option<String>,
    port: Option<u16>,
    name: Option<(String, &'n Node)>,
    extensions: Vec<String>,
    extensions_node: Option<&'n Node>,
}

#[derive(Default)]
struct Validator {
    diags: Vec<Diagnostic>,
}

fn width(node: &Node) -> usize {
    node.as_str().map_or(1, |s| s.chars().count().max(1))
}

/// Whether `name` is a DNS-safe service or project name.
pub fn is_dns_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_NAME
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

fn is_identifier(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_NAME
        && (bytes[0].is_ascii_lowercase() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

impl Validator {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The entries of a mapping, reporting duplicate and unknown keys once.
    fn entries<'n>(
        &mut self,
        node: &'n Node,
        where_: &str,
        known: &[&str],
    ) -> Option<Vec<(&'n str, &'n Node, &'n Node)>> {
        let Kind::Map(entries) = &node.kind else {
            return None;
        };
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        let mut out = Vec::new();
        for (key, value) in entries {
            let Some(name) = key.as_str() else {
                self.push(Diagnostic::at(
                    key.pos,
                    1,
                    format!("keys in {where_} must be plain names"),
                ));
                continue;
            };
            if !known.contains(&name) {
                let mut d = Diagnostic::at(
                    key.pos,
                    width(key),
                    format!("unknown key `{name}` in {where_}"),
                );
                d = match did_you_mean(name, known) {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint(format!("expected one of: {}", known.join(", "))),
                };
                self.push(d);
                continue;
            }
            if let Some(first) = seen.get(name) {
                // A second `database` is its own, clearer problem, reported by the caller.
                if name != "database" {
                    self.push(
                        Diagnostic::at(
                            key.pos,
                            width(key),
                            format!("duplicate key `{name}` in {where_}"),
                        )
                        .note(format!("first given at line {}", first.line))
                        .hint("remove one of them"),
                    );
                    continue;
                }
            } else {
                seen.insert(name, key.pos);
            }
            out.push((name, key, value));
        }
        Some(out)
    }

    fn scalar<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n str> {
        match node.as_str() {
            Some(s) if !node.is_null() && !s.trim().is_empty() => Some(s),
            _ => {
                self.push(Diagnostic::at(
                    node.pos,
                    1,
                    format!(
                        "{what} must be a non-empty string, found {}",
                        node.type_name()
                    ),
                ));
                None
            }
        }
    }

    fn top(&mut self, doc: &Node) -> Option<Manifest> {
        let Some(entries) = self.entries(doc, "the manifest", TOP_KEYS) else {
            self.push(
                Diagnostic::at(
                    doc.pos,
                    1,
                    format!("the manifest must be a mapping, found {}", doc.type_name()),
                )
                .hint("start with `project: NAME` and a `services:` mapping"),
            );
            return None;
        };
        let mut project = None;
        let mut services = Some(Vec::new());
        let mut project_seen = false;
        for (name, key, value) in entries {
            match name {
                "project" => {
                    project_seen = true;
                    if let Some(p) = self.scalar(value, "`project`") {
                        if is_dns_name(p) {
                            project = Some(p.to_string());
                        } else {
                            self.push(
                                Diagnostic::at(value.pos, width(value), format!("project name `{p}` is not DNS-safe"))
                                    .hint("use lowercase letters, digits and `-`, starting with a letter, at most 32 characters"),
                            );
                        }
                    }
                }
                "services" => services = self.services(key, value),
                _ => {} // `doctor`: read by `dbps doctor` itself.
            }
        }
        if !project_seen {
            self.push(Diagnostic::at(doc.pos, 1, "missing key `project`").hint(
                "add `project: NAME` at the top; it prefixes every container, volume and network",
            ));
        }
        Some(Manifest {
            project: project?,
            services: services?,
        })
    }

    fn services(&mut self, key: &Node, value: &Node) -> Option<Vec<Service>> {
        if value.is_null() {
            return Some(Vec::new());
        }
        let Kind::Map(entries) = &value.kind else {
            self.push(
                Diagnostic::at(
                    key.pos,
                    8,
                    format!(
                        "`services` must be a mapping of service names, found {}",
                        value.type_name()
                    ),
                )
                .hint("write each service as `name:` followed by its settings, indented"),
            );
            return None;
        };
        let mut out = Vec::with_capacity(entries.len());
        let mut ok = true;
        let mut claims = Claims::default();
        for (name_node, body) in entries {
            let Some(name) = self.service_name(name_node, &mut claims) else {
                ok = false;
                continue;
            };
            ok &= self.dns_safe(name, name_node);
            match self.service(name, name_node, body) {
                Some(service) => {
                    ok &= self.claim_port(&service, body, name_node.pos, &mut claims);
                    ok &= self.claim_path(&service, body, name_node.pos, &mut claims);
                    out.push(service);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The service's name, unless it is not a string or a duplicate.
    fn service_name<'n>(&mut self, node: &'n Node, claims: &mut Claims<'n>) -> Option<&'n str> {
        let Some(name) = node.as_str() else {
            self.push(Diagnostic::at(
                node.pos,
                1,
                "service names must be plain strings",
            ));
            return None;
        };
        if let Some(first) = claims.names.get(name) {
            self.push(
                Diagnostic::at(node.pos, width(node), format!("duplicate service `{name}`"))
                    .note(format!("first defined at line {}", first.line))
                    .hint("service names must be unique; rename or remove one"),
            );
            return None;
        }
        claims.names.insert(name, node.pos);
        Some(name)
    }

    /// Whether `name` is DNS-safe; says how to fix it when not.
    fn dns_safe(&mut self, name: &str, node: &Node) -> bool {
        if is_dns_name(name) {
            return true;
        }
        let fixed: String = name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        self.push(
            Diagnostic::at(node.pos, width(node), format!("service name `{name}` is not DNS-safe"))
                .hint(format!(
                    "use lowercase letters, digits and `-`, starting with a letter, at most {MAX_NAME} characters (e.g. `{}`)",
                    fixed.trim_matches('-')
                )),
        );
        false
    }

    /// Claim the service's host port, refusing one another service holds.
    fn claim_port(&mut self, service: &Service, body: &Node, at: Pos, claims: &mut Claims) -> bool {
        let Some(port) = service.database.port else {
            return true;
        };
        if let Some(other) = claims.ports.get(&port) {
            let pos = port_position(body).unwrap_or(at);
            self.push(
                Diagnostic::at(pos, port.to_string().len(), format!("host port {port} is already used by service `{other}`"))
                    .hint("give each service its own port, or remove `port` to let Docker pick a free one"),
            );
            return false;
        }
        claims.ports.insert(port, service.name.clone());
        true
    }

    /// Claim the service's directory: one per service, never nested in another's
    /// (a service's `.env` holds its own credentials, and `new --force` replaces a
    /// whole directory), never inside `.dbps/`.
    fn claim_path(&mut self, service: &Service, body: &Node, at: Pos, claims: &mut Claims) -> bool {
        let pos = path_position(body).unwrap_or(at);
        let path = service.path.display();
        if let Some((other, same)) = claims.path_clash(&service.path) {
            let how = if same {
                "is already used by"
            } else {
                "overlaps the directory of"
            };
            self.push(
                Diagnostic::at(pos, 1, format!("path `{path}` {how} service `{other}`"))
                    .hint("each service needs its own directory, not inside another's: its `.env` holds its own credentials"),
            );
            return false;
        }
        if service.path.starts_with(".dbps") {
            self.push(
                Diagnostic::at(
                    pos,
                    1,
                    format!("path `{path}` is inside `.dbps/`, where dbps keeps credentials"),
                )
                .hint("choose a directory such as `services/NAME`"),
            );
            return false;
        }
        claims.claim_path(&service.path, &service.name);
        true
    }

    fn service(&mut self, name: &str, name_node: &Node, body: &Node) -> Option<Service> {
        let where_ = format!("`services.{name}`");
        let Some(entries) = self.entries(body, &where_, SERVICE_KEYS) else {
            self.push(
                Diagnostic::at(
                    name_node.pos,
                    width(name_node),
                    format!(
                        "service `{name}` must be a mapping, found {}",
                        body.type_name()
                    ),
                )
                .hint("give it at least `database:` with an `engine:`"),
            );
            return None;
        };
        let mut path = Some(PathBuf::from("services").join(name));
        let mut database = None;
        let mut database_key: Option<&Node> = None;
        let mut ok = true;
        for (key_name, key, value) in entries {
            match key_name {
                "path" => path = self.path(value, name),
                "database" => {
                    if let Some(first) = database_key {
                        self.push(
                            Diagnostic::at(key.pos, 8, format!("service `{name}` is given two databases"))
                                .note(format!("its first `database` is at line {}", first.pos.line))
                                .hint("a service owns exactly one database; move the second into a service of its own"),
                        );
                        ok = false;
                        continue;
                    }
                    database_key = Some(key);
                    database = self.database(name, key, value);
                    ok &= database.is_some();
                }
                _ => {
                    if self
                        .scalar(value, &format!("`services.{name}.description`"))
                        .is_none()
                    {
                        ok = false;
                    }
                }
            }
        }
        if database_key.is_none() {
            self.push(
                Diagnostic::at(
                    name_node.pos,
                    width(name_node),
                    format!("service `{name}` has no `database`"),
                )
                .hint(
                    "add `database:` with `engine: postgres` (or mysql, mariadb, redis, mongodb)",
                ),
            );
            return None;
        }
        if !ok {
            return None;
        }
        Some(Service {
            name: name.to_string(),
            path: path?,
            database: database?,
        })
    }

    fn path(&mut self, value: &Node, service: &str) -> Option<PathBuf> {
        let raw = self.scalar(value, &format!("`services.{service}.path`"))?;
        let p = Path::new(raw);
        let mut normal = PathBuf::new();
        let mut escapes = p.is_absolute() || p.has_root();
        for c in p.components() {
            match c {
                Component::Normal(part) => normal.push(part),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !normal.pop() {
                        escapes = true;
                    }
                }
                Component::RootDir | Component::Prefix(_) => escapes = true,
            }
        }
        if escapes {
            self.push(
                Diagnostic::at(
                    value.pos,
                    width(value),
                    format!("path `{raw}` escapes the project"),
                )
                .hint("use a relative path inside the project directory, e.g. `services/NAME`"),
            );
            return None;
        }
        if normal.as_os_str().is_empty() {
            self.push(
                Diagnostic::at(
                    value.pos,
                    width(value),
                    format!("path `{raw}` is the project root itself"),
                )
                .hint("give the service a directory of its own, e.g. `services/NAME`"),
            );
            return None;
        }
        Some(normal)
    }

    fn database(&mut self, service: &str, key: &Node, value: &Node) -> Option<Database> {
        let where_ = format!("`services.{service}.database`");
        let entries = self.database_entries(service, &where_, key, value)?;
        let mut d = Draft {
            ok: true,
            ..Draft::default()
        };
        for (k, _, v) in entries {
            let fine = match k {
                "engine" => {
                    d.engine_seen = true;
                    d.engine = self.engine(v, &where_);
                    d.engine.is_some()
                }
                "version" => {
                    d.version = self.version(v, &where_);
                    d.version.is_some()
                }
                "image" => {
                    d.image = self.image(v, &where_);
                    d.image.is_some()
                }
                "port" => {
                    d.port = self.port(v);
                    d.port.is_some()
                }
                "name" => {
                    d.name = self.database_ident(v, &where_).map(|n| (n, v));
                    d.name.is_some()
                }
                _ => {
                    d.extensions_node = Some(v);
                    self.extensions(v, &where_, &mut d.extensions)
                }
            };
            d.ok &= fine;
        }
        self.finish_database(service, key, &where_, d)
    }

    /// The entries of a `database` mapping; a list or a scalar is explained.
    fn database_entries<'n>(
        &mut self,
        service: &str,
        where_: &str,
        key: &Node,
        value: &'n Node,
    ) -> Option<Vec<(&'n str, &'n Node, &'n Node)>> {
        if let Kind::Seq(items) = &value.kind {
            let d = if items.len() > 1 {
                Diagnostic::at(items[1].pos, 1, format!("service `{service}` is given {} databases", items.len()))
                    .hint("a service owns exactly one database; move the others into services of their own")
            } else {
                Diagnostic::at(
                    key.pos,
                    8,
                    format!("{where_} must be a mapping, not a list"),
                )
                .hint("write `database:` followed by `engine: …` indented below it")
            };
            self.push(d);
            return None;
        }
        let entries = self.entries(value, where_, DATABASE_KEYS);
        if entries.is_none() {
            // `database: postgres` is a natural shorthand: say exactly what to write.
            let hint = match value.as_str().and_then(Engine::parse) {
                Some(e) => format!(
                    "write it as a mapping: `database: {{ engine: {} }}`",
                    e.name()
                ),
                None => "write `database:` followed by `engine: …` indented below it".to_string(),
            };
            self.push(
                Diagnostic::at(
                    value.pos,
                    width(value),
                    format!("{where_} must be a mapping, found {}", value.type_name()),
                )
                .hint(hint),
            );
        }
        entries
    }

    fn engine(&mut self, v: &Node, where_: &str) -> Option<Engine> {
        let raw = self.scalar(v, &format!("{where_}.engine"))?;
        let engine = Engine::parse(raw);
        if engine.is_none() {
            let names = Engine::names();
            let d = Diagnostic::at(v.pos, width(v), format!("unknown engine `{raw}`"));
            self.push(match did_you_mean(raw, &names) {
                Some(s) => d.hint(format!(
                    "did you mean `{s}`? supported: {}",
                    names.join(", ")
                )),
                None => d.hint(format!("supported engines: {}", names.join(", "))),
            });
        }
        engine
    }

    fn version(&mut self, v: &Node, where_: &str) -> Option<String> {
        let s = self.scalar(v, &format!("{where_}.version"))?;
        if is_tag(s) {
            return Some(s.to_string());
        }
        self.push(
            Diagnostic::at(v.pos, width(v), format!("version `{s}` is not a valid image tag"))
                .hint("use letters, digits, `.`, `_` and `-`, e.g. `16` or `\"10.11\"` (quote versions like 10.10 so YAML keeps them as written)"),
        );
        None
    }

    fn image(&mut self, v: &Node, where_: &str) -> Option<String> {
        let s = self.scalar(v, &format!("{where_}.image"))?;
        if is_image_ref(s) {
            return Some(s.to_string());
        }
        self.push(
            Diagnostic::at(
                v.pos,
                width(v),
                format!("image `{s}` is not a valid image reference"),
            )
            .hint("e.g. `postgres:16` or `registry.example.com/team/postgres:16`"),
        );
        None
    }

    fn port(&mut self, v: &Node) -> Option<u16> {
        let parsed = match &v.kind {
            Kind::Scalar {
                value,
                quoted: false,
            } => value.parse::<u16>().ok().filter(|p| *p >= 1),
            _ => None,
        };
        if parsed.is_none() {
            self.push(
                Diagnostic::at(
                    v.pos,
                    width(v),
                    format!(
                        "port must be a number from 1 to 65535, found `{}`",
                        v.as_str().unwrap_or(v.type_name())
                    ),
                )
                .hint("it is the host port on 127.0.0.1; remove it to let Docker pick a free one"),
            );
        }
        parsed
    }

    fn database_ident(&mut self, v: &Node, where_: &str) -> Option<String> {
        let s = self.scalar(v, &format!("{where_}.name"))?;
        if is_identifier(s) {
            return Some(s.to_string());
        }
        self.push(
            Diagnostic::at(v.pos, width(v), format!("database name `{s}` is not a plain identifier"))
                .hint(format!("use lowercase letters, digits and `_`, starting with a letter, at most {MAX_NAME} characters")),
        );
        None
    }

    /// Collect valid extension names into `out`; whether all were valid.
    fn extensions(&mut self, v: &Node, where_: &str, out: &mut Vec<String>) -> bool {
        let Kind::Seq(items) = &v.kind else {
            self.push(
                Diagnostic::at(
                    v.pos,
                    width(v),
                    format!("{where_}.extensions must be a list"),
                )
                .hint("e.g. `extensions: [vector]`"),
            );
            return false;
        };
        let mut ok = true;
        for item in items {
            match item.as_str() {
                Some(s) if is_identifier(s) => out.push(s.to_string()),
                _ => {
                    self.push(
                        Diagnostic::at(
                            item.pos,
                            width(item),
                            format!(
                                "extension `{}` is not a plain name",
                                item.as_str().unwrap_or(item.type_name())
                            ),
                        )
                        .hint("e.g. `extensions: [vector, pg_trgm]`"),
                    );
                    ok = false;
                }
            }
        }
        ok
    }

    /// The checks across keys: an engine is required, the name is not reserved,
    /// extensions only where the engine has them.
    fn finish_database(
        &mut self,
        service: &str,
        key: &Node,
        where_: &str,
        d: Draft,
    ) -> Option<Database> {
        if !d.engine_seen {
            self.push(
                Diagnostic::at(key.pos, 8, format!("{where_} has no `engine`")).hint(format!(
                    "add `engine:` with one of: {}",
                    Engine::names().join(", ")
                )),
            );
            return None;
        }
        let engine = d.engine?;
        let mut ok = d.ok;
        let (name, at) = match d.name {
            Some((name, node)) => (name, node.pos),
            None => (database_name(service), key.pos),
        };
        if is_reserved(&name) {
            self.push(
                Diagnostic::at(at, name.len(), format!("database and user name `{name}` is reserved"))
                    .hint("it names a system database or an administrator; set `database.name` to another name"),
            );
            ok = false;
        }
        if let Some(node) = d.extensions_node
            && !engine.spec().supports_extensions()
            && !d.extensions.is_empty()
        {
            self.push(
                Diagnostic::at(
                    node.pos,
                    1,
                    format!("engine `{}` has no extensions", engine.name()),
                )
                .hint("`extensions` applies to postgres only; remove it"),
            );
            ok = false;
        }
        ok.then_some(Database {
            engine,
            version: d.version,
            image: d.image,
            port: d.port,
            name,
            extensions: d.extensions,
        })
    }
}

fn find_key<'n>(body: &'n Node, key: &str) -> Option<&'n Node> {
    let Kind::Map(entries) = &body.kind else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

fn port_position(body: &Node) -> Option<Pos> {
    find_key(find_key(body, "database")?, "port").map(|n| n.pos)
}

fn path_position(body: &Node) -> Option<Pos> {
    find_key(body, "path").map(|n| n.pos)
}

/// Names of system databases and administrators in some engine, which a service's
/// database and user must never take.
const RESERVED: &[&str] = &[
    "root",
    "mysql",
    "information_schema",
    "performance_schema",
    "sys",
    "postgres",
    "template0",
    "template1",
    "admin",
    "local",
    "config",
    "default",
    "dbps_admin",
    "public",
    "mariadb_sys",
];

fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name) || name.starts_with("pg_")
}

fn is_tag(s: &str) -> bool {
    s.len() <= 128
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn is_image_ref(s: &str) -> bool {
    s.len() <= 255
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<String> {
        validate(src)
            .unwrap_err()
            .into_iter()
            .map(|d| {
                let pos = d
                    .pos
                    .map(|p| format!("{}:{}", p.line, p.col))
                    .unwrap_or_default();
                format!("{pos} {}", d.message)
            })
            .collect()
    }

    #[test]
    fn a_valid_manifest() {
        let m = validate(
            "project: shop\nservices:\n  users:\n    database:\n      engine: postgres\n      version: \"16\"\n      port: 54321\n      extensions: [vector]\n  order-api:\n    path: apps/orders\n    database: { engine: mariadb }\n",
        )
        .unwrap();
        assert_eq!(m.project, "shop");
        assert_eq!(m.services.len(), 2);
        assert_eq!(m.services[0].path, PathBuf::from("services/users"));
        assert_eq!(m.services[0].database.port, Some(54321));
        assert_eq!(m.services[0].database.extensions, vec!["vector"]);
        assert_eq!(m.services[1].database.name, "order_api");
        assert_eq!(m.services[1].database.engine.name(), "mariadb");
        assert_eq!(m.services[1].path, PathBuf::from("apps/orders"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = errors(
            "project: shop\nservices:\n  Users:\n    database:\n      engnie: postgres\n  a:\n    database:\n      engine: oracle\n      port: 5432\n  b:\n    path: ../x\n    database:\n      engine: redis\n      port: 5432\n",
        );
        assert_eq!(
            errs,
            vec![
                "3:3 service name `Users` is not DNS-safe",
                "5:7 unknown key `engnie` in `services.Users.database`",
                "4:5 `services.Users.database` has no `engine`",
                "8:15 unknown engine `oracle`",
                "11:11 path `../x` escapes the project",
            ]
        );
    }

    #[test]
    fn duplicates_are_located() {
        let errs = errors(
            "project: shop\nservices:\n  a:\n    database: {engine: redis, port: 7000}\n  b:\n    database: {engine: redis, port: 7000}\n  a:\n    database: {engine: redis}\n",
        );
        assert_eq!(
            errs,
            vec![
                "6:37 host port 7000 is already used by service `a`",
                "7:3 duplicate service `a`",
            ]
        );
    }

    #[test]
    fn two_databases_are_refused() {
        let errs = errors(
            "project: p\nservices:\n  a:\n    database:\n      engine: redis\n    database:\n      engine: postgres\n  b:\n    database:\n      - engine: redis\n      - engine: postgres\n",
        );
        assert_eq!(
            errs,
            vec![
                "6:5 service `a` is given two databases",
                "11:9 service `b` is given 2 databases",
            ]
        );
    }

    #[test]
    fn scalars_of_the_wrong_type() {
        assert_eq!(
            errors("- a\n- b\n"),
            vec!["1:1 the manifest must be a mapping, found a list"]
        );
        assert_eq!(errors(""), vec!["1:1 the manifest is empty"]);
        assert_eq!(
            errors("project: p\nservices:\n  a:\n    database: postgres\n"),
            vec!["4:15 `services.a.database` must be a mapping, found a scalar"]
        );
        assert_eq!(
            errors("project: p\nservices:\n  a:\n    database: {engine: redis, port: \"80\"}\n"),
            vec!["4:37 port must be a number from 1 to 65535, found `80`"]
        );
        assert_eq!(
            errors("project: p\nservices:\n  a:\n    database: {engine: redis, extensions: [x]}\n"),
            vec!["4:43 engine `redis` has no extensions"]
        );
    }

    #[test]
    fn missing_project_and_syntax_errors() {
        assert_eq!(errors("services: {}\n"), vec!["1:1 missing key `project`"]);
        let errs = errors("project: p\nservices:\n  a: [\n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("invalid YAML"), "{errs:?}");
    }

    #[test]
    fn reserved_and_overlapping_names_are_refused() {
        let errs = errors(
            "project: p\nservices:\n  root:\n    database: {engine: mysql}\n  a:\n    path: apps\n    database: {engine: redis}\n  b:\n    path: apps/b\n    database: {engine: redis, name: mysql}\n  default:\n    path: .dbps/x\n    database: {engine: redis}\n",
        );
        assert_eq!(
            errs,
            vec![
                "4:5 database and user name `root` is reserved",
                "10:37 database and user name `mysql` is reserved",
                "13:5 database and user name `default` is reserved",
            ]
        );
        let errs = errors(
            "project: p\nservices:\n  a:\n    path: apps\n    database: {engine: redis}\n  b:\n    path: apps/b\n    database: {engine: redis}\n  c:\n    path: .dbps/x\n    database: {engine: redis}\n",
        );
        assert_eq!(
            errs,
            vec![
                "7:11 path `apps/b` overlaps the directory of service `a`",
                "10:11 path `.dbps/x` is inside `.dbps/`, where dbps keeps credentials"
            ]
        );
    }

    #[test]
    fn control_characters_are_refused_before_parsing() {
        // yaml-rust2 stops at a NUL without a word, hiding what follows.
        assert_eq!(
            errors("project: p\nservices: {}\0\nservices: {a: 1}\n"),
            vec!["2:13 the manifest holds a control character (U+0000)"]
        );
        assert_eq!(
            errors("project: p\u{1b}[2J\n"),
            vec!["1:11 the manifest holds a control character (U+001B)"]
        );
        assert!(validate("project: p\r\nservices:\t{}\r\n").is_ok());
    }

    #[test]
    fn path_claims_find_equal_nested_and_enclosing_directories() {
        let mut c = Claims::default();
        c.claim_path(Path::new("apps/team/a"), "a");
        assert_eq!(c.path_clash(Path::new("apps/team/a")), Some(("a", true)));
        assert_eq!(c.path_clash(Path::new("apps/team/a/x")), Some(("a", false)));
        assert_eq!(c.path_clash(Path::new("apps/team")), Some(("a", false)));
        assert_eq!(c.path_clash(Path::new("apps")), Some(("a", false)));
        assert_eq!(c.path_clash(Path::new("apps/team/b")), None);
        assert_eq!(c.path_clash(Path::new("apps/team-a")), None);
    }

    #[test]
    fn ten_thousand_services_validate() {
        let mut src = String::from("project: big\nservices:\n");
        for i in 0..10_000 {
            src.push_str(&format!(
                "  s{i}:\n    path: apps/team-{}/s{i}\n    database: {{engine: postgres, port: {}}}\n",
                i % 50,
                10_000 + i
            ));
        }
        let m = validate(&src).unwrap();
        assert_eq!(m.services.len(), 10_000);
        src.push_str("  clash:\n    path: apps/team-7\n    database: {engine: redis}\n");
        assert_eq!(
            errors(&src),
            vec!["30004:11 path `apps/team-7` overlaps the directory of service `s7`"]
        );
    }

    #[test]
    fn dns_names() {
        assert!(is_dns_name("order-api"));
        assert!(is_dns_name("a1"));
        assert!(!is_dns_name("1a"));
        assert!(!is_dns_name("a-"));
        assert!(!is_dns_name("a_b"));
        assert!(!is_dns_name(&"a".repeat(33)));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Arbitrary text never panics the validator.
            #[test]
            fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
                let _ = validate(&src);
            }

            /// YAML-shaped text built from manifest vocabulary never panics it either.
            #[test]
            fn yaml_shaped_text_never_panics(lines in proptest::collection::vec(
                (0usize..4, prop::sample::select(vec![
                    "project", "services", "users", "database", "engine", "port", "path",
                    "version", "image", "extensions", "name", "- ", "doctor", "Users",
                ]), prop::sample::select(vec![
                    "", "postgres", "redis", "70000", "5432", "../x", "[vector]", "{engine: redis}",
                    "\"16\"", "&a", "*a", "[", "'", "~", "-1", "{", "!!binary x",
                ])),
                0..24,
            )) {
                let src: String = lines
                    .iter()
                    .map(|(indent, key, value)| format!("{}{key}: {value}\n", "  ".repeat(*indent)))
                    .collect();
                let _ = validate(&src);
            }
        }
    }
}
