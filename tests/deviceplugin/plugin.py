"""The device plugin: the DevicePlugin service on its own unix socket, registered with the
kubelet, registering again whenever the kubelet restarts.

The kubelet's device manager removes every socket in its device-plugins directory when it
starts, so a plugin whose socket has vanished serves a new one and registers again (what
NVIDIA's plugin does). ListAndWatch streams the device list once and again on every health
change; Allocate answers with NVIDIA_VISIBLE_DEVICES naming the devices the kubelet chose.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from .stubs import API_VERSION, Stubs

__all__ = ["HEALTHY", "UNHEALTHY", "VISIBLE_DEVICES", "Devices", "Plugin"]

log = logging.getLogger("deviceplugin")
HEALTHY, UNHEALTHY = "Healthy", "Unhealthy"  # the kubelet's constants.go
VISIBLE_DEVICES = "NVIDIA_VISIBLE_DEVICES"
KUBELET_SOCKET = "kubelet.sock"


@dataclass
class Devices:
    """The fake devices and their health; watchers wake on every change."""

    ids: tuple[str, ...]
    health: dict[str, str] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)
    version: int = 0

    @classmethod
    def fake(cls, count: int, prefix: str = "fake-gpu") -> Devices:
        ids = tuple(f"{prefix}-{i}" for i in range(count))
        return cls(ids, dict.fromkeys(ids, HEALTHY))

    def set_health(self, device: str, health: str) -> None:
        if device not in self.health:
            raise KeyError(device)
        with self.changed:
            self.health[device] = health
            self.version += 1
            self.changed.notify_all()


class _Service:
    """The DevicePlugin servicer (grpc looks its methods up by the proto's names)."""

    def __init__(self, stubs: Stubs, devices: Devices, stopped: threading.Event) -> None:
        self.pb2, self.devices, self.stopped = stubs.pb2, devices, stopped

    def GetDevicePluginOptions(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self.pb2.DevicePluginOptions()

    def ListAndWatch(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        seen = -1
        while context.is_active() and not self.stopped.is_set():
            with self.devices.changed:
                if seen == self.devices.version:
                    self.devices.changed.wait(timeout=1)
                    continue
                seen = self.devices.version
                listed = [self.pb2.Device(ID=i, health=self.devices.health[i])
                          for i in self.devices.ids]  # fmt: skip
            yield self.pb2.ListAndWatchResponse(devices=listed)

    def GetPreferredAllocation(self, request: Any, context: grpc.ServicerContext) -> Any:
        answers = [
            self.pb2.ContainerPreferredAllocationResponse(
                deviceIDs=sorted(r.available_deviceIDs)[: r.allocation_size]
            )
            for r in request.container_requests
        ]
        return self.pb2.PreferredAllocationResponse(container_responses=answers)

    def Allocate(self, request: Any, context: grpc.ServicerContext) -> Any:
        answers = []
        for wanted in request.container_requests:
            if unknown := [d for d in wanted.devices_ids if d not in self.devices.health]:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown devices {unknown}")
            envs = {VISIBLE_DEVICES: ",".join(wanted.devices_ids)}
            answers.append(self.pb2.ContainerAllocateResponse(envs=envs))
        return self.pb2.AllocateResponse(container_responses=answers)

    def PreStartContainer(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self.pb2.PreStartContainerResponse()


class Plugin:
    """One resource's plugin in the kubelet's device-plugins directory `plugin_dir`."""

    def __init__(self, stubs: Stubs, plugin_dir: Path, resource: str, devices: Devices,
                 endpoint: str = "infergraph-gpu.sock") -> None:  # fmt: skip
        self.stubs, self.dir, self.resource, self.devices = stubs, plugin_dir, resource, devices
        self.endpoint = endpoint
        self.stopped = threading.Event()
        self._server: grpc.Server | None = None

    @property
    def socket(self) -> Path:
        return self.dir / self.endpoint

    def serve(self) -> None:
        """Start the DevicePlugin service on a fresh socket (a stale one is ours: removed)."""
        self.socket.unlink(missing_ok=True)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        service = _Service(self.stubs, self.devices, self.stopped)
        self.stubs.grpc.add_DevicePluginServicer_to_server(service, server)
        server.add_insecure_port(f"unix://{self.socket}")
        server.start()
        self._server = server

    def register(self, timeout: float = 10) -> None:
        """Register with the kubelet; raises grpc.RpcError when the kubelet refuses."""
        pb2 = self.stubs.pb2
        request = pb2.RegisterRequest(version=API_VERSION, endpoint=self.endpoint,
                                      resource_name=self.resource,
                                      options=pb2.DevicePluginOptions())  # fmt: skip
        with grpc.insecure_channel(f"unix://{self.dir / KUBELET_SOCKET}") as channel:
            self.stubs.grpc.RegistrationStub(channel).Register(request, timeout=timeout)
        log.info("registered %s (%d devices) at %s", self.resource, len(self.devices.ids),
                 self.socket)  # fmt: skip

    def stop(self) -> None:
        self.stopped.set()
        if self._server is not None:
            self._server.stop(grace=1).wait()
            self._server = None
        self.socket.unlink(missing_ok=True)

    def run(self, every: float = 1.0) -> None:
        """Serve and register until stop(); when the kubelet removes our socket (it restarted),
        serve a new one and register again; while the kubelet is away, retry every `every` s."""
        registered = False
        while not self.stopped.is_set():
            if registered and not self.socket.exists():
                log.info("%s vanished (kubelet restarted): registering again", self.socket)
                self._restart()
                registered = False
            if not registered:
                if self._server is None:
                    self.serve()
                try:
                    self.register()
                    registered = True
                except grpc.RpcError as error:
                    log.warning("register %s: %s", self.resource, error.details())
            self.stopped.wait(every)

    def _restart(self) -> None:
        if self._server is not None:
            self._server.stop(grace=0).wait()
            self._server = None
