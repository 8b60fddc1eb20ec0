//! `dbps init`, `dbps new service`, help and completions, and the generated
//! services really building without warnings.

use std::path::Path;
use std::process::Command;

use crate::util::{Project, repo};

#[test]
fn init_writes_a_commented_manifest_and_never_overwrites() {
    let p = Project::empty();
    let ran = p.dbps(&["init", "--project", "shop"]).ok();
    assert!(
        ran.stdout.contains("created dbps.yaml for project `shop`"),
        "{}",
        ran.stdout
    );
    let text = p.read("dbps.yaml");
    assert!(text.starts_with("# dbps.yaml"));
    assert!(text.contains("project: shop\n"));
    p.write("dbps.yaml", "project: mine # keep me\n");
    let ran = p.dbps(&["init", "--project", "other"]).code(2);
    assert!(
        ran.stderr
            .contains("already exists; dbps will not overwrite it"),
        "{}",
        ran.stderr
    );
    assert_eq!(p.read("dbps.yaml"), "project: mine # keep me\n");
}

#[test]
fn init_rejects_a_bad_project_name() {
    let p = Project::empty();
    let ran = p.dbps(&["init", "--project", "My Shop"]).code(2);
    assert_eq!(
        ran.stderr,
        "error: project name `My Shop` is not DNS-safe\n  = help: use lowercase letters, digits and `-`, starting with a letter, at most 32 characters\n"
    );
    assert!(!p.path().join("dbps.yaml").exists());
}

#[test]
fn new_service_adds_to_the_manifest_keeping_comments() {
    let p = Project::empty();
    p.dbps(&["init", "--project", "shop"]).ok();
    let before = p.read("dbps.yaml");
    p.dbps(&["new", "service", "users", "--db", "postgres"])
        .ok();
    let ran = p.dbps(&["new", "service", "cache", "--db", "redis"]).ok();
    assert!(
        ran.stdout
            .contains("created service `cache` (redis) in services/cache"),
        "{}",
        ran.stdout
    );
    let after = p.read("dbps.yaml");
    // Every original line is still there, in order; the services follow.
    let kept: Vec<&str> = before.lines().filter(|l| *l != "services: {}").collect();
    let mut rest = after.lines();
    for line in &kept {
        assert!(rest.any(|l| l == *line), "lost line {line:?} in\n{after}");
    }
    assert!(after.ends_with(
        "services:\n  users:\n    path: services/users\n    database:\n      engine: postgres\n  cache:\n    path: services/cache\n    database:\n      engine: redis\n"
    ), "{after}");
    for f in [
        "Cargo.toml",
        "src/main.rs",
        "tests/api.rs",
        "Dockerfile",
        "README.md",
        ".gitignore",
        "migrations",
    ] {
        assert!(
            p.path().join("services/users").join(f).exists(),
            "users/{f}"
        );
    }
    assert!(p.path().join("services/cache/src/main.rs").exists());
    // No staging directories are left behind.
    let names: Vec<String> = std::fs::read_dir(p.path().join("services"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn new_service_refuses_to_clobber_and_changes_nothing() {
    let p = Project::empty();
    p.dbps(&["init", "--project", "shop"]).ok();
    p.write("services/users/mine.txt", "precious");
    let manifest = p.read("dbps.yaml");
    let ran = p
        .dbps(&["new", "service", "users", "--db", "postgres"])
        .code(2);
    assert!(
        ran.stderr.contains("services/users` already exists"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("--force"), "{}", ran.stderr);
    assert_eq!(p.read("services/users/mine.txt"), "precious");
    assert_eq!(p.read("dbps.yaml"), manifest);
    p.dbps(&["new", "service", "users", "--db", "postgres", "--force"])
        .ok();
    assert!(!p.path().join("services/users/mine.txt").exists());
    assert!(p.path().join("services/users/Cargo.toml").exists());
}

#[test]
fn new_service_dry_run_writes_nothing() {
    let p = Project::empty();
    p.dbps(&["init", "--project", "shop"]).ok();
    let manifest = p.read("dbps.yaml");
    let ran = p
        .dbps(&["new", "service", "orders", "--db", "mysql", "--dry-run"])
        .ok();
    assert!(
        ran.stdout
            .contains("would create service `orders` (mysql) in services/orders:")
    );
    assert!(
        ran.stdout.contains("  services/orders/migrations/"),
        "{}",
        ran.stdout
    );
    assert!(!p.path().join("services").exists());
    assert_eq!(p.read("dbps.yaml"), manifest);
}

#[test]
fn new_service_bad_input_is_exit_2_with_a_hint() {
    let p = Project::empty();
    p.dbps(&["init", "--project", "shop"]).ok();
    let ran = p
        .dbps(&["new", "service", "users", "--db", "postgress"])
        .code(2);
    assert_eq!(
        ran.stderr,
        "error: unknown engine `postgress`\n  = help: did you mean `postgres`? supported: postgres, mysql, mariadb, redis, mongodb\n"
    );
    let ran = p
        .dbps(&["new", "service", "Users", "--db", "redis"])
        .code(2);
    assert!(
        ran.stderr
            .starts_with("error: service name `Users` is not DNS-safe"),
        "{}",
        ran.stderr
    );
    p.dbps(&["new", "service", "users", "--db", "redis"]).ok();
    let ran = p
        .dbps(&["new", "service", "users", "--db", "redis"])
        .code(2);
    assert!(
        ran.stderr
            .contains("service `users` is already in `dbps.yaml`"),
        "{}",
        ran.stderr
    );
    let ran = p
        .dbps(&["new", "service", "x", "--db", "redis", "--path", "../x"])
        .code(2);
    assert!(
        ran.stderr.contains("path `../x` escapes the project"),
        "{}",
        ran.stderr
    );
    assert!(!p.path().join("../x").join("Cargo.toml").exists());
}

#[test]
fn help_version_and_completions() {
    let p = Project::empty();
    let help = p.dbps(&["--help"]).ok().stdout;
    assert!(
        help.contains("Examples:") && help.contains("Exit codes:"),
        "{help}"
    );
    let sub = p.dbps(&["new", "service", "--help"]).ok().stdout;
    assert!(
        sub.contains("dbps new service users --db postgres"),
        "{sub}"
    );
    let version = p.dbps(&["--version"]).ok().stdout;
    assert_eq!(version, format!("dbps {}\n", env!("CARGO_PKG_VERSION")));
    let bash = p.dbps(&["completions", "bash"]).ok().stdout;
    assert!(bash.contains("_dbps()"), "{bash}");
    let usage = p.dbps(&["frobnicate"]).code(2);
    assert!(
        usage.stderr.contains("unrecognized subcommand"),
        "{}",
        usage.stderr
    );
}

#[test]
fn errors_are_never_debug_dumps() {
    let p = Project::empty();
    let ran = p
        .dbps(&["status"])
        .env("DOCKER_HOST", "unix:///nonexistent")
        .code(2);
    assert!(
        !ran.stderr.contains("Error {") && !ran.stderr.contains("panicked"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_unreachable_daemon_is_a_clear_immediate_error() {
    let p = Project::with_manifest("project: p\nservices:\n  a:\n    database: {engine: redis}\n");
    let start = std::time::Instant::now();
    let ran = p
        .dbps(&["up"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .code(1);
    assert!(start.elapsed().as_secs() < 10);
    assert!(
        ran.stderr.starts_with(
            "error: cannot reach the Docker daemon at `unix:///nonexistent/docker.sock`"
        ),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("DOCKER_HOST"), "{}", ran.stderr);
}

/// Build, lint and unit-test a generated project with a shared target directory.
pub fn cargo_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", repo().join("target/generated"))
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("DATABASE_URL")
        .output()
        .expect("running cargo")
}

/// Every engine's generated service builds and passes clippy with `-D warnings`.
#[test]
fn generated_services_build_without_warnings() {
    let p = Project::empty();
    p.dbps(&["init", "--project", "gen"]).ok();
    for engine in ["postgres", "mysql", "redis", "mongodb"] {
        let name = format!("{engine}-svc");
        p.dbps(&["new", "service", &name, "--db", engine]).ok();
        let dir = p.path().join("services").join(&name);
        for args in [
            &["build", "--all-targets"][..],
            &["clippy", "--all-targets", "--", "-D", "warnings"][..],
            &["test", "--lib"][..],
        ] {
            let out = cargo_in(&dir, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "{engine}: cargo {args:?} failed:\n{stderr}"
            );
            assert!(
                !stderr.contains("warning:"),
                "{engine}: cargo {args:?} warned:\n{stderr}"
            );
        }
    }
}

/// Regression: `--path services --force` used to replace the directory holding
/// every other service.
#[test]
fn new_service_never_replaces_another_services_directory() {
    let p = Project::empty();
    p.dbps(&["init", "--project", "shop"]).ok();
    p.dbps(&["new", "service", "users", "--db", "redis"]).ok();
    let ran = p
        .dbps(&[
            "new", "service", "x", "--db", "redis", "--path", "services", "--force",
        ])
        .code(2);
    assert!(
        ran.stderr
            .contains("overlaps the directory of service `users`"),
        "{}",
        ran.stderr
    );
    assert!(p.path().join("services/users/Cargo.toml").exists());
}
