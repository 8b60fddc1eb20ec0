#!/usr/bin/env bash
# The main job on an example, on a fresh machine: build dbps, build local database
# images (no registry needed), then provision the `examples/minimal` project plus a
# generated Redis service, show status, audit it, and tear everything down.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
./scripts/build-test-images.sh postgres redis
dbps="$PWD/target/release/dbps"
work="$(mktemp -d)"
trap 'cd / && "$dbps" -f "$work/dbps.yaml" down --volumes --yes >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cp -r examples/minimal/. "$work/"
cd "$work"
# A project name of its own, so the demo never touches another `minimal` project.
sed -i "s/^project: minimal$/project: demo-$$/" dbps.yaml
export DBPS_IMAGE_POSTGRES=dbps-test/postgres:15 DBPS_IMAGE_REDIS=dbps-test/redis:7
set -x
"$dbps" new service cache --db redis
"$dbps" plan
"$dbps" up
"$dbps" up
"$dbps" status
cat services/cache/.env | sed -E 's/:[^:@]+@/:********@/'
"$dbps" doctor || true
