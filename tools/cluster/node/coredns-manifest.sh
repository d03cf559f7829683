#!/usr/bin/env bash
# Prints the real node's CoreDNS objects (node/coredns.yaml with env.sh's node settings filled in);
# node/up.sh applies them, the cluster tier dry-runs them against the API server.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
sed -e "s|@PORT@|$COREDNS_PORT|g" -e "s|@NODE_IP@|$NODE_IP|g" -e "s|@DNS_IP@|$CLUSTER_DNS_IP|g" \
  -e "s|@NODE_NAME@|$NODE_NAME|g" -e "s|@APISERVER@|https://127.0.0.1:$APISERVER_PORT|g" \
  -e "s|@HEALTH@|$COREDNS_HEALTH_PORT|g" -e "s|@READY@|$COREDNS_READY_PORT|g" \
  -e "s|@VERSION@|$COREDNS_VERSION|g" "$here/node/coredns.yaml"
