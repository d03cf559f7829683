"""The Docker calls of one run: its network, volumes and containers, all labelled with the run id.

Only objects carrying our run label are ever removed: those of this run when it stops, and
those of an earlier run on this host whose `infergraph up` process no longer exists.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ToolError
from .dockerargs import (
    AGENT_SOCKET,
    LABEL_OWNER,
    LABEL_POD,
    LABEL_ROLE,
    LABEL_RUN,
    container_kwargs,
    holder_kwargs,
    holder_user,
    mount_sources,
    resource_name,
    writable_claim_dir,
)
from .model import Container, Plan, Pod
from .podenv import PodFacts, resolve

__all__ = ["Engine", "EngineError", "RunningPod", "connect", "remove_leftovers"]

_REMOVE_ATTEMPTS = 3


class EngineError(ToolError):
    """The Docker Engine refused or failed; the message is one line naming what."""


def connect() -> Any:
    """A client of the local Docker Engine (DOCKER_HOST honoured); EngineError when none answers."""
    try:
        import docker
        import docker.errors
    except ImportError:  # pragma: no cover - a dependency of the distribution
        raise EngineError("the docker Python package is missing; pip install docker") from None
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EngineError(f"no Docker Engine answers ({_first_line(exc)})") from None
    return client


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's run (a shared engine): never ours to judge
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"infergraph" in cmdline


def remove_leftovers(client: Any) -> list[str]:
    """Remove the containers, networks and volumes of earlier runs whose owner died; run ids."""
    dead: set[str] = set()
    # sparse: the list as the engine gives it, without inspecting each container, which
    # raises NotFound when another run removes one of its own containers meanwhile
    kinds = (
        client.containers.list(all=True, filters={"label": LABEL_RUN}, sparse=True),
        client.networks.list(filters={"label": LABEL_RUN}),
        client.volumes.list(filters={"label": LABEL_RUN}),
    )
    for objects in kinds:
        for obj in objects:
            labels = obj.attrs.get("Labels") or obj.attrs.get("Config", {}).get("Labels") or {}
            if not _owner_alive(labels.get(LABEL_OWNER, "")):
                dead.add(labels[LABEL_RUN])
    for run_id in sorted(dead):
        _remove_run(client, run_id)
    return sorted(dead)


def _remove_run(client: Any, run_id: str) -> None:
    """Remove a run's containers (in parallel: each takes a while on a busy engine), then its
    networks and volumes, which only go once no container uses them."""
    import docker.errors

    selector = {"label": f"{LABEL_RUN}={run_id}"}
    gone = (docker.errors.NotFound, docker.errors.APIError)

    def remove(obj: Any, **kwargs: Any) -> None:
        with contextlib.suppress(*gone):
            obj.remove(**kwargs)

    containers = client.containers.list(all=True, filters=selector, sparse=True)
    if containers:
        with ThreadPoolExecutor(max_workers=min(16, len(containers))) as pool:
            for container in containers:
                pool.submit(remove, container, force=True, v=True)
    for network in client.networks.list(filters=selector):
        remove(network)
    for volume in client.volumes.list(filters=selector):
        remove(volume, force=True)


def _remaining(client: Any, run_id: str) -> bool:
    selector = {"label": f"{LABEL_RUN}={run_id}"}
    return bool(
        client.containers.list(all=True, filters=selector, sparse=True)
        or client.networks.list(filters=selector)
        or client.volumes.list(filters=selector)
    )


@dataclass
class RunningPod:
    """A pod whose holder runs; `containers` by name once created."""

    pod: Pod
    holder: Any
    facts: PodFacts
    agent: str  # the host path of its probe agent's socket
    containers: dict[str, Any] = field(default_factory=dict)


class Engine:
    """Creates one run's objects from a plan and removes them all again."""

    def __init__(self, client: Any, plan: Plan) -> None:
        self.client = client
        self.plan = plan
        self.run_id = uuid.uuid4().hex[:10]
        self.rundir = Path(os.environ.get("TMPDIR", "/tmp")) / f"infergraph-{self.run_id}"
        self.network_name = resource_name(self.run_id, plan.graph)
        self.network: Any = None
        self.labels = {LABEL_RUN: self.run_id, LABEL_OWNER: f"{socket.gethostname()}:{os.getpid()}"}
        self._images: dict[str, Any] = {}
        self._agents: dict[str, int] = {}

    def image(self, name: str) -> Any:
        """The local image `name`; EngineError when the engine does not have it (we never pull)."""
        import docker.errors

        if name not in self._images:
            try:
                self._images[name] = self.client.images.get(name)
            except docker.errors.ImageNotFound:
                raise EngineError(
                    f'image "{name}" is not in the local Docker Engine; build it '
                    "(make image for ours) or load it; the runner never pulls"
                ) from None
        return self._images[name]

    def check_images(self) -> list[str]:
        """One line per pod container whose image is missing or whose user breaks runAsNonRoot."""
        problems = []
        pods = [*self.plan.pods, self.plan.gateway, *([self.plan.test] if self.plan.test else [])]
        for pod in pods:
            for container in (*pod.init_containers, *pod.containers):
                try:
                    image = self.image(container.image)
                except EngineError as exc:
                    problems.append(f"{pod.owner}: container {container.name}: {exc}")
                    continue
                if container.run_as_non_root and container.user is None:
                    user = (image.attrs.get("Config", {}).get("User") or "0").split(":")[0]
                    if not user.isdigit() or user == "0":
                        problems.append(
                            f"{pod.owner}: container {container.name}: runAsNonRoot but image "
                            f'"{container.image}" runs as user "{user}" and no runAsUser is set'
                        )
        self.image(self.plan.holder_image)
        return problems

    def create_network(self) -> None:
        self.network = self.client.networks.create(
            self.network_name, driver="bridge", labels=dict(self.labels), check_duplicate=True
        )

    def _labels(self, pod: Pod, role: str) -> dict[str, str]:
        return {**self.labels, LABEL_POD: pod.name, LABEL_ROLE: role}

    def _write_files(self, pod: Pod) -> None:
        for volume in pod.volumes:
            if volume.kind == "configMap":
                base = self.rundir / pod.name / volume.name
                base.mkdir(parents=True, exist_ok=True)
                for path, text in volume.files.items():
                    target = base / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text)
                    target.chmod(volume.file_mode)
                for directory in (self.rundir, self.rundir / pod.name, *base.rglob("*"), base):
                    if directory.is_dir():
                        directory.chmod(0o755)
            elif volume.kind == "emptyDir":
                size = f",size={volume.size_bytes}" if volume.size_bytes else ""
                self.client.volumes.create(
                    resource_name(self.run_id, pod.name, volume.name),
                    driver="local",
                    driver_opts={"type": "tmpfs", "device": "tmpfs", "o": f"mode=1777{size}"},
                    labels=self._labels(pod, "volume"),
                )
            elif volume.writable:
                self._claim_dir(pod, volume.claim)
            elif not Path(volume.claim_dir).is_dir():
                raise EngineError(
                    f"{pod.owner}: volume {volume.name}: claim directory {volume.claim_dir} "
                    "does not exist; put the claim's files there or point --volumes at their parent"
                )

    def _claim_dir(self, pod: Pod, claim: str) -> None:
        """The run's own directory for a claim `pod` writes to, owned by the pod's user and
        group (its fsGroup, as the kubelet chowns a volume to it), setgid as such a volume is;
        made by the first pod that mounts it."""
        path = Path(writable_claim_dir(str(self.rundir), claim))
        if path.is_dir():
            return
        path.mkdir(parents=True)
        uid = holder_user(pod)
        os.chown(path, uid, pod.group_add[0] if pod.group_add else uid)
        path.chmod(0o2770)
        path.parent.chmod(0o755)

    def agent_dir(self, pod: Pod) -> Path:
        """The host directory of `pod`'s probe agent socket (short: Unix socket paths are)."""
        return self.rundir / "agents" / str(self._agents.setdefault(pod.name, len(self._agents)))

    def start_holder(self, pod: Pod) -> RunningPod:
        """Volumes, files and the network namespace of `pod`; its facts for the downward API."""
        import docker.errors

        self._write_files(pod)
        agent_dir = self.agent_dir(pod)
        agent_dir.mkdir(parents=True)
        uid = holder_user(pod)
        os.chown(agent_dir, uid, uid)
        for parent in (self.rundir, self.rundir / "agents"):
            parent.chmod(0o755)
        kwargs = holder_kwargs(
            pod,
            image=self.plan.holder_image,
            name=resource_name(self.run_id, pod.name),
            network=self.network_name,
            labels=self._labels(pod, "holder"),
            agent_dir=str(agent_dir),
        )
        aliases = kwargs.pop("aliases")
        endpoint = self.client.api.create_endpoint_config(aliases=aliases)
        kwargs["networking_config"] = {self.network_name: endpoint}
        holder = self._create(pod, kwargs)
        try:
            holder.start()
        except docker.errors.APIError as exc:
            raise EngineError(f"{pod.owner}: cannot start: {_first_line(exc)}") from None
        holder.reload()
        net = holder.attrs["NetworkSettings"]["Networks"][self.network_name]
        self.network.reload()
        config = (self.network.attrs.get("IPAM", {}).get("Config") or [{}])[0]
        facts = PodFacts(
            name=pod.name,
            namespace=pod.namespace,
            uid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"infergraph:{self.run_id}:{pod.name}")),
            node_name=socket.gethostname(),
            service_account=pod.service_account,
            host_ip=config.get("Gateway", ""),
            pod_ip=net["IPAddress"],
            labels=pod.labels,
            annotations=pod.annotations,
        )
        return RunningPod(pod, holder, facts, str(agent_dir / AGENT_SOCKET))

    def _create(self, pod: Pod, kwargs: dict[str, Any]) -> Any:
        import docker.errors

        try:
            return self.client.containers.create(**kwargs)
        except docker.errors.APIError as exc:
            raise EngineError(f"{pod.owner}: {kwargs['name']}: {_first_line(exc)}") from None

    def create(self, running: RunningPod, container: Container, role: str) -> Any:
        """Create (not start) `container` in the pod's namespace, env filled from its facts."""
        env, command, args = resolve(container, running.facts)
        kwargs = container_kwargs(
            container,
            running.pod,
            name=resource_name(self.run_id, running.pod.name, container.name),
            labels=self._labels(running.pod, role),
            holder=running.holder.id,
            sources=mount_sources(running.pod, self.run_id, str(self.rundir)),
            env=env,
            command=command,
            args=args,
        )
        created = self._create(running.pod, kwargs)
        running.containers[container.name] = created
        return created

    def run_to_completion(
        self, running: RunningPod, container: Container, role: str
    ) -> tuple[int, str]:
        """Run an init or test container once; (exit code, its log)."""
        created = self.create(running, container, role)
        created.start()
        code = int(created.wait()["StatusCode"])
        return code, created.logs().decode(errors="replace")

    def exec(self, container: Any, command: list[str]) -> tuple[int, str]:
        """Run `command` in a running container; (exit code, output)."""
        code, output = container.exec_run(command, stdout=True, stderr=True)
        return int(code if code is not None else 1), output.decode(errors="replace")

    def events(self) -> Iterator[Mapping[str, Any]]:
        """Container `die` events of this run, as they happen."""
        return self.client.events(  # type: ignore[no-any-return]
            decode=True,
            filters={"label": f"{LABEL_RUN}={self.run_id}", "type": "container", "event": "die"},
        )

    def remove_pod(self, running: RunningPod) -> None:
        """Remove a finished pod's containers (the holder last)."""
        for handle in (*running.containers.values(), running.holder):
            handle.remove(force=True, v=True)

    def remove_all(self) -> None:
        """Remove every object of this run (already stopped or not) and the files we wrote;
        a removal the busy engine refused is tried again."""
        for _ in range(_REMOVE_ATTEMPTS):
            _remove_run(self.client, self.run_id)
            if not _remaining(self.client, self.run_id):
                break
            time.sleep(1)
        shutil.rmtree(self.rundir, ignore_errors=True)

    @staticmethod
    def stop(container: Any, timeout: float) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds, as the kubelet does at the grace end."""
        import docker.errors

        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            container.stop(timeout=max(0, round(timeout)))
