# Variables other mk/*.mk files use in prerequisites. `include mk/*.mk` reads files in name
# order and make expands prerequisites as it reads a rule, so a variable a rule names must be
# defined in a file read before it: here (tests/test_makefile.py checks every target).
TEST_DEPS :=

# The extras of infergraph-server the tests serve models with (one per runtime image variant).
SERVER_EXTRAS := xgboost,lightgbm,onnx,mlflow

# The peer venvs (built by mk/peers.mk, used by mk/bench.mk and the peer tests).
SELDON_VERSION := 1.17.1
MLSERVER_VERSION := 1.7.1
PEERS_VENV := .venv-peers
MLSERVER_VENV := .venv-mlserver
PEERS_STAMP := $(PEERS_VENV)/.installed-$(SELDON_VERSION)
MLSERVER_STAMP := $(MLSERVER_VENV)/.installed-$(MLSERVER_VERSION)
