#!/usr/bin/env bash
# Benchmark (not a test): `dbps up` to all-ready against `docker-compose up -d` plus
# waiting until every container is healthy, on equivalent projects of N postgres
# services (same image, an equivalent readiness check: a real query with the
# service's own credentials over TCP), and the no-op re-run of each.
#
#   benches/up-vs-compose.sh [RUNS] [N...]      (default: 5 runs; N = 1 4 8)
#
# Prints one line per N with medians in seconds and the dbps/compose ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"; shift || true
sizes=("${@:-1 4 8}"); [ "$#" -eq 0 ] && sizes=(1 4 8)
image="${DBPS_BENCH_IMAGE:-dbps-test/postgres:15}"
if ! command -v docker-compose >/dev/null; then
  echo "installing docker-compose with apt-get" >&2
  { apt-get install -y -q docker-compose || { apt-get update -q && apt-get install -y -q docker-compose; }; } >/dev/null 2>&1 \
    || { echo "docker-compose is required and could not be installed (apt-get install docker-compose)" >&2; exit 2; }
fi
cargo build --release --locked -q
./scripts/build-test-images.sh postgres >/dev/null
dbps="$PWD/target/release/dbps"
work="$(mktemp -d)"
cleanup() {
  (cd "$work/dbps" 2>/dev/null && "$dbps" down --volumes --yes >/dev/null 2>&1) || true
  (cd "$work/compose" 2>/dev/null && docker-compose down -v >/dev/null 2>&1) || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

write_projects() {
  local n="$1"
  rm -rf "$work/dbps" "$work/compose"; mkdir -p "$work/dbps" "$work/compose"
  { echo "project: bench$n"; echo "services:"
    for i in $(seq 1 "$n"); do printf '  svc%s:\n    database: {engine: postgres}\n' "$i"; done
  } > "$work/dbps/dbps.yaml"
  { echo "version: '2.4'"; echo "services:"
    for i in $(seq 1 "$n"); do cat <<YAML
  svc$i:
    image: $image
    environment: {POSTGRES_USER: svc$i, POSTGRES_PASSWORD: benchpassword$i, POSTGRES_DB: svc$i}
    ports: ["127.0.0.1::5432"]
    volumes: ["svc$i-data:/var/lib/postgresql/data"]
    networks: [net$i]
    healthcheck:
      test: ["CMD-SHELL", "PGPASSWORD=benchpassword$i psql -X -h 127.0.0.1 -U svc$i -d svc$i -tAc 'select 1'"]
      interval: 1s
      timeout: 3s
      retries: 120
YAML
    done
    echo "volumes:"; for i in $(seq 1 "$n"); do echo "  svc$i-data:"; done
    echo "networks:"; for i in $(seq 1 "$n"); do echo "  net$i:"; done
  } > "$work/compose/docker-compose.yml"
}

compose_wait_healthy() {
  local ids; ids="$(docker-compose ps -q)"
  while true; do
    local all=1
    for id in $ids; do
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ] || { all=0; break; }
    done
    [ "$all" = 1 ] && return
    sleep 0.1
  done
}

printf '%-3s %12s %12s %7s %14s %14s\n' N dbps_cold compose_cold ratio dbps_noop compose_noop
for n in "${sizes[@]}"; do
  write_projects "$n"
  dc=(); cc=(); dn=(); cn=()
  for _ in $(seq 1 "$runs"); do
    (cd "$work/dbps" && "$dbps" down --volumes --yes >/dev/null 2>&1 || true)
    t0=$(now); (cd "$work/dbps" && DBPS_IMAGE_POSTGRES="$image" "$dbps" up >/dev/null 2>&1); t1=$(now)
    dc+=("$(awk -v a="$t1" -v b="$t0" "BEGIN{print a-b}")")
    t0=$(now); (cd "$work/dbps" && DBPS_IMAGE_POSTGRES="$image" "$dbps" up >/dev/null 2>&1); t1=$(now)
    dn+=("$(awk -v a="$t1" -v b="$t0" "BEGIN{print a-b}")")
    (cd "$work/dbps" && "$dbps" down --volumes --yes >/dev/null 2>&1)

    (cd "$work/compose" && docker-compose down -v >/dev/null 2>&1 || true)
    t0=$(now); (cd "$work/compose" && docker-compose up -d >/dev/null 2>&1 && compose_wait_healthy); t1=$(now)
    cc+=("$(awk -v a="$t1" -v b="$t0" "BEGIN{print a-b}")")
    t0=$(now); (cd "$work/compose" && docker-compose up -d >/dev/null 2>&1 && compose_wait_healthy); t1=$(now)
    cn+=("$(awk -v a="$t1" -v b="$t0" "BEGIN{print a-b}")")
    (cd "$work/compose" && docker-compose down -v >/dev/null 2>&1)
  done
  mdc=$(printf '%s\n' "${dc[@]}" | median); mcc=$(printf '%s\n' "${cc[@]}" | median)
  mdn=$(printf '%s\n' "${dn[@]}" | median); mcn=$(printf '%s\n' "${cn[@]}" | median)
  printf '%-3s %11.2fs %11.2fs %7.2f %13.3fs %13.3fs\n' "$n" "$mdc" "$mcc" "$(awk -v a="$mdc" -v b="$mcc" "BEGIN{print a/b}")" "$mdn" "$mcn"
done
