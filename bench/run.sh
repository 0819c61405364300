#!/usr/bin/env bash
# The benchmark: builds release, installs wrk when missing, and measures
# paysandbox side by side with a bare axum baseline in one run.
#   bench/run.sh           full run (several minutes), writes bench/results/<date>.md
#   bench/run.sh --smoke   a few seconds per step, to check the bench itself works (CI)
#   bench/run.sh --only create,workspaces   only those parts (create, endpoints, growth, startup, workspaces, durable)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "bench: wrk is missing; install it (Debian: apt-get install wrk)" >&2
    exit 2
  fi
fi

cargo build --release --quiet --bin paysandbox --example bench_baseline --example bench_durable_baseline
exec python3 bench/run.py "$@"
