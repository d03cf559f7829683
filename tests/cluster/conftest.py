"""Fixtures of the cluster tier: the local control plane of tools/cluster, up once per session.

The tier runs wherever its binaries are cached (`make cluster-build` once; `make test` then runs
it) or INFERGRAPH_CLUSTER=1 asks for it (`make cluster-test` does; a missing build is made
first, which takes long); INFERGRAPH_CLUSTER=0 turns it off. Otherwise every `cluster` test
skips with one reason line: a cold build takes far longer than CI's budget (README, "Local
cluster"). A cluster already running for this checkout (`make cluster`) is used and left
running; one this session starts gets free loopback ports (another checkout's cluster may hold
the default ones) and is stopped at the session's end.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path

import pytest
from e2e_kind.objects import NAMESPACE

from .crds import crd_files
from .local import TOOLS, Local, free_ports, log, paths
from .spaces import prepare

__all__ = ["NOT_BUILT", "NO_REAL_NODE", "TURNED_OFF"]

NOT_BUILT = "cluster: binaries not built (make cluster-build once; a cold build is too long for CI)"
TURNED_OFF = "cluster: turned off (INFERGRAPH_CLUSTER=0)"
NO_REAL_NODE = "cluster: no real node (CLUSTER_NODE=real make cluster-test starts one)"


def _skip_reason() -> str | None:
    """Why the tier does not run in this session, or None when it does."""
    asked = os.environ.get("INFERGRAPH_CLUSTER")
    if asked == "0":
        return TURNED_OFF
    if asked == "1" or paths().built():
        return None
    return NOT_BUILT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the whole tier with one reason when it cannot run here unasked."""
    tier = [item for item in items if item.get_closest_marker("cluster")]
    if tier and (reason := _skip_reason()):
        for item in tier:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report the tier's skips at one location, so pytest folds them into one summary line."""
    report: pytest.TestReport = yield
    ours = (NOT_BUILT, TURNED_OFF, NO_REAL_NODE)
    if (
        report.skipped
        and isinstance(report.longrepr, tuple)
        and any(reason in report.longrepr[2] for reason in ours)
    ):
        report.longrepr = (str(Path(__file__).parent), None, report.longrepr[2])
    return report


def _script(name: str, env: Mapping[str, str]) -> None:
    """Run tools/cluster/<name>.sh, its output logged; fail the session when it fails."""
    done = subprocess.run(["bash", TOOLS / f"{name}.sh"], capture_output=True, text=True, env=env)
    for line in (done.stdout + done.stderr).splitlines():
        log.info("%s: %s", name, line)
    if done.returncode != 0:
        pytest.fail(f"tools/cluster/{name}.sh failed:\n{done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[Local]:
    """The running local cluster (built and started here, on free ports, if need be)."""
    env = dict(os.environ)
    status = subprocess.run(["bash", TOOLS / "status.sh"], capture_output=True, env=env)
    running = status.returncode == 0
    if not running:
        env.update(free_ports())
        _script("build", env)
        _script("up", env)
    try:
        yield Local(paths(env))
    finally:
        if not running:
            _script("down", env)


@pytest.fixture(scope="session")
def api(local_cluster: Local) -> Local:
    """The cluster ready for graphs: the third-party CRDs established, and the kind tier's
    namespace prepared (spaces.py)."""
    for crd in crd_files(local_cluster.paths):
        local_cluster.kubectl("apply", "--server-side", "-f", crd)
    local_cluster.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=120s")
    prepare(local_cluster, NAMESPACE)
    return local_cluster
