# The local cluster (tools/cluster, tests/cluster): Kubernetes built from upstream source through the
# Go module proxy (pins in tools/cluster/go.mod and env.sh), binaries cached outside the checkout in
# /var/cache/infergraph/cluster/<version>/bin; etcd built the same way (tools/cluster/etcd); nodes faked by kwok.
# Every listener is on 127.0.0.1; the admin kubeconfig is build/cluster/kubeconfig.
CLUSTER_ARGS ?=

.PHONY: cluster-build cluster cluster-down cluster-test

cluster-build: ## build kube-apiserver, -controller-manager, -scheduler, kubectl, kwok, etcd (cached; first run is long)
	bash tools/cluster/build.sh

cluster: cluster-build ## start etcd, the control plane and two kwok nodes on 127.0.0.1 (see cluster-down)
	bash tools/cluster/up.sh

cluster-down: ## stop every process make cluster started
	bash tools/cluster/down.sh

cluster-test: setup cluster ## the cluster tier (tests/cluster) on the local cluster; CLUSTER_ARGS=-x
	INFERGRAPH_CLUSTER_PROVIDER=local $(PY) -m pytest tests/cluster -o log_cli=true --log-cli-level=INFO $(CLUSTER_ARGS)
