"""When and where the tier runs: the provider is chosen per run (provider.py), the tier skips with
one reason line where it cannot run (CI's `make test`: nothing built; kind without Docker), and
a test needing what the provider lacks skips with that provider's one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .local import REPO
from .provider import (
    KIND,
    LOCAL,
    LOCAL_REAL,
    NO_DOCKER,
    NOT_BUILT,
    TURNED_OFF,
    Capability,
    Provider,
    choose,
    skip_reason,
)

LIVE = "tests/cluster/test_nodes.py::test_live_gpu_node_keeps_its_gpu_taint_and_is_ready"
SERVING = "tests/cluster/test_serving.py::test_single_model_answers_with_probabilities"
EXAMPLE = (
    "tests/cluster/test_examples.py::"
    "test_helm_install_waits_for_every_rollout_and_uninstall_leaves_nothing[sklearn-single]"
)
SETTINGS = ("INFERGRAPH_CLUSTER", "INFERGRAPH_CLUSTER_PROVIDER", "CLUSTER_NODE")
LOCAL_ITSELF = "kind: the test is of the local cluster itself (fixture local_cluster)"


def _run(test: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One test collected and run in a pytest of its own."""
    argv = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", test]
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """os.environ without the tier's settings, an empty binary cache, and `settings`."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return {**env, "CLUSTER_CACHE": str(tmp_path / "empty-cache"), **settings}


def _skipped(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("SKIPPED")]


@pytest.mark.parametrize(
    ("settings", "test", "reason"),
    [
        ({}, LIVE, NOT_BUILT),
        ({"INFERGRAPH_CLUSTER": "0"}, LIVE, TURNED_OFF),
        ({"INFERGRAPH_CLUSTER_PROVIDER": "kind", "PATH": "none"}, LIVE, NO_DOCKER),
        (
            {"INFERGRAPH_CLUSTER_PROVIDER": "local"},
            SERVING,
            f"local: {LOCAL.lacks[Capability.SERVING]}",
        ),
        (
            {"INFERGRAPH_CLUSTER_PROVIDER": "kind", "PATH": "docker answers"},
            EXAMPLE,
            f"kind: {KIND.lacks[Capability.ANY_IMAGE]}",
        ),
        ({"INFERGRAPH_CLUSTER_PROVIDER": "kind", "PATH": "docker answers"}, LIVE, LOCAL_ITSELF),
    ],
    ids=[
        "unbuilt",
        "turned-off",
        "kind-without-docker",
        "local-lacks-serving",
        "kind-lacks-any-image",
        "kind-skips-local-itself",
    ],
)
def test_tier_skips_with_one_reason_line(
    tmp_path: Path, settings: dict[str, str], test: str, reason: str
) -> None:
    """No case starts a cluster: each test is skipped at collection. kind is faked by a
    `docker` that answers (kind itself is never reached); "without docker" has none on PATH."""
    env = _env(tmp_path, **settings)
    if settings.get("PATH") == "docker answers":
        docker = tmp_path / "docker"
        docker.write_text("#!/bin/sh\nexit 0\n")
        docker.chmod(0o755)
        env["PATH"] = f"{tmp_path}:{os.environ['PATH']}"
    elif "PATH" in settings:
        env["PATH"] = str(tmp_path)
    out = _run(test, env).stdout
    assert "1 skipped" in out, out
    assert _skipped(out) == [f"SKIPPED [1] tests/cluster: {reason}"], out


def test_an_unknown_provider_is_a_usage_error(tmp_path: Path) -> None:
    done = _run(LIVE, _env(tmp_path, INFERGRAPH_CLUSTER_PROVIDER="minikube"))
    assert done.returncode == 4, done.stdout + done.stderr
    assert "INFERGRAPH_CLUSTER_PROVIDER=minikube: expected one of kind, local" in done.stderr


def _choose(built: bool = False, docker: bool = False, **env: str) -> Provider | str:
    return choose(env, local_built=lambda: built, docker=lambda: docker)


def test_choose_runs_local_where_built_and_kind_only_when_named() -> None:
    assert _choose() == NOT_BUILT
    assert _choose(built=True, docker=True) is LOCAL  # Docker alone never starts kind
    assert _choose(INFERGRAPH_CLUSTER="1") is LOCAL  # asked: built first
    assert _choose(INFERGRAPH_CLUSTER_PROVIDER="local") is LOCAL
    assert _choose(INFERGRAPH_CLUSTER_PROVIDER="local", CLUSTER_NODE="real") is LOCAL_REAL
    assert _choose(built=True, CLUSTER_NODE="kwok") is LOCAL
    assert _choose(docker=True, INFERGRAPH_CLUSTER_PROVIDER="kind") is KIND
    assert _choose(built=True, INFERGRAPH_CLUSTER_PROVIDER="kind") == NO_DOCKER
    off = {"INFERGRAPH_CLUSTER": "0", "INFERGRAPH_CLUSTER_PROVIDER": "kind"}
    assert _choose(built=True, docker=True, **off) == TURNED_OFF


def test_each_provider_lacks_what_the_other_offers() -> None:
    """Every capability is offered somewhere, so every test of the tier runs on some provider."""
    for capability in Capability:
        assert KIND.offers(capability) != LOCAL.offers(capability), capability


def test_skip_reason_names_the_provider_and_the_first_missing_capability() -> None:
    needs = {Capability.ISTIO, Capability.SERVING}
    assert skip_reason(KIND, needs, ()) is None
    assert skip_reason(LOCAL, needs, ()) == f"local: {LOCAL.lacks[Capability.SERVING]}"
    assert skip_reason(KIND, {Capability.ALL_CRDS}, ()) == (
        f"kind: {KIND.lacks[Capability.ALL_CRDS]}"
    )
    assert skip_reason(LOCAL, {Capability.ANY_IMAGE}, ("cluster",)) is None


def test_the_real_node_serves_and_lacks_only_istio() -> None:
    assert skip_reason(LOCAL_REAL, {Capability.SERVING}, ("cluster",)) is None
    assert skip_reason(LOCAL_REAL, {Capability.SERVING, Capability.ISTIO}, ()) == (
        f"local: {LOCAL.lacks[Capability.ISTIO]}"
    )
    assert skip_reason(LOCAL_REAL, (), ("local_cluster", "api")) is None


def test_tests_of_the_local_cluster_itself_skip_on_kind_only() -> None:
    assert skip_reason(KIND, (), ("tmp_path", "local_cluster")) == (
        "kind: the test is of the local cluster itself (fixture local_cluster)"
    )
    assert skip_reason(KIND, (), ("api",)) is not None
    assert skip_reason(LOCAL, (), ("local_cluster", "api")) is None
    assert skip_reason(KIND, (), ("cluster", "kube")) is None
