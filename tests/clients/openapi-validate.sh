#!/usr/bin/env bash
# Validates the served OpenAPI document with an independent validator,
# openapi-spec-validator (from PyPI, into tests/clients/.work/venv), as
# client generators will read it. Fails on any error, a duplicate
# operationId among them.
#
#   tests/clients/openapi-validate.sh                        starts a paysandbox of its own
#   BASE_URL=http://host:port tests/clients/openapi-validate.sh   against a running one
set -euo pipefail
cd "$(dirname "$0")/../.."

work=tests/clients/.work
mkdir -p "$work"
if [ ! -x "$work/venv/bin/openapi-spec-validator" ]; then
  echo "--- installing openapi-spec-validator into $work/venv"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check openapi-spec-validator
fi

source tests/support/start-paysandbox.sh

base="${BASE_URL:-}"
if [ -z "$base" ]; then
  start_paysandbox "$work"
fi

curl -sf "$base/__sandbox/openapi.json" -o "$work/openapi.json"
echo "--- openapi-spec-validator on $base/__sandbox/openapi.json"
"$work/venv/bin/openapi-spec-validator" "$work/openapi.json"
