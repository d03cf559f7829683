# Peer servers and clients, each in its own venv because their pins clash with ours.
# .venv-peers: seldon-core 1.17.1 (last Apache-2.0 release; pins numpy<2, protobuf<4) for its
#   SeldonClient and seldon-core-microservice; its gunicorn imports pkg_resources (setuptools<81).
# .venv-mlserver: MLServer 1.7.1 + mlserver-sklearn and the runtimes bench_runtimes.py compares
#   ours with (mlserver-xgboost, -lightgbm, -mlflow); its inference worker dies on uvloop 0.23.
# Versions, venv paths and stamps: mk/00-vars.mk (mk/bench.mk, read earlier, needs them).
PIP_QUIET := --quiet --disable-pip-version-check

$(PEERS_STAMP): mk/peers.mk
	rm -rf $(PEERS_VENV)
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install $(PIP_QUIET) 'seldon-core==$(SELDON_VERSION)' 'setuptools<81' \
		scikit-learn joblib
	touch $@

$(MLSERVER_STAMP): mk/peers.mk
	rm -rf $(MLSERVER_VENV)
	$(PYTHON) -m venv $(MLSERVER_VENV)
	$(MLSERVER_VENV)/bin/pip install $(PIP_QUIET) 'mlserver==$(MLSERVER_VERSION)' \
		'mlserver-sklearn==$(MLSERVER_VERSION)' 'mlserver-xgboost==$(MLSERVER_VERSION)' \
		'mlserver-lightgbm==$(MLSERVER_VERSION)' 'mlserver-mlflow==$(MLSERVER_VERSION)' 'uvloop<0.22'
	touch $@

.PHONY: peers
peers: $(PEERS_STAMP) $(MLSERVER_STAMP) ## build the peer venvs (seldon-core, MLServer) for peer tests and bench

TEST_DEPS += $(PEERS_STAMP)
