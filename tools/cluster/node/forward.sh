#!/usr/bin/env bash
# The real nodes' one firewall rule: traffic that enters and leaves by our bridge $NODE_BRIDGE
# (pod to pod, and pod to a Service's pod after kube-proxy's DNAT) is accepted in the filter
# table's FORWARD chain. Docker sets that chain's policy to DROP, and with br_netfilter's
# bridge-nf-call-iptables=1 even frames bridged between two veths of one bridge pass it, so
# without this rule no pod reaches another. Why this rule: it names only our bridge (nothing
# to or from docker0 or the outside is opened), it lives in the built-in chain (Docker's
# DOCKER-USER exists only where Docker ran, and is Docker's), and it carries our comment.
# `accept` inserts it first in FORWARD and records it in $CLUSTER_DIR/node/forward-rule;
# `remove` deletes exactly the recorded rule, once, and nothing when none is recorded (a rule
# that looks like ours but was not recorded is someone else's). node/up.sh and node/down.sh run it.
# usage: forward.sh accept|remove
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
record="$CLUSTER_DIR/node/forward-rule"
case ${1:-} in
  accept)
    command -v iptables >/dev/null || { echo "cluster: iptables missing (apt-get install iptables)" >&2; exit 1; }
    [[ ! -f "$record" ]] || { echo "cluster: $record exists; run make cluster-down first" >&2; exit 1; }
    rule=(-i "$NODE_BRIDGE" -o "$NODE_BRIDGE" -m comment --comment "infergraph real nodes" -j ACCEPT)
    mkdir -p "$(dirname "$record")"
    printf '%s\n' "${rule[@]}" >"$record.tmp"
    mv "$record.tmp" "$record"  # recorded before it exists: an interrupted accept is still undone
    iptables -w -I FORWARD 1 "${rule[@]}"
    ;;
  remove)
    [[ -f "$record" ]] || exit 0
    mapfile -t rule <"$record"
    if iptables -w -C FORWARD "${rule[@]}" 2>/dev/null; then iptables -w -D FORWARD "${rule[@]}"; fi
    rm -f "$record"
    ;;
  *) echo "usage: forward.sh accept|remove" >&2; exit 2 ;;
esac
