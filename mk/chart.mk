# The Helm chart and the values schema: charts/infergraph, schemas/values.schema.json.

# Files `make schemas` writes (tools/generate.py OUTPUTS); other generators add theirs here
# and to OUTPUTS, so `make schemas` and the staleness test cover them too.
SCHEMA_OUTPUTS += charts/infergraph/values.schema.json charts/infergraph/values.yaml charts/infergraph/README.md

schemas: setup ## regenerate files made from schemas/ (chart values.schema.json, values.yaml, README table)
	$(PY) tools/generate.py

chart-lint: setup ## helm lint --strict the chart with its default values
	$(BIN)/helm lint --strict charts/infergraph
