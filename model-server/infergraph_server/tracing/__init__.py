"""Distributed tracing: on when the OTEL_* environment names an OTLP endpoint, else absent.

The compiler writes the standard OpenTelemetry variables into every pod of a graph with
`tracing` (and `infergraph up` into its processes): `OTEL_EXPORTER_OTLP_ENDPOINT`,
`OTEL_TRACES_SAMPLER`/`_ARG`, `OTEL_SERVICE_NAME`, `OTEL_PROPAGATORS`. A process whose
environment has no endpoint (or `OTEL_SDK_DISABLED=true`) never imports OpenTelemetry, and its
request path carries no tracing code at all: the servers wrap their handlers, the executor its
node walk and the transports their headers only when `from_environment` returns a `Tracing`.
OpenTelemetry is the `tracing` extra (`pip install 'infergraph-server[tracing]'`); the image
has it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING

from infergraph_server.settings import SettingsError

if TYPE_CHECKING:
    from .otel import Tracing

__all__ = ["ENDPOINT_VARIABLES", "check", "enabled", "from_environment"]

#: the variables that turn tracing on (OpenTelemetry's own: the traces endpoint wins)
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this environment asks for traces: an OTLP endpoint, and the SDK not disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name) for name in ENDPOINT_VARIABLES)


def _otel(environ: Mapping[str, str]) -> ModuleType | None:
    if not enabled(environ):
        return None
    try:
        from . import otel
    except ImportError as exc:
        name = next(n for n in ENDPOINT_VARIABLES if environ.get(n))
        raise SettingsError(
            f"{name}: set, so requests are traced, but {exc.name or 'opentelemetry'} is not "
            "installed; pip install 'infergraph-server[tracing]', or unset it"
        ) from None
    return otel


def check(environ: Mapping[str, str] = os.environ) -> None:
    """Raise SettingsError when tracing is asked for and OpenTelemetry cannot be imported
    (the runner asks once, before it starts any worker)."""
    _otel(environ)


def from_environment(environ: Mapping[str, str] = os.environ) -> Tracing | None:
    """A `Tracing` exporting over OTLP/HTTP as the OTEL_* environment says; None when off."""
    otel = _otel(environ)
    return None if otel is None else otel.Tracing(otel.exporting_provider())
