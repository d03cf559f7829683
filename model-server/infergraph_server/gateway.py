"""`infergraph-server gateway`: the local stand-in for a graph's route (Istio VirtualService or
Gateway API HTTPRoute: both are compiled from the same weights, mirror percentage and prefix).

One port in front of the predictors' orchestrators: each request goes to one main predictor
picked by traffic weight (seedable RNG), is mirrored fire-and-forget to every shadow predictor
(the caller only ever sees the main answer), and keeps its method, path, query and body; a
path under the graph's gateway prefix (`/infergraph/<graph>/`) loses the prefix, as the routes'
rewrite does, and any other path is forwarded as it is.
The answer carries `x-infergraph-predictor` naming the predictor that produced it.

Config (written by `infergraph up`):
`{"predictors": [{"name", "host", "port", "traffic", "shadow", "mirrorPercent"}]}`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from infergraph_server.http import HttpClient, HttpClientError, Request, Response, Router
from infergraph_server.runner import Service, serve
from infergraph_server.settings import (
    GatewaySettings,
    ServerSettings,
    SettingsError,
    add_server_flags,
    setting,
)

if TYPE_CHECKING:
    from infergraph_server.tracing.otel import Tracing

__all__ = ["GatewayService", "Upstream", "load_upstreams", "register"]

log = logging.getLogger(__name__)

# Not forwarded: hop-by-hop headers, and `expect`, which the gateway has answered already.
_HOP_BY_HOP = frozenset(
    ("host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade", "expect")
)
_MAX_MIRRORS_IN_FLIGHT = 1024  # beyond this a slow shadow loses mirrors instead of memory


@dataclasses.dataclass(frozen=True)
class Upstream:
    """One predictor's orchestrator as the gateway sees it."""

    name: str
    host: str
    port: int
    traffic: int
    shadow: bool
    mirror_percent: float | None


def load_upstreams(path: str) -> list[Upstream]:
    """Read the gateway config; errors name the file and the field."""
    try:
        doc = orjson.loads(Path(path).read_bytes())
        upstreams = [
            Upstream(
                p["name"],
                p["host"],
                int(p["port"]),
                int(p["traffic"]),
                bool(p["shadow"]),
                p.get("mirrorPercent"),
            )
            for p in doc["predictors"]
        ]
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise SettingsError(f"{path}: not a gateway config ({exc!r}); see gateway.py") from None
    if not any(u.traffic > 0 and not u.shadow for u in upstreams):
        raise SettingsError(f"{path}: /predictors: no main predictor with traffic > 0")
    return upstreams


class _EveryPath(Router):
    """A router that sends every method and path to one handler."""

    def __init__(self, handler: Any) -> None:
        super().__init__()
        self._handler = handler

    def match(self, method: str, path: str) -> tuple[Any, dict[str, str], bool]:
        return self._handler, {}, True


class GatewayService(Service):
    """Splits traffic between main predictors and mirrors it to shadows. It makes no spans:
    trace headers pass through to the orchestrators with every other header."""

    def __init__(self, settings: ServerSettings, tracing: Tracing | None = None) -> None:
        super().__init__(settings, tracing)
        assert isinstance(settings, GatewaySettings)
        upstreams = load_upstreams(settings.config)
        self.mains = [u for u in upstreams if not u.shadow and u.traffic > 0]
        self.weights = [u.traffic for u in self.mains]
        self.shadows = [u for u in upstreams if u.shadow]
        self.clients = {u.name: HttpClient(u.host, u.port, 256, 60.0) for u in upstreams}
        self.rng = random.Random(settings.seed)
        self.mirrors: set[asyncio.Task[None]] = set()
        self.router = _EveryPath(self.forward)
        self.prefix = settings.prefix

    async def forward(self, request: Request) -> Response:
        target = self.mains[0]
        if len(self.mains) > 1:
            target = self.rng.choices(self.mains, self.weights)[0]
        path = request.path
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix) - 1 :]
        path = f"{path}?{request.query}" if request.query else path
        headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP}
        for shadow in self.shadows:
            self._mirror(shadow, request.method, path, request.body, headers)
        try:
            answer = await self.clients[target.name].request(
                request.method, path, request.body, headers
            )
        except HttpClientError as exc:
            body = orjson.dumps({"error": f"predictor {target.name!r} unreachable: {exc}"})
            return Response(body, 503, headers=[("x-infergraph-predictor", target.name)])
        kept = [
            (k, v)
            for k, v in answer.headers.items()
            if k not in _HOP_BY_HOP and k != "content-type"  # Response sets it
        ]
        length = answer.headers.get("content-length", "")  # HEAD: what GET would carry
        return Response(
            answer.body,
            answer.status,
            answer.headers.get("content-type", "application/octet-stream"),
            [*kept, ("x-infergraph-predictor", target.name)],
            int(length) if request.method == "HEAD" and length.isdigit() else None,
        )

    def _mirror(
        self, shadow: Upstream, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> None:
        percent = shadow.mirror_percent
        if percent is not None and self.rng.random() * 100 >= percent:
            return
        if len(self.mirrors) >= _MAX_MIRRORS_IN_FLIGHT:
            return
        task = asyncio.create_task(self._send_mirror(shadow, method, path, body, headers))
        self.mirrors.add(task)
        task.add_done_callback(self.mirrors.discard)

    async def _send_mirror(
        self, shadow: Upstream, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> None:
        try:
            await self.clients[shadow.name].request(method, path, body, headers)
        except HttpClientError as exc:
            log.debug("mirror to %s failed: %s", shadow.name, exc)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `gateway --config FILE [--seed N]` with the shared server flags."""
    parser = subparsers.add_parser(
        "gateway",
        help="local traffic split and shadow mirroring in front of orchestrators",
        description="Serve one port that splits requests between predictors by weight.",
    )
    parser.add_argument("--config", help="gateway config JSON [INFERGRAPH_GATEWAY_CONFIG]")
    parser.add_argument("--seed", type=int, help="traffic split seed [INFERGRAPH_SEED, random]")
    parser.add_argument("--prefix", help="path prefix rewritten to / [INFERGRAPH_GATEWAY_PREFIX]")
    add_server_flags(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        config = setting(args, "config", "INFERGRAPH_GATEWAY_CONFIG", "", str)
        if not config:
            raise SettingsError("--config: required; the gateway config JSON file")
        fields = GatewaySettings.server_fields(args)
        fields.update(grpc_port=0, metrics_port=0)  # the gateway proxies HTTP only
        seed = args.seed if args.seed is not None else os.environ.get("INFERGRAPH_SEED")
        prefix = setting(args, "prefix", "INFERGRAPH_GATEWAY_PREFIX", "", str)
        settings = GatewaySettings(
            **fields, config=config, seed=None if seed is None else int(seed), prefix=prefix
        )
        load_upstreams(config)
    except ValueError:
        print("infergraph-server gateway: INFERGRAPH_SEED: expected an integer", file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(f"infergraph-server gateway: {exc}", file=sys.stderr)
        return 1
    return serve(settings, GatewayService)
