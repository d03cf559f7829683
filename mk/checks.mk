# Policy checks: checkov lives in its own venv (its pins clash with ours), built once per pin.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

$(CHECKOV_STAMP): mk/checks.mk
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $@

.PHONY: checkov
checkov: $(CHECKOV_STAMP) ## build the checkov venv (.venv-checkov) used by the policy tests

TEST_DEPS += $(CHECKOV_STAMP)

# The Gateway API route schemas in schemas/thirdparty/gateway-api: the pinned release of the Go
# module sigs.k8s.io/gateway-api from the Go module proxy (pin and sha256: the script).
.PHONY: gateway-api-schemas
gateway-api-schemas: setup ## re-extract the vendored Gateway API route schemas at the pinned release
	$(PY) tools/fetch_gateway_api.py
