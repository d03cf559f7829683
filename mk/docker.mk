# The Docker Engine of the container tier and of `make image`. DOCKER_SESSION runs a command
# with an engine answering: the one that runs, else (root on Linux) dockerd, installed from
# Debian's docker.io when missing and stopped after the command, even when it fails. Where
# none can be had the command still runs and the container tier skips with the reason.
DOCKER_SESSION := $(PY) tools/docker_engine.py run --

.PHONY: docker-info
docker-info: setup ## show the Docker Engine make would use (starting and stopping it as make test does)
	$(DOCKER_SESSION) docker version --format 'client {{.Client.Version}}, engine {{.Server.Version}}'
