"""The graph executor: walks a runtime graph the way Seldon's executor does, protocol-neutral.

Per node, the stages of its type's object (node_types): before the children (MODEL
`/predict`, TRANSFORMER `/transform-input`), which children (ROUTER: `/route` picks one; any
other node fans out to all of them concurrently), their outputs as one (COMBINER
`/aggregate`; the others pass on the first child's), after the children (OUTPUT_TRANSFORMER
`/transform-output`). Every node answer's `meta.tags` and `meta.metrics` are merged here, so a
combiner's children are not lost. The answer's meta carries `puid`, `requestPath` (node ->
implementation, else image), `routing` (router -> chosen child; -1 for every other node with
children, which fans out) and the merged `tags` and `metrics`.

Messages travel in the graph's protocol (a `protocol: v2` graph passes `{"inputs": [...]}`,
see convert.py); each node is called in its own compiled `protocol`: V2 infer at
`/v2/models/{node}/infer`, or the Seldon paths, with the message converted when the two
differ (routers and combiners have only Seldon calls). Feedback is Seldon `/send-feedback`.
Nodes the readiness state (readiness.py) holds not ready are not called: a 503 names them.

Payload logging (payload_log.py): for a logged node of a sampled request, the body the node
was sent and the body it answered go to the event queue as they were on the wire, so each
event holds what that node really received and returned (a transformer's input, a combiner's
`seldonMessages`). Without logging, `_Walk.log` is None and that check is all it costs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from random import getrandbits
from time import perf_counter
from typing import TYPE_CHECKING, Any

import orjson

from infergraph_server.codecs.seldon import check_meta

from .convert import DEFAULT_INPUT, seldon_to_v2, v2_to_seldon
from .errors import NodeError, OrchestratorError, Overloaded
from .graph import RuntimeGraph, RuntimeNode
from .payload_log import REQUEST, RESPONSE, PayloadLog
from .readiness import Readiness
from .seldon_metrics import CallObserver
from .transport import Response, Transport

if TYPE_CHECKING:
    from infergraph_server.tracing.otel import Tracing

__all__ = ["Executor"]

Message = dict[str, Any]

_NUMPY = orjson.OPT_SERIALIZE_NUMPY
# the version (4) and variant (RFC 4122) bits of a random UUID
_UUID4_KEEP = ~(0xF000 << 64) & ~(0xC000 << 48)
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def _puid() -> str:
    """A new request's puid: what `uuid.uuid4().hex` gives (a random version-4 UUID in 32 hex
    digits) at a seventh of its cost; a request id, not a secret."""
    return "%032x" % (getrandbits(128) & _UUID4_KEEP | _UUID4_SET)


class _Walk:
    """What one request collects on its way through the graph."""

    __slots__ = ("log", "metrics", "path", "puid", "routing", "sent", "tags")

    def __init__(self, puid: str, tags: dict[str, Any], log: PayloadLog | None = None) -> None:
        self.puid = puid
        self.tags = tags
        self.log = log  # None: this request's payloads are not logged
        self.metrics: list[Any] = []
        self.routing: dict[str, int] = {}
        self.path: dict[str, str] = {}
        self.sent: tuple[Message, bool, bytes] | None = None

    def encode(self, msg: Message, puid: bool) -> bytes:
        """The body that sends `msg` (with `meta.puid` if asked); the children of a fan-out
        are all sent the same message, so it is encoded once and the bytes are reused."""
        sent = self.sent
        if sent is not None and sent[0] is msg and sent[1] == puid:
            return sent[2]
        body = orjson.dumps({**msg, "meta": {"puid": self.puid}} if puid else msg, option=_NUMPY)
        self.sent = (msg, puid, body)
        return body

    def merge(self, meta: Any) -> None:
        """Fold a node answer's meta into the request's tags and metrics."""
        if isinstance(meta, dict):
            tags = meta.get("tags")
            if isinstance(tags, dict):
                self.tags.update(tags)
            metrics = meta.get("metrics")
            if isinstance(metrics, list):
                self.metrics.extend(metrics)

    def meta(self) -> Message:
        return {
            "puid": self.puid,
            "tags": self.tags,
            "routing": self.routing,
            "requestPath": self.path,
            "metrics": self.metrics,
        }


def _reason(body: bytes) -> str:
    """The human part of a node's error answer (Seldon `status.info`/`reason`, else the text)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace").strip()
    return _why(doc)


def _why(doc: Any) -> str:
    status = doc.get("status") if isinstance(doc, dict) else None
    if isinstance(status, dict):
        return str(status.get("info") or status.get("reason") or "")
    if isinstance(doc, dict) and "error" in doc:
        return str(doc["error"])
    return ""


class Executor:
    """Runs predictions and feedback for one predictor's graph over a `Transport`; it is the
    `Calls` its node types' stages use. With `tracing`, every node is walked in its own span
    (the walk is wrapped once, here, so a graph without tracing runs exactly the plain walk)."""

    def __init__(
        self,
        graph: RuntimeGraph,
        transport: Transport,
        readiness: Readiness | None = None,
        calls: CallObserver | None = None,
        tracing: Tracing | None = None,
        log: PayloadLog | None = None,
    ) -> None:
        self.graph = graph
        self.log = log  # None: the graph logs no payloads
        self.transport = transport
        self.calls = calls  # told of every answered node call; None: metrics are off
        self.readiness = readiness or Readiness(graph)
        self.down = self.readiness.down  # the state's own dict: empty while all are ready
        self.inflight = 0
        self.v2 = graph.protocol == "v2"
        self.grpc = graph.transport == "grpc"
        self.visit: Callable[[RuntimeNode, Message, _Walk], Awaitable[Message]] = self._node
        if tracing is not None:
            self.visit = tracing.node(self._node)

    async def predict(self, message: Message) -> Message:
        """Run one request through the graph; raises OrchestratorError with its HTTP status."""
        if self.inflight >= self.graph.max_concurrency:
            raise Overloaded(
                f"predictor {self.graph.predictor!r} is at its concurrency limit "
                f"({self.graph.max_concurrency} requests in flight); retry later"
            )
        self.inflight += 1
        try:
            meta = check_meta(message.pop("meta", None))
            tags = meta.get("tags")
            log = self.log
            if log is not None and not log.sampled():
                log = None
            walk = _Walk(meta.get("puid") or _puid(), dict(tags) if tags else {}, log)
            out = await self.visit(self.graph.root, message, walk)
            out["meta"] = walk.meta()
            return out
        finally:
            self.inflight -= 1

    async def _node(self, node: RuntimeNode, msg: Message, walk: _Walk) -> Message:
        walk.path[node.name] = node.path_label
        kind = node.kind
        msg = await kind.enter(self, node, msg, walk)
        if children := node.children:
            branch = await kind.choose(self, node, msg, walk)
            walk.routing[node.name] = branch
            if branch >= 0:
                outs = [await self.visit(children[branch], msg, walk)]
            elif len(children) == 1:
                outs = [await self.visit(children[0], msg, walk)]
            else:
                outs = list(await asyncio.gather(*(self.visit(c, msg, walk) for c in children)))
            msg = await kind.combine(self, node, outs, walk)
        return await kind.leave(self, node, msg, walk)

    # Calls: what the node types' stages use
    def to_seldon(self, msg: Message) -> Message:
        """A graph message as a Seldon message."""
        return v2_to_seldon(msg["inputs"]) if self.v2 else msg

    def from_seldon(self, answer: Message, like: Message) -> Message:
        """A Seldon answer as a graph message; in a V2 graph named after `like`'s tensor."""
        return {"inputs": seldon_to_v2(answer, like["inputs"][0]["name"])} if self.v2 else answer

    def unavailable(self, node: RuntimeNode) -> RuntimeNode | None:
        """The first node of `node`'s subtree that is not ready; None when all are."""
        return self.readiness.unavailable(node) if self.down else None

    async def transform(
        self, node: RuntimeNode, seldon_path: str, msg: Message, walk: _Walk
    ) -> Message:
        """The node's own call: Seldon `seldon_path`, or V2 infer when its protocol is V2."""
        if node.protocol == "seldon":
            if self.v2:
                return self.from_seldon(
                    await self.call(node, seldon_path, self.to_seldon(msg), walk), msg
                )
            return await self.call(node, seldon_path, msg, walk)
        if not self.v2:
            msg = {"inputs": seldon_to_v2(msg, DEFAULT_INPUT)}
        path = f"/v2/models/{node.name}/infer"
        body = walk.encode(msg, puid=False)
        outputs = (await self._exchange(node, path, body, walk)).get("outputs")
        if not isinstance(outputs, list) or not outputs:
            raise NodeError(node.name, 502, f"answered {path} without outputs")
        return {"inputs": outputs} if self.v2 else v2_to_seldon(outputs)

    async def call(
        self, node: RuntimeNode, path: str, msg: Message, walk: _Walk, meta: bool = True
    ) -> Message:
        """Send one Seldon message; return the answer with its meta merged and removed."""
        body = walk.encode(msg, puid=True) if meta else orjson.dumps(msg, option=_NUMPY)
        out = await self._exchange(node, path, body, walk)
        walk.merge(out.pop("meta", None))
        failure = out.get("status")
        if isinstance(failure, dict) and failure.get("status") == "FAILURE":
            raise NodeError(node.name, 502, f"answered {path} with FAILURE: {_why(out)}")
        return out

    async def _exchange(self, node: RuntimeNode, path: str, body: bytes, walk: _Walk) -> Message:
        """Send a body, return the node's JSON object answer; NodeError otherwise."""
        log = walk.log
        logger = node.logger if log is not None else None
        if logger is not None and log is not None and logger.request:
            log.put(node, REQUEST, walk.puid, body)
        response = await self._send(node, path, body)
        if response.status >= 400:
            cause = f"answered {path} with {response.status}: {_reason(response.body)}"
            if response.status == 503:
                self.readiness.fail(node, cause)
                raise NodeError(node.name, 503, cause)
            raise NodeError(node.name, response.status if response.status < 500 else 502, cause)
        try:
            out = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            raise NodeError(node.name, 502, f"answered {path} with invalid JSON") from None
        if not isinstance(out, dict):
            raise NodeError(node.name, 502, f"answered {path} with a non-object")
        if logger is not None and log is not None and logger.response:
            log.put(node, RESPONSE, walk.puid, response.body)
        return out

    async def _send(self, node: RuntimeNode, path: str, body: bytes) -> Response:
        """Call with the node's timeout over all attempts; retry only when no answer came.

        The deadline is one timer handle that cancels this task, which is what
        `asyncio.timeout` does, without its five Python calls per node call: the cancel is
        ours when `expired` is set and taking it back leaves no other cancel pending."""
        if self.down and node.name in self.down:
            raise NodeError(node.name, 503, f"is not ready ({self.down[node.name]})")
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        expired: list[bool] = []

        def expire() -> None:
            expired.append(True)
            task.cancel()

        timer = loop.call_at(loop.time() + node.timeout_ms / 1000, expire)
        error: OSError | None = None
        try:
            for _ in range(node.retries + 1):
                try:
                    if self.calls is None:
                        return await self.transport.send(node, path, body)
                    start = perf_counter()
                    answer = await self.transport.send(node, path, body)
                    self.calls(node, path, answer.status, perf_counter() - start)
                    return answer
                except OSError as exc:
                    error = exc
        except asyncio.CancelledError:
            if expired and task.uncancel() == 0:
                raise NodeError(node.name, 504, f"timed out after {node.timeout_ms} ms") from None
            raise
        finally:
            timer.cancel()
        cause = f"{type(error).__name__}: {error}" if error else "no attempt made"
        port = node.grpc_port if self.grpc else node.http_port
        cause = f"is unreachable at {node.host}:{port} ({cause})"
        self.readiness.fail(node, cause)
        raise NodeError(node.name, 503, cause)

    async def feedback(self, feedback: Message) -> Message:
        """Replay a prediction's recorded routing: routers and models get `/send-feedback`."""
        response = feedback.get("response")
        meta = response.get("meta") if isinstance(response, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        routing = meta.get("routing")
        walk = _Walk(meta.get("puid") or _puid(), {})
        await self._feedback(self.graph.root, feedback, routing or {}, walk)
        return {"meta": walk.meta()}

    async def _feedback(
        self, node: RuntimeNode, feedback: Message, routing: dict[str, Any], walk: _Walk
    ) -> None:
        walk.path[node.name] = node.path_label
        if node.children:
            branch: Any = routing.get(node.name) if node.kind.routes else -1
            if not (isinstance(branch, int) and -1 <= branch < len(node.children)):
                raise OrchestratorError(
                    f"/response/meta/routing/{node.name}: {branch!r} is not a child of router "
                    f"{node.name!r}; send back the response meta the prediction returned",
                    400,
                )
            walk.routing[node.name] = branch
            targets = node.children if branch < 0 else (node.children[branch],)
            await asyncio.gather(*(self._feedback(c, feedback, routing, walk) for c in targets))
        if node.kind.learns:
            await self.call(node, "/send-feedback", feedback, walk, meta=False)
