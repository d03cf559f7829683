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
for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
  name=${COMPONENTS[i]} file="$pids/${COMPONENTS[i]}"
  [[ -f "$file" ]] || continue
  pid=$(cat "$file")
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "${name:0:15}" ]]; then
    kill -TERM "$pid"
    for _ in $(seq 20); do running "$pid" || break; sleep 1; done
    if running "$pid"; then kill -KILL "$pid"; fi
    stopped+=("$name")
  fi
  rm -f "$file"
done
echo "cluster: stopped ${stopped[*]:-nothing (none of the recorded processes was running)}"
