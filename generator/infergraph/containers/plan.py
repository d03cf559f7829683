"""Rendered objects in, the pods `--runtime containers` starts out: pure, no Docker.

Every Deployment becomes `replicas` pods (its pod template exactly as written), every Service
name becomes a DNS alias of the pods it selects, the `helm test` Pod is kept for after the
graph is ready, and a gateway pod of our image stands in for the VirtualService. Whatever the
runner cannot do as written is collected as an error naming the object and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from ..compile.storage import REMOTE_SCHEMES
from ..defaults import GPU_RESOURCE, SERVER_IMAGE
from ..errors import InvalidGraph, Problem
from ..local import gateway_upstream
from ..pointers import JSON, pointer, quote
from .fields import DEPLOYMENT, TEST_POD, unimplemented
from .model import Container, FieldRef, Handler, Plan, Pod, Probe, Publish, Volume, VolumeMount
from .podenv import FIELD_PATHS
from .quantity import parse_quantity

__all__ = ["GATEWAY_PORT", "RunOptions", "plan_run", "service_aliases"]

GATEWAY_PORT = 8080  # inside the gateway container; published on 127.0.0.1:--port
_GATEWAY_CONFIG_DIR = "/etc/infergraph-gateway"
_PULL_POLICIES = ("IfNotPresent", "Never")
_CPU_SHARES_PER_CORE = 1024  # the kubelet's cpu.shares for requests


@dataclass(frozen=True)
class RunOptions:
    """How to run: where claims live, which port the gateway gets, what the engine offers."""

    source: str  # the graph file, for error messages
    volumes_dir: str  # absolute: pvc claim CLAIM is volumes_dir/CLAIM
    port: int
    seed: int | None = None
    gpu_runtime: bool = False  # the engine has an NVIDIA runtime


@dataclass
class _Context:
    options: RunOptions
    config_maps: Mapping[str, Mapping[str, str]]
    owner: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.problems.append(Problem(f"{self.options.source}: {self.owner}", where, message))


def service_aliases(name: str, namespace: str) -> tuple[str, ...]:
    """The DNS names a Service answers to inside a cluster."""
    return (
        name,
        f"{name}.{namespace}",
        f"{name}.{namespace}.svc",
        f"{name}.{namespace}.svc.cluster.local",
    )


def _seconds(value: Any, default: float) -> float:
    return default if value is None else float(value)


def _port(ref: Any, ports: Mapping[str, int], ctx: _Context, where: str) -> int:
    if isinstance(ref, int):
        return ref
    if isinstance(ref, str) and ref in ports:
        return ports[ref]
    if isinstance(ref, str) and ref.isdigit():
        return int(ref)
    ctx.error(where, f"{quote(ref)}: no container port of that name; ports: {', '.join(ports)}")
    return 0


def _handler(doc: JSON, ports: Mapping[str, int], ctx: _Context, where: str) -> Handler | None:
    actions = [k for k in ("httpGet", "tcpSocket", "exec", "sleep") if k in doc]
    if len(actions) != 1:
        ctx.error(
            where, "exactly one of httpGet, tcpSocket, exec (or sleep in preStop) is expected"
        )
        return None
    kind = actions[0]
    body = doc[kind]
    if kind == "httpGet":
        if body.get("scheme", "HTTP") != "HTTP":
            ctx.error(
                f"{where}/httpGet/scheme", f"{quote(body['scheme'])}: only HTTP is implemented"
            )
        headers = tuple((h["name"], h["value"]) for h in body.get("httpHeaders", []))
        port = _port(body.get("port"), ports, ctx, f"{where}/httpGet/port")
        return Handler("http", port=port, path=body.get("path", "/"), headers=headers)
    if kind == "tcpSocket":
        return Handler("tcp", port=_port(body.get("port"), ports, ctx, f"{where}/tcpSocket/port"))
    if kind == "exec":
        return Handler("exec", command=tuple(str(a) for a in body.get("command", [])))
    return Handler("sleep", seconds=float(body.get("seconds", 0)))


def _probe(doc: JSON | None, ports: Mapping[str, int], ctx: _Context, where: str) -> Probe | None:
    if doc is None:
        return None
    handler = _handler(doc, ports, ctx, where)
    if handler is None or handler.action == "sleep":
        return None
    return Probe(
        handler,
        initial_delay=_seconds(doc.get("initialDelaySeconds"), 0),
        period=_seconds(doc.get("periodSeconds"), 10),
        timeout=_seconds(doc.get("timeoutSeconds"), 1),
        success_threshold=int(doc.get("successThreshold", 1)),
        failure_threshold=int(doc.get("failureThreshold", 3)),
    )


def _env(doc: Sequence[JSON], ctx: _Context, where: str) -> tuple[tuple[str, str | FieldRef], ...]:
    env: list[tuple[str, str | FieldRef]] = []
    for i, entry in enumerate(doc):
        source = entry.get("valueFrom")
        if source is None:
            env.append((entry["name"], str(entry.get("value", ""))))
        elif "fieldRef" in source:
            path = source["fieldRef"].get("fieldPath", "")
            keyed = path.startswith(("metadata.labels['", "metadata.annotations['"))
            if path not in FIELD_PATHS and not keyed:
                ctx.error(
                    f"{where}/{i}/valueFrom/fieldRef/fieldPath",
                    f"{quote(path)}: not filled by the runner; filled: {', '.join(FIELD_PATHS)}",
                )
            env.append((entry["name"], FieldRef(path)))
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            data = ctx.config_maps.get(ref.get("name", ""))
            if data is not None and ref.get("key") in data:
                env.append((entry["name"], data[ref["key"]]))
            elif not ref.get("optional", False):
                ctx.error(
                    f"{where}/{i}/valueFrom/configMapKeyRef",
                    f"ConfigMap {quote(ref.get('name'))} key {quote(ref.get('key'))} "
                    "is not among the rendered objects",
                )
        else:
            ctx.error(f"{where}/{i}/valueFrom", "expected fieldRef or configMapKeyRef")
    return tuple(env)


def _resources(doc: JSON, ctx: _Context, where: str) -> dict[str, float]:
    known = {"cpu", "memory", GPU_RESOURCE}
    out: dict[str, float] = {}
    for part in ("limits", "requests"):
        for name, value in doc.get(part, {}).items():
            if name not in known or (part == "requests" and name == GPU_RESOURCE):
                ctx.error(
                    where + pointer([part, name]),
                    "not implemented; implemented: cpu, memory, " + GPU_RESOURCE + " (limits)",
                )
                continue
            try:
                out[f"{part}.{name}"] = parse_quantity(value)
            except ValueError as exc:
                ctx.error(where + pointer([part, name]), str(exc))
    return out


def _capabilities(names: Sequence[str]) -> tuple[str, ...]:
    return tuple("ALL" if n == "ALL" else n.removeprefix("CAP_") for n in names)


def _container(
    doc: JSON, pod_security: JSON, volumes: Mapping[str, Volume], ctx: _Context, where: str
) -> Container:
    security = doc.get("securityContext", {})
    ports = {
        p.get("name", str(p["containerPort"])): int(p["containerPort"])
        for p in doc.get("ports", [])
    }
    policy = doc.get("imagePullPolicy", "IfNotPresent")
    if policy not in _PULL_POLICIES:
        ctx.error(
            f"{where}/imagePullPolicy",
            f"{quote(policy)}: the runner never pulls; use IfNotPresent or Never",
        )
    if security.get("privileged"):
        ctx.error(f"{where}/securityContext/privileged", "true: privileged containers are not run")
    user = security.get("runAsUser", pod_security.get("runAsUser"))
    non_root = bool(security.get("runAsNonRoot", pod_security.get("runAsNonRoot", False)))
    if non_root and user == 0:
        ctx.error(
            f"{where}/securityContext/runAsUser",
            "0 with runAsNonRoot: the kubelet refuses to start it",
        )
    seccomp = security.get("seccompProfile", pod_security.get("seccompProfile", {})).get(
        "type", "Unconfined"
    )
    if seccomp not in ("RuntimeDefault", "Unconfined"):
        ctx.error(
            f"{where}/securityContext/seccompProfile/type",
            f"{quote(seccomp)}: implemented: RuntimeDefault, Unconfined",
        )
    mounts: list[VolumeMount] = []
    for i, mount in enumerate(doc.get("volumeMounts", [])):
        volume = volumes.get(mount["name"])
        if volume is None:
            ctx.error(
                f"{where}/volumeMounts/{i}/name",
                f"{quote(mount['name'])}: no pod volume of that name",
            )
            continue
        read_only = bool(mount.get("readOnly")) or volume.kind == "configMap" or volume.read_only
        mounts.append(VolumeMount(mount["name"], mount["mountPath"], read_only))
    resources = _resources(doc.get("resources", {}), ctx, f"{where}/resources")
    memory_limit = resources.get("limits.memory")
    memory_request = resources.get("requests.memory")
    cpu_limit = resources.get("limits.cpu")
    cpu_request = resources.get("requests.cpu")
    pre_stop_doc = doc.get("lifecycle", {}).get("preStop")
    pre_stop = (
        None
        if pre_stop_doc is None
        else _handler(pre_stop_doc, ports, ctx, f"{where}/lifecycle/preStop")
    )
    command, args = doc.get("command"), doc.get("args")
    return Container(
        name=doc["name"],
        image=doc["image"],
        pull_policy=policy,
        command=None if command is None else tuple(str(a) for a in command),
        args=None if args is None else tuple(str(a) for a in args),
        env=_env(doc.get("env", []), ctx, f"{where}/env"),
        working_dir=doc.get("workingDir"),
        user=user,
        group=security.get("runAsGroup", pod_security.get("runAsGroup")),
        run_as_non_root=non_root,
        read_only_root=bool(security.get("readOnlyRootFilesystem", False)),
        cap_drop=_capabilities(security.get("capabilities", {}).get("drop", [])),
        cap_add=_capabilities(security.get("capabilities", {}).get("add", [])),
        no_new_privileges=security.get("allowPrivilegeEscalation") is False,
        seccomp_unconfined=seccomp == "Unconfined",
        mounts=tuple(mounts),
        memory_limit=None if memory_limit is None else int(memory_limit),
        memory_request=None if memory_request is None else int(memory_request),
        nano_cpus=None if cpu_limit is None else int(cpu_limit * 1e9),
        cpu_shares=None if cpu_request is None else max(2, int(cpu_request * _CPU_SHARES_PER_CORE)),
        gpus=int(resources.get(f"limits.{GPU_RESOURCE}", 0)),
        ports=ports,
        startup=_probe(doc.get("startupProbe"), ports, ctx, f"{where}/startupProbe"),
        readiness=_probe(doc.get("readinessProbe"), ports, ctx, f"{where}/readinessProbe"),
        liveness=_probe(doc.get("livenessProbe"), ports, ctx, f"{where}/livenessProbe"),
        pre_stop=pre_stop,
    )


def _volume(doc: JSON, ctx: _Context, where: str) -> Volume:
    name = doc["name"]
    if "emptyDir" in doc:
        limit = doc["emptyDir"].get("sizeLimit")
        return Volume(
            name, "emptyDir", size_bytes=None if limit is None else int(parse_quantity(limit))
        )
    if "configMap" in doc:
        ref = doc["configMap"]
        data = ctx.config_maps.get(ref.get("name", ""))
        if data is None:
            if not ref.get("optional", False):
                ctx.error(
                    f"{where}/configMap/name",
                    f"{quote(ref.get('name'))}: no such ConfigMap among the rendered objects",
                )
            data = {}
        items = ref.get("items")
        files = (
            {item["path"]: data[item["key"]] for item in items if item["key"] in data}
            if items
            else dict(data)
        )
        return Volume(name, "configMap", files=files, file_mode=int(ref.get("defaultMode", 0o644)))
    if "persistentVolumeClaim" in doc:
        ref = doc["persistentVolumeClaim"]
        return Volume(
            name,
            "claim",
            claim_dir=str(PurePath(ctx.options.volumes_dir, ref["claimName"])),
            claim=ref["claimName"],
            read_only=bool(ref.get("readOnly", False)),
        )
    ctx.error(where, "expected emptyDir, configMap or persistentVolumeClaim")
    return Volume(name, "emptyDir")


def _remote_model(template: JSON, ctx: _Context) -> None:
    """gs://, s3://, https:// models need the storage initializer, which cannot be pulled here."""
    node = template.get("metadata", {}).get("labels", {}).get("infergraph.io/node", "?")
    for i, init in enumerate(template["spec"].get("initContainers", [])):
        uri = next(
            (a for a in init.get("args", []) if urlsplit(str(a)).scheme in REMOTE_SCHEMES), None
        )
        if uri is not None:
            ctx.error(
                f"/spec/template/spec/initContainers/{i}",
                f'node "{node}": model {quote(uri)} is fetched by the storage initializer, which '
                "does not run here; copy the model to DIR/CLAIM/PATH and use modelUri "
                "pvc://CLAIM/PATH with --volumes DIR",
            )


def _pod_spec(
    spec: JSON,
    name: str,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    namespace: str,
    ctx: _Context,
    base: str,
) -> Pod:
    if spec.get("automountServiceAccountToken", True) is not False:
        ctx.error(
            f"{base}/automountServiceAccountToken",
            "there is no API server to issue a token; set false",
        )
    volumes = {
        v["name"]: _volume(v, ctx, f"{base}/volumes/{i}")
        for i, v in enumerate(spec.get("volumes", []))
    }
    pod_security = spec.get("securityContext", {})
    inits = tuple(
        _container(c, pod_security, volumes, ctx, f"{base}/initContainers/{i}")
        for i, c in enumerate(spec.get("initContainers", []))
    )
    containers = tuple(
        _container(c, pod_security, volumes, ctx, f"{base}/containers/{i}")
        for i, c in enumerate(spec["containers"])
    )
    written = {m.volume for c in (*inits, *containers) for m in c.mounts if not m.read_only}
    volumes = {
        name: replace(v, writable=v.kind == "claim" and name in written)
        for name, v in volumes.items()
    }
    groups = [pod_security["fsGroup"]] if "fsGroup" in pod_security else []
    groups += [g for g in pod_security.get("supplementalGroups", []) if g not in groups]
    return Pod(
        name=name,
        owner=ctx.owner,
        namespace=namespace,
        labels=dict(labels),
        annotations=dict(annotations),
        service_account=spec.get("serviceAccountName", "default"),
        aliases=(),
        grace_seconds=_seconds(spec.get("terminationGracePeriodSeconds"), 30),
        restart=spec.get("restartPolicy", "Always"),
        init_containers=inits,
        containers=containers,
        volumes=tuple(volumes.values()),
        group_add=tuple(int(g) for g in groups),
    )


def _deployment_pods(obj: JSON, ctx: _Context) -> list[Pod]:
    meta = obj["metadata"]
    ctx.owner = f"Deployment/{meta['name']}"
    for message in unimplemented(obj.get("spec", {}), DEPLOYMENT, ["spec"]):
        where, _, text = message.partition(": ")
        ctx.error(where, text)
    template = obj["spec"]["template"]
    _remote_model(template, ctx)
    restart = template["spec"].get("restartPolicy", "Always")
    if restart != "Always":
        ctx.error(
            "/spec/template/spec/restartPolicy",
            f"{quote(restart)}: a Deployment's pods restart Always",
        )
    replicas = obj["spec"].get("replicas")
    count = 1 if replicas is None else int(replicas)
    namespace = meta.get("namespace", "default")
    labels = template.get("metadata", {}).get("labels", {})
    annotations = template.get("metadata", {}).get("annotations", {})
    pod = _pod_spec(
        template["spec"], meta["name"], labels, annotations, namespace, ctx, "/spec/template/spec"
    )
    gpus = max((c.gpus for c in pod.containers), default=0)
    if gpus and not ctx.options.gpu_runtime:
        node = labels.get("infergraph.io/node", meta["name"])
        ctx.warnings.append(
            f'{ctx.owner}: node "{node}" asks for {gpus} {GPU_RESOURCE} but this Docker Engine has '
            "no NVIDIA runtime; it runs without a GPU"
        )
        pod = replace(pod, containers=tuple(replace(c, gpus=0) for c in pod.containers))
    return [replace(pod, name=f"{meta['name']}-{i}") for i in range(count)]


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _wire_services(services: Sequence[JSON], pods: list[Pod], ctx: _Context) -> list[Pod]:
    """Every Service name becomes an alias of the pods it selects, on the Service's ports."""
    aliases: dict[str, list[str]] = {p.name: [] for p in pods}
    for svc in services:
        ctx.owner = f"Service/{svc['metadata']['name']}"
        spec = svc.get("spec", {})
        chosen = [p for p in pods if _selects(spec.get("selector", {}), p.labels)]
        for pod in chosen:
            aliases[pod.name].extend(service_aliases(svc["metadata"]["name"], pod.namespace))
            ports = {n: v for c in pod.containers for n, v in c.ports.items()}
            for i, port in enumerate(spec.get("ports", [])):
                target = port.get("targetPort", port["port"])
                number = ports.get(target) if isinstance(target, str) else int(target)
                if number != port["port"]:
                    ctx.error(
                        f"/spec/ports/{i}/targetPort",
                        f"{quote(target)} is port {number} of {pod.owner} but the Service port is "
                        f"{port['port']}: the runner serves a Service only on its pods' own ports",
                    )
    return [replace(p, aliases=tuple(aliases[p.name])) for p in pods]


def _gateway(values: JSON, objects: Sequence[JSON], pods: Sequence[Pod], ctx: _Context) -> Pod:
    """Our gateway on the graph network, on 127.0.0.1:port, hardened as an orchestrator is."""
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    upstreams = []
    for name, compiled in values["predictors"].items():
        host = compiled["fullname"]
        ports = services.get(host, {}).get("spec", {}).get("ports", [])
        http = next((p["port"] for p in ports if p.get("name") == "http"), None)
        if http is None:
            ctx.owner = f"Service/{host}"
            ctx.error(
                "/spec/ports",
                f'predictor "{name}": its orchestrator Service has no port named http',
            )
            continue
        upstreams.append(gateway_upstream(name, compiled, host, http))
    config = json.dumps({"predictors": upstreams}, indent=2, sort_keys=True) + "\n"
    model = next(p for p in pods if p.labels.get("app.kubernetes.io/component") == "orchestrator")
    template = model.containers[0]
    env: tuple[tuple[str, str | FieldRef], ...] = ()
    if ctx.options.seed is not None:
        env = (("INFERGRAPH_SEED", str(ctx.options.seed)),)
    container = replace(
        template,
        name="gateway",
        image=SERVER_IMAGE,
        command=None,
        args=(
            "gateway",
            "--host",
            "0.0.0.0",
            "--http-port",
            str(GATEWAY_PORT),
            "--config",
            f"{_GATEWAY_CONFIG_DIR}/gateway.json",
        ),
        env=env,
        working_dir=None,
        mounts=(
            VolumeMount("scratch", "/tmp", False),
            VolumeMount("config", _GATEWAY_CONFIG_DIR, True),
        ),
        ports={"http": GATEWAY_PORT},
        startup=None,
        readiness=Probe(Handler("tcp", port=GATEWAY_PORT), 0, 1, 1, 1, 3),
        liveness=None,
        pre_stop=None,
        gpus=0,
    )
    labels = {
        "app.kubernetes.io/component": "gateway",
        "app.kubernetes.io/instance": values["name"],
    }
    return replace(
        model,
        name=f"{values['name']}-gateway",
        owner="gateway",
        labels=labels,
        aliases=(),
        init_containers=(),
        containers=(container,),
        volumes=(
            Volume("scratch", "emptyDir"),
            Volume("config", "configMap", files={"gateway.json": config}),
        ),
        publish=(Publish(GATEWAY_PORT, ctx.options.port),),
    )


def _test_pod(obj: JSON, ctx: _Context) -> Pod:
    meta = obj["metadata"]
    ctx.owner = f"Pod/{meta['name']}"
    for message in unimplemented(obj.get("spec", {}), TEST_POD, ["spec"]):
        where, _, text = message.partition(": ")
        ctx.error(where, text)
    restart = obj["spec"].get("restartPolicy", "Always")
    if restart != "Never":
        ctx.error("/spec/restartPolicy", f"{quote(restart)}: a test pod runs once (Never)")
    labels = meta.get("labels", {})
    pod = _pod_spec(
        obj["spec"],
        meta["name"],
        labels,
        meta.get("annotations", {}),
        meta.get("namespace", "default"),
        ctx,
        "/spec",
    )
    return replace(pod, restart="Never")


def plan_run(objects: Sequence[JSON], values: JSON, options: RunOptions) -> Plan:
    """The plan for rendered `objects` of compiled `values`; InvalidGraph lists every refusal."""
    config_maps = {
        o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"
    }
    ctx = _Context(options, config_maps)
    pods: list[Pod] = []
    deployments = sorted(
        (o for o in objects if o["kind"] == "Deployment"),
        key=lambda o: (
            o["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")
            != "node",
            o["metadata"]["name"],
        ),
    )
    for obj in deployments:
        pods.extend(_deployment_pods(obj, ctx))
    pods = _wire_services([o for o in objects if o["kind"] == "Service"], pods, ctx)
    tests = [
        o
        for o in objects
        if o["kind"] == "Pod" and o["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"
    ]
    test = _test_pod(tests[0], ctx) if tests else None
    gateway = _gateway(values, objects, pods, ctx) if pods else None
    if ctx.problems or gateway is None:
        raise InvalidGraph(ctx.problems or [Problem(options.source, "", "no Deployment to run")])
    return Plan(
        graph=values["name"],
        namespace=values.get("namespace") or "default",
        holder_image=SERVER_IMAGE,
        pods=tuple(pods),
        gateway=gateway,
        test=test,
        warnings=tuple(ctx.warnings),
    )
