# An image variant of infergraph-server (`<tag>-xgboost`, ...): the default image plus the wheels
# its lock adds. Build with `make images`: tools/build_image.py writes build/image-<variant>/
# (variant.lock: the pins of requirements-<variant>.lock that requirements.lock does not hold at
# that version, each hash-checked; their wheels in wheels/) and runs
#   docker build -f model-server/variant.Dockerfile --build-arg SERVER_IMAGE=<default image> ...
# after building the default image. Only those wheels are installed: the default image's layers
# are shared, not reinstalled. A version the variant pins differently replaces the default's.
ARG SERVER_IMAGE=ghcr.io/infergraph/infergraph-server:0.1.0
FROM ${SERVER_IMAGE}
ARG VARIANT
LABEL io.infergraph.variant="${VARIANT}"
USER 0:0
COPY variant.lock /build/variant.lock
COPY wheels /build/wheels
# pip from the base's ensurepip for this one step, then removed as in the default image; only
# the files this step installs are compiled (the default image's bytecode stays in its layer).
RUN export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    && python -m ensurepip --default-pip >/dev/null \
    && touch /build/installed \
    && python -m pip install --no-index --find-links /build/wheels --only-binary=:all: \
       --require-hashes --no-deps --no-compile -r /build/variant.lock \
    && find /opt/infergraph/lib -name '*.py' -newer /build/installed -print0 \
       | xargs -0 -r python -m compileall -q --invalidation-mode unchecked-hash \
    && python -m pip uninstall --yes --quiet pip setuptools \
    && rm -rf /build
USER 10001:10001
