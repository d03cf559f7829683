# An image variant of infergraph-server (`<tag>-xgboost`, ...): the default image plus the wheels
# its lock adds. Build with `make images`: tools/build_image.py writes build/image-<variant>/
# (variant.lock: the pins of requirements-<variant>.lock that requirements.lock does not hold at
# that version, each hash-checked; their wheels in wheels/) and runs
#   docker build -f model-server/variant.Dockerfile --build-arg SERVER_IMAGE=<default image> ...
# after building the default image. Only those wheels are installed: the default image's layers
# are shared, not reinstalled. A version the variant pins differently replaces the default's.
ARG SERVER_IMAGE=ghcr.io/infergraph/infergraph-server:0.1.0

# The install, in a throwaway stage (the wheels never reach the image): pip from the base's
# ensurepip for this step, then removed as in the default image; only the files installed here
# are compiled. What it wrote under /opt/infergraph is staged in /stage; what it removed (a
# version replaced) is listed in /stage/opt/infergraph/.removed.
FROM ${SERVER_IMAGE} AS install
USER 0:0
COPY variant.lock /build/variant.lock
COPY wheels /build/wheels
RUN export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    && find /opt/infergraph | sort > /build/before \
    && python -m ensurepip --default-pip >/dev/null \
    && touch /build/installed \
    && python -m pip install --no-index --find-links /build/wheels --only-binary=:all: \
       --require-hashes --no-deps --no-compile -r /build/variant.lock \
    && find /opt/infergraph -name '*.py' -newer /build/installed -print0 \
       | xargs -0 -r -n 500 -P "$(nproc)" python -m compileall -q --invalidation-mode unchecked-hash \
    && python -m pip uninstall --yes --quiet pip setuptools \
    && mkdir /stage && cd / \
    && find opt/infergraph \( -type f -o -type l \) -newer /build/installed -print0 \
       | tar --null -T - -cf - | tar -C /stage -xf - \
    && find /opt/infergraph | sort | comm -23 /build/before - > /stage/opt/infergraph/.removed

FROM ${SERVER_IMAGE}
ARG VARIANT
LABEL io.infergraph.variant="${VARIANT}"
COPY --from=install /stage/ /
USER 0:0
RUN xargs -r -d '\n' rm -rf < /opt/infergraph/.removed && rm /opt/infergraph/.removed
USER 10001:10001
