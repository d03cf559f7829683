#!/usr/bin/env bash
# Starts the local cluster on 127.0.0.1: etcd, kube-apiserver (generated CA, serving and client
# certificates, service-account keys; RBAC, PodSecurity admission), kube-controller-manager,
# kube-scheduler and kwok with two fake nodes (tools/cluster/nodes.yaml). Writes the admin
# kubeconfig to $CLUSTER_DIR/kubeconfig and one pid file per process to $CLUSTER_DIR/pids, which
# down.sh stops. An already running cluster is left as it is.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
: "${CLUSTER_START_TIMEOUT:=300}"  # seconds per component; the machine may be loaded

pki="$CLUSTER_DIR/pki" pids="$CLUSTER_DIR/pids" logs="$CLUSTER_DIR/logs"
server="https://127.0.0.1:$APISERVER_PORT"

alive() { [[ -f "$pids/$1" ]] && kill -0 "$(cat "$pids/$1")" 2>/dev/null; }

if "$here/status.sh" >/dev/null; then "$here/status.sh"; exit 0; fi
for c in "${COMPONENTS[@]}"; do
  if alive "$c"; then
    echo "cluster: partly running ($c is); run make cluster-down first" >&2; exit 1
  fi
done
for b in "$K8S_BIN"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl} "$KWOK_BIN/kwok" "$ETCD_BIN/etcd"; do
  [[ -x "$b" ]] || { echo "cluster: $b missing; run make cluster-build" >&2; exit 1; }
done
for port in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$CONTROLLER_MANAGER_PORT" "$SCHEDULER_PORT"; do
  if ss -Hltn "sport = :$port" | grep -q .; then
    echo "cluster: 127.0.0.1:$port is taken by another process; set its *_PORT variable" >&2; exit 1
  fi
done

# A start that fails stops what it started (logs stay in $CLUSTER_DIR/logs).
started=0
trap 'if ((!started)); then "$here/down.sh" >&2; fi' EXIT

# A fresh state directory each start: the cluster is disposable, and a stale etcd would hold
# releases of an earlier run. Only the subdirectories this script creates are removed.
mkdir -p "$CLUSTER_DIR"
rm -rf "$pki" "$pids" "$logs" "$CLUSTER_DIR/etcd" "$CLUSTER_DIR/run"
mkdir -p "$pki" "$pids" "$logs" "$CLUSTER_DIR/run"

# --- certificates and keys (openssl; valid one year, all on loopback) ---
ossl() { openssl "$@" 2>>"$logs/openssl.log"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=infergraph-local-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
cert() {  # name subject [subjectAltName]
  ossl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr"
  local ext="$pki/$1.ext"
  echo "extendedKeyUsage = ${3:+serverAuth,}clientAuth" >"$ext"
  [[ -n "${3:-}" ]] && echo "subjectAltName = $3" >>"$ext"
  ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 365 -extfile "$ext" -out "$pki/$1.crt"
}
cert apiserver "/CN=kube-apiserver" \
  "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert admin "/O=system:masters/CN=infergraph-admin"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kwok "/O=system:masters/CN=kwok"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
ossl genrsa -out "$pki/sa.key" 2048
ossl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
chmod 600 "$pki"/*.key

kubeconfig() {  # user -> $CLUSTER_DIR/<user>.kubeconfig (admin: $KUBECONFIG_ADMIN)
  local out="$CLUSTER_DIR/$1.kubeconfig"; [[ $1 == admin ]] && out="$KUBECONFIG_ADMIN"
  cat >"$out.tmp" <<KC
apiVersion: v1
kind: Config
clusters:
- name: infergraph-local
  cluster: {server: "$server", certificate-authority: "$pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$pki/$1.crt", client-key: "$pki/$1.key"}
contexts:
- name: infergraph-local
  context: {cluster: infergraph-local, user: $1}
current-context: infergraph-local
KC
  mv -f "$out.tmp" "$out"
}
for u in admin controller-manager scheduler kwok; do kubeconfig "$u"; done

start() {  # name command...: runs in its own session, output to logs/<name>.log
  local name=$1; shift
  setsid "$@" >"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$pids/$name"
}
wait_for() {  # name probe...
  local name=$1; shift
  local deadline=$((SECONDS + CLUSTER_START_TIMEOUT))
  until "$@"; do
    if ! alive "$name"; then
      echo "cluster: $name exited; last lines of $logs/$name.log:" >&2; tail -n 20 "$logs/$name.log" >&2; exit 1
    fi
    if ((SECONDS > deadline)); then
      echo "cluster: $name not ready after ${CLUSTER_START_TIMEOUT}s; see $logs/$name.log" >&2; exit 1
    fi
    sleep 1
  done
  echo "cluster: $name ready"
}

t0=$SECONDS
start etcd "$ETCD_BIN/etcd" --name=infergraph-local --data-dir="$CLUSTER_DIR/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="infergraph-local=http://127.0.0.1:$ETCD_PEER_PORT"
wait_for etcd curl -sf --max-time 5 "http://127.0.0.1:$ETCD_PORT/health" -o /dev/null

start kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
  --endpoint-reconciler-type=none \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction,PodSecurity \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$pki/apiserver-kubelet-client.key" --kubelet-preferred-address-types=InternalIP \
  --profiling=false --cert-dir="$CLUSTER_DIR/run/apiserver"
readyz() {
  curl -sf --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "$server/readyz" -o /dev/null
}
wait_for kube-apiserver readyz

start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$CLUSTER_DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$CLUSTER_DIR/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$CLUSTER_DIR/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" \
  --cert-dir="$CLUSTER_DIR/run/controller-manager" \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --use-service-account-credentials=true --leader-elect=false --profiling=false
start kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig="$CLUSTER_DIR/scheduler.kubeconfig" \
  --authentication-kubeconfig="$CLUSTER_DIR/scheduler.kubeconfig" \
  --authorization-kubeconfig="$CLUSTER_DIR/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
  --cert-dir="$CLUSTER_DIR/run/scheduler" --leader-elect=false --profiling=false
# Node heartbeats as a kubelet sends them: a Lease of 40 s renewed every 10 s (kwok's default, no
# lease, patches node status every 20-45 s, which the node lifecycle controller's 50-s grace
# period does not always see in time on a loaded machine: nodes flap NotReady and it marks every
# pod on them not Ready, so Deployments never become available).
start kwok "$KWOK_BIN/kwok" --kubeconfig="$CLUSTER_DIR/kwok.kubeconfig" --node-lease-duration-seconds=40 \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-ip=127.0.0.1 --cidr=10.244.0.1/24
health() { curl -sfk --max-time 5 "https://127.0.0.1:$1/healthz" -o /dev/null; }
wait_for kube-controller-manager health "$CONTROLLER_MANAGER_PORT"
wait_for kube-scheduler health "$SCHEDULER_PORT"

kubectl=("$K8S_BIN/kubectl" --kubeconfig="$KUBECONFIG_ADMIN")
"${kubectl[@]}" apply -f "$here/nodes.yaml" >/dev/null
nodes_ready() { "${kubectl[@]}" wait --for=condition=Ready node --all --timeout=5s >/dev/null 2>&1; }
wait_for kwok nodes_ready
# The default ServiceAccount the controller manager creates: pods are rejected until it exists.
default_sa() { "${kubectl[@]}" get serviceaccount default -n default >/dev/null 2>&1; }
wait_for kube-controller-manager default_sa
if [[ $CLUSTER_NODE == real ]]; then source "$here/node/up.sh"; fi
started=1
echo "cluster: up in $((SECONDS - t0)) s; export KUBECONFIG=$KUBECONFIG_ADMIN"
