# The local cluster (tools/cluster, tests/cluster): Kubernetes built from upstream source through the
# Go module proxy (pins in tools/cluster/go.mod and env.sh), binaries cached outside the checkout in
# /var/cache/infergraph/cluster/<version>/bin; etcd built the same way (tools/cluster/etcd); nodes faked by kwok.
# CLUSTER_NODE=real adds a real node (tools/cluster/node: kubelet, kube-proxy, CoreDNS and pause built
# from source; Debian's containerd, runc and CNI plugins). Control-plane listeners are on 127.0.0.1; the
# real node's are on its own bridge. The admin kubeconfig is build/cluster/kubeconfig. istioctl is built
# from the istio.io/istio module (tools/cluster/build_istioctl.sh) into /var/cache/infergraph/cluster/istio-<version>/bin.
CLUSTER_ARGS ?=

.PHONY: cluster-build istioctl cluster cluster-down cluster-test cluster-node-image

cluster-build: ## build kube-apiserver, -controller-manager, -scheduler, kubectl, kwok, etcd (cached; first run is long)
	bash tools/cluster/build.sh

istioctl: ## build istioctl and istiod (pilot-discovery) from the istio.io/istio module (cached; first run is long): the tier's Istio checks
	bash tools/cluster/build_istioctl.sh

cluster: cluster-build istioctl ## start etcd, the control plane and two kwok nodes on 127.0.0.1 (see cluster-down)
	bash tools/cluster/up.sh

cluster-down: ## stop every process make cluster started (and remove the real node's containers, mounts, bridge, nftables)
	bash tools/cluster/down.sh

cluster-test: setup cluster ## the cluster tier (tests/cluster) on the local cluster; CLUSTER_ARGS=-x
	INFERGRAPH_CLUSTER_PROVIDER=local $(PY) -m pytest tests/cluster -o log_cli=true --log-cli-level=INFO $(CLUSTER_ARGS)

cluster-node-image: setup ## copy the server image (make image) into the real node's containerd (CLUSTER_NODE=real)
	$(DOCKER_SESSION) bash tools/cluster/node/import-image.sh \
		"$$($(PY) -c 'from infergraph.defaults import SERVER_IMAGE; print(SERVER_IMAGE)')"
