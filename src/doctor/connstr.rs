//! Connection-string parsing: URLs (`postgres://`, `mongodb+srv://`, `redis://`, SQLAlchemy
//! `dialect+driver://`), JDBC/R2DBC strings, and ADO.NET `Key=Value;` strings.
//!
//! Pure functions from text to [`ConnSpec`]; placeholders (`${VAR}`, `<password>`) are
//! dropped rather than taken as values. Embedded databases (H2, SQLite, Derby) are not
//! connections to a shared server and yield `None`.

use super::model::{ConnSpec, Engine, is_placeholder};

/// Parse any supported connection string.
pub fn parse(text: &str) -> Option<ConnSpec> {
    let text = text
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '`');
    let lower = text.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("jdbc:") {
        return parse_jdbc(&text[5..], rest);
    }
    if let Some(rest) = lower.strip_prefix("r2dbc:") {
        let rest_orig = &text[6..];
        let (rest_orig, rest) = match rest.strip_prefix("pool:") {
            Some(r) => (&rest_orig[5..], r),
            None => (rest_orig, rest),
        };
        let _ = rest;
        return parse_url(rest_orig);
    }
    if lower.contains("://") {
        return parse_url(text);
    }
    if text.contains('=') && text.contains(';') {
        return parse_ado(text);
    }
    None
}

fn clean(value: &str) -> Option<String> {
    let v = percent_decode(value.trim());
    if v.is_empty() || is_placeholder(&v) {
        None
    } else {
        Some(v)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Split `host[:port]` (IPv6 in brackets) and take the first of a comma-separated list.
fn host_port(authority: &str) -> (Option<String>, Option<u16>) {
    let first = authority.split(',').next().unwrap_or("").trim();
    if first.is_empty() {
        return (None, None);
    }
    if let Some(rest) = first.strip_prefix('[') {
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (clean(host), port);
    }
    match first.rsplit_once(':') {
        Some((h, p)) if !p.contains('}') => (clean(h), p.parse().ok()),
        _ => (clean(first), None),
    }
}

fn apply_param(spec: &mut ConnSpec, key: &str, value: &str) {
    let key = key.trim().to_ascii_lowercase();
    let value = percent_decode(value);
    match key.as_str() {
        "user" | "username" | "uid" if spec.user.is_none() => spec.user = clean(&value),
        "password" | "pwd" if spec.password.is_none() => spec.password = clean(&value),
        "currentschema" | "search_path" | "schema" => {
            spec.schema = clean(&value).map(|s| first_schema(&s))
        }
        "options" => {
            // libpq: options=-c search_path=orders
            if let Some(pos) = value.find("search_path=") {
                let tail = &value[pos + "search_path=".len()..];
                let end = tail.find(|c: char| c.is_whitespace()).unwrap_or(tail.len());
                spec.schema = clean(&tail[..end]).map(|s| first_schema(&s));
            }
        }
        "databasename" | "database" | "dbname" | "db" if spec.database.is_none() => {
            spec.database = clean(&value);
        }
        "host" if spec.host.is_none() => spec.host = clean(&value),
        _ => {}
    }
}

fn first_schema(list: &str) -> String {
    list.split(',')
        .map(str::trim)
        .find(|s| !s.is_empty() && *s != "$user" && *s != "\"$user\"")
        .unwrap_or(list)
        .trim_matches('"')
        .to_ascii_lowercase()
}

/// `scheme://[user[:password]@]host[:port][,host…][/database][?params]`
fn parse_url(text: &str) -> Option<ConnSpec> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let engine = if scheme == "mongodb+srv" {
        Engine::Mongodb
    } else {
        let base = scheme.split('+').next().unwrap_or(&scheme);
        Engine::from_word(base)
    };
    if engine == Engine::Unknown {
        return None;
    }
    let mut spec = ConnSpec {
        engine,
        ..ConnSpec::default()
    };
    if engine == Engine::Sqlserver && rest.contains(';') {
        return Some(parse_sqlserver_tail(spec, rest));
    }
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (before_query, None),
    };
    let hostpart = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            spec.user = clean(user);
            spec.password = password.and_then(clean);
            host
        }
        None => authority,
    };
    let (host, port) = host_port(hostpart);
    spec.host = host;
    spec.port = port;
    if let Some(path) = path {
        let db = path.split('/').next().unwrap_or("");
        spec.database = clean(db);
    }
    if let Some(query) = query {
        for pair in query.split('&') {
            if let Some((k, v)) = pair.split_once('=') {
                apply_param(&mut spec, k, v);
            }
        }
    }
    Some(spec)
}

fn parse_sqlserver_tail(mut spec: ConnSpec, rest: &str) -> ConnSpec {
    let mut parts = rest.split(';');
    let authority = parts.next().unwrap_or("");
    let authority = authority.split('/').next().unwrap_or(authority);
    let authority = authority.split('\\').next().unwrap_or(authority);
    let (host, port) = host_port(authority);
    spec.host = host;
    spec.port = port;
    for part in parts {
        if let Some((k, v)) = part.split_once('=') {
            apply_param(&mut spec, k, v);
        }
    }
    spec
}

fn parse_jdbc(orig: &str, lower: &str) -> Option<ConnSpec> {
    let sub = lower.split(':').next().unwrap_or("");
    match sub {
        "h2" | "sqlite" | "derby" | "hsqldb" => None,
        "oracle" => parse_oracle(orig),
        "sqlserver" => {
            let rest = orig.split_once("//")?.1;
            let spec = ConnSpec {
                engine: Engine::Sqlserver,
                ..ConnSpec::default()
            };
            Some(parse_sqlserver_tail(spec, rest))
        }
        _ => {
            // jdbc:mysql:loadbalance://…, jdbc:postgresql://…, jdbc:tc:postgresql:15:///db
            let (_, rest) = orig.split_once("://")?;
            let engine = Engine::from_word(sub);
            if engine == Engine::Unknown {
                return None;
            }
            let mut spec = parse_url(&format!("{}://{rest}", engine.name()))?;
            spec.engine = engine;
            Some(spec)
        }
    }
}

/// `jdbc:oracle:thin:@host:1521/service`, `@//host:1521/service`, `@host:1521:SID`,
/// and `user/password@host…`.
fn parse_oracle(orig: &str) -> Option<ConnSpec> {
    let at = orig.find('@')?;
    let tail = orig[at + 1..].trim_start_matches("//");
    let mut spec = ConnSpec {
        engine: Engine::Oracle,
        ..ConnSpec::default()
    };
    let head = &orig[..at];
    if let Some(creds) = head.rsplit(':').next()
        && let Some((u, p)) = creds.split_once('/')
    {
        spec.user = clean(u);
        spec.password = clean(p);
    }
    let (addr, service) = match tail.split_once('/') {
        Some((a, s)) => (a, Some(s)),
        None => (tail, None),
    };
    let mut pieces = addr.split(':');
    spec.host = pieces.next().and_then(clean);
    spec.port = pieces.next().and_then(|p| p.parse().ok());
    let sid = pieces.next();
    spec.database = service
        .or(sid)
        .and_then(|s| clean(s.split('?').next().unwrap_or(s)));
    Some(spec)
}

/// ADO.NET: `Host=…;Port=…;Database=…;Username=…;Password=…` and the SqlClient and
/// MySQL Connector spellings.
pub fn parse_ado(text: &str) -> Option<ConnSpec> {
    let mut spec = ConnSpec::default();
    let mut saw_db_key = false;
    let mut saw_host = false;
    let mut engine_hint = Engine::Unknown;
    for part in text.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let key = k.trim().to_ascii_lowercase().replace(' ', "");
        let v = v.trim();
        match key.as_str() {
            "host" => {
                saw_host = true;
                engine_hint = Engine::Postgres;
                let (h, p) = host_port(v);
                spec.host = h;
                spec.port = spec.port.or(p);
            }
            "server" | "datasource" | "address" | "addr" | "networkaddress" => {
                saw_host = true;
                // SqlClient: tcp:host,1433 or host\instance
                let v = v.trim_start_matches("tcp:");
                let v = v.split('\\').next().unwrap_or(v);
                if let Some((h, p)) = v.split_once(',') {
                    spec.host = clean(h);
                    spec.port = p.trim().parse().ok();
                } else {
                    let (h, p) = host_port(v);
                    spec.host = h;
                    spec.port = spec.port.or(p);
                }
            }
            "port" => spec.port = v.parse().ok(),
            "database" | "initialcatalog" | "dbname" => {
                saw_db_key = true;
                spec.database = clean(v);
            }
            "username" | "userid" | "user" | "uid" => spec.user = clean(v),
            "password" | "pwd" => spec.password = clean(v),
            "searchpath" | "schema" => spec.schema = clean(v).map(|s| first_schema(&s)),
            "initialcatalog_" => {}
            "trustservercertificate"
            | "encrypt"
            | "integratedsecurity"
            | "multipleactiveresultsets" => {
                engine_hint = Engine::Sqlserver;
            }
            "sslmode" if engine_hint == Engine::Unknown => engine_hint = Engine::Postgres,
            _ => {}
        }
    }
    if !(saw_db_key && saw_host) {
        return None;
    }
    spec.engine = if engine_hint != Engine::Unknown {
        engine_hint
    } else {
        spec.port.map(Engine::from_port).unwrap_or(Engine::Unknown)
    };
    Some(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ConnSpec {
        parse(s).unwrap_or_else(|| panic!("no parse: {s}"))
    }

    #[test]
    fn postgres_url() {
        let c = p("postgres://orders:s3cret@orders-db:5432/orders?sslmode=disable");
        assert_eq!(c.engine, Engine::Postgres);
        assert_eq!(c.host.as_deref(), Some("orders-db"));
        assert_eq!(c.port, Some(5432));
        assert_eq!(c.database.as_deref(), Some("orders"));
        assert_eq!(c.user.as_deref(), Some("orders"));
        assert_eq!(c.password.as_deref(), Some("s3cret"));
    }

    #[test]
    fn placeholders_are_not_values() {
        let c = p("postgresql://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/orders");
        assert_eq!(c.user, None);
        assert_eq!(c.password, None);
        assert_eq!(c.host, None);
        assert_eq!(c.database.as_deref(), Some("orders"));
        let c = p("postgres://app:<password>@db/app");
        assert_eq!(c.password, None);
    }

    #[test]
    fn jdbc_forms() {
        let c = p("jdbc:postgresql://db:5432/shop?currentSchema=billing");
        assert_eq!(
            (
                c.host.as_deref(),
                c.database.as_deref(),
                c.schema.as_deref()
            ),
            (Some("db"), Some("shop"), Some("billing"))
        );
        let c = p("jdbc:mysql://mysql:3306/inventory?useSSL=false");
        assert_eq!(c.engine, Engine::Mysql);
        assert_eq!(c.database.as_deref(), Some("inventory"));
        let c = p("jdbc:sqlserver://sql:1433;databaseName=Billing;user=sa;password=Str0ng!");
        assert_eq!(c.engine, Engine::Sqlserver);
        assert_eq!(c.database.as_deref(), Some("Billing"));
        assert_eq!(c.user.as_deref(), Some("sa"));
        let c = p("jdbc:oracle:thin:@//ora:1521/ORCLPDB1");
        assert_eq!(
            (c.host.as_deref(), c.port, c.database.as_deref()),
            (Some("ora"), Some(1521), Some("ORCLPDB1"))
        );
        assert!(parse("jdbc:h2:mem:test").is_none());
    }

    #[test]
    fn mongo_redis_sqlalchemy() {
        let c = p("mongodb://root:example@mongo1:27017,mongo2:27017/catalog?authSource=admin");
        assert_eq!(
            (c.host.as_deref(), c.database.as_deref(), c.user.as_deref()),
            (Some("mongo1"), Some("catalog"), Some("root"))
        );
        let c = p("redis://:pw@cache:6379/2");
        assert_eq!(
            (c.engine, c.database.as_deref(), c.password.as_deref()),
            (Engine::Redis, Some("2"), Some("pw"))
        );
        let c = p("postgresql+asyncpg://u:p@pg/app");
        assert_eq!(c.engine, Engine::Postgres);
        let c = p("postgres://u@pg/app?options=-c%20search_path%3Dorders");
        assert_eq!(c.schema.as_deref(), Some("orders"));
        assert!(parse("https://example.com/db").is_none());
    }

    #[test]
    fn ado_strings() {
        let c = p("Host=pg;Port=5433;Database=orders;Username=orders;Password=pw");
        assert_eq!(
            (c.engine, c.port, c.database.as_deref()),
            (Engine::Postgres, Some(5433), Some("orders"))
        );
        let c = p(
            "Server=sql,1433;Initial Catalog=Billing;User Id=sa;Password=x;TrustServerCertificate=true",
        );
        assert_eq!(
            (c.engine, c.host.as_deref(), c.port, c.user.as_deref()),
            (Engine::Sqlserver, Some("sql"), Some(1433), Some("sa"))
        );
        assert!(parse("a=b;c=d").is_none());
    }

    #[test]
    fn garbage_never_panics() {
        for s in [
            "://",
            "postgres://",
            "postgres://@:/?&=",
            "jdbc:",
            "jdbc:oracle:@",
            "%",
            "postgres://a%zz@h/%",
            "postgres://[::1]:x/db",
            "mysql://h:99999/d",
        ] {
            let _ = parse(s);
        }
    }
}
