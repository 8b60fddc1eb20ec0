//! Names the graph joins on: service names (normalised, and the service a migration job's
//! name points at) and the `/`-separated relative paths the walker hands over.
//!
//! Pure string functions; nothing here knows about files or services.

/// Lowercase, `_` → `-`, and drop a `-service`/`-svc` suffix.
pub fn norm(name: &str) -> String {
    let n = name.to_ascii_lowercase().replace('_', "-");
    for suffix in ["-service", "-svc", "service"] {
        if let Some(s) = n.strip_suffix(suffix)
            && !s.is_empty()
        {
            return s.trim_end_matches('-').to_string();
        }
    }
    n
}

const MIGRATION_SUFFIXES: &[&str] = &[
    "-db-migrate",
    "-db-migration",
    "-db-migrations",
    "-migrate",
    "-migrations",
    "-migration",
    "-migrator",
    "-flyway",
    "-liquibase",
    "-schema",
    "-db-init",
    "-init",
    "-seed",
    "-migrate-job",
    "-migration-job",
];

/// The service names a migration job's name may carry: `orders-migrate` and
/// `migrate-orders` → `orders` (normalised); empty when it is not a migration job's.
pub(super) fn migration_bases(key: &str) -> Vec<String> {
    let suffixed = MIGRATION_SUFFIXES
        .iter()
        .filter_map(|suffix| key.strip_suffix(suffix));
    let prefixed = ["migrate-", "migration-", "db-migrate-"]
        .iter()
        .filter_map(|prefix| key.strip_prefix(prefix));
    suffixed
        .chain(prefixed)
        .filter(|base| !base.is_empty())
        .map(norm)
        .collect()
}

/// The directory of a relative path (`""` at the root).
pub(super) fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The last segment of a relative path.
pub(super) fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The last segment of a directory (the same rule as [`file_name`], named for readers).
pub(super) fn dir_name(dir: &str) -> &str {
    file_name(dir)
}

/// Whether `path` is `dir` or inside it; everything is inside the root `""`.
pub(super) fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_normalise() {
        assert_eq!(norm("Orders_Service"), "orders");
        assert_eq!(norm("billing"), "billing");
        assert_eq!(norm("orders-svc"), "orders");
        assert_eq!(norm("userservice"), "user");
        // A name that is only the suffix stays.
        assert_eq!(norm("service"), "service");
    }

    #[test]
    fn migration_job_names_point_at_their_service() {
        assert_eq!(migration_bases("orders-migrate"), ["orders"]);
        assert_eq!(migration_bases("migrate-orders"), ["orders"]);
        // Every reading, longest suffix first: `-db-init` before `-init`.
        assert_eq!(
            migration_bases("orders-service-db-init"),
            ["orders", "orders-service-db"]
        );
        assert!(migration_bases("orders").is_empty());
        assert!(migration_bases("-migrate").is_empty());
    }

    #[test]
    fn relative_paths() {
        assert_eq!(parent_dir("orders/src/main.rs"), "orders/src");
        assert_eq!(parent_dir("Dockerfile"), "");
        assert_eq!(file_name("orders/.env"), ".env");
        assert_eq!(dir_name("services/orders"), "orders");
        assert!(is_under("orders/src", "orders"));
        assert!(is_under("orders", "orders"));
        assert!(!is_under("orders-api", "orders"));
        assert!(is_under("anything", ""));
    }
}
