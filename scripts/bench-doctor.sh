#!/usr/bin/env bash
# Benchmark `dbps doctor --path` against ripgrep on a synthetic monorepo.
#
# Generates ~50,000 files (40 services in six languages, compose file, .env files,
# migrations, docs, binary assets, a gitignored node_modules) in a temporary
# directory, then times `dbps doctor --path DIR --format json` and
# `rg -l <connection-string patterns> DIR` and prints the medians.
#
# Usage: scripts/bench-doctor.sh [RUNS]   (default 10; needs a release build and rg;
#        uses hyperfine when installed)
set -euo pipefail

RUNS="${1:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DBPS="${DBPS:-$ROOT/target/release/dbps}"
[[ -x "$DBPS" ]] || { echo "error: build first: cargo build --release" >&2; exit 2; }
if ! command -v rg >/dev/null; then
    echo "installing ripgrep with apt-get" >&2
    { apt-get install -y -q ripgrep || { apt-get update -q && apt-get install -y -q ripgrep; }; } >/dev/null 2>&1 \
        || { echo "error: rg not found and could not be installed (apt-get install ripgrep)" >&2; exit 2; }
fi

DIR="$(mktemp -d -t dbps-bench-XXXXXX)"
trap 'rm -rf "$DIR"' EXIT

python3 - "$DIR" <<'PY'
import os, sys, random
root = sys.argv[1]
random.seed(42)
langs = [("go", "main_{i}.go"), ("py", "mod_{i}.py"), ("ts", "mod_{i}.ts"),
         ("java", "Mod{i}.java"), ("rs", "mod_{i}.rs"), ("cs", "Mod{i}.cs")]
body = {
 "go": 'package svc\n\nimport "os"\n\n// Handler {i} does things.\nfunc Handler{i}(x int) int {{\n\tif x > {i} {{\n\t\treturn x - 1\n\t}}\n\treturn x + {i}\n}}\n',
 "py": 'import os\n\n\ndef handler_{i}(x):\n    """Handle {i}."""\n    if x > {i}:\n        return x - 1\n    return x + {i}\n',
 "ts": 'export function handler{i}(x: number): number {{\n  // handle {i}\n  if (x > {i}) {{\n    return x - 1;\n  }}\n  return x + {i};\n}}\n',
 "java": 'package svc;\n\npublic class Mod{i} {{\n    /** Handle {i}. */\n    public int handle(int x) {{\n        return x > {i} ? x - 1 : x + {i};\n    }}\n}}\n',
 "rs": 'pub fn handler_{i}(x: i64) -> i64 {{\n    // handle {i}\n    if x > {i} {{ x - 1 }} else {{ x + {i} }}\n}}\n',
 "cs": 'namespace Svc;\n\npublic static class Mod{i}\n{{\n    public static int Handle(int x) => x > {i} ? x - 1 : x + {i};\n}}\n',
}
extra = {
 "go": '\nvar q{i} = `SELECT id, total FROM {t} WHERE id = $1`\nvar dsn{i} = os.Getenv("DATABASE_URL")\n',
 "py": '\nQ_{i} = "SELECT id FROM {t} WHERE id = %s"\nURL_{i} = os.environ.get("DATABASE_URL")\n',
 "ts": '\nconst q{i} = "SELECT id FROM {t} WHERE id = $1";\nconst url{i} = process.env.DATABASE_URL;\n',
 "java": '\nclass Q{i} {{ static final String Q = "SELECT id FROM {t} WHERE id = ?"; }}\n',
 "rs": '\npub const Q_{i}: &str = "SELECT id FROM {t} WHERE id = $1";\n',
 "cs": '\npublic static class Q{i} {{ public const string Q = "SELECT id FROM {t} WHERE id = @id"; }}\n',
}
compose = ["services:"]
for s in range(40):
    name = f"svc{s:02d}"
    ext, pat = langs[s % len(langs)]
    d = os.path.join(root, "services", name)
    os.makedirs(os.path.join(d, "src"), exist_ok=True)
    os.makedirs(os.path.join(d, "migrations"), exist_ok=True)
    os.makedirs(os.path.join(d, "docs"), exist_ok=True)
    os.makedirs(os.path.join(d, "assets"), exist_ok=True)
    open(os.path.join(d, "Dockerfile"), "w").write("FROM scratch\n")
    open(os.path.join(d, ".env"), "w").write(f"DATABASE_URL=postgres://{name}:pw{s}@{name}-db:5432/{name}\n")
    for m in range(5):
        open(os.path.join(d, "migrations", f"{m:04d}_init.sql"), "w").write(
            f"-- migration {m}\nCREATE TABLE {name}_t{m} (\n  id bigserial PRIMARY KEY,\n  payload jsonb NOT NULL\n);\n")
    for i in range(1000):
        text = body[ext].format(i=i) * 3
        if i % 20 == 0:
            text += extra[ext].format(i=i, t=f"{name}_t{i % 5}")
        if i % 250 == 0:
            mark = "#" if ext == "py" else "//"
            text += f'\n{mark} fallback: "postgres://{name}:pw@localhost:5432/{name}"\n'
        open(os.path.join(d, "src", pat.format(i=i)), "w").write(text)
    for i in range(200):
        open(os.path.join(d, "docs", f"page{i}.md"), "w").write(f"# Page {i}\n\nSome prose about {name}.\n" * 20)
    for i in range(44):
        open(os.path.join(d, "assets", f"img{i}.png"), "wb").write(b"\x89PNG\r\n\x1a\n\0\0" + os.urandom(2048))
    compose += [f"  {name}:", f"    build: ./services/{name}", f"    env_file: ./services/{name}/.env",
                f"  {name}-db:", "    image: postgres:16"]
open(os.path.join(root, "docker-compose.yml"), "w").write("\n".join(compose) + "\n")
open(os.path.join(root, ".gitignore"), "w").write("node_modules/\n")
nm = os.path.join(root, "node_modules", "pg", "lib")
os.makedirs(nm, exist_ok=True)
for i in range(500):
    open(os.path.join(nm, f"f{i}.js"), "w").write('module.exports = "postgres://x@y/z";\n' * 50)
PY

FILES=$(find "$DIR" -type f -not -path '*/node_modules/*' | wc -l)
echo "synthetic monorepo: $FILES files (plus 500 gitignored) in 40 services at $DIR"
PATTERN='(postgres(ql)?|mysql|mariadb|mongodb(\+srv)?|rediss?|sqlserver)://|jdbc:[a-z]+:'
DOCTOR_CMD="$DBPS doctor --path $DIR --format json --no-docker"
RG_CMD="rg -l -e '$PATTERN' $DIR"

# Sanity: doctor finds the 40 services and no sharing.
$DOCTOR_CMD > "$DIR/.report.json" || true
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('doctor: %d services, %d findings, %d files read' % (d['summary']['services'], len(d['findings']), d['summary']['files_read']))" "$DIR/.report.json"
rm -f "$DIR/.report.json"

if command -v hyperfine >/dev/null; then
    hyperfine --warmup 2 --runs "$RUNS" --ignore-failure --export-json "$DIR/.h.json" \
        -n doctor "$DOCTOR_CMD" -n rg "$RG_CMD" >/dev/null
    python3 - "$DIR/.h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
d, g = r["doctor"]["median"], r["rg"]["median"]
print(f"median doctor: {d*1000:.0f} ms   median rg: {g*1000:.0f} ms   ratio: {d/g:.2f}x")
PY
else
    median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
    time_ms() { local s e; s=$(date +%s%N); eval "$1" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
    for _ in 1 2; do time_ms "$DOCTOR_CMD" >/dev/null; time_ms "$RG_CMD" >/dev/null; done
    D=$(for _ in $(seq "$RUNS"); do time_ms "$DOCTOR_CMD"; done | median)
    G=$(for _ in $(seq "$RUNS"); do time_ms "$RG_CMD"; done | median)
    echo "median doctor: ${D} ms   median rg: ${G} ms   ratio: $(awk -v d="$D" -v g="$G" 'BEGIN {printf "%.2f", d/g}')x"
fi
