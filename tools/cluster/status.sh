#!/usr/bin/env bash
# Exit 0 when every process up.sh starts is alive and the API server is ready; else say what
# is missing and exit 1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
for c in "${COMPONENTS[@]}"; do
  pidfile="$CLUSTER_DIR/pids/$c"
  if ! [[ -f "$pidfile" ]] || ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "cluster: $c not running"; exit 1
  fi
done
pki="$CLUSTER_DIR/pki"
if ! curl -sf --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
  "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null; then
  echo "cluster: kube-apiserver not ready"; exit 1
fi
echo "cluster: running (KUBECONFIG=$KUBECONFIG_ADMIN)"
