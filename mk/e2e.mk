# The cluster tier (tests/cluster) on kind: a kind cluster with Istio, our image (built by
# `make image`) and the examples; the tests the local cluster alone can run skip (provider.py).
# Needs Docker; pytest-kind downloads kind and kubectl at these pins into .pytest-kind/ unless
# KIND_BIN / KUBECTL_BIN name binaries already installed (CI installs them with kind-action).
KIND_VERSION ?= v0.27.0
KUBECTL_VERSION ?= v1.32.2
KIND_CLUSTER ?= infergraph-e2e
KIND_BIN ?=
KUBECTL_BIN ?=
E2E_ARGS ?=

E2E_PYTEST_ARGS := -m cluster tests/cluster --cluster-name=$(KIND_CLUSTER) \
	-o log_cli=true --log-cli-level=INFO \
	$(if $(KIND_BIN),--kind-bin=$(KIND_BIN)) $(if $(KUBECTL_BIN),--kind-kubectl-bin=$(KUBECTL_BIN))

e2e: setup ## the cluster tier on kind (Docker; see tests/e2e_kind/README.md); E2E_ARGS=--keep-cluster
	INFERGRAPH_CLUSTER_PROVIDER=kind KIND_VERSION=$(KIND_VERSION) KUBECTL_VERSION=$(KUBECTL_VERSION) \
		$(DOCKER_SESSION) $(PY) -m pytest $(E2E_PYTEST_ARGS) $(E2E_ARGS)
