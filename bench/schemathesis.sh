#!/usr/bin/env bash
# Schema fuzzing: schemathesis (from PyPI, into bench/.work/venv) generates
# requests from /__sandbox/openapi.json and checks every answer: no 5xx,
# status codes, content types and bodies as the document says.
#
#   bench/schemathesis.sh                 bounded run: 60 s of fuzzing (docs/reliability.md)
#   bench/schemathesis.sh --max-time 900  a longer run
#   ST_BASE_URL=http://host:port bench/schemathesis.sh   against a running paysandbox
#
# Extra arguments go to `st run`. Exit status: schemathesis's (0 = no failure).
#
# The built-in credentials go along (Softline's static token in
# `AuthorizationJWT`, IntellectMoney's Bearer token in `Authorization`), so
# the authenticated endpoints are exercised past their 401.
#
# Left out of the run: POST /__sandbox/faults, whose whole purpose is to make
# the sandbox answer 5xx or drop connections on request, and POST
# /imshop/runs, which starts runs calling whatever webhook URL was generated
# (a run slot held by a slow host is a documented 503).
set -euo pipefail
cd "$(dirname "$0")/.."

work=bench/.work
mkdir -p "$work"
if [ ! -x "$work/venv/bin/st" ]; then
  echo "--- installing schemathesis into $work/venv"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check schemathesis
fi

source tests/support/start-paysandbox.sh

base="${ST_BASE_URL:-}"
if [ -z "$base" ]; then
  start_paysandbox "$work" --seed 7
fi
echo "--- schemathesis against $base"

args=("$@")
if ! printf '%s\n' "${args[@]:-}" | grep -q -- '--max-time'; then
  args+=(--max-time 60)
fi

# From inside bench/.work, so schemathesis's own cache lands there too. One
# worker: with threads, Python 3.11's `ast` module (which hypothesis uses to
# describe strategies) now and then fails with "AST constructor recursion
# depth mismatch", an error of the tool rather than of paysandbox.
cd "$work"
venv/bin/st run "$base/__sandbox/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --exclude-name 'POST /__sandbox/faults' \
  --exclude-name 'POST /imshop/runs' \
  --header 'AuthorizationJWT: Bearer sandbox-token' \
  --header 'Authorization: Bearer 9d97820c61424eb6ac0db414ccb7ac60' \
  --workers 1 \
  --seed 42 \
  --suppress-health-check all \
  --report junit --report-dir schemathesis \
  "${args[@]}"
