//! `up` / `down` / `status` / `plan` / `env` against the real Docker Engine, with
//! test images built locally by `scripts/build-test-images.sh`.
//!
//! Each test uses its own project name and tears everything down afterwards.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::util::{Project, Ran, docker, docker_ok, docker_or_skip, image_or_skip};

const PG: &str = "dbps-test/postgres:15";
const MARIA: &str = "dbps-test/mariadb:10.11";
const REDIS: &str = "dbps-test/redis:7";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

use crate::util::docker_serial as serial;

/// A project on the real engine; `down --volumes --yes` on drop.
struct Live {
    project: Project,
    name: String,
}

impl Live {
    fn new(services: &str) -> Live {
        let name = format!(
            "e2e{}x{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let project = Project::with_manifest(&format!("project: {name}\nservices:\n{services}"));
        Live { project, name }
    }

    fn dbps(&self, args: &[&str]) -> crate::util::Run {
        self.project
            .dbps(args)
            .env("DBPS_IMAGE_POSTGRES", PG)
            .env("DBPS_IMAGE_MARIADB", MARIA)
            .env("DBPS_IMAGE_REDIS", REDIS)
    }

    /// Start `dbps up` in the background, output discarded.
    fn spawn_up(&self) -> std::process::Child {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("dbps"))
            .arg("up")
            .current_dir(self.project.path())
            .env("DBPS_IMAGE_POSTGRES", PG)
            .env("DBPS_IMAGE_MARIADB", MARIA)
            .env("DBPS_IMAGE_REDIS", REDIS)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawning dbps up")
    }

    /// Wait (up to 30 s) until a run has created the project's first network.
    fn wait_for_first_network(&self) {
        let filter = format!("label=dbps.project={}", self.name);
        let start = Instant::now();
        while docker(&["network", "ls", "-q", "--filter", &filter])
            .trim()
            .is_empty()
            && start.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn up(&self) -> Ran {
        self.dbps(&["up", "--timeout", "180"]).ok()
    }

    /// The service's `DATABASE_URL`, parsed.
    fn url(&self, service: &str) -> Url {
        let env = self.project.read(&format!("services/{service}/.env"));
        let line = env
            .lines()
            .find(|l| l.starts_with("DATABASE_URL="))
            .expect("DATABASE_URL");
        Url::parse(&line["DATABASE_URL=".len()..])
    }

    fn container(&self, service: &str) -> String {
        format!("{}-{service}-db", self.name)
    }

    /// `docker inspect` fields of every container of this project.
    fn containers(&self) -> Vec<String> {
        let out = docker(&[
            "ps",
            "-a",
            "-q",
            "--no-trunc",
            "--filter",
            &format!("label=dbps.project={}", self.name),
        ]);
        let mut ids: Vec<String> = out.lines().map(str::to_string).collect();
        ids.sort();
        ids
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.dbps(&["down", "--volumes", "--yes"]).run();
    }
}

#[derive(Debug, Clone)]
struct Url {
    scheme: String,
    user: String,
    password: String,
    port: String,
    db: String,
}

impl Url {
    fn parse(url: &str) -> Url {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (userinfo, hostpath) = rest.split_once('@').unwrap();
        let (user, password) = userinfo.split_once(':').unwrap();
        let (hostport, path) = hostpath.split_once('/').unwrap();
        let (host, port) = hostport.split_once(':').unwrap();
        assert_eq!(host, "127.0.0.1");
        Url {
            scheme: scheme.into(),
            user: user.into(),
            password: password.into(),
            port: port.into(),
            db: path.split('?').next().unwrap().into(),
        }
    }
}

/// Whether `creds` log in to the database server in `container` (engine `engine`)
/// over TCP and run a query, using that server's own client.
fn can_login(container: &str, engine: &str, creds: &Url) -> bool {
    let args: Vec<String> = match engine {
        "postgres" => vec![
            "exec".into(),
            "-e".into(),
            format!("PGPASSWORD={}", creds.password),
            container.into(),
            "psql".into(),
            "-X".into(),
            "-h".into(),
            "127.0.0.1".into(),
            "-U".into(),
            creds.user.clone(),
            "-d".into(),
            creds.db.clone(),
            "-tAc".into(),
            "select 1".into(),
        ],
        "mariadb" => vec![
            "exec".into(),
            "-e".into(),
            format!("MYSQL_PWD={}", creds.password),
            container.into(),
            "mariadb".into(),
            "--protocol=TCP".into(),
            "-h127.0.0.1".into(),
            format!("-u{}", creds.user),
            "-D".into(),
            creds.db.clone(),
            "-e".into(),
            "select 1".into(),
        ],
        "redis" => vec![
            "exec".into(),
            "-e".into(),
            format!("REDISCLI_AUTH={}", creds.password),
            container.into(),
            "redis-cli".into(),
            "--no-auth-warning".into(),
            "-h".into(),
            "127.0.0.1".into(),
            "--user".into(),
            creds.user.clone(),
            "PING".into(),
        ],
        other => panic!("no client for {other}"),
    };
    let out = std::process::Command::new("docker")
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    out.status.success() && (engine != "redis" || stdout.trim() == "PONG")
}

/// Run `sql` with `creds` over TCP inside `container` (a postgres server), in `db`.
fn psql(container: &str, creds: &Url, db: &str, sql: &str) -> std::process::Output {
    std::process::Command::new("docker")
        .args([
            "exec",
            "-e",
            &format!("PGPASSWORD={}", creds.password),
            container,
        ])
        .args([
            "psql",
            "-X",
            "-h",
            "127.0.0.1",
            "-U",
            &creds.user,
            "-d",
            db,
            "-tAc",
            sql,
        ])
        .output()
        .expect("running docker exec psql")
}

fn ready(test: &str, images: &[&str]) -> bool {
    docker_or_skip(test) && images.iter().all(|i| image_or_skip(test, i))
}

const FOUR: &str = "  users:\n    database: {engine: postgres}\n  orders:\n    database: {engine: postgres}\n  billing:\n    database: {engine: mariadb}\n  cache:\n    database: {engine: redis}\n";
const ENGINES: [(&str, &str); 4] = [
    ("users", "postgres"),
    ("orders", "postgres"),
    ("billing", "mariadb"),
    ("cache", "redis"),
];

#[test]
fn every_service_reaches_only_its_own_database() {
    if !ready(
        "every_service_reaches_only_its_own_database",
        &[PG, MARIA, REDIS],
    ) {
        return;
    }
    let _serial = serial();
    let live = Live::new(FOUR);
    let ran = live.up();
    let urls: HashMap<&str, Url> = ENGINES.iter().map(|(s, _)| (*s, live.url(s))).collect();

    // Nothing printed ever contains a password.
    for u in urls.values() {
        assert!(u.password.len() >= 32, "password too short");
        assert!(!ran.stdout.contains(&u.password) && !ran.stderr.contains(&u.password));
    }
    assert_eq!(urls["users"].scheme, "postgres");
    assert_eq!(urls["billing"].scheme, "mysql");
    assert_eq!(urls["cache"].scheme, "redis");

    // The full N×N matrix: own credentials work, everyone else's are refused.
    for (target, engine) in ENGINES {
        for (source, _) in ENGINES {
            let ok = can_login(&live.container(target), engine, &urls[source]);
            assert_eq!(
                ok,
                source == target,
                "{source}'s credentials on {target}'s database: login={ok}"
            );
        }
    }

    // Least privilege inside each server.
    let users = &urls["users"];
    let pg = live.container("users");
    let sql = |db: &str, q: &str| psql(&pg, users, db, q);
    let out = sql(
        &users.db,
        "select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "f|f|f");
    assert!(
        !sql("postgres", "select 1").status.success(),
        "CONNECT to `postgres` must be revoked"
    );
    let cache = &urls["cache"];
    let redis = |args: &[&str], auth: bool| {
        let mut cmd = std::process::Command::new("docker");
        cmd.arg("exec");
        if auth {
            cmd.args(["-e", &format!("REDISCLI_AUTH={}", cache.password)]);
        }
        cmd.arg(live.container("cache")).args([
            "redis-cli",
            "--no-auth-warning",
            "-h",
            "127.0.0.1",
        ]);
        if auth {
            cmd.args(["--user", &cache.user]);
        }
        String::from_utf8_lossy(&cmd.args(args).output().unwrap().stdout).into_owned()
    };
    assert!(
        redis(&["PING"], false).contains("NOAUTH"),
        "the default user must be disabled"
    );
    assert!(
        redis(&["ACL", "LIST"], true).contains("NOPERM"),
        "the service user must not administer"
    );
    assert_eq!(redis(&["SET", "k", "v"], true).trim(), "OK");
    let billing = &urls["billing"];
    let grants = docker(&[
        "exec",
        "-e",
        &format!("MYSQL_PWD={}", billing.password),
        &live.container("billing"),
        "mariadb",
        "--protocol=TCP",
        "-h127.0.0.1",
        &format!("-u{}", billing.user),
        "-N",
        "-e",
        "SHOW GRANTS",
    ]);
    assert!(
        grants.contains("ON `billing`.*")
            && !grants.contains("ON *.*` TO")
            && !grants.contains("ALL PRIVILEGES ON *.*"),
        "{grants}"
    );

    // Published ports listen on 127.0.0.1 only.
    for (service, _) in ENGINES {
        let ports = docker(&["port", &live.container(service)]);
        for line in ports.lines() {
            assert!(line.contains("-> 127.0.0.1:"), "{service}: {line}");
        }
    }

    // A container on `users`' network reaches users' database but not orders'.
    let own_ip = docker(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        &live.container("users"),
    ]);
    let other_ip = docker(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        &live.container("orders"),
    ]);
    let probe = |target: &str| {
        docker_ok(&[
            "run",
            "--rm",
            "--network",
            &format!("{}-users-net", live.name),
            "--entrypoint",
            "bash",
            PG,
            "-c",
            &format!("timeout 3 bash -c 'echo > /dev/tcp/{target}/5432'"),
        ])
    };
    assert!(
        probe("users-db"),
        "the stable alias must answer on the service's own network"
    );
    assert!(probe(own_ip.trim()));
    assert!(
        !probe(other_ip.trim()),
        "orders' database must be unreachable from users' network"
    );
    assert!(!probe("orders-db"));

    // No label carries a secret.
    for id in live.containers() {
        let labels = docker(&["inspect", "-f", "{{json .Config.Labels}}", &id]);
        for u in urls.values() {
            assert!(!labels.contains(&u.password));
        }
    }

    // `.env` files are private, and `env` prints exactly the asked service's own.
    let mode = std::fs::metadata(live.project.path().join("services/users/.env")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
    let env = live.dbps(&["env", "users"]).ok().stdout;
    assert!(env.contains(&users.password) && !env.contains(&urls["orders"].password));
    assert!(
        env.starts_with("export DATABASE_URL='postgres://users:"),
        "{env}"
    );
    let ignore = live.project.read(".gitignore");
    assert!(
        ignore.contains(".dbps/") && ignore.contains(".env"),
        "{ignore}"
    );

    // status: all ready, no drift; `--json` holds no secret.
    let status = live.dbps(&["status"]).ok().stdout;
    for (service, _) in ENGINES {
        let row = status.lines().find(|l| l.starts_with(service)).unwrap();
        assert!(
            row.contains("running") && row.contains("ready") && row.trim_end().ends_with('-'),
            "{row}"
        );
    }
    let json = live.dbps(&["status", "--json"]).ok().stdout;
    for u in urls.values() {
        assert!(!json.contains(&u.password));
    }
}

fn started_at(ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|id| docker(&["inspect", "-f", "{{.State.StartedAt}}", id]))
        .collect()
}

#[test]
fn up_is_idempotent_and_data_outlives_down() {
    if !ready("up_is_idempotent_and_data_outlives_down", &[PG, REDIS]) {
        return;
    }
    let _serial = serial();
    let live = Live::new(
        "  users:\n    database: {engine: postgres}\n  cache:\n    database: {engine: redis}\n",
    );
    live.up();
    let ids = live.containers();
    let started = started_at(&ids);
    let networks = docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("label=dbps.project={}", live.name),
    ]);
    let users = live.url("users");

    // A second run changes nothing.
    let again = live.up();
    assert!(
        again.stderr.contains("users: up to date"),
        "{}",
        again.stderr
    );
    assert_eq!(live.containers(), ids);
    assert_eq!(started_at(&ids), started);
    assert_eq!(
        docker(&[
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label=dbps.project={}", live.name)
        ]),
        networks
    );
    let plan = live.dbps(&["plan"]).ok().stdout;
    assert!(plan.starts_with("nothing to do"), "{plan}");

    // Write data with the service's own credentials.
    let pg = |sql: &str| {
        let out = psql(&live.container("users"), &users, &users.db, sql);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    pg("create table notes (body text); insert into notes values ('kept')");

    // A changed spec recreates only that container, keeping its volume.
    let manifest = live
        .project
        .read("dbps.yaml")
        .replace("{engine: redis}", "{engine: redis, port: 46379}");
    live.project.write("dbps.yaml", &manifest);
    let plan = live.dbps(&["plan"]).ok().stdout;
    assert_eq!(
        plan.lines().filter(|l| l.starts_with("  ")).count(),
        1,
        "{plan}"
    );
    assert!(plan.contains("cache: recreate container"), "{plan}");
    let status = live.dbps(&["status"]).ok().stdout;
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("cache") && l.contains("spec changed")),
        "{status}"
    );
    let users_id = docker(&["inspect", "-f", "{{.Id}}", &live.container("users")]);
    let cache_id = docker(&["inspect", "-f", "{{.Id}}", &live.container("cache")]);
    live.up();
    assert_eq!(live.url("cache").port, "46379");
    assert_eq!(
        docker(&["inspect", "-f", "{{.Id}}", &live.container("users")]),
        users_id,
        "users must be untouched"
    );
    assert_ne!(
        docker(&["inspect", "-f", "{{.Id}}", &live.container("cache")]),
        cache_id,
        "cache must be recreated"
    );

    // down keeps data and credentials; up brings both back.
    live.dbps(&["down"]).ok();
    assert!(live.containers().is_empty());
    live.up();
    assert_eq!(
        live.url("users").password,
        users.password,
        "credentials must never rotate"
    );
    assert_eq!(pg("select body from notes").trim(), "kept");

    // Deleting volumes needs --yes, or a terminal to ask on.
    let refused = live.dbps(&["down", "--volumes"]).code(2);
    assert!(
        refused.stderr.contains("refusing to delete"),
        "{}",
        refused.stderr
    );
    live.dbps(&["down", "--volumes", "--yes"]).ok();
    assert!(
        docker(&[
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("label=dbps.project={}", live.name)
        ])
        .trim()
        .is_empty()
    );
    live.up();
    let out = psql(
        &live.container("users"),
        &users,
        &users.db,
        "select count(*) from notes",
    );
    assert!(
        !out.status.success(),
        "the data must be gone after down --volumes"
    );
}

#[test]
fn a_killed_up_converges_on_the_next_run() {
    if !ready("a_killed_up_converges_on_the_next_run", &[PG, MARIA, REDIS]) {
        return;
    }
    let _serial = serial();
    // Kill at several moments: right as resources appear, mid-creation, during
    // initialisation, and while bootstrapping credentials.
    for delay_ms in [0, 150, 400, 1200] {
        let live = Live::new(FOUR);
        let mut child = live.spawn_up();
        live.wait_for_first_network();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        live.up();
        let ids = live.containers();
        assert_eq!(
            ids.len(),
            4,
            "killed after {delay_ms} ms: exactly one container per service"
        );
        for (service, engine) in ENGINES {
            assert!(
                can_login(&live.container(service), engine, &live.url(service)),
                "killed after {delay_ms} ms: {service}"
            );
        }
        // Nothing unlabelled with the project's prefix is left, and no duplicate.
        let named = docker(&[
            "ps",
            "-a",
            "-q",
            "--filter",
            &format!("name={}-", live.name),
        ]);
        assert_eq!(
            named.lines().count(),
            4,
            "killed after {delay_ms} ms: {named}"
        );
        let nets = docker(&[
            "network",
            "ls",
            "--filter",
            &format!("name={}-", live.name),
            "--format",
            "{{.Name}} {{.Labels}}",
        ]);
        assert_eq!(
            nets.lines().count(),
            4,
            "killed after {delay_ms} ms: {nets}"
        );
        assert!(nets.lines().all(|l| l.contains("dbps.project=")), "{nets}");
        let vols = docker(&[
            "volume",
            "ls",
            "--filter",
            &format!("name={}-", live.name),
            "--format",
            "{{.Name}} {{.Labels}}",
        ]);
        assert_eq!(
            vols.lines().count(),
            4,
            "killed after {delay_ms} ms: {vols}"
        );
    }
}

#[test]
fn port_conflicts_and_missing_images_are_clear_errors() {
    if !ready(
        "port_conflicts_and_missing_images_are_clear_errors",
        &[REDIS],
    ) {
        return;
    }
    let _serial = serial();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let live = Live::new(&format!(
        "  cache:\n    database: {{engine: redis, port: {port}}}\n"
    ));
    let ran = live.dbps(&["up"]).code(1);
    assert!(
        ran.stderr
            .contains(&format!("host port {port} on 127.0.0.1 is already in use")),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("services.cache.database.port"),
        "{}",
        ran.stderr
    );
    assert!(
        live.containers().is_empty(),
        "a container that cannot start is removed"
    );
    drop(listener);

    let missing = Live::new(
        "  users:\n    database: {engine: postgres, image: \"dbps-test/no-such-image:1\"}\n",
    );
    let ran = missing.dbps(&["up"]).code(1);
    assert!(
        ran.stderr
            .contains("image `dbps-test/no-such-image:1` is not present and could not be pulled"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("DBPS_IMAGE_POSTGRES"), "{}", ran.stderr);
}

#[test]
fn generated_services_pass_their_tests_against_their_own_databases() {
    if !ready(
        "generated_services_pass_their_tests_against_their_own_databases",
        &[PG, REDIS],
    ) {
        return;
    }
    let _serial = serial();
    let live = Live::new("");
    live.project.write(
        "dbps.yaml",
        &format!("project: {}\nservices: {{}}\n", live.name),
    );
    live.dbps(&["new", "service", "users", "--db", "postgres"])
        .ok();
    live.dbps(&["new", "service", "cache", "--db", "redis"])
        .ok();
    live.up();
    for service in ["users", "cache"] {
        let dir = live.project.path().join("services").join(service);
        let out = crate::scaffold::cargo_in(&dir, &["test"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{service}: cargo test failed\n{stdout}\n{stderr}"
        );
        assert!(
            !stdout.contains("skipping") && !stderr.contains("skipping"),
            "{service}: the integration test skipped\n{stdout}\n{stderr}"
        );
        // The integration test really ran against the database: its tests are listed
        // as passing (cargo names the test binaries on stderr).
        assert!(
            stderr.contains("Running tests/api.rs"),
            "{service}\n{stderr}"
        );
        for test in ["health_runs_a_real_query", "create_read_and_list_items"] {
            assert!(
                stdout.contains(&format!("test {test} ... ok")),
                "{service}: {test}\n{stdout}"
            );
        }
    }
}

/// MongoDB cannot be built from Debian packages, so this runs only where a mongo
/// image is present (`DBPS_TEST_MONGO_IMAGE`, default `mongo:7`); elsewhere it says
/// so loudly. Its container spec, bootstrap and probe are unit-tested in the crate.
#[test]
fn mongodb_service_reaches_only_its_own_database_when_an_image_is_present() {
    let image = std::env::var("DBPS_TEST_MONGO_IMAGE").unwrap_or_else(|_| "mongo:7".into());
    if !docker_or_skip("mongodb_live") {
        return;
    }
    let _serial = serial();
    if !docker_ok(&["image", "inspect", &image]) {
        eprintln!(
            "\n*** SKIPPED mongodb_live: no `{image}` image here (MongoDB cannot be built from Debian packages; set DBPS_TEST_MONGO_IMAGE) ***\n"
        );
        return;
    }
    let live = Live::new(
        "  catalog:\n    database: {engine: mongodb}\n  reviews:\n    database: {engine: mongodb}\n",
    );
    live.dbps(&["up", "--timeout", "180"])
        .env("DBPS_IMAGE_MONGODB", &image)
        .ok();
    for (target, source, expect) in [
        ("catalog", "catalog", true),
        ("catalog", "reviews", false),
        ("reviews", "reviews", true),
    ] {
        let u = live.url(source);
        let uri = format!(
            "mongodb://{}:{}@127.0.0.1:27017/{}?authSource={}",
            u.user, u.password, u.db, u.db
        );
        let ok = docker_ok(&[
            "exec",
            &live.container(target),
            "mongosh",
            "--quiet",
            &uri,
            "--eval",
            "db.runCommand({ping: 1}).ok",
        ]);
        assert_eq!(ok, expect, "{source}'s credentials on {target}'s database");
    }
}

#[test]
fn concurrent_runs_on_one_project_wait_for_each_other() {
    if !ready(
        "concurrent_runs_on_one_project_wait_for_each_other",
        &[REDIS],
    ) {
        return;
    }
    let _serial = serial();
    let live = Live::new("  cache:\n    database: {engine: redis}\n");
    let first = live.spawn_up();
    // Let the first run take the lock, then start a second one.
    live.wait_for_first_network();
    let second = live.up();
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success());
    assert!(
        second
            .stderr
            .contains("another dbps run holds this project's lock; waiting"),
        "{}",
        second.stderr
    );
    assert_eq!(live.containers().len(), 1);
}
