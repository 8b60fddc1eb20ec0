#!/usr/bin/env bash
# Measures a Docker Engine limitation that bounds dbps's network isolation: while
# networks are being created and removed, the daemon rewrites its FORWARD rules, and
# for brief moments a container on one bridge network can reach a container on
# another. Not a test (it measures the engine, not dbps); see README, "Isolation".
#
#   benches/isolation-under-churn.sh [SECONDS]      (default 40)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-40}"
image=dbps-test/redis:7
./scripts/build-test-images.sh redis >/dev/null
cleanup() {
  docker rm -f -v dbps-iso-a dbps-iso-b >/dev/null 2>&1 || true
  docker network rm dbps-iso-a dbps-iso-b >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
docker network create dbps-iso-a >/dev/null
docker network create dbps-iso-b >/dev/null
docker run -d --name dbps-iso-b --network dbps-iso-b "$image" >/dev/null
docker run -d --name dbps-iso-a --network dbps-iso-a --entrypoint bash "$image" -c 'sleep 100000' >/dev/null
sleep 1
target="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' dbps-iso-b)"
probe() {  # seconds → "attempts successes"
  docker exec dbps-iso-a bash -c "n=0; h=0; end=\$((SECONDS+$1)); while [ \$SECONDS -lt \$end ]; do n=\$((n+1)); if timeout 0.2 bash -c 'echo > /dev/tcp/$target/6379' 2>/dev/null; then h=\$((h+1)); fi; done; echo \$n \$h"
}
read -r quiet_n quiet_h < <(probe 10)
probe "$secs" > /tmp/dbps-iso-result &
pid=$!
end=$((SECONDS + secs - 2)); i=0
while [ $SECONDS -lt $end ]; do
  i=$((i+1)); docker network create "dbps-iso-churn-$i" >/dev/null; docker network rm "dbps-iso-churn-$i" >/dev/null
done
wait "$pid"
read -r churn_n churn_h < /tmp/dbps-iso-result
echo "engine $(docker version --format '{{.Server.Version}}')"
echo "quiet:  $quiet_h of $quiet_n connection attempts across networks succeeded"
echo "churn:  $churn_h of $churn_n succeeded while $i networks were created and removed"
