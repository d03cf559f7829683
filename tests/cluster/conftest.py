"""Fixtures of the cluster tier: the local control plane of tools/cluster, up once per session.

The tier runs when INFERGRAPH_CLUSTER=1 asks for it (`make cluster-test` does; a missing build is
made first, which takes long); otherwise every `cluster` test skips with one reason line. It is
opt-in, not run by `make test` where the binaries are cached, until every example's `helm install
--wait` passes against kwok nodes (see tests/e2e_kind/README.md). A cluster already running
(`make cluster`) is used and left running; one this session started is stopped at its end.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from e2e_kind.objects import NAMESPACE

from .crds import crd_files
from .local import TOOLS, Local, log, paths
from .spaces import prepare

__all__ = ["NOT_BUILT"]

NOT_BUILT = "cluster: opt-in, INFERGRAPH_CLUSTER unset (make cluster-test runs the tier)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the whole tier with one reason when it cannot run here unasked."""
    tier = [item for item in items if item.get_closest_marker("cluster")]
    if tier and os.environ.get("INFERGRAPH_CLUSTER") != "1":
        for item in tier:
            item.add_marker(pytest.mark.skip(reason=NOT_BUILT))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report the tier's skips at one location, so pytest folds them into one summary line."""
    report: pytest.TestReport = yield
    if report.skipped and isinstance(report.longrepr, tuple) and NOT_BUILT in report.longrepr[2]:
        report.longrepr = (str(Path(__file__).parent), None, report.longrepr[2])
    return report


def _script(name: str) -> None:
    """Run tools/cluster/<name>.sh, its output logged; fail the session when it fails."""
    done = subprocess.run(["bash", TOOLS / f"{name}.sh"], capture_output=True, text=True)
    for line in (done.stdout + done.stderr).splitlines():
        log.info("%s: %s", name, line)
    if done.returncode != 0:
        pytest.fail(f"tools/cluster/{name}.sh failed:\n{done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[Local]:
    """The running local cluster (built and started here if need be)."""
    running = subprocess.run(["bash", TOOLS / "status.sh"], capture_output=True).returncode == 0
    if not running:
        _script("build")
        _script("up")
    yield Local(paths())
    if not running:
        _script("down")


@pytest.fixture(scope="session")
def api(local_cluster: Local) -> Local:
    """The cluster ready for graphs: the third-party CRDs established, and the kind tier's
    namespace prepared (spaces.py)."""
    for crd in crd_files(local_cluster.paths):
        local_cluster.kubectl("apply", "--server-side", "-f", crd)
    local_cluster.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=120s")
    prepare(local_cluster, NAMESPACE)
    return local_cluster
