"""Process lifecycle: workers sharing ports, HTTP + gRPC + metrics servers, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from infergraph_server import tracing as tracing_env
from infergraph_server.entry import STOP_SIGNALS
from infergraph_server.http import HttpServer, Router
from infergraph_server.http.limits import fit_to_fd_limit
from infergraph_server.settings import ServerSettings, SettingsError

if TYPE_CHECKING:
    from infergraph_server.tracing.otel import Tracing

__all__ = ["Service", "serve"]

log = logging.getLogger(__name__)


class Service:
    """What a server process serves. Subclasses fill `router`, override `startup`
    (readiness stays false until it returns) and `grpc_adders`. `tracing` is None unless the
    OTEL_* environment turns it on (infergraph_server.tracing); the runner then wraps the
    router's POST handlers and the gRPC methods in server spans."""

    def __init__(self, settings: ServerSettings, tracing: Tracing | None = None) -> None:
        self.settings = settings
        self.tracing = tracing
        self.router = Router()
        self.ready = False

    async def startup(self) -> None:
        """Load whatever the service needs before it is ready."""

    async def shutdown(self) -> None:
        """Release what `startup` took (tasks, connections) once the servers have stopped."""

    def grpc_adders(self) -> Sequence[Callable[[Any], None]]:
        """Functions adding services to the `grpc.aio.Server` (generated `add_*_to_server`)."""
        return ()


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - windows
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


class _ListenError(Exception):
    """A port could not be opened (another process holds it); the message names it."""


async def _listen(server: HttpServer, host: str, port: int, shared: bool) -> None:
    try:
        await server.start(host, port, reuse_port=shared)
    except OSError as exc:
        raise _ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


#: builds a worker's service: `OrchestratorService(settings, tracing)` and the like
Factory = Callable[[ServerSettings, "Tracing | None"], Service]


async def _run_worker(settings: ServerSettings, factory: Factory, with_metrics: bool) -> int:
    tracing = tracing_env.from_environment()  # `serve` has checked that it can be made
    try:
        return await _serve_worker(settings, factory(settings, tracing), with_metrics)
    except _ListenError as exc:
        log.error("%s", exc)
        return 1
    finally:
        if tracing is not None:
            tracing.shutdown()


async def _serve_worker(settings: ServerSettings, service: Service, with_metrics: bool) -> int:
    tracing = service.tracing
    if tracing is not None:
        service.router.wrap("POST", tracing.server)
    limits = fit_to_fd_limit(settings.http_limits())
    http = HttpServer(service.router, limits)
    shared = settings.workers > 1  # only our own workers share a port (SO_REUSEPORT)
    metrics_server = None
    if with_metrics and settings.metrics_port:
        from infergraph_server.metrics import metrics_router

        metrics_server = HttpServer(metrics_router(), limits)
        await _listen(metrics_server, settings.host, settings.metrics_port, False)
    grpc_server = None
    adders = service.grpc_adders()
    if settings.grpc_port and adders:
        import grpc

        grpc_server = grpc.aio.server(
            interceptors=() if tracing is None else (tracing.interceptor(),),
            options=[
                ("grpc.max_receive_message_length", settings.accepted_body_bytes),
                ("grpc.so_reuseport", int(shared)),
            ],
        )
        for add in adders:
            add(grpc_server)
        address = f"{settings.host}:{settings.grpc_port}"
        try:
            grpc_server.add_insecure_port(address)
        except RuntimeError as exc:
            raise _ListenError(f"cannot listen on {address} (gRPC): {exc}") from None

    async def open_ports() -> None:
        await _listen(http, settings.host, settings.http_port, shared)
        if grpc_server is not None:
            await grpc_server.start()

    # One worker answers health (not ready) while loading; with several sharing a port, a
    # loading worker must not take connections, so each opens its ports once loaded.
    early = settings.workers == 1
    if early:
        await open_ports()
    stopper = asyncio.create_task(_wait_for_signal())
    loader = asyncio.create_task(service.startup())
    done, _ = await asyncio.wait({stopper, loader}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if loader in done:
        if loader.exception() is not None:
            log.error("startup failed: %s", loader.exception())
            stopper.cancel()
            code = 1
        else:
            if not early:
                await open_ports()
            service.ready = True
            log.info("ready on http %d, grpc %d", settings.http_port, settings.grpc_port)
            await stopper
    else:
        loader.cancel()
    service.ready = False
    await asyncio.gather(
        http.shutdown(settings.grace_seconds),
        grpc_server.stop(settings.grace_seconds) if grpc_server else asyncio.sleep(0),
    )
    await service.shutdown()
    if metrics_server is not None:
        await metrics_server.shutdown(0)
    return code


def _worker_entry(settings: ServerSettings, factory: Factory) -> None:
    _install_uvloop()
    sys.exit(asyncio.run(_run_worker(settings, factory, with_metrics=False)))


async def _run_parent(settings: ServerSettings, start_worker: Callable[[], Any]) -> int:
    from infergraph_server.metrics import metrics_router

    metrics_server = None
    if settings.metrics_port:
        metrics_server = HttpServer(metrics_router(), fit_to_fd_limit(settings.http_limits()))
        try:
            await _listen(metrics_server, settings.host, settings.metrics_port, False)
        except _ListenError as exc:
            log.error("%s", exc)
            return 1
    workers = [start_worker() for _ in range(settings.workers)]
    stopper = asyncio.create_task(_wait_for_signal())
    while not stopper.done():
        await asyncio.sleep(0.5)
        for i, proc in enumerate(workers):
            if not proc.is_alive() and not stopper.done():
                log.warning("worker %d exited with %s; starting a new one", proc.pid, proc.exitcode)
                workers[i] = start_worker()
    for proc in workers:
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + settings.grace_seconds + 5
    for proc in workers:
        await asyncio.to_thread(proc.join, max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
    if metrics_server is not None:
        await metrics_server.shutdown(0)
    return 0 if all(p.exitcode == 0 for p in workers) else 1


def serve(settings: ServerSettings, factory: Factory) -> int:
    """Run the service until SIGTERM/SIGINT; returns the process exit code.

    One worker runs in this process. With more, this process spawns them (they share the
    HTTP and gRPC ports through SO_REUSEPORT), restarts any that die, and serves /metrics
    aggregated from all of them through prometheus multiprocess files under /tmp.
    """
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        tracing_env.check()
    except SettingsError as exc:
        log.error("%s", exc)
        return 1
    if settings.workers == 1:
        _install_uvloop()
        return asyncio.run(_run_worker(settings, factory, with_metrics=True))
    metrics_dir = tempfile.mkdtemp(prefix="infergraph-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    ctx = multiprocessing.get_context("spawn")  # no inherited event loop or gRPC state

    def start_worker() -> Any:
        proc = ctx.Process(target=_worker_entry, args=(settings, factory), daemon=False)
        proc.start()
        return proc

    try:
        _install_uvloop()
        return asyncio.run(_run_parent(settings, start_worker))
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(metrics_dir)
