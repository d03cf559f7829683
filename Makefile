# infergraph: every task goes through this file (make help).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PATH := $(CURDIR)/$(BIN):$(PATH)

STAMP := $(VENV)/.installed

.PHONY: help setup demo test lint schemas golden bench e2e clean

help: ## list the targets
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): generator/pyproject.toml model-server/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e 'generator[test]' \
		-e 'model-server[test,tracing,$(SERVER_EXTRAS)]'
	touch $@

$(BIN)/helm: tools/install-helm.sh | $(STAMP)
	bash tools/install-helm.sh $(BIN)

setup: $(STAMP) $(BIN)/helm ## create .venv with both distributions (editable) and helm

include mk/*.mk

lint: setup ## ruff check and format check, mypy --strict on both packages and the cluster tier
	$(BIN)/ruff check generator model-server tests bench tools
	$(BIN)/ruff format --check generator model-server tests bench tools
	$(BIN)/mypy generator/infergraph model-server/infergraph_server
	# the cluster tier (and its device plugin): its kind code paths never run here, so the type checker reads them
	MYPYPATH=tests $(BIN)/mypy --explicit-package-bases tests/cluster tests/e2e_kind tests/deviceplugin

test: setup lint $(TEST_DEPS) ## unit, golden, parity, policy, local end-to-end, container and, where built, local cluster tests
	$(DOCKER_SESSION) $(PY) -m pytest -q

clean: ## remove build output and virtual environments
	rm -rf build $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache
