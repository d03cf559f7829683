# `make demo`: train the iris models, render every example with helm into build/manifests/,
# run the A/B example with `infergraph up`,
# send one real prediction through the local gateway, print the answer, stop everything.
DEMO_EXAMPLE ?= examples/ab-test.yaml
DEMO_PORT ?= 8080
DEMO_CLAIM := build/volumes/infergraph-models
DEMO_MODELS := $(DEMO_CLAIM)/iris/model.joblib $(DEMO_CLAIM)/iris-v2/model.joblib $(DEMO_CLAIM)/iris-v3/model.joblib

$(DEMO_CLAIM)/%/model.joblib: bench/train_iris.py | $(STAMP)
	$(PY) bench/train_iris.py $(DEMO_CLAIM)/$*

$(DEMO_CLAIM)/iris-mlflow/MLmodel: bench/train_runtimes.py | $(STAMP)
	rm -rf $(addprefix $(DEMO_CLAIM)/iris-,xgboost lightgbm onnx mlflow)
	$(PY) bench/train_runtimes.py $(DEMO_CLAIM)

.PHONY: demo-models
demo-models: $(DEMO_MODELS) $(DEMO_CLAIM)/iris-mlflow/MLmodel ## train the examples' models into build/volumes (pvc:// locally)

demo: setup $(DEMO_MODELS) ## train iris, render every example, run the A/B one locally, send a request
	mkdir -p build/demo build/manifests
	for example in examples/*.yaml; do \
	  $(BIN)/infergraph render "$$example" --validate -o "build/manifests/$$(basename "$$example" .yaml)"; \
	done
	@echo "rendered Kubernetes objects of every example: build/manifests/"
	@$(BIN)/infergraph up $(DEMO_EXAMPLE) --port $(DEMO_PORT) > build/demo/up.log 2>&1 & up=$$!; \
	trap 'kill -TERM $$up 2>/dev/null; wait $$up' EXIT; \
	for _ in $$(seq 300); do grep -q 'Ctrl-C stops' build/demo/up.log && break; \
	  kill -0 $$up 2>/dev/null || { cat build/demo/up.log; exit 1; }; sleep 0.2; done; \
	cat build/demo/up.log; \
	echo '--- one prediction through the gateway:'; \
	curl -sS --fail-with-body -X POST http://127.0.0.1:$(DEMO_PORT)/api/v1.0/predictions \
	  -H 'Content-Type: application/json' -d '{"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}'; \
	echo; echo '--- stopping'
