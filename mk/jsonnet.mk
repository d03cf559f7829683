# jsonnet library: the formatter and its lint (defaults.libsonnet comes from `make schemas`).
# The formatter is Debian's `jsonnet` package (jsonnetfmt); neither Python binding ships one.
JSONNET_SOURCES = $(wildcard jsonnet/*.libsonnet examples/kubeflow/*.jsonnet)

.PHONY: jsonnetfmt jsonnet-fmt jsonnet-lint

jsonnetfmt: ## install jsonnetfmt (Debian package jsonnet) when missing; a skip reason otherwise
	@command -v jsonnetfmt >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq jsonnet; } >/dev/null 2>&1 \
	  || echo "jsonnetfmt: not installed (needs root and Debian's jsonnet package); format checks skip"

jsonnet-fmt: jsonnetfmt ## reformat the jsonnet sources in place
	jsonnetfmt -i $(JSONNET_SOURCES)

jsonnet-lint: jsonnetfmt ## jsonnetfmt --test on the jsonnet sources
	@if command -v jsonnetfmt >/dev/null; then jsonnetfmt --test $(JSONNET_SOURCES) && echo "jsonnetfmt: clean"; \
	 else echo "jsonnet-lint: skipped, jsonnetfmt is not installed"; fi

lint: jsonnet-lint

TEST_DEPS += jsonnetfmt
