#!/usr/bin/env bash
# The whole test suite on a fresh machine: builds the local database images the
# Docker tests need (from Debian packages; no registry required), then runs every
# test. Docker tests skip loudly without a daemon; DBPS_REQUIRE_DOCKER=1 makes that
# a failure (CI sets it). The doctor's YAML conformance corpus (PyYAML and its test
# data from PyPI, yaml-rust2's spec examples) is built first and checked by the tests.
# Then fuzzes every target briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker info >/dev/null 2>&1; then
  ./scripts/build-test-images.sh
else
  echo "*** no Docker daemon reachable: the Docker tests will be skipped ***" >&2
fi
DBPS_YAML_CORPUS="$(./scripts/yaml-corpus.sh)"
export DBPS_YAML_CORPUS
cargo test --locked --all-targets -- --test-threads "${DBPS_TEST_THREADS:-4}"
# Every fuzz target for a few seconds (about a minute in all, plus the first build
# of the fuzz targets); `scripts/fuzz.sh --long` is the long run.
./scripts/fuzz.sh
