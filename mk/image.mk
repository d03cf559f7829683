# The server image (model-server/Dockerfile), built offline from wheels pinned by a hash lock.
# `make lock` regenerates model-server/requirements.lock (uv, in its own venv, at a pin);
# `make image` downloads the locked wheels on the host (cached outside the checkout, keyed
# by the lock's hash), builds our wheel, picks a base and runs docker build under the exact
# name the compiler writes (tools/build_image.py). Where python:3.11-slim cannot be pulled,
# the base is a debootstrap of Debian bookworm, cached the same way (tools/base_image.py).
UV_VERSION := 0.13.8
LOCK_VENV := .venv-lock
LOCK_STAMP := $(LOCK_VENV)/.installed-$(UV_VERSION)
SERVER_LOCK := model-server/requirements.lock
# BASE_IMAGE: empty = python:3.11-slim when it is present or pullable, else the debootstrap base.
BASE_IMAGE ?=
# IMAGE_PLATFORMS: the wheels to fetch; the release builds for both.
IMAGE_PLATFORMS ?= linux/$(shell uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')

$(LOCK_STAMP): mk/image.mk
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
	touch $@

.PHONY: lock image images image-context
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform linux --custom-compile-command 'make lock' --extra tracing model-server/pyproject.toml

lock: $(LOCK_STAMP) setup ## regenerate the image locks (tracing extra included): requirements.lock and one per image variant
	$(UV_COMPILE) -o $(SERVER_LOCK)
	$(PY) tools/build_image.py --list-variants | while read -r variant extras; do \
	  $(UV_COMPILE) $$(for e in $${extras//,/ }; do printf -- '--extra %s ' "$$e"; done) \
	    -o model-server/requirements-$$variant.lock; \
	done

image-context: setup ## the image's build context in build/image (locked wheels, our wheel), no Docker needed
	$(PY) tools/build_image.py --context-only --platforms '$(IMAGE_PLATFORMS)'

image: setup ## build the server image under the name the compiler writes (starts Docker if need be)
	$(DOCKER_SESSION) $(PY) tools/build_image.py --platforms '$(IMAGE_PLATFORMS)' \
		$(if $(BASE_IMAGE),--base-image '$(BASE_IMAGE)')

# The variants (`-xgboost`, `-lightgbm`, `-onnx`, `-mlflow`: one per runtime extra), each FROM
# the default image (built first) plus the wheels its lock adds (model-server/variant.Dockerfile).
# The container tier of `make test` builds the ones its examples run on with
# `make images VARIANTS='xgboost onnx ...'`. `all` leaves out the GPU builds (`-onnx-gpu`:
# onnxruntime-gpu and NVIDIA's CUDA 13 wheels, ~3 GB): `make images VARIANTS=onnx-gpu`.
VARIANTS ?= all
images: setup ## build the server image and every CPU runtime variant (<tag>-xgboost, ...); VARIANTS='xgboost onnx-gpu' picks some
	$(DOCKER_SESSION) $(PY) tools/build_image.py --platforms '$(IMAGE_PLATFORMS)' \
		$(if $(BASE_IMAGE),--base-image '$(BASE_IMAGE)') $(foreach v,$(VARIANTS),--variant $(v))
