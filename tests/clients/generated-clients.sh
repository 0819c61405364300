#!/usr/bin/env bash
# Generated clients against a fresh paysandbox: what a Python or TypeScript
# team gets from /__sandbox/openapi.json, used the way their tests would.
#
#   tests/clients/generated-clients.sh
#
# 1. The document through openapi-spec-validator (openapi-validate.sh).
# 2. Python: openapi-python-client generates a client (PyPI, into
#    tests/clients/.work/venv), pytest runs python/test_generated_client.py.
# 3. TypeScript: openapi-typescript generates the types, openapi-fetch
#    calls with them (npm, into tests/clients/.work/node), tsc checks
#    typescript/generated-client.test.ts and node runs it.
# The generated code lands in tests/clients/.work and is never committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=tests/clients/.work
mkdir -p "$work"

source tests/support/start-paysandbox.sh

start_paysandbox "$work"
export PAYSANDBOX_URL="$base"

BASE_URL="$base" bash tests/clients/openapi-validate.sh

echo "--- Python: openapi-python-client, then pytest"
if [ ! -x "$work/venv/bin/openapi-python-client" ] || [ ! -x "$work/venv/bin/pytest" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check openapi-python-client pytest
fi
rm -rf "$work/python-client"
"$work/venv/bin/openapi-python-client" generate --path "$work/openapi.json" \
  --output-path "$work/python-client" --overwrite >"$work/python-generate.log" 2>&1 \
  || { cat "$work/python-generate.log" >&2; exit 1; }
"$work/venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$work/python-client"
"$work/venv/bin/pytest" -q -p no:cacheprovider tests/clients/python

echo "--- TypeScript: openapi-typescript and openapi-fetch, then tsc and node"
node_dir="$work/node"
mkdir -p "$node_dir"
cp tests/clients/typescript/package.json tests/clients/typescript/package-lock.json "$node_dir/"
(cd "$node_dir" && npm ci --silent --no-audit --no-fund >/dev/null)
"$node_dir/node_modules/.bin/openapi-typescript" "$work/openapi.json" -o "$node_dir/schema.d.ts" >/dev/null
cp tests/clients/typescript/generated-client.test.ts tests/clients/typescript/tsconfig.json "$node_dir/"
(cd "$node_dir" && node_modules/.bin/tsc -p tsconfig.json && node dist/generated-client.test.js)
cd "$root"
