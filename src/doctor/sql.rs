//! Tables named by SQL text: which ones a statement creates and which it reads or writes.
//!
//! A small tokenizer, not a parser: it understands enough structure (parentheses,
//! subqueries, CTE names, `FROM a, b`, `EXTRACT(x FROM y)`, quoted identifiers,
//! `schema.table`) to be precise on real migrations and queries, and it skips the
//! bookkeeping tables every migration tool creates in every service's database.

use super::model::TableName;

/// A table reference found in SQL text, at a byte offset of that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    /// The table.
    pub table: TableName,
    /// `true` for `CREATE TABLE`.
    pub create: bool,
    /// Byte offset in the text.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Punct(u8),
}

fn tokenize(sql: &str) -> Vec<(Tok, usize)> {
    let b = sql.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < n && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < n && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'\'' {
            i += 1;
            while i < n {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push((Tok::Punct(b'\''), i));
        } else if c == b'$' && b.get(i + 1) == Some(&b'$') {
            // Dollar-quoted body: tables inside are still the same service's.
            i += 2;
        } else if c == b'"' || c == b'`' || c == b'[' {
            let close = if c == b'[' { b']' } else { c };
            let start = i + 1;
            let mut j = start;
            while j < n && b[j] != close {
                j += 1;
            }
            out.push((
                Tok::Quoted(String::from_utf8_lossy(&b[start..j.min(n)]).into_owned()),
                i,
            ));
            i = j + 1;
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < n
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            out.push((
                Tok::Word(String::from_utf8_lossy(&b[start..i]).to_ascii_lowercase()),
                start,
            ));
        } else if c.is_ascii_digit() {
            while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            out.push((Tok::Punct(b'0'), i));
        } else {
            out.push((Tok::Punct(c), i));
            i += 1;
        }
    }
    out
}

const NOT_TABLES: &[&str] = &[
    "select",
    "set",
    "where",
    "values",
    "value",
    "lateral",
    "only",
    "as",
    "on",
    "using",
    "natural",
    "left",
    "right",
    "inner",
    "outer",
    "cross",
    "full",
    "join",
    "group",
    "order",
    "limit",
    "unnest",
    "if",
    "not",
    "exists",
    "table",
    "into",
    "from",
    "with",
    "recursive",
    "dual",
    "the",
    "a",
    "an",
    "of",
    "to",
    "and",
    "or",
    "by",
    "for",
    "in",
    "is",
    "this",
    "that",
    "your",
    "each",
    "all",
    "nowait",
    "skip",
    "update",
    "delete",
    "insert",
    "returning",
    "default",
    "ignore",
    "temporary",
    "temp",
    "unlogged",
    "when",
    "then",
    "else",
    "end",
    "case",
    "null",
    "true",
    "false",
];

/// Tables every migration tool or engine keeps for itself.
fn is_bookkeeping(qualifier: Option<&str>, name: &str) -> bool {
    matches!(
        qualifier,
        Some("information_schema" | "pg_catalog" | "sys" | "mysql" | "performance_schema")
    ) || name.starts_with("pg_")
        || matches!(
            name,
            "flyway_schema_history"
                | "schema_version"
                | "__efmigrationshistory"
                | "_sqlx_migrations"
                | "schema_migrations"
                | "databasechangelog"
                | "databasechangeloglock"
                | "goose_db_version"
                | "knex_migrations"
                | "knex_migrations_lock"
                | "typeorm_metadata"
                | "migrations"
                | "_prisma_migrations"
                | "alembic_version"
                | "django_migrations"
                | "seaql_migrations"
                | "__diesel_schema_migrations"
                | "ar_internal_metadata"
                | "sqlite_master"
        )
}

fn ident(tok: &Tok) -> Option<String> {
    match tok {
        Tok::Word(w) if !NOT_TABLES.contains(&w.as_str()) => Some(w.clone()),
        Tok::Quoted(q) if !q.is_empty() => Some(q.clone()),
        _ => None,
    }
}

/// Read `a[.b[.c]]` at `i`; returns the table and the index after it.
fn qualified(toks: &[(Tok, usize)], i: usize) -> Option<(TableName, usize)> {
    let mut parts = vec![ident(&toks.get(i)?.0)?];
    let mut j = i + 1;
    while j + 1 < toks.len() && toks[j].0 == Tok::Punct(b'.') {
        let part = match &toks[j + 1].0 {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => q.clone(),
            _ => break,
        };
        parts.push(part);
        j += 2;
    }
    // A name followed by `(` is a function call, not a table (except after CREATE/INSERT/REFERENCES,
    // which callers handle by passing `allow_paren`).
    let name = parts.pop()?;
    let qualifier = parts.pop();
    Some((TableName { qualifier, name }, j))
}

fn word_at(toks: &[(Tok, usize)], i: usize) -> Option<&str> {
    match toks.get(i) {
        Some((Tok::Word(w), _)) => Some(w.as_str()),
        _ => None,
    }
}

/// Names defined by `WITH name AS (` or `, name AS (`: they are not tables.
fn cte_names(toks: &[(Tok, usize)]) -> Vec<String> {
    let mut names = Vec::new();
    for i in 1..toks.len() {
        let opens_cte = matches!(word_at(toks, i - 1), Some("with" | "recursive"))
            || toks[i - 1].0 == Tok::Punct(b',');
        if !opens_cte {
            continue;
        }
        if let Some(name) = ident(&toks[i].0)
            && word_at(toks, i + 1) == Some("as")
            && toks.get(i + 2).map(|t| &t.0) == Some(&Tok::Punct(b'('))
        {
            names.push(name);
        }
    }
    names
}

/// Find table references in SQL text.
pub fn tables(sql: &str) -> Vec<TableRef> {
    let toks = tokenize(sql);
    let mut out = Vec::new();
    let ctes = cte_names(&toks);
    // For each open parenthesis: whether it holds a subquery (FROM counts) or not.
    let mut parens: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let (tok, _) = &toks[i];
        match tok {
            Tok::Punct(b'(') => {
                let sub = matches!(word_at(&toks, i + 1), Some("select" | "with" | "values"));
                parens.push(sub);
                i += 1;
                continue;
            }
            Tok::Punct(b')') => {
                parens.pop();
                i += 1;
                continue;
            }
            Tok::Punct(b';') => {
                parens.clear();
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(word) = word_at(&toks, i) else {
            i += 1;
            continue;
        };
        let in_expr = parens.last() == Some(&false);
        let prev = if i > 0 { word_at(&toks, i - 1) } else { None };
        let mut create = false;
        let mut list = false;
        let mut allow_paren = false;
        let mut start = None;
        match word {
            "create" => {
                let mut j = i + 1;
                while matches!(
                    word_at(&toks, j),
                    Some(
                        "temporary"
                            | "temp"
                            | "unlogged"
                            | "global"
                            | "local"
                            | "or"
                            | "replace"
                            | "external"
                    )
                ) {
                    j += 1;
                }
                if word_at(&toks, j) == Some("table") {
                    j += 1;
                    if word_at(&toks, j) == Some("if") {
                        j += 3;
                    }
                    create = true;
                    allow_paren = true;
                    start = Some(j);
                }
            }
            "from" if !in_expr => {
                if prev == Some("delete") {
                    // handled by the `delete` arm
                } else if prev == Some("distinct") || prev == Some("is") {
                    // IS DISTINCT FROM
                } else {
                    let mut j = i + 1;
                    if word_at(&toks, j) == Some("only") {
                        j += 1;
                    }
                    start = Some(j);
                    list = true;
                }
            }
            "join" if !in_expr => {
                let mut j = i + 1;
                if word_at(&toks, j) == Some("lateral") {
                    j += 1;
                }
                start = Some(j);
            }
            "into" if matches!(prev, Some("insert" | "ignore" | "replace" | "merge")) => {
                start = Some(i + 1);
                allow_paren = true;
            }
            "update"
                if !matches!(
                    prev,
                    Some("for" | "do" | "key" | "on" | "before" | "after" | "of")
                ) =>
            {
                let mut j = i + 1;
                if word_at(&toks, j) == Some("only") {
                    j += 1;
                }
                if let Some((_, after)) = qualified(&toks, j) {
                    // UPDATE t [alias] SET
                    let set_at = if word_at(&toks, after) == Some("set") {
                        Some(after)
                    } else if word_at(&toks, after + 1) == Some("set") {
                        Some(after + 1)
                    } else {
                        None
                    };
                    if set_at.is_some() {
                        start = Some(j);
                    }
                }
            }
            "delete" if word_at(&toks, i + 1) == Some("from") => start = Some(i + 2),
            "table" if matches!(prev, Some("alter" | "truncate" | "drop" | "lock")) => {
                let mut j = i + 1;
                if word_at(&toks, j) == Some("if") {
                    j += 2;
                }
                if word_at(&toks, j) == Some("only") {
                    j += 1;
                }
                start = Some(j);
                allow_paren = true;
            }
            "truncate" if word_at(&toks, i + 1) != Some("table") => {
                start = Some(i + 1);
            }
            "references" => {
                start = Some(i + 1);
                allow_paren = true;
            }
            _ => {}
        }
        if let Some(mut j) = start {
            while let Some((table, after)) = qualified(&toks, j) {
                let followed_by_paren = toks.get(after).map(|t| &t.0) == Some(&Tok::Punct(b'('));
                let followed_by_eq = toks.get(after).map(|t| &t.0) == Some(&Tok::Punct(b'='));
                let is_cte = table.qualifier.is_none() && ctes.contains(&table.name);
                if (allow_paren || !followed_by_paren)
                    && !followed_by_eq
                    && !is_cte
                    && !is_bookkeeping(table.qualifier.as_deref(), &table.name)
                {
                    out.push(TableRef {
                        table,
                        create,
                        offset: toks[j].1,
                    });
                }
                if !list {
                    break;
                }
                // FROM a [AS] [alias], b …
                let mut k = after;
                if word_at(&toks, k) == Some("as") {
                    k += 1;
                }
                if let Some(Tok::Word(w)) = toks.get(k).map(|t| &t.0)
                    && !NOT_TABLES.contains(&w.as_str())
                {
                    k += 1;
                }
                if toks.get(k).map(|t| &t.0) == Some(&Tok::Punct(b',')) {
                    j = k + 1;
                } else {
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

/// Whether a string literal from source code looks like a SQL statement.
pub fn looks_like_sql(text: &str) -> bool {
    let t = text.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    let first: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let lower = first.to_ascii_lowercase();
    if !matches!(
        lower.as_str(),
        "select"
            | "insert"
            | "update"
            | "delete"
            | "with"
            | "create"
            | "alter"
            | "truncate"
            | "merge"
            | "replace"
            | "drop"
    ) {
        return false;
    }
    let upper = first.chars().all(|c| c.is_ascii_uppercase());
    // `Delete items from cart?` is a sentence: SQL keywords are written in one case.
    let lower_case = first.chars().all(|c| c.is_ascii_lowercase());
    upper || (lower_case && t.contains(['*', '=', '?', '$', '(', ',', ';']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<String> {
        tables(sql)
            .into_iter()
            .map(|t| format!("{}{}", if t.create { "+" } else { "" }, t.table))
            .collect()
    }

    #[test]
    fn ddl_and_dml() {
        assert_eq!(
            names(
                "CREATE TABLE IF NOT EXISTS orders (id int REFERENCES customers(id)); INSERT INTO order_lines (a) VALUES (1);"
            ),
            ["+orders", "customers", "order_lines"]
        );
        assert_eq!(names("UPDATE stock s SET qty = 1 WHERE id = $1"), ["stock"]);
        assert_eq!(names("DELETE FROM carts WHERE id = ?"), ["carts"]);
        assert_eq!(
            names("ALTER TABLE billing.invoices ADD COLUMN x int"),
            ["billing.invoices"]
        );
        assert_eq!(names("CREATE TABLE \"Users\" (id int)"), ["+Users"]);
    }

    #[test]
    fn selects() {
        assert_eq!(
            names("SELECT o.id FROM orders o JOIN customers c ON c.id = o.cid"),
            ["orders", "customers"]
        );
        assert_eq!(
            names("select * from t1, t2 x, t3 where 1=1"),
            ["t1", "t2", "t3"]
        );
        assert_eq!(
            names("SELECT EXTRACT(YEAR FROM created_at) FROM invoices"),
            ["invoices"]
        );
        assert_eq!(
            names("SELECT * FROM (SELECT * FROM inner_t) sub"),
            ["inner_t"]
        );
        assert_eq!(
            names("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent"),
            ["orders"]
        );
        assert_eq!(
            names("SELECT * FROM generate_series(1, 3)"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn not_tables() {
        assert!(names("SELECT * FROM t FOR UPDATE").iter().all(|n| n == "t"));
        assert_eq!(
            names("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2"),
            ["t"]
        );
        assert_eq!(
            names("INSERT INTO flyway_schema_history VALUES (1)"),
            Vec::<String>::new()
        );
        assert_eq!(
            names("SELECT * FROM information_schema.tables"),
            Vec::<String>::new()
        );
        assert_eq!(
            names("-- SELECT * FROM ghost\nSELECT 1"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn sql_detection() {
        assert!(looks_like_sql("SELECT id FROM orders"));
        assert!(looks_like_sql("select * from orders where id = $1"));
        assert!(!looks_like_sql("Select a product from the list"));
        assert!(!looks_like_sql("update your profile"));
        // Regression: a UI string in a frontend was a DBPS002 error on table `cart`.
        assert!(!looks_like_sql(
            "Delete items from cart? This cannot be undone."
        ));
        assert!(!looks_like_sql("Update orders (if any), then pay"));
        assert!(looks_like_sql("delete from cart where id = ?"));
    }

    #[test]
    fn garbage_never_panics() {
        for s in [
            "(",
            ")",
            "CREATE TABLE",
            "FROM",
            "'",
            "\"",
            "[",
            "$$",
            "WITH x AS (",
            "INSERT INTO",
            "a . . b",
            "/*",
        ] {
            let _ = tables(s);
        }
    }
}
