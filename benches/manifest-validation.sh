#!/usr/bin/env bash
# Benchmark manifest loading and validation: generated manifests of N services
# (paths nested two levels deep, a host port each), timed as
# `dbps -f M env s1` (loads and validates the whole manifest, then stops: s1 has no
# .env). Issue 11 measured 25-48 s for 10,000 services before validation became
# linear.
#
# Usage: benches/manifest-validation.sh [RUNS]   (default 5; needs a release build)
set -euo pipefail
RUNS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DBPS="${DBPS:-$ROOT/target/release/dbps}"
[[ -x "$DBPS" ]] || { echo "error: build first: cargo build --release" >&2; exit 2; }
DIR="$(mktemp -d -t dbps-bench-manifest-XXXXXX)"
trap 'rm -rf "$DIR"' EXIT

python3 - "$DIR" "$DBPS" "$RUNS" <<'PY'
import os, statistics, subprocess, sys, time
root, dbps, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
print(f"| services | manifest size | median of {runs} |")
print("|---|---|---|")
for n in (1_000, 10_000, 40_000):
    path = os.path.join(root, f"m{n}.yaml")
    with open(path, "w") as f:
        f.write("project: bench\nservices:\n")
        for i in range(n):
            f.write(f"  s{i}:\n    path: apps/team-{i % 50}/s{i}\n"
                    f"    database: {{engine: postgres, port: {10000 + i}}}\n")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([dbps, "-f", path, "env", "s1"], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if "has no `.env` yet" not in out.stderr:
            sys.exit(f"unexpected result for {n} services: {out.stderr[:500]}")
    size = os.path.getsize(path) / 1024
    print(f"| {n:,} | {size:,.0f} KiB | {statistics.median(times) * 1000:,.0f} ms |")
PY
