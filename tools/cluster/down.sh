#!/usr/bin/env bash
# Stops what up.sh started: each process by its recorded pid (checked to still be the binary we
# started), TERM then KILL after 20 s, in the reverse order of starting. State stays in
# $CLUSTER_DIR for a look at the logs; up.sh starts afresh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
pids="$CLUSTER_DIR/pids"

# Running and not a zombie (a zombie has exited; only its parent's wait is missing).
running() { [[ -r "/proc/$1/stat" ]] && [[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

stopped=()
# The recorded process still runs the binary we started: a component <binary>[@<node>] (env.sh).
alive_pid() {
  local binary=${1%@*}
  [[ -f "$pids/$1" ]] && [[ "$(cat "/proc/$(cat "$pids/$1")/comm" 2>/dev/null)" == "${binary:0:15}" ]]
}
stop() {  # name: TERM the recorded process if it is still the binary we started, KILL after 20 s
  local file="$pids/$1" pid
  [[ -f "$file" ]] || return 0
  pid=$(cat "$file")
  if alive_pid "$1"; then
    kill -TERM "$pid"
    for _ in $(seq 20); do running "$pid" || break; sleep 1; done
    if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi  # it may end meanwhile
    stopped+=("$1")
  fi
  rm -f "$file"
}
# The real node first (whatever CLUSTER_NODE says now: it may have been started with real).
source "$here/node/down.sh"
for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop "${COMPONENTS[i]}"; done
echo "cluster: stopped ${stopped[*]:-nothing (none of the recorded processes was running)}"
