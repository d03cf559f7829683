"""Which nodes the orchestrator sends to: a per-node readiness state, cheap on the happy path.

Two things feed it. A call that gets no answer (after its retries) or a 503 marks its node
not ready at once; a background task probes every node each `probePeriodMs` at the path the
compiler wrote for it (`readinessPath`, GET on its HTTP port; null: a connection to its gRPC
port). Probes follow the kubelet's readiness rules with the numbers the pods' own readiness
probes carry (`probeTimeoutMs`, `probeFailureThreshold`): a node is not ready until a probe
passes, one passing probe makes it ready, and a ready node is taken out only after
`probeFailureThreshold` failed probes in a row, so one probe slowed past its timeout on a
loaded machine does not turn away traffic that the node's Service still sends it. While a node
is not ready, calls that need it fail with a 503 naming it before anything is sent (or a router
with `fallback` picks another child), so a restarted node gets no traffic until its model is
loaded. When every node is ready, `down` is empty and a request pays one truth test of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from infergraph_server.http import HttpClient, HttpClientError

from .graph import RuntimeGraph, RuntimeNode

__all__ = ["Readiness"]

log = logging.getLogger(__name__)


class Readiness:
    """The nodes of one graph that must not be sent to, and the probe that updates them."""

    def __init__(self, graph: RuntimeGraph) -> None:
        self.graph = graph
        self.down: dict[str, str] = {}  # node name -> why it is not ready
        self._clients: dict[str, HttpClient] = {}
        self._timeout = graph.probe_timeout_ms / 1000
        self._failures: dict[str, int] = {}  # node name -> failed probes in a row
        self._passed: set[str] = set()  # nodes that have passed a probe (kubelet: ready once)

    def unavailable(self, node: RuntimeNode) -> RuntimeNode | None:
        """The first node of `node`'s subtree that is not ready; None when all are."""
        if not self.down:
            return None
        for member in node.walk():
            if member.name in self.down:
                return member
        return None

    def fail(self, node: RuntimeNode, why: str) -> None:
        """Mark `node` not ready (a call failed, or its probe did)."""
        if node.name not in self.down:
            log.warning("node %s is not ready (%s); calls to it fail fast", node.name, why)
        self.down[node.name] = why

    def recover(self, node: RuntimeNode) -> None:
        """Mark `node` ready again."""
        if self.down.pop(node.name, None) is not None:
            log.info("node %s is ready again", node.name)

    async def probe(self, node: RuntimeNode) -> str | None:
        """None when `node` answers its readiness probe; otherwise why it does not."""
        if node.readiness_path is None:
            try:
                async with asyncio.timeout(self._timeout):
                    _, writer = await asyncio.open_connection(node.host, node.grpc_port)
            except (OSError, TimeoutError) as exc:
                return f"no connection to {node.host}:{node.grpc_port}: {exc or 'timed out'}"
            writer.close()
            return None
        client = self._clients.get(node.name)
        if client is None:
            client = HttpClient(node.host, node.http_port, 1, self._timeout)
            self._clients[node.name] = client
        try:
            answer = await client.request("GET", node.readiness_path)
        except HttpClientError as exc:
            return str(exc)
        return None if answer.status == 200 else f"{node.readiness_path} answered {answer.status}"

    def probed(self, node: RuntimeNode, why: str | None) -> None:
        """Record one probe of `node` (`why` None: it passed), by the kubelet's readiness rules."""
        if why is None:
            self._failures.pop(node.name, None)
            self._passed.add(node.name)
            self.recover(node)
            return
        failures = self._failures.get(node.name, 0) + 1
        self._failures[node.name] = failures
        threshold = self.graph.probe_failure_threshold
        if node.name not in self._passed or failures >= threshold:
            self.fail(node, why if failures == 1 else f"{why} ({failures} probes in a row)")

    async def check(self) -> list[RuntimeNode]:
        """Probe every node once, update the state; the nodes whose probe failed."""
        nodes = self.graph.nodes()
        answers = await asyncio.gather(*(self.probe(n) for n in nodes))
        for node, why in zip(nodes, answers, strict=True):
            self.probed(node, why)
        return [n for n, why in zip(nodes, answers, strict=True) if why is not None]

    async def watch(self) -> None:
        """Probe every node each `probePeriodMs`, until cancelled."""
        period = self.graph.probe_period_ms / 1000
        try:
            while True:
                await asyncio.sleep(period)
                await self.check()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the probes' connections."""
        for client in self._clients.values():
            with contextlib.suppress(HttpClientError, OSError):
                await client.close()
        self._clients.clear()
