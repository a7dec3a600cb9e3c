#!/usr/bin/env bash
# A real Vault 1.14.1 dev server for builtin/vault's real-server tests.
#
#   .ci/vault.sh build   go build internal/testinfra/vaultdev (a nested module:
#                        Vault's dependency graph stays out of our go.mod)
#                        into .ci/out/vaultdev with go1.27.3 (GOTOOLCHAIN
#                        below). Cold: ~10-12 min on an idle
#                        2-core machine (40 min measured while other builds
#                        shared it; 9.3 min of CPU) and ~2.4 GB of modules;
#                        warm: ~6 s.
#   .ci/vault.sh start   start it on 127.0.0.1:<free port>, wait until it is
#                        ready, write its info (address, root token, AppRole and
#                        userpass credentials; JSON) to .ci/out/vault.json and
#                        its PID to .ci/out/vault.pid. Prints the line to export.
#   .ci/vault.sh stop    kill it by PID.
#   .ci/vault.sh env     print SECRETPATH_VAULT_REAL=<info file> for eval.
#
# The tests read SECRETPATH_VAULT_REAL (the info file's path); without it they
# skip, or fail under SECRETPATH_REQUIRE_ALL=1.
set -euo pipefail
# The approved Go toolchain, as in .ci/run (fetched from the module proxy).
export GOTOOLCHAIN=$(cat "$(dirname "$0")/go-toolchain")
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${VAULTDEV_OUT:-$root/.ci/out}"
bin="$out/vaultdev"
info="$out/vault.json"
pidfile="$out/vault.pid"
logfile="$out/vault.log"

build() {
  mkdir -p "$out"
  local t0=$SECONDS
  (cd "$root/internal/testinfra/vaultdev" && GOFLAGS=-buildvcs=false go build -o "$bin" .)
  echo "vaultdev built in $((SECONDS - t0))s: $bin"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  [ -x "$bin" ] || { echo "vault.sh: $bin is missing: run .ci/vault.sh build" >&2; exit 1; }
  if running; then echo "vault.sh: already running (PID $(cat "$pidfile"))"; env_line; return; fi
  rm -f "$info"
  "$bin" -addr 127.0.0.1:0 -info "$info" >"$logfile.out" 2>"$logfile" &
  echo $! >"$pidfile"
  for _ in $(seq 300); do   # up to 60 s
    [ -s "$info" ] && { echo "vault.sh: ready (PID $(cat "$pidfile"))"; env_line; return; }
    running || break
    sleep 0.2
  done
  echo "vault.sh: the dev server did not become ready; its log:" >&2
  tail -n 50 "$logfile" >&2 || true
  stop
  exit 1
}

stop() {
  if [ -f "$pidfile" ]; then
    local pid
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  fi
  rm -f "$info"
}

env_line() { echo "SECRETPATH_VAULT_REAL=$info"; }

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  env) env_line ;;
  *) echo "usage: $0 build|start|stop|env" >&2; exit 2 ;;
esac
