//! Test helpers: a temporary project, a fluent runner around `assert_cmd`, and the
//! Docker guard that skips loudly (or fails under `DBPS_REQUIRE_DOCKER=1`).

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A temporary directory holding a dbps project.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// An empty directory.
    pub fn empty() -> Project {
        Project {
            dir: tempfile::Builder::new()
                .prefix("dbps-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    /// A directory with `dbps.yaml` holding `manifest`.
    pub fn with_manifest(manifest: &str) -> Project {
        let p = Project::empty();
        p.write("dbps.yaml", manifest);
        p
    }

    /// The project root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file below the root.
    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// Read a file below the root.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel))
            .unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    /// `dbps ARGS` in the project root, colour off, no inherited overrides.
    pub fn dbps(&self, args: &[&str]) -> Run {
        let mut cmd = Command::cargo_bin("dbps").expect("dbps binary");
        cmd.current_dir(self.path())
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("DATABASE_URL");
        Run { cmd }
    }
}

/// A command being prepared.
pub struct Run {
    cmd: Command,
}

/// What a command did.
pub struct Ran {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Set an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Run {
        self.cmd.env(key, value);
        self
    }

    /// Give up (the run then fails) after `limit`: for inputs that could hang.
    pub fn timeout(mut self, limit: std::time::Duration) -> Run {
        self.cmd.timeout(limit);
        self
    }

    /// Run and capture.
    pub fn run(mut self) -> Ran {
        let out: Output = self.cmd.output().expect("running dbps");
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run, expecting exit code 0.
    pub fn ok(self) -> Ran {
        self.code(0)
    }

    /// Run, expecting `code`.
    pub fn code(self, code: i32) -> Ran {
        let ran = self.run();
        assert_eq!(
            ran.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            ran.stdout, ran.stderr
        );
        ran
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether a Docker daemon answers; when it does not, say so loudly, and fail
/// instead when `DBPS_REQUIRE_DOCKER=1`.
pub fn docker_or_skip(test: &str) -> bool {
    let ok = std::process::Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip_or_fail(test, "no Docker daemon is reachable");
    }
    ok
}

/// Whether `image` is present locally (checked after [`docker_or_skip`]).
pub fn image_or_skip(test: &str, image: &str) -> bool {
    let ok = std::process::Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip_or_fail(
            test,
            &format!("image `{image}` is missing (run scripts/build-test-images.sh)"),
        );
    }
    ok
}

fn skip_or_fail(test: &str, why: &str) {
    if std::env::var("DBPS_REQUIRE_DOCKER").as_deref() == Ok("1") {
        panic!("{test}: {why}, and DBPS_REQUIRE_DOCKER=1 forbids skipping");
    }
    eprintln!(
        "\n*** SKIPPED {test}: {why} (set DBPS_REQUIRE_DOCKER=1 to make this a failure) ***\n"
    );
}

/// Run `docker ARGS`, returning stdout; panics with stderr on failure.
pub fn docker(args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("running docker");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run `docker ARGS`, returning whether it succeeded.
pub fn docker_ok(args: &[&str]) -> bool {
    std::process::Command::new("docker")
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Tests that use the Docker Engine heavily run one at a time, within this binary
/// and across processes on the machine (other test runs, benchmarks, other
/// checkouts), through an in-process mutex plus an exclusive lock on
/// `$TMPDIR/dbps-docker-tests.lock`. Besides sparing a 2-core machine, this keeps
/// network creation by one test from overlapping another test's isolation probe:
/// while networks come and go, the Docker daemon rewrites its FORWARD rules and
/// traffic briefly crosses bridges (measured by `benches/isolation-under-churn.sh`;
/// see README, "Isolation").
pub fn docker_serial() -> DockerSerial {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let path = std::env::temp_dir().join("dbps-docker-tests.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
    DockerSerial {
        _file: file,
        _guard: guard,
    }
}

/// Held while a Docker-heavy test runs; the file lock is released when the file
/// closes (on drop, or when the process dies).
pub struct DockerSerial {
    _file: std::fs::File,
    _guard: std::sync::MutexGuard<'static, ()>,
}
