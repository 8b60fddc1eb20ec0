// What each fuzz target does with its input, shared by the fuzz binaries
// (`include!`) and by the regression test that replays every kept crash
// (tests/cli/fuzz.rs), so a crash found once stays a test.
//
// Each function must never panic, whatever the bytes; a panic is the crash.

/// The names of the targets, as the binaries and `fuzz/regressions/` call them.
pub const TARGETS: &[&str] = &[
    "manifest",
    "compose",
    "kubernetes",
    "spring",
    "appsettings",
    "envfile",
    "source",
];

/// Run `target` on `data`.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "manifest" => manifest(data),
        "compose" => reader("docker-compose.yml", data),
        "kubernetes" => reader("deployment.yaml", data),
        "spring" => spring(data),
        "appsettings" => reader("appsettings.Production.json", data),
        "envfile" => reader(".env", data),
        "source" => source(data),
        other => panic!("no fuzz target `{other}`"),
    }
}

/// The manifest: parse and validate; when valid, add a service the way
/// `dbps new service` does and validate the result again.
fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = dbps::manifest::Manifest::parse(text, "dbps.yaml") else {
        return;
    };
    let name = if m.service("fuzzed").is_some() {
        "fuzzed-2"
    } else {
        "fuzzed"
    };
    let added = dbps::manifest::edit::add_service(
        text,
        &dbps::manifest::edit::NewService {
            name,
            path: std::path::Path::new("services/fuzzed"),
            engine: "postgres",
        },
    );
    if let Ok(edited) = added {
        let _ = dbps::manifest::Manifest::parse(&edited, "dbps.yaml");
    }
}

/// One doctor reader, chosen by file name as the walk chooses it; the text is
/// decoded as the walk decodes it.
fn reader(name: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let kind = dbps::doctor::readers::classify(name, "svc")
        .unwrap_or_else(|| panic!("`{name}` is read by no reader"));
    let _ = dbps::doctor::readers::read(kind, name, "svc", &text);
}

/// Spring: the first byte picks YAML or properties.
fn spring(data: &[u8]) {
    match data.split_first() {
        Some((b, rest)) if b % 2 == 0 => reader("application-prod.yml", rest),
        Some((_, rest)) => reader("application.properties", rest),
        None => {}
    }
}

/// Source code: the first byte picks the language.
fn source(data: &[u8]) {
    const FILES: &[&str] = &[
        "main.go",
        "app.py",
        "Main.java",
        "index.ts",
        "lib.rs",
        "Program.cs",
        "schema.sql",
        "Main.kt",
    ];
    if let Some((b, rest)) = data.split_first() {
        reader(FILES[usize::from(*b) % FILES.len()], rest);
    }
}
