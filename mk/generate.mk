# Generated files: goldens from the examples (schemas target: see mk/chart.mk and mk/jsonnet.mk).
.PHONY: golden
golden: setup ## regenerate tests/golden/ from examples/ (review the diff)
	$(PY) tools/golden.py

bench-compile: setup
	$(PY) bench/bench_compile.py
