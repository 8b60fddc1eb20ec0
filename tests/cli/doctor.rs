//! `dbps doctor` against fixture repositories under `tests/fixtures/doctor/`: the exact
//! set of findings (rule id + services) for each, exit codes, waivers, notes, the clean
//! `examples/`, an example with an introduced shared database, and the JSON and SARIF
//! outputs validated against their schemas.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/doctor").join(name)
}

/// Run `dbps doctor` with `args` (plus `--no-docker`); returns exit code, stdout, stderr.
fn doctor(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("dbps")
        .expect("binary")
        .arg("doctor")
        .args(args)
        .arg("--no-docker")
        .env("NO_COLOR", "1")
        .output()
        .expect("run dbps");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let path = dir.to_string_lossy().into_owned();
    let mut args = vec!["--path", path.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = doctor(&args);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}) from {}:\n{stdout}\n{stderr}",
            dir.display()
        )
    });
    (code, v)
}

/// A finding's services.
fn services_of(f: &Value) -> Vec<&str> {
    f["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// `RULE svc,svc` per finding, `(waived)` appended when waived; sorted.
fn summary(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let services = services_of(f);
            let waived = if f["waived"].is_null() {
                ""
            } else {
                " (waived)"
            };
            format!(
                "{} {}{waived}",
                f["rule"].as_str().unwrap_or("?"),
                services.join(",")
            )
        })
        .collect();
    out.sort();
    out
}

fn check_fixture(name: &str, expected: &[&str], code: i32) {
    let (got_code, v) = json_of(&fixture(name), &[]);
    let got = summary(&v);
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "findings of fixture `{name}`:\n{v:#}");
    assert_eq!(got_code, code, "exit code of fixture `{name}`");
}

#[test]
fn true_sharing_of_a_logical_database() {
    check_fixture("shared-db", &["DBPS001 billing,orders"], 1);
}

#[test]
fn table_read_by_a_non_owner() {
    check_fixture(
        "foreign-table",
        &["DBPS001 orders,reporting", "DBPS002 orders,reporting"],
        1,
    );
}

#[test]
fn schema_per_service_on_one_server_is_a_warning() {
    check_fixture("schema-per-service", &["DBPS004 orders,payments"], 0);
    let (code, _) = json_of(&fixture("schema-per-service"), &["--deny", "warnings"]);
    assert_eq!(code, 1, "--deny warnings fails on warnings");
}

#[test]
fn same_database_name_on_separate_hosts_is_not_sharing() {
    check_fixture("same-name-different-hosts", &[], 0);
}

#[test]
fn reused_demo_password_is_caught() {
    check_fixture("reused-credentials", &["DBPS005 orders,shipping"], 0);
}

#[test]
fn superuser_handed_to_a_service() {
    check_fixture("superuser", &["DBPS006 inventory", "DBPS006 inventory"], 0);
}

#[test]
fn depends_on_without_a_connection_is_not_a_violation() {
    check_fixture("depends-on-no-connection", &["DBPS008 "], 0);
}

#[test]
fn placeholders_are_not_credentials() {
    check_fixture("placeholders", &[], 0);
}

#[test]
fn commented_out_code_is_ignored_and_unparseable_files_are_notes_and_warnings() {
    // Regression (issue 11): an unparseable file was only a note, so the evidence it
    // could hold vanished and `--deny warnings` still passed: the audit failed open.
    check_fixture("commented-code", &["DBPS009 "], 0);
    let (_, v) = json_of(&fixture("commented-code"), &[]);
    let notes = v["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{v:#}");
    assert_eq!(notes[0]["file"], "k8s/broken.yaml");
    assert_eq!(notes[0]["unaudited"], true);
    assert_eq!(v["findings"][0]["evidence"][0]["file"], "k8s/broken.yaml");
    let (code, _) = json_of(&fixture("commented-code"), &["--deny", "warnings"]);
    assert_eq!(code, 1);
}

#[test]
fn test_code_test_profiles_e2e_compose_and_docs_are_not_evidence() {
    // Regression: two Spring services' test profiles and integration tests on one
    // `localhost:5432/test` database were DBPS001 errors in a clean repository.
    check_fixture("test-scope", &[], 0);
    let (_, v) = json_of(&fixture("test-scope"), &[]);
    assert_eq!(v["summary"]["test_files_skipped"], 9, "{v:#}");
    let (_, stdout, _) = doctor(&["--path", &fixture("test-scope").to_string_lossy()]);
    assert!(
        stdout.contains("read (9 files of tests, fixtures or docs not used) in"),
        "{stdout}"
    );
}

#[test]
fn compose_images_and_ports_are_interpolated_from_the_project_env() {
    // Regression: `image: postgres:${PG_VERSION:-16}` made the database a service,
    // `127.0.0.1:${MONGO_PORT:-27017}:27017` was "published on all interfaces", and
    // `${PG_PORT:-5432}:5432` (all interfaces) was missed.
    check_fixture(
        "compose-interpolation",
        &["DBPS001 billing,orders", "DBPS007 ", "DBPS008 "],
        1,
    );
    let (_, v) = json_of(&fixture("compose-interpolation"), &[]);
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages.contains(
            &"database `compose:db` (postgres) is published on all interfaces (port 15432)"
        ),
        "{messages:#?}"
    );
    assert!(
        messages.contains(
            &"database `compose:mongo` (mongodb) has no owner: no service connects to it"
        ),
        "{messages:#?}"
    );
    assert_eq!(v["summary"]["services"], 2, "{v:#}");
}

#[test]
fn a_directory_building_a_database_image_is_a_datastore_not_a_service() {
    // Regression: `db/Dockerfile` (`FROM postgres:16-alpine` plus init scripts) made
    // `db` a service that "owned" the tables its init script creates (a DBPS002 error
    // against `orders`), and its published port went unreported.
    check_fixture(
        "custom-database-image",
        &["DBPS004 billing,orders", "DBPS007 "],
        0,
    );
    let (_, v) = json_of(&fixture("custom-database-image"), &[]);
    assert_eq!(v["datastores"], serde_json::json!(["compose:db"]), "{v:#}");
    assert_eq!(v["summary"]["services"], 2, "{v:#}");
}

#[test]
fn compose_override_and_extends_are_merged_per_key() {
    // Regression: an override file setting only `DB_NAME` was read apart from the base
    // file's `DB_HOST`, so the shared database went unseen; `extends` was ignored.
    check_fixture(
        "compose-override-extends",
        &["DBPS001 billing,orders", "DBPS004 billing,orders,reports"],
        1,
    );
    let (_, v) = json_of(&fixture("compose-override-extends"), &[]);
    let evidence: Vec<String> = v["findings"][1]["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|e| format!("{}:{}", e["file"].as_str().unwrap_or("?"), e["line"]))
        .collect();
    assert_eq!(
        evidence,
        [
            "common.yml:9",
            "docker-compose.yml:5",
            "docker-compose.yml:11"
        ],
        "{v:#}"
    );
}

#[test]
fn per_service_compose_projects_each_with_their_own_db_are_not_sharing() {
    // Regression: `orders/` and `billing/` each run `app` + `db` in their own compose
    // file; both were merged into one service `app`, and both Spring configs' `db:5432/app`
    // were one server: a DBPS001 error plus two DBPS008 infos on a clean repository.
    check_fixture("per-service-compose", &[], 0);
    let (_, v) = json_of(&fixture("per-service-compose"), &[]);
    let names: Vec<&str> = v["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["billing", "orders"], "{v:#}");
}

#[test]
fn service_configured_only_through_kubernetes_env() {
    check_fixture(
        "k8s-only",
        &[
            "DBPS001 orders,shipping",
            "DBPS003 orders,shipping",
            "DBPS007 ",
        ],
        1,
    );
    let (_, v) = json_of(&fixture("k8s-only"), &[]);
    let shared = &v["findings"][0];
    assert_eq!(shared["datastore"]["server"], "k8s:shop/postgres");
    assert_eq!(shared["variants"], serde_json::json!(["kubernetes"]));
}

#[test]
fn service_configured_only_through_spring_config() {
    check_fixture("spring-only", &["DBPS001 catalog,pricing"], 1);
    let (_, v) = json_of(&fixture("spring-only"), &[]);
    assert_eq!(
        v["findings"][0]["variants"],
        serde_json::json!(["spring:docker"])
    );
}

#[test]
fn service_configured_only_through_dotnet_appsettings() {
    check_fixture("dotnet-only", &["DBPS001 Billing.Api,Invoicing.Api"], 1);
}

#[test]
fn another_services_env_file_is_borrowed_config() {
    check_fixture(
        "env-file-leak",
        &[
            "DBPS001 billing,orders",
            "DBPS003 billing,orders",
            "DBPS007 ",
        ],
        1,
    );
}

#[test]
fn waivers_are_reported_as_waived() {
    check_fixture("waived", &["DBPS004 billing,orders (waived)"], 0);
    let (code, _) = json_of(&fixture("waived"), &["--deny", "warnings"]);
    assert_eq!(code, 0, "a waived warning does not fail --deny warnings");
}

#[test]
fn a_waiver_without_a_reason_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".dbps-doctor.yaml"),
        "waivers:\n  - rule: DBPS001\n",
    )
    .expect("write");
    let (code, _, stderr) = doctor(&["--path", &dir.path().to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(".dbps-doctor.yaml:2: `waivers[0]` needs a `reason`"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_waiver_file_is_a_usage_error() {
    // Regression: a waiver file that is not UTF-8 exited 1, as if findings had failed.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(".dbps-doctor.yaml"), b"waivers: \xff\xfe\n").expect("write");
    let (code, _, stderr) = doctor(&["--path", &dir.path().to_string_lossy()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(".dbps-doctor.yaml`: "), "{stderr}");
    assert!(stderr.starts_with("error: cannot read `"), "{stderr}");
}

#[test]
fn a_missing_directory_is_a_usage_error() {
    let (code, _, stderr) = doctor(&["--path", "/nonexistent/dbps-doctor-test"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a directory"), "{stderr}");
}

#[test]
fn text_output_groups_by_finding_with_file_lines_and_a_summary() {
    let (code, stdout, _) = doctor(&["--path", &fixture("shared-db").to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with(
        "error[DBPS001] shared-database: services `billing` and `orders` use the same database `shop` on `compose:db` (postgres)\n"
    ), "{stdout}");
    assert!(
        stdout.contains(
            "  --> billing/.env:1  billing: connects to `shop` on `compose:db` as `billing`"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  --> docker-compose.yml:5  orders: connects to `shop` on `compose:db` as `orders`"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("   = holds in: compose\n"), "{stdout}");
    assert!(
        stdout.contains("doctor: 1 error, 0 warnings, 0 infos; 2 services, 0 notes,"),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
}

fn examples() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(repo().join("examples")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("dbps.yaml").is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn examples_are_clean() {
    let examples = examples();
    assert!(!examples.is_empty(), "examples/ holds dbps projects");
    for ex in examples {
        let manifest = ex.join("dbps.yaml");
        let (code, stdout, stderr) =
            doctor(&["-f", &manifest.to_string_lossy(), "--format", "json"]);
        let v: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
        assert_eq!(summary(&v), Vec::<String>::new(), "{}: {v:#}", ex.display());
        assert_eq!(code, 0, "{}", ex.display());
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from)
        .expect("read_dir")
        .filter_map(Result::ok)
    {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

#[test]
fn an_example_with_an_introduced_shared_database_is_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo().join("examples/shop"), dir.path());
    // `users` owns its database; `orders` is pointed at it too.
    let url = "DATABASE_URL=postgres://users:pw@127.0.0.1:5433/users\n";
    std::fs::create_dir_all(dir.path().join("services/users")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("services/orders")).expect("mkdir");
    std::fs::write(dir.path().join("services/users/.env"), url).expect("write");
    std::fs::write(dir.path().join("services/orders/.env"), url).expect("write");
    let manifest = dir.path().join("dbps.yaml");
    let (code, stdout, stderr) = doctor(&["-f", &manifest.to_string_lossy(), "--format", "json"]);
    let v: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    assert_eq!(summary(&v), ["DBPS001 orders,users"], "{v:#}");
    assert_eq!(code, 1);
}

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("valid schema")
}

fn all_fixtures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/fixtures/doctor"))
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "schemas"))
        .collect();
    out.sort();
    out
}

#[test]
fn json_output_matches_its_schema() {
    let schema =
        std::fs::read_to_string(repo().join("src/doctor/report/doctor-report.schema.json"))
            .expect("schema");
    let v = validator(&schema);
    for dir in all_fixtures() {
        let (_, doc) = json_of(&dir, &[]);
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
    }
}

#[test]
fn sarif_output_matches_the_sarif_2_1_0_schema() {
    let schema =
        std::fs::read_to_string(fixture("schemas/sarif-schema-2.1.0.json")).expect("schema");
    // The official schema's `run.language` pattern has a lone `]`, legal in ECMA-262 but
    // rejected by the validator's regex check; escaping it keeps the same meaning.
    let schema = schema.replace(r#"-[a-zA-Z]{2}]?$"#, r#"-[a-zA-Z]{2}\\]?$"#);
    let v = validator(&schema);
    for dir in all_fixtures() {
        let (code, stdout, _) = doctor(&["--path", &dir.to_string_lossy(), "--format", "sarif"]);
        assert!(code == 0 || code == 1);
        let doc: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
    }
    // Results point at the right lines.
    let (_, stdout, _) = doctor(&[
        "--path",
        &fixture("shared-db").to_string_lossy(),
        "--format",
        "sarif",
    ]);
    let doc: Value = serde_json::from_str(&stdout).expect("json");
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "DBPS001");
    assert_eq!(result["level"], "error");
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "billing/.env");
    assert_eq!(loc["region"]["startLine"], 1);
    assert_eq!(
        result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
}

/// `RULE services datastore file:line…` per finding, sorted.
fn located(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let services = services_of(f);
            let evidence: Vec<String> = f["evidence"]
                .as_array()
                .expect("evidence")
                .iter()
                .map(|e| format!("{}:{}", e["file"].as_str().unwrap_or("?"), e["line"]))
                .collect();
            format!(
                "{} {} {} {}",
                f["rule"].as_str().unwrap_or("?"),
                services.join(","),
                f["datastore"]["server"].as_str().unwrap_or("-"),
                evidence.join(" ")
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_large_compose_file_in_the_yaml_docker_accepts_is_read_whole() {
    // Regression (issue 9, shape 8): one flow mapping continued at its key's own
    // indentation made this 600-line compose file a note, and every finding in it was
    // lost. It also continues flow mappings and sequences left of their key, quoted
    // commands on the next line (and at column 0), and publishes a port through the
    // long syntax with a `${VAR}`: PyYAML and go-yaml accept all of it.
    let dir = fixture("lenient-yaml");
    let (code, v) = json_of(&dir, &[]);
    assert_eq!(v["notes"], serde_json::json!([]), "{v:#}");
    assert_eq!(
        located(&v),
        [
            "DBPS001 orders,shipping compose:orders-db docker-compose.yml:156 docker-compose.yml:186",
            "DBPS004 catalog,reviews compose:catalog-db docker-compose.yml:91 docker-compose.yml:127",
            "DBPS004 identity,payments compose:identity-db docker-compose.yml:219 docker-compose.yml:248",
            "DBPS006 notifications compose:notifications-mongo docker-compose.yml:306",
            "DBPS006 payments compose:identity-db docker-compose.yml:219",
            "DBPS007  compose:catalog-db docker-compose.yml:469",
        ],
        "{v:#}"
    );
    assert_eq!(code, 1);
    let services: Vec<&str> = v["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for app in [
        "admin",
        "cart",
        "catalog",
        "identity",
        "inventory",
        "notifications",
        "orders",
        "payments",
        "recommendations",
        "reviews",
        "search",
        "shipping",
        "web",
    ] {
        assert!(services.contains(&app), "{app} missing: {services:?}");
    }
}

#[test]
fn vendored_generated_and_minified_code_is_left_out_and_listed() {
    // Issue 9 (speed): third-party and minified code was read like the project's own;
    // its example URLs are not the project's evidence either.
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    let url = "const url = 'postgres://app:pw@db:5432/shared';\n";
    write(
        ".gitattributes",
        "static/lib/** linguist-vendored\napi/gen/** linguist-generated\nstatic/lib/own.js -linguist-vendored\n",
    );
    write("package.json", "{}\n");
    write("static/lib/chart.js", url);
    write("static/lib/own.js", url);
    write("api/gen/client.ts", url);
    write("node_modules/pg/index.js", url);
    write("build/server.js", url);
    write("static/jquery.min.js", url);
    write(
        "static/app.3f2a.js",
        &format!("{}{url}", "x".repeat(70_000)),
    );
    let (_, v) = json_of(root, &[]);
    assert_eq!(
        v["skipped"],
        serde_json::json!([
            { "path": "api/gen/client.ts", "reason": "generated" },
            { "path": "build/", "reason": "generated" },
            { "path": "node_modules/", "reason": "vendored" },
            { "path": "static/app.3f2a.js", "reason": "minified" },
            { "path": "static/jquery.min.js", "reason": "minified" },
            { "path": "static/lib/chart.js", "reason": "vendored" },
        ]),
        "{v:#}"
    );
    assert_eq!(
        v["summary"]["skipped"],
        serde_json::json!({ "vendored": 2, "generated": 2, "minified": 2 })
    );
    // The project's own file (taken back from `linguist-vendored`) is read.
    assert_eq!(v["summary"]["files_read"], 2, "{v:#}");
    let (_, stdout, _) = doctor(&["--path", &root.to_string_lossy()]);
    assert!(
        stdout.contains(
            "left out: 2 vendored (node_modules/, static/lib/chart.js), 2 generated (api/gen/client.ts, build/), 2 minified (static/app.3f2a.js, static/jquery.min.js)"
        ),
        "{stdout}"
    );
}

/// A temporary tree built from `(path, contents)`.
fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_manifest_linked_out_of_the_audited_tree_is_never_read_or_quoted() {
    // Regression (issue 11): `dbps.yaml -> /proc/self/environ` was read and quoted in
    // the manifest diagnostic, printing the CI runner's environment.
    let dir = tree(&[]);
    std::os::unix::fs::symlink("/proc/self/environ", dir.path().join("dbps.yaml")).expect("link");
    let out = Command::cargo_bin("dbps")
        .expect("binary")
        .args(["doctor", "--no-docker", "--path"])
        .arg(dir.path())
        .env("DBPS_TEST_SECRET", "hunter2-must-not-leak")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains("hunter2"), "{all}");
    assert!(
        all.contains("dbps.yaml`: skipped: a link to outside the audited tree"),
        "{all}"
    );
}

#[test]
fn an_oversized_manifest_in_the_audited_tree_is_not_read() {
    // Regression (issue 11): `dbps.yaml` was read whole (2 GB: an abort).
    let dir = tree(&[]);
    let f = std::fs::File::create(dir.path().join("dbps.yaml")).expect("create");
    f.set_len(3 * 1024 * 1024 * 1024).expect("sparse");
    let (code, _, stderr) = doctor(&["--path", &dir.path().to_string_lossy()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("skipped: larger than 8 MiB"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn fifos_and_link_loops_in_the_audited_tree_never_hang_the_audit() {
    // Regression (issue 11): a FIFO named `.gitignore` hung the walk forever, and
    // FIFOs and link loops with names a reader wants vanished without a note.
    let dir = tree(&[
        ("orders/Dockerfile", b"FROM node:20\n"),
        (
            "orders/.env",
            b"DATABASE_URL=postgres://orders:o@db/orders\n",
        ),
        ("billing/Dockerfile", b"FROM node:20\n"),
    ]);
    let root = dir.path();
    mkfifo(&root.join("billing/.env"));
    mkfifo(&root.join("docker-compose.yml"));
    std::fs::create_dir_all(root.join("legacy")).expect("mkdir");
    std::fs::write(
        root.join("legacy/.env"),
        "DATABASE_URL=postgres://l:l@db/orders\n",
    )
    .expect("write");
    mkfifo(&root.join("legacy/.gitignore"));
    std::os::unix::fs::symlink(".env.b", root.join("orders/.env.a")).expect("link");
    std::os::unix::fs::symlink(".env.a", root.join("orders/.env.b")).expect("link");
    let out = Command::cargo_bin("dbps")
        .expect("binary")
        .args(["doctor", "--no-docker", "--format", "json", "--path"])
        .arg(root)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let notes: Vec<String> = v["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| {
            format!(
                "{}: {} ({})",
                n["file"].as_str().unwrap_or("?"),
                n["message"].as_str().unwrap_or("?"),
                n["unaudited"]
            )
        })
        .collect();
    assert_eq!(
        notes,
        [
            "billing/.env: skipped: a FIFO, not a regular file (false)",
            "docker-compose.yml: skipped: a FIFO, not a regular file (false)",
            "legacy: directory not audited: its `.gitignore` is a FIFO, not a regular file (true)",
            "orders/.env.a: skipped: a broken link or a link loop (false)",
            "orders/.env.b: skipped: a broken link or a link loop (false)",
        ],
        "{v:#}"
    );
    assert_eq!(summary(&v), ["DBPS009 "], "{v:#}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_nul_byte_in_a_comment_does_not_hide_a_file() {
    // Regression (issue 11): one NUL byte made `.env` "binary": its connection, and the
    // shared database it proved, vanished without a note.
    let dir = tree(&[
        ("orders/Dockerfile", b"FROM node:20\n"),
        ("orders/.env", b"# exported by a tool\0\nDATABASE_URL=postgres://orders:o@db:5432/shop\n"),
        ("billing/Dockerfile", b"FROM node:20\n"),
        ("billing/.env", b"DATABASE_URL=postgres://billing:b@db:5432/shop\n"),
        ("docker-compose.yml", b"services:\n  orders: { build: ./orders }\n  billing: { build: ./billing }\n  db: { image: postgres:16 }\n"),
    ]);
    let (code, v) = json_of(dir.path(), &[]);
    assert_eq!(summary(&v), ["DBPS001 billing,orders"], "{v:#}");
    assert_eq!(code, 1);
}

#[test]
fn binary_content_and_yaml_limits_are_warnings_not_silence() {
    // Regression (issue 11): a file taken as binary, or one hitting the YAML parse
    // limits, removed its evidence and `--deny warnings` still passed.
    let one = "database_host: db\nl0: &l0 [x, x, x, x, x, x, x, x, x]\nl1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]\nl2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]\nl3: &l3 [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]\nl4: &l4 [*l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3]\nl5: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]\n";
    let bomb = format!("{one}---\n{one}");
    let dir = tree(&[
        ("orders/Dockerfile", b"FROM node:20\n"),
        ("orders/.env", &[0u8; 64]),
        ("deploy/settings.yaml", bomb.as_bytes()),
    ]);
    let (code, v) = json_of(dir.path(), &[]);
    assert_eq!(summary(&v), ["DBPS009 ", "DBPS009 "], "{v:#}");
    assert_eq!(code, 0);
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "`deploy/settings.yaml` was not audited: YAML aliases expand too far (over 1000000 nodes in this file)",
            "`orders/.env` was not audited: skipped: binary content (NUL bytes) in a file named like text a reader wants",
        ]
    );
    let (code, _) = json_of(dir.path(), &["--deny", "warnings"]);
    assert_eq!(code, 1);
}

#[cfg(unix)]
#[test]
fn an_unreadable_directory_is_a_warning_not_silence() {
    // Regression (issue 11): a directory the walker could not read vanished without a
    // note. Root reads everything, so as root the audit runs as `nobody`.
    use std::os::unix::fs::PermissionsExt;
    let dir = tree(&[
        ("orders/Dockerfile", b"FROM node:20\n"),
        ("secret/.env", b"DATABASE_URL=postgres://a:b@db/x\n"),
    ]);
    let root = dir.path();
    for p in [root, &root.join("orders"), &root.join("orders/Dockerfile")] {
        let mode = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    std::fs::set_permissions(root.join("secret"), std::fs::Permissions::from_mode(0o000))
        .expect("chmod");
    let as_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let bin = assert_cmd::cargo::cargo_bin("dbps");
    let mut cmd = if as_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let out = cmd
        .args(["doctor", "--no-docker", "--format", "json", "--path"])
        .arg(root)
        .output()
        .expect("run");
    std::fs::set_permissions(root.join("secret"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(summary(&v), ["DBPS009 "], "{v:#}");
    assert_eq!(v["notes"][0]["file"], "secret", "{v:#}");
    assert!(
        v["notes"][0]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("cannot read: "),
        "{v:#}"
    );
}
