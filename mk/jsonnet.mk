# jsonnet library: generated defaults (part of `make schemas`), the formatter and its lint.
# The formatter is Debian's `jsonnet` package (jsonnetfmt); neither Python binding ships one.
JSONNET_SOURCES = $(wildcard jsonnet/*.libsonnet examples/kubeflow/*.jsonnet)

.PHONY: jsonnet-defaults jsonnetfmt jsonnet-fmt jsonnet-lint

jsonnet-defaults: setup ## write jsonnet/defaults.libsonnet from generator/infergraph/defaults.py
	$(PY) tools/gen_jsonnet_defaults.py

schemas: jsonnet-defaults

jsonnetfmt: ## install jsonnetfmt (Debian package jsonnet) when missing; a skip reason otherwise
	@command -v jsonnetfmt >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq jsonnet; } >/dev/null 2>&1 \
	  || echo "jsonnetfmt: not installed (needs root and Debian's jsonnet package); format test skips"

jsonnet-fmt: jsonnetfmt ## reformat the jsonnet sources in place
	jsonnetfmt -i $(JSONNET_SOURCES)

jsonnet-lint: jsonnetfmt ## jsonnetfmt --test on the jsonnet sources
	jsonnetfmt --test $(JSONNET_SOURCES)

lint: jsonnet-lint

TEST_DEPS += jsonnetfmt
