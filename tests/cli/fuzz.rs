//! Every input a fuzz target ever crashed on, replayed: `fuzz/regressions/<target>/`
//! holds them (scripts/fuzz.sh copies each new crash there), and `fuzz/targets.rs`
//! is the very code the fuzz binaries run. The seeds the fuzzer starts from (the
//! fixtures) are replayed too, so this test always exercises every target.

#[path = "../../fuzz/targets.rs"]
mod targets;

use std::path::Path;

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

/// Each kept crash input runs without a panic now.
#[test]
fn kept_fuzz_crashes_no_longer_crash() {
    let root = crate::util::repo().join("fuzz/regressions");
    let mut replayed = 0;
    for target in targets::TARGETS {
        for file in files(&root.join(target)) {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| targets::run(target, &data));
            assert!(
                outcome.is_ok(),
                "{target}: {} crashes again",
                file.display()
            );
            replayed += 1;
        }
    }
    // Every directory under regressions/ is a target; a typo would skip its files.
    for dir in files(&root) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            targets::TARGETS.contains(&name.as_str()),
            "unknown target dir {name}"
        );
    }
    eprintln!("replayed {replayed} kept fuzz crash inputs");
}

/// Every target accepts the seed inputs it starts from, and the empty input.
#[test]
fn fuzz_targets_run_on_their_seeds() {
    let fixtures = crate::util::repo().join("tests/fixtures");
    let mut seeds = 0;
    for target in targets::TARGETS {
        targets::run(target, b"");
        for file in seed_files(&fixtures, target) {
            targets::run(target, &std::fs::read(&file).unwrap());
            seeds += 1;
        }
    }
    assert!(seeds > 50, "only {seeds} seeds found");
}

/// The fixture files a target's fuzzing starts from (scripts/fuzz.sh uses the same
/// rule: by file name).
fn seed_files(fixtures: &Path, target: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![fixtures.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for path in files(&dir) {
            if path.is_dir() {
                stack.push(path);
            } else if seed_for(&path) == Some(target) {
                out.push(path);
            }
        }
    }
    out
}

fn seed_for(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    Some(match (name, ext) {
        (n, _) if n.starts_with("docker-compose") || n.starts_with("compose.") => "compose",
        (n, _) if n.starts_with("application") => "spring",
        (n, _) if n.starts_with("appsettings") => "appsettings",
        (n, _) if n == ".env" || n.ends_with(".env") => "envfile",
        (_, "yaml" | "yml") if path.components().any(|c| c.as_os_str() == "invalid") => "manifest",
        ("dbps.yaml", _) => "manifest",
        (_, "yaml" | "yml") => "kubernetes",
        (_, "go" | "py" | "java" | "ts" | "js" | "rs" | "cs" | "sql" | "kt") => "source",
        _ => return None,
    })
}
