//! Hostile input, table-driven: each case builds a project the way a malicious
//! repository or bad luck would (YAML bombs, huge and non-UTF-8 files, FIFOs,
//! devices, symlink loops, links out of the project for every file dbps writes,
//! names carrying shell or template code), runs one command, and checks that dbps
//! gives a clear error with exit 2, never hangs, never panics, and touches nothing
//! outside the project: a sentinel directory beside it is compared byte for byte
//! and mode for mode before and after.
//!
//! After the table come the regression tests for the defects found by the audit of
//! issue 11 that need more than one command (concurrent `new service`, credential
//! permissions, `eval "$(dbps env S)"`, directories differing in invalid UTF-8).

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::{Project, Ran};

/// No hostile case may take longer than this: a hang is a failure, not a wait.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A manifest with one Redis service at the default path `services/a`.
const ONE: &str = "project: hostile\nservices:\n  a:\n    database: {engine: redis}\n";
/// Two services with their default paths.
const TWO: &str = "project: hostile\nservices:\n  a:\n    database: {engine: redis}\n  b:\n    database: {engine: redis}\n";
/// A manifest without services.
const EMPTY: &str = "project: hostile\nservices: {}\n";
/// A stored credential that dbps would accept.
const GOOD_PASSWORD: &str = "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9z0X1c2V3b4";

/// A directory outside the project that dbps must never change.
struct Sentinel {
    dir: tempfile::TempDir,
    before: BTreeMap<PathBuf, (u32, Vec<u8>)>,
}

impl Sentinel {
    fn new() -> Sentinel {
        let dir = tempfile::Builder::new()
            .prefix("dbps-sentinel-")
            .tempdir()
            .unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("x/src")).unwrap();
        std::fs::write(root.join("x/keep.txt"), "outside, keep me").unwrap();
        std::fs::write(root.join("x/src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(root.join("secret.env"), "OUTSIDE_SECRET=do-not-print-me\n").unwrap();
        std::fs::write(root.join("dbps.yaml"), EMPTY).unwrap();
        for (rel, mode) in [("x", 0o755), ("x/keep.txt", 0o644), ("secret.env", 0o644)] {
            std::fs::set_permissions(root.join(rel), std::fs::Permissions::from_mode(mode))
                .unwrap();
        }
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut s = Sentinel {
            dir,
            before: BTreeMap::new(),
        };
        s.before = s.snapshot();
        s
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn snapshot(&self) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, (u32, Vec<u8>)>) {
            let meta = std::fs::symlink_metadata(dir).unwrap();
            out.insert(
                dir.strip_prefix(root).unwrap().to_path_buf(),
                (meta.permissions().mode(), Vec::new()),
            );
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    walk(&path, root, out);
                } else {
                    let body = if meta.is_file() {
                        std::fs::read(&path).unwrap()
                    } else {
                        Vec::new()
                    };
                    out.insert(
                        path.strip_prefix(root).unwrap().to_path_buf(),
                        (meta.permissions().mode(), body),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        out
    }

    fn assert_untouched(&self, case: &str) {
        assert_eq!(
            self.snapshot(),
            self.before,
            "{case}: something outside the project was written, chmodded or deleted"
        );
    }
}

/// What a case builds: the project and the sentinel beside it.
struct Ctx<'a> {
    project: &'a Project,
    outside: &'a Path,
}

impl Ctx<'_> {
    fn root(&self) -> &Path {
        self.project.path()
    }

    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    fn link(&self, rel: &str, target: impl AsRef<Path>) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(target, path).unwrap();
    }

    fn fifo(&self, rel: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(ok.success());
    }

    fn credentials(&self, service: &str, password: &str) {
        self.write(
            &format!(".dbps/credentials/{service}.json"),
            format!(
                "{{\"user\":\"{service}\",\"password\":\"{password}\",\"admin_user\":\"dbps-admin\",\"admin_password\":\"{GOOD_PASSWORD}\"}}"
            ),
        );
    }
}

/// One hostile input.
struct Case {
    name: &'static str,
    setup: fn(&Ctx),
    args: &'static [&'static str],
    /// A fragment the error must contain, so the error says what is wrong.
    says: &'static str,
}

/// `dbps.yaml` holding `text`.
fn manifest(c: &Ctx, text: &str) {
    c.write("dbps.yaml", text);
}

/// A billion-laughs alias bomb.
fn alias_bomb() -> String {
    let mut s = String::from(
        "project: hostile\na0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        s.push_str(&format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 9].join(",")));
    }
    s.push_str("services: *a9\n");
    s
}

fn deep_block_nesting() -> String {
    let mut s = String::from("project: hostile\nservices:\n");
    for depth in 1..400 {
        s.push_str(&format!("{}k{depth}:\n", "  ".repeat(depth)));
    }
    s
}

const CASES: &[Case] = &[
    // ---- the manifest -------------------------------------------------------------
    Case {
        name: "yaml alias bomb (billion laughs)",
        setup: |c| manifest(c, &alias_bomb()),
        args: &["plan"],
        says: "alias",
    },
    Case {
        name: "100k nested flow sequences",
        setup: |c| {
            manifest(
                c,
                &format!("project: hostile\nservices: {}", "[".repeat(100_000)),
            )
        },
        args: &["plan"],
        says: "invalid YAML",
    },
    Case {
        name: "400 levels of block nesting",
        setup: |c| manifest(c, &deep_block_nesting()),
        args: &["plan"],
        says: "invalid YAML",
    },
    Case {
        name: "a 9 MiB manifest",
        setup: |c| {
            manifest(
                c,
                &format!("{EMPTY}{}", "# padding padding\n".repeat(530_000)),
            )
        },
        args: &["plan"],
        says: "is larger than",
    },
    Case {
        name: "a manifest that is not UTF-8",
        setup: |c| {
            c.write(
                "dbps.yaml",
                b"project: hostile\nservices:\n  caf\xe9:\n    database: {engine: redis}\n",
            )
        },
        args: &["plan"],
        says: "not UTF-8",
    },
    Case {
        name: "a NUL byte in the manifest",
        setup: |c| {
            c.write(
                "dbps.yaml",
                b"project: hostile\nservices: {}\0\nservices:\n  a: {database: {engine: redis}}\n",
            )
        },
        args: &["plan"],
        says: "control character (U+0000)",
    },
    Case {
        name: "a terminal escape sequence in the manifest",
        setup: |c| {
            c.write(
                "dbps.yaml",
                "project: hostile\nservices:\n  \u{1b}]0;pwned\u{7}\u{1b}[2J: {}\n",
            )
        },
        args: &["plan"],
        says: "control character (U+001B)",
    },
    Case {
        name: "a manifest that is a FIFO",
        setup: |c| c.fifo("m.yaml"),
        args: &["-f", "m.yaml", "plan"],
        says: "named pipe",
    },
    Case {
        name: "a manifest that is a directory",
        setup: |c| std::fs::create_dir(c.root().join("m.yaml")).unwrap(),
        args: &["-f", "m.yaml", "plan"],
        says: "a directory",
    },
    Case {
        name: "a manifest that is a symlink loop",
        setup: |c| c.link("m.yaml", "m.yaml"),
        args: &["-f", "m.yaml", "plan"],
        says: "m.yaml",
    },
    Case {
        name: "a manifest that is /dev/zero",
        setup: |_| {},
        args: &["-f", "/dev/zero", "plan"],
        says: "character device",
    },
    Case {
        name: "a manifest linked to /dev/zero",
        setup: |c| c.link("m.yaml", "/dev/zero"),
        args: &["-f", "m.yaml", "plan"],
        says: "leads outside the project",
    },
    Case {
        name: "a manifest linked to the process environment",
        setup: |c| c.link("dbps.yaml", "/proc/self/environ"),
        args: &["plan"],
        says: "leads outside the project",
    },
    Case {
        name: "a manifest linked outside the project",
        setup: |c| c.link("dbps.yaml", c.outside.join("dbps.yaml")),
        args: &["plan"],
        says: "leads outside the project",
    },
    Case {
        name: "a thousand YAML documents",
        setup: |c| manifest(c, &format!("{EMPTY}{}", "---\nproject: x\n".repeat(1000))),
        args: &["plan"],
        says: "more than one YAML document",
    },
    Case {
        name: "a service name with shell code",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  'a;touch pwned':\n    database: {engine: redis}\n",
            )
        },
        args: &["plan"],
        says: "is not DNS-safe",
    },
    Case {
        name: "a service name with template code",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  '{{ 7*7 }}':\n    database: {engine: redis}\n",
            )
        },
        args: &["plan"],
        says: "is not DNS-safe",
    },
    Case {
        name: "a project name with command substitution",
        setup: |c| manifest(c, "project: $(touch pwned)\nservices: {}\n"),
        args: &["plan"],
        says: "is not DNS-safe",
    },
    Case {
        name: "a service path climbing out",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  a:\n    path: ../../etc\n    database: {engine: redis}\n",
            )
        },
        args: &["plan"],
        says: "escapes the project",
    },
    Case {
        name: "an absolute service path",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  a:\n    path: /etc\n    database: {engine: redis}\n",
            )
        },
        args: &["plan"],
        says: "escapes the project",
    },
    Case {
        name: "a service path climbing out after a detour",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  a:\n    path: services/../../x\n    database: {engine: redis}\n",
            )
        },
        args: &["plan"],
        says: "escapes the project",
    },
    Case {
        name: "a version carrying shell code",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  a:\n    database: {engine: redis, version: '7; rm -rf /'}\n",
            )
        },
        args: &["plan"],
        says: "is not a valid image tag",
    },
    Case {
        name: "an image carrying extra arguments",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  a:\n    database: {engine: redis, image: 'redis:7 --privileged'}\n",
            )
        },
        args: &["plan"],
        says: "is not a valid image reference",
    },
    Case {
        name: "an extension carrying SQL",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  a:\n    database: {engine: postgres, extensions: ['vector\"; DROP DATABASE x; --']}\n",
            )
        },
        args: &["plan"],
        says: "is not a plain name",
    },
    Case {
        name: "a database name carrying SQL",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  a:\n    database: {engine: mysql, name: \"x'; DROP USER root; --\"}\n",
            )
        },
        args: &["plan"],
        says: "is not a plain identifier",
    },
    Case {
        name: "a port beyond 64 bits",
        setup: |c| {
            manifest(
                c,
                "project: hostile\nservices:\n  a:\n    database: {engine: redis, port: 99999999999999999999999}\n",
            )
        },
        args: &["plan"],
        says: "port must be a number",
    },
    // ---- new service --------------------------------------------------------------
    Case {
        name: "new service named with shell code",
        setup: |c| manifest(c, EMPTY),
        args: &["new", "service", "a;touch pwned", "--db", "redis"],
        says: "is not DNS-safe",
    },
    Case {
        name: "new service named with template code",
        setup: |c| manifest(c, EMPTY),
        args: &["new", "service", "{{ name }}", "--db", "redis"],
        says: "is not DNS-safe",
    },
    Case {
        name: "new service with an engine carrying shell code",
        setup: |c| manifest(c, EMPTY),
        args: &["new", "service", "a", "--db", "redis;touch pwned"],
        says: "unknown engine",
    },
    Case {
        name: "new service --path climbing out",
        setup: |c| manifest(c, EMPTY),
        args: &["new", "service", "a", "--db", "redis", "--path", "../x"],
        says: "escapes the project",
    },
    Case {
        name: "new service --path into .dbps",
        setup: |c| manifest(c, EMPTY),
        args: &["new", "service", "a", "--db", "redis", "--path", ".dbps/a"],
        says: "inside `.dbps/`",
    },
    Case {
        name: "new service with `services` linked outside",
        setup: |c| {
            manifest(c, EMPTY);
            c.link("services", c.outside);
        },
        args: &["new", "service", "x", "--db", "redis"],
        says: "leads outside the project",
    },
    Case {
        name: "new service --force with `services` linked outside (deleted a directory outside)",
        setup: |c| {
            manifest(c, EMPTY);
            c.link("services", c.outside);
        },
        args: &["new", "service", "x", "--db", "redis", "--force"],
        says: "leads outside the project",
    },
    Case {
        name: "new service --force with the service directory linked outside",
        setup: |c| {
            manifest(c, EMPTY);
            c.link("services/x", c.outside.join("x"));
        },
        args: &["new", "service", "x", "--db", "redis", "--force"],
        says: "is a symbolic link",
    },
    Case {
        name: "new service with `services` a symlink loop",
        setup: |c| {
            manifest(c, EMPTY);
            c.link("services", "services");
        },
        args: &["new", "service", "x", "--db", "redis"],
        says: "cannot resolve `services`",
    },
    Case {
        name: "new service --path through a dangling link out",
        setup: |c| {
            manifest(c, EMPTY);
            c.link("apps", c.outside.join("not-yet"));
        },
        args: &["new", "service", "x", "--db", "redis", "--path", "apps/x"],
        says: "cannot resolve `apps`",
    },
    Case {
        name: "new service with the manifest a link outside",
        setup: |c| c.link("dbps.yaml", c.outside.join("dbps.yaml")),
        args: &["new", "service", "x", "--db", "redis"],
        says: "leads outside the project",
    },
    // ---- env ----------------------------------------------------------------------
    Case {
        name: "env with a FIFO for .env",
        setup: |c| {
            manifest(c, ONE);
            c.fifo("services/a/.env");
        },
        args: &["env", "a"],
        says: "named pipe",
    },
    Case {
        name: "env with .env linked to /dev/zero",
        setup: |c| {
            manifest(c, ONE);
            c.link("services/a/.env", "/dev/zero");
        },
        args: &["env", "a"],
        says: "leads outside the project",
    },
    Case {
        name: "env with .env linked to a secret outside",
        setup: |c| {
            manifest(c, ONE);
            c.link("services/a/.env", c.outside.join("secret.env"));
        },
        args: &["env", "a"],
        says: "leads outside the project",
    },
    Case {
        name: "env with the service directory linked outside",
        setup: |c| {
            manifest(c, ONE);
            c.link("services/a", c.outside);
        },
        args: &["env", "a"],
        says: "leads outside the project",
    },
    Case {
        name: "env with a .env symlink loop",
        setup: |c| {
            manifest(c, ONE);
            c.link("services/a/.env", ".env");
        },
        args: &["env", "a"],
        says: "cannot resolve",
    },
    Case {
        name: "env with a variable name carrying a command",
        setup: |c| {
            manifest(c, ONE);
            c.write("services/a/.env", "FOO;touch pwned;BAR=1\n");
        },
        args: &["env", "a"],
        says: "is not a valid variable name",
    },
    Case {
        name: "env with a variable name carrying command substitution",
        setup: |c| {
            manifest(c, ONE);
            c.write("services/a/.env", "DATABASE_URL=x\n$(touch pwned)=1\n");
        },
        args: &["env", "a"],
        says: ".env:2",
    },
    Case {
        name: "env with a .env that is not UTF-8",
        setup: |c| {
            manifest(c, ONE);
            c.write("services/a/.env", b"DATABASE_URL=\xff\xfe\n");
        },
        args: &["env", "a"],
        says: "not UTF-8",
    },
    Case {
        name: "env with a 2 MiB .env",
        setup: |c| {
            manifest(c, ONE);
            c.write("services/a/.env", "X=1\n".repeat(512 * 1024));
        },
        args: &["env", "a"],
        says: "is larger than",
    },
    Case {
        name: "env with a directory for .env",
        setup: |c| {
            manifest(c, ONE);
            std::fs::create_dir_all(c.root().join("services/a/.env")).unwrap();
        },
        args: &["env", "a"],
        says: "a directory",
    },
    // ---- up: everything it would write ---------------------------------------------
    Case {
        name: "up with .dbps linked outside (credentials written and chmodded outside)",
        setup: |c| {
            manifest(c, ONE);
            c.link(".dbps", c.outside);
        },
        args: &["up"],
        says: "`.dbps` is a symbolic link",
    },
    Case {
        name: "up with .dbps/credentials linked outside",
        setup: |c| {
            manifest(c, ONE);
            std::fs::create_dir(c.root().join(".dbps")).unwrap();
            c.link(".dbps/credentials", c.outside.join("x"));
        },
        args: &["up"],
        says: "`.dbps/credentials` is a symbolic link",
    },
    Case {
        name: "up with .dbps a symlink loop",
        setup: |c| {
            manifest(c, ONE);
            c.link(".dbps", ".dbps");
        },
        args: &["up"],
        says: "`.dbps` is a symbolic link",
    },
    Case {
        name: "up with .dbps a regular file",
        setup: |c| {
            manifest(c, ONE);
            c.write(".dbps", "not a directory");
        },
        args: &["up"],
        says: "`.dbps` is a regular file, not a directory",
    },
    Case {
        name: "up with .dbps/lock linked outside",
        setup: |c| {
            manifest(c, ONE);
            std::fs::create_dir(c.root().join(".dbps")).unwrap();
            c.link(".dbps/lock", c.outside.join("lock"));
        },
        args: &["up"],
        says: "`.dbps/lock` is a symbolic link",
    },
    Case {
        name: "up with .dbps/ready linked outside",
        setup: |c| {
            manifest(c, ONE);
            std::fs::create_dir(c.root().join(".dbps")).unwrap();
            c.link(".dbps/ready", c.outside.join("x"));
        },
        args: &["up"],
        says: "`.dbps/ready` is a symbolic link",
    },
    Case {
        name: "up with `services` linked outside (.env written outside)",
        setup: |c| {
            manifest(c, ONE);
            c.link("services", c.outside);
        },
        args: &["up"],
        says: "leads outside the project",
    },
    Case {
        name: "up with a service's .env linked outside",
        setup: |c| {
            manifest(c, ONE);
            c.link("services/a/.env", c.outside.join("secret.env"));
        },
        args: &["up"],
        says: "`services/a/.env` is a symbolic link",
    },
    Case {
        name: "up with a FIFO for a service's .env",
        setup: |c| {
            manifest(c, ONE);
            c.fifo("services/a/.env");
        },
        args: &["up"],
        says: "named pipe",
    },
    Case {
        name: "up with two services' directories linked together",
        setup: |c| {
            manifest(c, TWO);
            std::fs::create_dir_all(c.root().join("services/b")).unwrap();
            c.link("services/a", "b");
        },
        args: &["up"],
        says: "both resolve to",
    },
    Case {
        name: "up with a FIFO for .gitignore",
        setup: |c| {
            manifest(c, ONE);
            c.fifo(".gitignore");
        },
        args: &["up"],
        says: "named pipe",
    },
    Case {
        name: "up with .gitignore linked to /dev/zero",
        setup: |c| {
            manifest(c, ONE);
            c.link(".gitignore", "/dev/zero");
        },
        args: &["up"],
        says: "`.gitignore` is a symbolic link",
    },
    // ---- stored credentials ---------------------------------------------------------
    Case {
        name: "a credential file that is a FIFO",
        setup: |c| {
            manifest(c, ONE);
            c.fifo(".dbps/credentials/a.json");
        },
        args: &["plan"],
        says: "named pipe",
    },
    Case {
        name: "a credential file linked outside",
        setup: |c| {
            manifest(c, ONE);
            c.link(".dbps/credentials/a.json", c.outside.join("secret.env"));
        },
        args: &["plan"],
        says: "is a symbolic link",
    },
    Case {
        name: "a 2 MiB credential file",
        setup: |c| {
            manifest(c, ONE);
            c.write(".dbps/credentials/a.json", " ".repeat(2 << 20));
        },
        args: &["plan"],
        says: "is larger than",
    },
    Case {
        name: "a credential file that is not JSON",
        setup: |c| {
            manifest(c, ONE);
            c.write(".dbps/credentials/a.json", "{{{{");
        },
        args: &["plan"],
        says: "parsing",
    },
    Case {
        name: "an empty stored password",
        setup: |c| {
            manifest(c, ONE);
            c.credentials("a", "");
        },
        args: &["plan"],
        says: "password of `a` is too short",
    },
    Case {
        name: "a one-character stored password",
        setup: |c| {
            manifest(c, ONE);
            c.credentials("a", "x");
        },
        args: &["plan"],
        says: "password of `a` is too short",
    },
    Case {
        name: "a stored password carrying SQL quotes",
        setup: |c| {
            manifest(c, ONE);
            c.credentials("a", "abcdefghijklmnop'; DROP USER root; --");
        },
        args: &["plan"],
        says: "password of `a` has a character",
    },
];

fn run_case(case: &Case) -> (Ran, Sentinel) {
    let project = Project::empty();
    let sentinel = Sentinel::new();
    let ctx = Ctx {
        project: &project,
        outside: sentinel.path(),
    };
    (case.setup)(&ctx);
    let ran = project
        .dbps(case.args)
        .env("HOSTILE_SECRET", "hostile-env-secret-value")
        // Should a case get past its check, it must not reach a real daemon.
        .env("DOCKER_HOST", "unix:///nonexistent/dbps-hostile.sock")
        .timeout(TIMEOUT)
        .run();
    assert!(
        !project.path().join("pwned").exists(),
        "{}: injected code ran",
        case.name
    );
    (ran, sentinel)
}

/// Every hostile input: a clear error naming the problem, exit 2, no panic, no
/// hang, no secret from the environment echoed, nothing outside the project touched.
#[test]
fn hostile_inputs_are_refused_cleanly_and_touch_nothing_outside() {
    let mut failures = Vec::new();
    for case in CASES {
        let (ran, sentinel) = run_case(case);
        let mut problems = Vec::new();
        if ran.code != 2 {
            problems.push(format!("exit code {} (want 2)", ran.code));
        }
        if !ran.stderr.contains(case.says) {
            problems.push(format!("stderr lacks `{}`", case.says));
        }
        if ran.stderr.contains("panicked") {
            problems.push("panicked".into());
        }
        for leak in ["hostile-env-secret-value", "do-not-print-me"] {
            if ran.stdout.contains(leak) || ran.stderr.contains(leak) {
                problems.push(format!("printed `{leak}`"));
            }
        }
        if ran.stderr.lines().count() > 150 {
            problems.push("error longer than 150 lines".into());
        }
        if ran.stderr.contains('\u{1b}') || ran.stderr.contains('\0') {
            problems.push("a control character echoed to the terminal".into());
        }
        if let Err(e) = std::panic::catch_unwind(|| sentinel.assert_untouched(case.name)) {
            problems.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "outside changed".into()),
            );
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr\n{}",
                case.name,
                problems.join("; "),
                ran.stderr.chars().take(1500).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile cases failed:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}

/// The table is the count the README quotes; keep both honest.
#[test]
fn the_hostile_table_has_at_least_forty_cases() {
    assert!(CASES.len() >= 40, "{}", CASES.len());
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len(), "case names must be unique");
}

/// Regression (issue 11): `eval "$(dbps env S)"` ran commands hidden in a `.env`
/// variable name; values must come back byte for byte however odd.
#[test]
fn env_output_is_safe_to_eval() {
    let p = Project::with_manifest(ONE);
    let odd = "x$(touch pwned)`touch pwned`'\"; touch pwned #\\n";
    p.write(
        "services/a/.env",
        &format!("# comment\nexport DATABASE_URL=postgres://u:p@h:1/d\nODD={odd}\n"),
    );
    let ran = p.dbps(&["env", "a"]).ok();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("eval \"$DBPS_ENV\" && printf '%s\\n%s' \"$DATABASE_URL\" \"$ODD\"")
        .env("DBPS_ENV", &ran.stdout)
        .current_dir(p.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("postgres://u:p@h:1/d\n{odd}")
    );
    assert!(!p.path().join("pwned").exists());

    p.write("services/a/.env", "DATABASE_URL=x\nFOO;touch pwned;BAR=1\n");
    let ran = p.dbps(&["env", "a"]).code(2);
    assert_eq!(ran.stdout, "", "nothing to eval on error");
    assert!(
        ran.stderr
            .contains("services/a/.env:2: `FOO;touch pwned;BAR` is not a valid variable name"),
        "{}",
        ran.stderr
    );
}

/// Regression (issue 11): `new service` took no project lock; two at once both
/// reported success and one manifest entry was lost, ten at once orphaned nine
/// directories.
#[test]
fn concurrent_new_service_loses_nothing() {
    let p = Project::with_manifest(EMPTY);
    let bin = assert_cmd::cargo::cargo_bin("dbps");
    let children: Vec<_> = (0..10)
        .map(|i| {
            std::process::Command::new(&bin)
                .args(["new", "service", &format!("s{i}"), "--db", "redis"])
                .current_dir(p.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = p.read("dbps.yaml");
    let mut dirs: Vec<String> = std::fs::read_dir(p.path().join("services"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
    want.sort();
    assert_eq!(dirs, want, "one directory per service, nothing orphaned");
    for name in &want {
        assert!(
            text.contains(&format!("  {name}:\n")),
            "{name} lost:\n{text}"
        );
    }

    // The same name twice at once: one wins, the other is told, nothing is orphaned.
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(&bin)
                .args(["new", "service", "twin", "--db", "redis"])
                .current_dir(p.path())
                .output()
        })
        .collect();
    let codes: Vec<i32> = children
        .into_iter()
        .map(|o| o.unwrap().status.code().unwrap())
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    assert_eq!(p.read("dbps.yaml").matches("  twin:\n").count(), 1);
}

/// Regression (issue 11): credential files at 0644 in a 0755 directory were used
/// without a word. Every load sets them back to 0600/0700 and says so.
#[test]
fn loose_credential_permissions_are_tightened_with_a_warning() {
    let p = Project::with_manifest(ONE);
    let ctx = Ctx {
        project: &p,
        outside: Path::new("/nonexistent"),
    };
    ctx.credentials("a", GOOD_PASSWORD);
    let set = |rel: &str, mode: u32| {
        std::fs::set_permissions(p.path().join(rel), std::fs::Permissions::from_mode(mode))
            .unwrap();
    };
    set(".dbps", 0o755);
    set(".dbps/credentials", 0o755);
    set(".dbps/credentials/a.json", 0o644);
    let ran = p
        .dbps(&["plan"])
        .env("DOCKER_HOST", "unix:///nonexistent/dbps-hostile.sock")
        .run();
    let mode = |rel: &str| {
        std::fs::metadata(p.path().join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        (
            mode(".dbps"),
            mode(".dbps/credentials"),
            mode(".dbps/credentials/a.json")
        ),
        (0o700, 0o700, 0o600),
        "{}",
        ran.stderr
    );
    for rel in [".dbps`", ".dbps/credentials`", ".dbps/credentials/a.json`"] {
        assert!(
            ran.stderr
                .contains(&format!("{rel} was open to other users")),
            "no warning for {rel}:\n{}",
            ran.stderr
        );
    }
    assert!(!ran.stderr.contains(GOOD_PASSWORD));
}

/// Regression (issue 11): the doctor merged two directories whose names differ
/// only in invalid UTF-8 bytes into one service, hiding a shared database.
#[test]
fn doctor_keeps_directories_differing_in_invalid_utf8_apart() {
    let p = Project::empty();
    for byte in [0xff_u8, 0xfe] {
        let bytes = [b's', b'v', b'c', byte];
        let name = std::ffi::OsStr::from_bytes(&bytes);
        let dir = p.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join(".env"),
            "DATABASE_URL=postgres://app:pw@db:5432/shop\n",
        )
        .unwrap();
        std::fs::write(dir.join("Dockerfile"), "FROM python:3.12\n").unwrap();
    }
    let ran = p.dbps(&["doctor", "--path", "."]).code(1);
    assert!(
        ran.stdout.contains(
            "shared-database: services `svc\\xFE` and `svc\\xFF` use the same database `shop`"
        ),
        "{}",
        ran.stdout
    );
}
