#!/usr/bin/env bash
# Build the YAML conformance corpus (see scripts/yaml-corpus.py) and print its path.
#
# Installs PyYAML into a virtual environment under target/ and fetches PyYAML's source
# distribution (its test data) from PyPI; both are cached in target/yaml-corpus.
# Usage: DBPS_YAML_CORPUS="$(scripts/yaml-corpus.sh)" cargo test --lib doctor::yaml
set -euo pipefail
cd "$(dirname "$0")/.."
PYYAML=6.0.3
DIR="$PWD/target/yaml-corpus"
VENV="$DIR/venv"
mkdir -p "$DIR"
if ! "$VENV/bin/python" -c 'import yaml' >/dev/null 2>&1; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet "pyyaml==$PYYAML" >&2
fi
SDIST="$DIR/pyyaml-$PYYAML.tar.gz"
if [[ ! -f "$SDIST" ]]; then
  "$VENV/bin/pip" download --quiet --no-deps --no-binary pyyaml "pyyaml==$PYYAML" -d "$DIR" >&2
fi
HOST="$(rustc -vV | sed -n 's/^host: //p')"
CRATE="$(cargo metadata --format-version 1 --locked --filter-platform "$HOST" | "$VENV/bin/python" -c '
import json, os, sys
pkgs = json.load(sys.stdin)["packages"]
print(next(os.path.dirname(p["manifest_path"]) for p in pkgs if p["name"] == "yaml-rust2"))')"
"$VENV/bin/python" scripts/yaml-corpus.py "$DIR/corpus.json" "$SDIST" "$CRATE" tests/fixtures/yaml/lenient >&2
echo "$DIR/corpus.json"
