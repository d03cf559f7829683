# The Helm chart and the values schema: charts/infergraph, schemas/values.schema.json.

schemas: setup ## regenerate files made from schemas/ and defaults.py (chart schema, values.yaml, READMEs, jsonnet defaults)
	$(PY) tools/generate.py

chart-lint: setup ## helm lint --strict the chart with its default values
	$(BIN)/helm lint --strict charts/infergraph
