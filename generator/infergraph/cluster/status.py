"""`infergraph status`: the live rollout of a graph's Deployments, once or until all are done."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import NotFound
from ..pointers import JSON
from .connect import Connection
from .rollout import Row, row

__all__ = ["POLL_SECONDS", "rows", "wait"]

#: how often `--wait` asks the API server again
POLL_SECONDS = 2.0


def rows(connection: Connection, rendered: list[JSON], namespace: str) -> list[Row]:
    """One row per rendered Deployment, read from the cluster."""
    found = []
    for deployment in (o for o in rendered if o["kind"] == "Deployment"):
        meta = deployment["metadata"]
        where = meta.get("namespace") or namespace
        path = f"/apis/apps/v1/namespaces/{where}/deployments/{meta['name']}"
        try:
            live = connection.request("GET", path)
        except NotFound:
            live = None
        found.append(row(deployment, live))
    return found


def wait(
    read: Callable[[], list[Row]],
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Row]:
    """Read the rows until every one is done or `timeout` seconds have passed; the last read."""
    deadline = clock() + timeout
    current = read()
    while not all(r.done for r in current) and clock() < deadline:
        sleep(min(POLL_SECONDS, max(0.0, deadline - clock())))
        current = read()
    return current
