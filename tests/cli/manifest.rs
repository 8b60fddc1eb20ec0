//! Exact error output for every invalid manifest under `tests/fixtures/invalid/`.
//!
//! Each `NAME.yaml` has a `NAME.stderr` with the exact expected output; run with
//! `DBPS_BLESS=1` to rewrite the expectations after an intended change, and review
//! the diff.

use crate::util::{Project, repo};

#[test]
fn every_invalid_manifest_gets_a_located_error_and_exit_2() {
    let dir = repo().join("tests/fixtures/invalid");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(
        fixtures.len() >= 10,
        "expected the fixtures, found {fixtures:?}"
    );
    let bless = std::env::var("DBPS_BLESS").is_ok();
    let mut mismatches = Vec::new();
    for fixture in &fixtures {
        let project = Project::with_manifest(&std::fs::read_to_string(fixture).unwrap());
        // `plan` validates the manifest before it would ever talk to Docker.
        let ran = project
            .dbps(&["plan"])
            .env("DOCKER_HOST", "unix:///nonexistent")
            .run();
        let expected_path = fixture.with_extension("stderr");
        assert_eq!(
            ran.code,
            2,
            "{}: exit code\n{}",
            fixture.display(),
            ran.stderr
        );
        assert!(
            ran.stdout.is_empty(),
            "{}: stdout: {}",
            fixture.display(),
            ran.stdout
        );
        assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
        if bless {
            std::fs::write(&expected_path, &ran.stderr).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        if ran.stderr != expected {
            mismatches.push(format!(
                "{}\n--- expected\n{expected}--- actual\n{}",
                fixture.display(),
                ran.stderr
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn a_missing_manifest_says_how_to_make_one() {
    let project = Project::empty();
    let ran = project.dbps(&["status"]).code(2);
    assert!(
        ran.stderr.starts_with("error: no `dbps.yaml` found in `"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("run `dbps init`"), "{}", ran.stderr);
}

#[test]
fn the_manifest_is_found_from_a_subdirectory() {
    let project =
        Project::with_manifest("project: p\nservices:\n  a:\n    database: {engine: redis}\n");
    std::fs::create_dir_all(project.path().join("deep/er")).unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("dbps").unwrap();
    let out = cmd
        .current_dir(project.path().join("deep/er"))
        .args(["env", "a"])
        .output()
        .unwrap();
    // Found (so the error is about the missing `.env`, not the manifest).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`a` has no `.env` yet"), "{stderr}");
}

#[test]
fn random_bytes_as_manifest_never_panic() {
    // A deterministic xorshift stream of hostile inputs through the real binary.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..12 {
        let mut bytes = Vec::new();
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(
                b"ab: -[]{}\n\t\"'&*!|>%@`#,?0123456789services project database engine"
                    [(x % 64) as usize],
            );
        }
        let project = Project::empty();
        std::fs::write(project.path().join("dbps.yaml"), &bytes).unwrap();
        let ran = project
            .dbps(&["plan"])
            .env("DOCKER_HOST", "unix:///nonexistent")
            .run();
        assert!(ran.code == 2 || ran.code == 1, "{}", ran.stderr);
        assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    }
}

/// Regression: block nesting used to recurse in the YAML parser until the stack
/// overflowed (exit 134) instead of reporting an error.
#[test]
fn deeply_nested_yaml_is_an_error_not_a_crash() {
    let project = Project::empty();
    std::fs::write(
        project.path().join("dbps.yaml"),
        "- ".repeat(100_000) + "x\n",
    )
    .unwrap();
    let ran = project
        .dbps(&["plan"])
        .env("DOCKER_HOST", "unix:///nonexistent")
        .code(2);
    assert!(
        ran.stderr.contains("nesting deeper than 64 levels"),
        "{}",
        ran.stderr
    );
}
