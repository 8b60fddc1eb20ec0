#!/usr/bin/env bash
# Benchmark `dbps doctor --path` against ripgrep on real-shaped trees, and check that
# no file costs more than linear time. A benchmark, not a test: run it on a quiet
# machine and put its table in the README.
#
# Trees (scripts/bench-doctor-trees.py): the doctor's fixture repositories; a 40-service
# monorepo of ~50,000 files; a web shop committing vendored libraries, minified bundles
# and a generated client; a product full of non-ASCII text (sources, YAML locales,
# message bundles). Each: `dbps doctor --path TREE --format json --no-docker` against
# `rg -l` searching the same tree for connection-string patterns. Target: doctor at
# most 1.5 times rg on every tree.
#
# Checks on one JavaScript file (medians, minus a run on an empty tree):
#   multi-byte: 1 MB with multi-byte characters at random places costs at most 1.5
#               times the same 1 MB in ASCII (a Unicode `\b` made it 16 times);
#   linearity:  4 MB with multi-byte characters costs at most 5 times 1 MB (4 ± 25 %).
#
# Usage: scripts/bench-doctor.sh [RUNS]   (default 10; needs a release build; installs
#        ripgrep and hyperfine with apt-get when missing). Exits 1 when a target or a
#        check is missed.
set -euo pipefail

RUNS="${1:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DBPS="${DBPS:-$ROOT/target/release/dbps}"
[[ -x "$DBPS" ]] || { echo "error: build first: cargo build --release" >&2; exit 2; }
for tool in rg:ripgrep hyperfine:hyperfine; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    echo "installing ${tool#*:} with apt-get" >&2
    { apt-get install -y -q "${tool#*:}" || { apt-get update -q && apt-get install -y -q "${tool#*:}"; }; } >/dev/null 2>&1 \
      || { echo "error: ${tool%%:*} not found and could not be installed (apt-get install ${tool#*:})" >&2; exit 2; }
  fi
done

DIR="$(mktemp -d -t dbps-bench-XXXXXX)"
trap 'rm -rf "$DIR"' EXIT
python3 "$ROOT/scripts/bench-doctor-trees.py" "$DIR" "$ROOT/tests/fixtures/doctor"

PATTERN='(postgres(ql)?|mysql|mariadb|mongodb(\+srv)?|rediss?|sqlserver)://|jdbc:[a-z]+:'
doctor_cmd() { echo "$DBPS doctor --path $1 --format json --no-docker"; }

# Median wall time in ms of each command given, by hyperfine.
medians() {
  hyperfine -N --warmup 2 --runs "$RUNS" --ignore-failure --export-json "$DIR/.h.json" "$@" >/dev/null 2>&1
  python3 -c 'import json, sys; print(" ".join("%.1f" % (r["median"] * 1000) for r in json.load(open(sys.argv[1]))["results"]))' "$DIR/.h.json"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
within() { awk -v r="$1" -v max="$2" 'BEGIN { exit !(r <= max) }'; }

failed=0
echo "| tree | files | doctor reads | left out (vendored/generated/minified) | doctor | rg -l | doctor / rg |"
echo "|---|---|---|---|---|---|---|"
for tree in fixtures monorepo vendored-web i18n; do
  t="$DIR/$tree"
  files=$(find "$t" -type f | wc -l)
  summary=$($(doctor_cmd "$t") | python3 -c 'import json, sys; s = json.load(sys.stdin)["summary"]; k = s["skipped"]; print(s["files_read"], "%d/%d/%d" % (k["vendored"], k["generated"], k["minified"]))') || true
  read -r d g <<<"$(medians "$(doctor_cmd "$t")" "rg -l -e '$PATTERN' $t")"
  r=$(ratio "$d" "$g")
  mark=""
  within "$r" 1.5 || { mark=" (over 1.5)"; failed=1; }
  echo "| $tree | $files | ${summary% *} | ${summary#* } | $d ms | $g ms | **$r**$mark |"
done

s="$DIR/single"
read -r empty ascii mb1 mb4 <<<"$(medians "$(doctor_cmd "$s/empty")" "$(doctor_cmd "$s/ascii-1mb")" \
  "$(doctor_cmd "$s/multibyte-1mb")" "$(doctor_cmd "$s/multibyte-4mb")")"
net() { awk -v a="$1" -v b="$empty" 'BEGIN { d = a - b; printf "%.1f", (d < 0.1 ? 0.1 : d) }'; }
multibyte=$(ratio "$(net "$mb1")" "$(net "$ascii")")
linear=$(ratio "$(net "$mb4")" "$(net "$mb1")")
echo
echo "| one JavaScript file (net of an empty tree: $empty ms) | doctor | check |"
echo "|---|---|---|"
within "$multibyte" 1.5 && m="ok" || { m="FAILED"; failed=1; }
within "$linear" 5 && l="ok" || { l="FAILED"; failed=1; }
echo "| 1 MB ASCII | $(net "$ascii") ms | |"
echo "| 1 MB, multi-byte characters at random places | $(net "$mb1") ms | ×$multibyte of ASCII (≤ 1.5): $m |"
echo "| 4 MB, multi-byte characters at random places | $(net "$mb4") ms | ×$linear of 1 MB (≤ 5): $l |"
echo
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d); medians of $RUNS runs"
exit "$failed"
