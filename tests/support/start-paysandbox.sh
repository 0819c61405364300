# Sourced by the scripts that drive a paysandbox of their own (the OpenAPI
# validator, the generated clients, schemathesis): builds the debug binary,
# starts it on a free port and waits for its ready line.
#
#   source tests/support/start-paysandbox.sh
#   start_paysandbox "$work" --seed 7     # sets $base and $server_pid; stopped on exit
#
# Run from the project's root; "$1" is a directory for the ready line and
# the server's log.

server_pid=""
stop_paysandbox() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi; }
trap stop_paysandbox EXIT

start_paysandbox() {
  local work="$1"
  shift
  cargo build --quiet --bin paysandbox
  local ready="$work/ready.txt"
  rm -f "$ready"
  target/debug/paysandbox serve --listen 127.0.0.1:0 "$@" >"$ready" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$ready" ] && break
    sleep 0.1
  done
  base="$(sed -n 's/^paysandbox listening on //p' "$ready")"
  [ -n "$base" ] || { echo "paysandbox did not start; see $work/server.log" >&2; exit 2; }
}
