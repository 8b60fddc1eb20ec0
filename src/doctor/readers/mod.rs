//! Readers: one per input kind, each turning one file's text into plain records.
//!
//! [`classify`] decides from a file name alone whether any reader wants the file, so the
//! walker never opens files nobody reads; [`read`] dispatches to the reader. Readers
//! never fail the audit: a file they cannot parse comes back as a note.

pub mod compose;
pub mod dotnet;
pub mod envfile;
pub mod kubernetes;
pub mod source;
pub mod spring;

use crate::doctor::lexer::Lang;
use crate::doctor::model::{Entry, Found};
use crate::doctor::yaml;

/// What kind of input a file is, decided from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// docker-compose file.
    Compose,
    /// Other YAML: Kubernetes manifests or generic configuration.
    Yaml,
    /// `.env` file.
    Env,
    /// Dockerfile (also a service-root marker).
    Dockerfile,
    /// Spring configuration.
    Spring,
    /// .NET appsettings.
    AppSettings,
    /// Source code or SQL.
    Source(Lang),
    /// INI, TOML, `.properties` (not Spring).
    Ini,
    /// JSON configuration (`config*.json`, `settings*.json`, files under `config/`).
    Json,
    /// A build file that marks a service root; not read.
    Marker,
}

/// The parsed content of one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A compose file.
    Compose(compose::ComposeFile),
    /// Kubernetes objects.
    Kube(Vec<kubernetes::Object>),
    /// `.env` entries.
    Env(Vec<Entry>),
    /// A Dockerfile: the image its final stage is built from, and its `ENV` entries.
    Dockerfile(Option<String>, Vec<Entry>),
    /// Spring documents.
    Spring(Vec<spring::SpringDoc>),
    /// appsettings entries and the environment from the file name.
    AppSettings(Option<String>, Vec<Entry>),
    /// Generic configuration entries.
    Config(Vec<Entry>),
    /// Facts from source code.
    Source(Vec<Found>),
    /// A service-root marker.
    Marker,
}

/// Env files that are templates, not configuration.
fn is_env_template(name: &str) -> bool {
    [
        ".example",
        ".sample",
        ".template",
        ".dist",
        ".tmpl",
        ".defaults",
    ]
    .iter()
    .any(|s| name.ends_with(s))
}

/// Directories whose files are tests, fixtures or documentation, not deployed code.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "__mocks__",
    "spec",
    "specs",
    "testdata",
    "test-data",
    "test_data",
    "fixtures",
    "__fixtures__",
    "e2e",
    "integration-tests",
    "integration_tests",
    "integrationtest",
    "testfixtures",
    "test-fixtures",
    "docs",
    "doc",
    // CI pipelines run tests against throwaway databases.
    ".github",
    ".circleci",
    ".gitlab",
    ".buildkite",
];

/// CI pipeline files at any level.
const CI_FILES: &[&str] = &[
    ".gitlab-ci.yml",
    ".travis.yml",
    "bitbucket-pipelines.yml",
    "azure-pipelines.yml",
    ".drone.yml",
];

/// Directories whose children are deployment variants, where `test` names an
/// environment (`overlays/test`, `environments/test`), not test code.
const VARIANT_PARENTS: &[&str] = &["overlays", "envs", "environments", "clusters", "stages"];

/// Configuration names (`.env.NAME`, `application-NAME.yml`, `appsettings.NAME.json`,
/// `docker-compose.NAME.yml`) that configure test runs.
const TEST_PROFILES: &[&str] = &[
    "test",
    "tests",
    "testing",
    "e2e",
    "it",
    "ci",
    "integration",
    "integration-test",
    "integrationtest",
];

/// Whether a configuration profile (Spring `on-profile`, `.env.NAME`) configures test
/// runs; `test,ci` and `test | it` count when every profile named is a test profile.
pub fn is_test_profile(profile: &str) -> bool {
    let mut names = profile
        .split([',', '|', '&', ' ', '(', ')'])
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .peekable();
    names.peek().is_some() && names.all(|p| TEST_PROFILES.contains(&p.as_str()))
}

/// Whether a file (path relative to the audited root) is test code, a test fixture, a
/// test profile's configuration, or documentation: evidence there describes how tests
/// or readers reach a database, not how the deployed services do, so it is not used.
pub fn is_test_path(rel: &str) -> bool {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let Some(name) = parts.pop() else {
        return false;
    };
    let in_test_dir = parts.iter().enumerate().any(|(i, p)| {
        TEST_DIRS.contains(&p.to_ascii_lowercase().as_str())
            && !(i > 0 && VARIANT_PARENTS.contains(&parts[i - 1]))
    });
    in_test_dir || is_test_file(name)
}

fn is_test_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if CI_FILES.contains(&lower.as_str()) {
        return true;
    }
    let (stem, ext) = lower.rsplit_once('.').unwrap_or((&lower, ""));
    let profile = is_test_profile;
    // Test profiles of configuration files.
    if let Some(p) = lower.strip_prefix(".env.") {
        return profile(p);
    }
    if let Some(p) = stem
        .strip_prefix("application-")
        .or_else(|| stem.strip_prefix("bootstrap-"))
        .filter(|_| spring::is_spring_name(name))
    {
        return profile(p);
    }
    if ext == "json"
        && let Some(p) = stem.strip_prefix("appsettings.")
    {
        return profile(p);
    }
    if compose::is_compose_name(name) {
        return stem.split(['.', '-']).skip(1).any(profile);
    }
    // Test sources by each language's naming convention.
    match ext {
        "go" => stem.ends_with("_test"),
        "py" => stem.starts_with("test_") || stem.ends_with("_test") || stem == "conftest",
        "js" | "mjs" | "cjs" | "ts" | "tsx" | "jsx" | "mts" | "cts" => {
            stem.ends_with(".test") || stem.ends_with(".spec")
        }
        "java" | "kt" | "scala" | "groovy" | "cs" => {
            let orig = name.rsplit_once('.').map_or(name, |(s, _)| s);
            ["Test", "Tests", "IT", "Spec"]
                .iter()
                .any(|s| orig.ends_with(s) && orig.len() > s.len())
        }
        "rs" => stem.ends_with("_test") || stem == "tests",
        "sql" => stem
            .split(['_', '-', '.'])
            .any(|w| matches!(w, "test" | "tests" | "testdata" | "fixture" | "fixtures")),
        _ => false,
    }
}

/// Decide from the file name (and its parent directory's name) which reader wants it.
pub fn classify(name: &str, parent: &str) -> Option<Kind> {
    if name == ".env"
        || (name.starts_with(".env.") && !is_env_template(name))
        || (name.ends_with(".env") && name.len() > 4 && !name.starts_with('.'))
    {
        return Some(Kind::Env);
    }
    if name == "Dockerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name == "Containerfile"
    {
        return Some(Kind::Dockerfile);
    }
    if matches!(
        name,
        "Cargo.toml"
            | "go.mod"
            | "pom.xml"
            | "build.gradle"
            | "build.gradle.kts"
            | "package.json"
            | "pyproject.toml"
            | "requirements.txt"
            | "setup.py"
            | "Gemfile"
            | "composer.json"
            | "mix.exs"
    ) || name.ends_with(".csproj")
        || name.ends_with(".fsproj")
    {
        return Some(Kind::Marker);
    }
    if matches!(
        name,
        "package-lock.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "Cargo.lock"
            | "go.sum"
            | "composer.lock"
            | "poetry.lock"
            | "Gemfile.lock"
            | "tsconfig.json"
            | "Chart.yaml"
            | "Chart.lock"
    ) {
        return None;
    }
    if compose::is_compose_name(name) {
        return Some(Kind::Compose);
    }
    if spring::is_spring_name(name) {
        return Some(Kind::Spring);
    }
    if dotnet::is_appsettings_name(name) {
        return Some(Kind::AppSettings);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e)?;
    if let Some(lang) = source::lang_for(ext) {
        if name.ends_with(".d.ts") || name.ends_with(".min.js") {
            return None;
        }
        return Some(Kind::Source(lang));
    }
    match ext {
        "yml" | "yaml" => Some(Kind::Yaml),
        "ini" | "toml" | "properties" | "cfg" | "conf" => Some(Kind::Ini),
        "json" if parent == "config" || name.contains("config") || name.contains("settings") => {
            Some(Kind::Json)
        }
        _ => None,
    }
}

/// Parse one file. Errors are messages for a note.
pub fn read(kind: Kind, name: &str, dir: &str, text: &str) -> Result<Parsed, String> {
    Ok(match kind {
        Kind::Compose => Parsed::Compose(compose::parse(text)?),
        Kind::Yaml => {
            if kubernetes::looks_like(text) {
                Parsed::Kube(kubernetes::parse(text)?)
            } else {
                let mut entries = Vec::new();
                for doc in yaml::parse_documents(text)? {
                    yaml::flatten(&doc, "", ".", &mut entries);
                }
                Parsed::Config(entries)
            }
        }
        Kind::Env => Parsed::Env(envfile::parse_env(text)),
        Kind::Dockerfile => Parsed::Dockerfile(
            envfile::dockerfile_base(text),
            envfile::parse_dockerfile(text),
        ),
        Kind::Spring => Parsed::Spring(spring::parse(name, text)?),
        Kind::AppSettings => {
            Parsed::AppSettings(dotnet::environment(name), dotnet::parse_json(text)?)
        }
        Kind::Source(lang) => Parsed::Source(source::scan(text, lang, dir)),
        Kind::Ini => Parsed::Config(envfile::parse_ini(text)),
        Kind::Json => Parsed::Config(dotnet::parse_json(text)?),
        Kind::Marker => Parsed::Marker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify(".env", "orders"), Some(Kind::Env));
        assert_eq!(classify(".env.example", "orders"), None);
        assert_eq!(classify("docker-compose.yml", ""), Some(Kind::Compose));
        assert_eq!(classify("deployment.yaml", "k8s"), Some(Kind::Yaml));
        assert_eq!(
            classify("application-prod.properties", "resources"),
            Some(Kind::Spring)
        );
        assert_eq!(
            classify("appsettings.Development.json", "api"),
            Some(Kind::AppSettings)
        );
        assert_eq!(classify("main.go", "cmd"), Some(Kind::Source(Lang::Go)));
        assert_eq!(classify("package-lock.json", ""), None);
        assert_eq!(classify("logo.png", ""), None);
        assert_eq!(classify("Dockerfile", "orders"), Some(Kind::Dockerfile));
        assert_eq!(classify("pom.xml", "orders"), Some(Kind::Marker));
    }

    #[test]
    fn test_code_fixtures_and_test_profiles_are_test_scope() {
        for rel in [
            "orders/src/test/resources/application-test.properties",
            "orders/src/main/resources/application-test.yml",
            "orders/src/test/java/shop/RepoTest.java",
            "billing/tests/conftest.py",
            "billing/app/test_db.py",
            "web/src/db.spec.ts",
            "orders/db_test.go",
            "orders/testdata/k8s.yaml",
            "billing/.env.test",
            "docker-compose.test.yml",
            "docker-compose.ci.yaml",
            "docs/examples/.env",
            "Orders.Api/appsettings.Testing.json",
            "billing/seed/test_data.sql",
            ".github/workflows/ci.yml",
            ".gitlab-ci.yml",
        ] {
            assert!(is_test_path(rel), "{rel}");
        }
        for rel in [
            "orders/src/main/resources/application.yml",
            "orders/src/main/resources/application-prod.yml",
            "orders/main.go",
            "billing/app/db.py",
            "deploy/overlays/test/orders.yaml",
            "environments/tests/values.yaml",
            "docker-compose.override.yml",
            "docker-compose.prod.yml",
            "orders/.env",
            "orders/.env.production",
            "shop/Contest.java",
            "orders/migrations/001_latest.sql",
        ] {
            assert!(!is_test_path(rel), "{rel}");
        }
        assert!(is_test_profile("test"));
        assert!(is_test_profile("test, ci"));
        assert!(!is_test_profile("test | prod"));
        assert!(!is_test_profile("!test"));
        assert!(!is_test_profile(""));
    }

    proptest::proptest! {
        #[test]
        fn no_reader_panics_on_any_input(text in ".{0,400}") {
            for (kind, name) in [
                (Kind::Compose, "docker-compose.yml"),
                (Kind::Yaml, "deploy.yaml"),
                (Kind::Env, ".env"),
                (Kind::Dockerfile, "Dockerfile"),
                (Kind::Spring, "application.yml"),
                (Kind::Spring, "application.properties"),
                (Kind::AppSettings, "appsettings.json"),
                (Kind::Ini, "config.ini"),
                (Kind::Json, "config.json"),
                (Kind::Source(Lang::Rust), "main.rs"),
                (Kind::Source(Lang::Go), "main.go"),
                (Kind::Source(Lang::Java), "A.java"),
                (Kind::Source(Lang::CSharp), "A.cs"),
                (Kind::Source(Lang::JavaScript), "a.ts"),
                (Kind::Source(Lang::Python), "a.py"),
                (Kind::Source(Lang::Sql), "a.sql"),
            ] {
                let _ = read(kind, name, "svc", &text);
            }
        }

        #[test]
        fn sql_like_input_never_panics(text in "(SELECT|FROM|JOIN|CREATE TABLE|INSERT INTO|UPDATE|SET|WITH|AS|\\(|\\)|,|\\.|\"|'|`|x|y|;| ){0,60}") {
            let _ = read(Kind::Source(Lang::Sql), "a.sql", "", &text);
            let _ = read(Kind::Source(Lang::Go), "a.go", "", &format!("q := `{text}`"));
        }
    }

    #[test]
    fn unparseable_is_an_error_value() {
        assert!(
            read(
                Kind::Compose,
                "docker-compose.yml",
                "",
                "services: [unclosed"
            )
            .is_err()
        );
    }
}
