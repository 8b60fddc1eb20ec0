//! Whether a generic configuration file (YAML that is not compose, Kubernetes or Spring;
//! INI, TOML, `.properties`) could hold evidence, decided from its bytes before parsing.
//!
//! Such files are evidence only through [`crate::doctor::config`]'s rule: a key that
//! names a database (one of [`config::DB_WORDS`], as a word or a camelCase part), an
//! administrator password key (`SA_PASSWORD`), or a value that is a connection string
//! (a URL, JDBC/R2DBC, an ADO.NET `Key=value;` string) or a database's `host:port`.
//! Locale files, message bundles and tool settings mention none of these, and parsing
//! them (tens of megabytes of translations in a large application) would cost more than
//! the rest of the audit. The test below keeps this list in step with `DB_WORDS`.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::doctor::config;

/// Database words of at most this length must stand as a word or a camelCase part
/// (`db` in `ORDERS_DB` or `ordersDb`, not in `feedback`); longer ones may appear
/// anywhere (`postgres` in `postgresql`).
const SHORT: usize = 4;

static EVIDENCE: LazyLock<Regex> = LazyLock::new(|| {
    let (short, long): (Vec<&str>, Vec<&str>) =
        config::DB_WORDS.iter().partition(|w| w.len() <= SHORT);
    let camel: Vec<String> = short
        .iter()
        .flat_map(|w| {
            let mut cap = w[..1].to_ascii_uppercase();
            cap.push_str(&w[1..]);
            [cap, w.to_ascii_uppercase()]
        })
        .collect();
    let pattern = format!(
        concat!(
            r"(?i-u)://|jdbc:|r2dbc:|initial catalog|{long}",
            r"|pg(?:host|hostaddr|port|database|user|password)",
            r"|(?:^|[^a-z0-9])(?:{short})(?:[^a-z]|$)",
            r"|(?:^|[^a-z0-9])sa[_.:-]?pass",
            r"|(?:server|data source|host|address)\s*=[^;\n]*;",
            r"|:(?:5432|3306|27017|6379|11211|1433|1521|9042|26257|50000)(?:[^0-9]|$)",
            r"|(?-i:[a-z](?:{camel})(?:[^a-z]|$))",
        ),
        long = long.join("|"),
        short = short.join("|"),
        camel = camel.join("|"),
    );
    Regex::new(&pattern).unwrap_or_else(|e| unreachable!("prefilter regex: {e}"))
});

/// Whether `text` mentions anything [`config::connections`] could take as evidence.
pub fn could_hold_config_evidence(text: &[u8]) -> bool {
    EVIDENCE.is_match(text)
}

/// [`crate::doctor::readers::kubernetes::looks_like`], on bytes.
pub fn is_kubernetes(text: &[u8]) -> bool {
    let has = |needle: &[u8]| memchr::memmem::find(text, needle).is_some();
    has(b"apiVersion:") && has(b"kind:")
}

#[cfg(test)]
mod tests {
    use crate::doctor::config;

    fn could(text: &str) -> bool {
        super::could_hold_config_evidence(text.as_bytes())
    }

    #[test]
    fn every_database_word_in_a_key_passes() {
        let mut checked = 0;
        for word in config::DB_WORDS.iter().chain(&["PGHOST", "pguser"]) {
            let upper = word.to_ascii_uppercase();
            let mut camel = word[..1].to_ascii_uppercase();
            camel.push_str(&word[1..]);
            for key in [
                format!("{upper}_HOST"),
                format!("orders_{word}_url"),
                format!("orders.{word}.port"),
                format!("orders{camel}Host"),
            ] {
                // The property: whatever key config.rs takes as a database key passes.
                if !config::is_db_key(&config::words(&key)) {
                    continue;
                }
                checked += 1;
                for text in [format!("{key}=x\n"), format!("a:\n  {key}: x\n")] {
                    assert!(could(&text), "{text:?}");
                }
            }
            assert!(could(&format!("[{word}]\nhost = x\n")), "{word}");
        }
        assert!(checked > 3 * config::DB_WORDS.len(), "{checked}");
    }

    #[test]
    fn connection_values_pass() {
        for text in [
            "cache: redis://cache:6379/0\n",
            "url = jdbc:postgresql://pg/orders\n",
            "main: \"Server=sql;Initial Catalog=orders;User Id=app\"\n",
            "conn: Host=pg;Username=app;\n",
            "primary: orders-store:5432\n",
            "MSSQL: x\nSA_PASSWORD: Secret1\n",
            "sa.password=x\n",
        ] {
            assert!(could(text), "{text:?}");
        }
    }

    #[test]
    fn translations_and_tool_settings_do_not() {
        for text in [
            "de:\n  feedback: Rückmeldung geben\n  upgrade: \"Jetzt upgraden\"\n  records: Datensätze\n",
            "key.sandbox=Спасибо за отзыв\nkey.words=ありがとう\n",
            "[flake8]\nmax-line-length = 100\nexclude = .git,build\n",
            "title: Größe wählen\nimage: photo_123.png\n",
        ] {
            assert!(!could(text), "{text:?}");
        }
    }
}
