"""The device plugin against real gRPC on unix sockets: a Registration server of the test's
own stands in for the kubelet's `kubelet.sock` and calls the plugin back as the kubelet's device
manager does (a real kubelet does not yet: README, "The real nodes")."""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest

from .plugin import HEALTHY, KUBELET_SOCKET, UNHEALTHY, VISIBLE_DEVICES, Devices, Plugin
from .stubs import API_VERSION, Stubs, StubsUnavailable, load, strip_gogo

RESOURCE = "nvidia.com/gpu"


@pytest.fixture(scope="module")
def stubs() -> Stubs:
    try:
        return load()
    except StubsUnavailable as error:
        pytest.skip(f"deviceplugin: {error}")


class _Kubelet:
    """The Registration service; every RegisterRequest lands in `registered`."""

    def __init__(self, stubs: Stubs, plugin_dir: Path) -> None:
        self.registered: queue.Queue[Any] = queue.Queue()
        self.stubs, self.dir = stubs, plugin_dir
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        stubs.grpc.add_RegistrationServicer_to_server(self, self.server)
        self.server.add_insecure_port(f"unix://{plugin_dir / KUBELET_SOCKET}")
        self.server.start()

    def Register(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.registered.put(request)
        return self.stubs.pb2.Empty()

    def plugin(self, request: Any) -> Any:
        """A client of the plugin's endpoint, as the device manager dials it."""
        channel = grpc.insecure_channel(f"unix://{self.dir / request.endpoint}")
        return self.stubs.grpc.DevicePluginStub(channel)


@pytest.fixture
def plugin_dir() -> Iterator[Path]:
    where = Path(tempfile.mkdtemp(prefix="dp", dir="/tmp"))  # unix socket paths are short
    yield where
    shutil.rmtree(where, ignore_errors=True)


@pytest.fixture
def kubelet(stubs: Stubs, plugin_dir: Path) -> Iterator[_Kubelet]:
    fake = _Kubelet(stubs, plugin_dir)
    yield fake
    fake.server.stop(grace=0).wait()


@pytest.fixture
def running(stubs: Stubs, plugin_dir: Path, kubelet: _Kubelet) -> Iterator[Plugin]:
    plugin = Plugin(stubs, plugin_dir, RESOURCE, Devices.fake(2))
    thread = threading.Thread(target=plugin.run, kwargs={"every": 0.1})
    thread.start()
    yield plugin
    plugin.stopped.set()
    thread.join(timeout=10)
    plugin.stop()


def _listed(response: Any) -> dict[str, str]:
    return {d.ID: d.health for d in response.devices}


def test_registers_then_lists_its_devices_and_allocates_with_visible_devices(
    stubs: Stubs, running: Plugin, kubelet: _Kubelet
) -> None:
    request = kubelet.registered.get(timeout=10)
    assert (request.version, request.resource_name) == (API_VERSION, RESOURCE)
    assert (kubelet.dir / request.endpoint).is_socket()
    client = kubelet.plugin(request)
    assert not client.GetDevicePluginOptions(stubs.pb2.Empty(), timeout=5).pre_start_required
    stream = client.ListAndWatch(stubs.pb2.Empty(), timeout=30)
    assert _listed(next(stream)) == {"fake-gpu-0": HEALTHY, "fake-gpu-1": HEALTHY}

    running.devices.set_health("fake-gpu-1", UNHEALTHY)  # the stream sends the new list
    assert _listed(next(stream)) == {"fake-gpu-0": HEALTHY, "fake-gpu-1": UNHEALTHY}
    stream.cancel()

    ask = stubs.pb2.AllocateRequest(container_requests=[
        stubs.pb2.ContainerAllocateRequest(devices_ids=["fake-gpu-1", "fake-gpu-0"]),
        stubs.pb2.ContainerAllocateRequest(devices_ids=["fake-gpu-0"]),
    ])  # fmt: skip
    answers = client.Allocate(ask, timeout=5).container_responses
    assert [dict(a.envs) for a in answers] == [
        {VISIBLE_DEVICES: "fake-gpu-1,fake-gpu-0"}, {VISIBLE_DEVICES: "fake-gpu-0"},
    ]  # fmt: skip


def test_allocate_of_a_device_it_does_not_have_is_refused(
    stubs: Stubs, running: Plugin, kubelet: _Kubelet
) -> None:
    client = kubelet.plugin(kubelet.registered.get(timeout=10))
    ask = stubs.pb2.AllocateRequest(
        container_requests=[stubs.pb2.ContainerAllocateRequest(devices_ids=["fake-gpu-7"])]
    )
    with pytest.raises(grpc.RpcError) as raised:
        client.Allocate(ask, timeout=5)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "fake-gpu-7" in str(raised.value.details())


def test_registers_again_when_the_kubelet_removes_its_socket(
    stubs: Stubs, running: Plugin, kubelet: _Kubelet
) -> None:
    first = kubelet.registered.get(timeout=10)
    (kubelet.dir / first.endpoint).unlink()  # what a restarting kubelet's device manager does
    second = kubelet.registered.get(timeout=10)
    assert second.resource_name == RESOURCE
    listed = next(kubelet.plugin(second).ListAndWatch(stubs.pb2.Empty(), timeout=10))
    assert len(listed.devices) == 2


def test_waits_for_a_kubelet_that_is_not_there_yet(stubs: Stubs, plugin_dir: Path) -> None:
    plugin = Plugin(stubs, plugin_dir, RESOURCE, Devices.fake(1))
    thread = threading.Thread(target=plugin.run, kwargs={"every": 0.1})
    thread.start()
    try:
        late = _Kubelet(stubs, plugin_dir)  # the kubelet starts after the plugin
        try:
            assert late.registered.get(timeout=10).resource_name == RESOURCE
        finally:
            late.server.stop(grace=0).wait()
    finally:
        plugin.stopped.set()
        thread.join(timeout=10)
        plugin.stop()
    assert not plugin.socket.exists()


def test_strip_gogo_removes_only_gogo_and_refuses_an_unknown_option() -> None:
    source = (
        'syntax = "proto3";\nimport "github.com/gogo/protobuf/gogoproto/gogo.proto";\n'
        "option (gogoproto.sizer_all) = true;\n"
        'message M { repeated string ids = 1 [(gogoproto.customname) = "IDs"]; }\n'
    )
    assert strip_gogo(source) == 'syntax = "proto3";\nmessage M { repeated string ids = 1; }\n'
    with pytest.raises(StubsUnavailable, match="gogoproto"):
        strip_gogo(source + "option (gogoproto.equal_all) = 1;\n")
