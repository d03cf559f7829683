# Golden files from the examples (the schemas target: mk/chart.mk and mk/jsonnet.mk).
.PHONY: golden
golden: setup ## regenerate tests/golden/ from examples/ (review the diff)
	$(PY) tools/golden.py
