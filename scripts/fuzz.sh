#!/usr/bin/env bash
# Fuzz the manifest parser/validator and the doctor's readers (compose,
# Kubernetes, Spring, appsettings, .env, source) with cargo-fuzz and libFuzzer.
#
# Usage: scripts/fuzz.sh [--long] [--secs N] [TARGET...]
#   default     the short mode scripts/test.sh runs: every target for
#               DBPS_FUZZ_SHORT_SECS seconds (default 8; 7 targets, about a minute)
#   --long      every target for DBPS_FUZZ_LONG_SECS seconds (default 900)
#   --secs N    every target for N seconds
#   TARGET...   only these (see fuzz/targets.rs)
#
# Works on the stable toolchain: cargo-fuzz needs `-Z` flags, which
# RUSTC_BOOTSTRAP=1 allows; no nightly is fetched. cargo-fuzz itself is installed
# (pinned, --locked) into target/fuzz-tools on first use. No sanitizer: the crate
# forbids unsafe code, so libFuzzer looks for panics, stack overflows, timeouts and
# memory blow-ups (-rss_limit_mb).
#
# Each target starts from the fixtures under tests/fixtures (the same rule as
# tests/cli/fuzz.rs) plus its corpus from earlier runs (fuzz/corpus, not
# committed). A crash is copied to fuzz/regressions/TARGET/, which
# tests/cli/fuzz.rs replays: commit it with the fix. Prints executions per target;
# exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

CARGO_FUZZ_VERSION=0.13.2
SECS="${DBPS_FUZZ_SHORT_SECS:-8}"
TARGETS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --long) SECS="${DBPS_FUZZ_LONG_SECS:-900}" ;;
        --secs) SECS="$2"; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        -*) echo "error: unknown option $1" >&2; exit 2 ;;
        *) TARGETS+=("$1") ;;
    esac
    shift
done
ALL=(manifest compose kubernetes spring appsettings envfile source)
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL[@]}")

TOOLS="$ROOT/target/fuzz-tools"
if ! "$TOOLS/bin/cargo-fuzz" --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS" >&2
    cargo install --quiet --locked --root "$TOOLS" cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi
export PATH="$TOOLS/bin:$PATH"
export RUSTC_BOOTSTRAP=1

echo "building fuzz targets" >&2
cargo fuzz build --fuzz-dir fuzz --sanitizer none >&2
BIN_DIR="$ROOT/fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"

# The fixture files a target starts from, chosen by name as in tests/cli/fuzz.rs.
seed_for() {
    local path="$1" name ext
    name="$(basename "$path")"
    ext="${name##*.}"
    case "$name" in
        docker-compose*|compose.*) echo compose; return ;;
        application*) echo spring; return ;;
        appsettings*) echo appsettings; return ;;
        .env|*.env) echo envfile; return ;;
        dbps.yaml) echo manifest; return ;;
    esac
    case "$ext" in
        yaml|yml) if [[ "$path" == */invalid/* ]]; then echo manifest; else echo kubernetes; fi ;;
        go|py|java|ts|js|rs|cs|sql|kt) echo source ;;
    esac
}

for t in "${TARGETS[@]}"; do mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"; done
while IFS= read -r -d '' f; do
    t="$(seed_for "$f")"
    [[ -n "$t" && -d "fuzz/corpus/$t" ]] || continue
    if [[ "$t" == spring || "$t" == source ]]; then
        # These targets read a selector byte first; seed every choice of it.
        for b in 0 1 2 3 4 5 6 7; do
            { printf "\\$(printf '%03o' "$b")"; cat "$f"; } > "fuzz/corpus/$t/seed-$b-$(sha1sum < "$f" | cut -c1-16)"
        done
    else
        cp "$f" "fuzz/corpus/$t/seed-$(sha1sum < "$f" | cut -c1-16)"
    fi
done < <(find tests/fixtures -type f -print0)

crashed=0
summary=()
for t in "${TARGETS[@]}"; do
    dict=()
    [[ -f "fuzz/dict/$t.dict" ]] && dict=(-dict="fuzz/dict/$t.dict")
    log="fuzz/artifacts/$t/last-run.log"
    echo "fuzzing $t for ${SECS}s" >&2
    set +e
    "$BIN_DIR/$t" "${dict[@]}" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" \
        "fuzz/corpus/$t" > "$log" 2>&1
    status=$?
    set -e
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    crashes=0
    for a in fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/oom-* fuzz/artifacts/"$t"/timeout-*; do
        [[ -e "$a" ]] || continue
        mkdir -p "fuzz/regressions/$t"
        cp "$a" "fuzz/regressions/$t/"
        rm "$a"
        crashes=$((crashes + 1))
    done
    if [[ $status -ne 0 && $crashes -eq 0 ]]; then
        echo "error: fuzzing $t failed (exit $status); see $log" >&2
        tail -20 "$log" >&2
        crashed=1
    fi
    [[ $crashes -eq 0 ]] || { crashed=1; tail -40 "$log" >&2; }
    summary+=("$(printf '%-12s %12s executions in %ss, %d crash(es)' "$t" "${runs:-?}" "$SECS" "$crashes")")
done

echo "fuzz summary ($(date -u +%Y-%m-%d), $(nproc) cores):"
printf '  %s\n' "${summary[@]}"
if [[ $crashed -ne 0 ]]; then
    echo "error: crashes were copied to fuzz/regressions/; tests/cli/fuzz.rs replays them" >&2
    exit 1
fi
