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

server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

base="${BASE_URL:-}"
if [ -z "$base" ]; then
  cargo build --quiet --bin paysandbox
  ready="$work/ready.txt"
  rm -f "$ready"
  target/debug/paysandbox serve --listen 127.0.0.1:0 >"$ready" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$ready" ] && break
    sleep 0.1
  done
  base="$(sed -n 's/^paysandbox listening on //p' "$ready")"
  [ -n "$base" ] || { echo "paysandbox did not start; see $work/server.log" >&2; exit 2; }
fi

curl -sf "$base/__sandbox/openapi.json" -o "$work/openapi.json"
echo "--- openapi-spec-validator on $base/__sandbox/openapi.json"
"$work/venv/bin/openapi-spec-validator" "$work/openapi.json"
