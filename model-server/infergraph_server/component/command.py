"""`infergraph-server component`: one graph node (model, router, combiner, transformer)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from infergraph_server.component.dataplane import DataPlane
from infergraph_server.component.rest import add_routes
from infergraph_server.runner import Service, serve
from infergraph_server.settings import ComponentSettings, ServerSettings, add_component_flags

if TYPE_CHECKING:
    from infergraph_server.tracing.otel import Tracing

__all__ = ["ComponentService", "register"]


class ComponentService(Service):
    """HTTP routes and gRPC services of one graph node over a shared data plane."""

    def __init__(self, settings: ServerSettings, tracing: Tracing | None = None) -> None:
        assert isinstance(settings, ComponentSettings)
        self.plane = DataPlane(settings)  # first: the base sets `ready`, which lives here
        super().__init__(settings, tracing)
        add_routes(self.router, self.plane)

    @property
    def ready(self) -> bool:
        """The data plane's flag: ready once the model has loaded, until shutdown starts."""
        return self.plane.ready

    @ready.setter
    def ready(self, value: bool) -> None:
        self.plane.ready = value

    async def startup(self) -> None:
        """Build and load the user object."""
        await self.plane.load()

    def grpc_adders(self) -> Sequence[Callable[[Any], None]]:
        """Seldon and V2 gRPC services."""
        from infergraph_server.component.grpc_server import grpc_adders

        return grpc_adders(self.plane)


def _run(args: argparse.Namespace) -> int:
    return serve(ComponentSettings.from_args(args), ComponentService)


def register(subparsers: Any) -> None:
    """Add the `component` subcommand."""
    parser = subparsers.add_parser(
        "component", help="serve one graph node (model, router, combiner, transformer)"
    )
    add_component_flags(parser)
    parser.set_defaults(func=_run)
