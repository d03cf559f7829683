"""`infergraph up --runtime containers` end to end: the rendered pods in a real Docker Engine.

Every example our servers can run here (tests/local_examples.py) runs, as containers and as
processes, on the same model files (the e2e_local `workdir`: iris models trained in the test,
one per runtime library); the runtime examples run on their image variants (`-xgboost`, ...),
which the module builds first with `make images VARIANTS=...`. Each example is its own run
(network, containers, volumes; only the image is shared), started, asked, stopped and checked
for leftovers; PARALLEL of them at a time, so that model loading overlaps Docker's own waits
without driving this shared 2-core machine past the startup probes (all 21 at once did: load
110). One jsonnet-rendered A/B graph, started after the fleet is done, is shared by the
hardening, restart and shutdown tests.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from background_load import Load
from e2e_local.conftest import CLAIM, workdir
from e2e_local.runtimes import ROWS, assert_gateway_answers, library_answer
from e2e_local.up import EXAMPLES, Up, post
from local_examples import image_variants, runs_on_our_servers
from loopback import free_port_block

from infergraph.api import compile_values
from infergraph.containers.dockerargs import LABEL_OWNER, LABEL_POD, LABEL_ROLE, LABEL_RUN
from infergraph.defaults import SERVER_IMAGE
from infergraph.loading import load

from .tier import build_variants, custom_images, docker_client, leftovers, run_id

pytestmark = pytest.mark.containers

__all__ = ["workdir"]  # the e2e_local fixture, shared

CONTAINERS = ("--runtime", "containers")
READY_S = 480  # a graph loading its models on a loaded machine
REQUESTS = 30
SHARED = "ab-test.yaml"  # kept running, rendered by jsonnet, for the hardening and restart tests
#: graphs running at once; 3 kept this 2-core machine (shared) under its startup probes
PARALLEL = int(os.environ.get("INFERGRAPH_CONTAINERS_PARALLEL", "3"))
RUNNABLE = sorted(p.name for p in EXAMPLES.glob("*.yaml") if runs_on_our_servers(p))
EXAMPLE_NAMES = RUNNABLE
#: the image variants those run on (`xgboost`: `-xgboost`), each the runtime of its example
#: `examples/<variant>.yaml` serving `iris-<variant>`
VARIANTS = sorted(set().union(*(image_variants(EXAMPLES / name) for name in EXAMPLE_NAMES)))
STOP_S = 120  # preStop sleeps, then the servers drain, then every object is removed
SINK_WAIT_S = 60
_WRITTEN_CLAIM = re.compile(r"^  claim (\S+): written to (\S+) ", re.M)
_PREDICT = "/api/v1.0/predictions"


def _request(example: str) -> tuple[str, Any]:
    test = compile_values(load(str(EXAMPLES / example)))["test"]
    return urlsplit(test["url"]).path, json.loads(test["request"])


def _answers(up: Up, example: str) -> tuple[dict[str, str], list[str]]:
    """(predictor, requestPath) -> the answer without its ids, over REQUESTS requests; and the
    puids the answers carried."""
    path, body = _request(example)
    conn = up.connection()
    seen: dict[str, str] = {}
    puids = []
    for _ in range(REQUESTS):
        status, headers, out = post(conn, path, body)
        assert status == 200, (example, out)
        meta = out.get("meta", {})
        key = json.dumps([headers["x-infergraph-predictor"], meta.get("requestPath")])
        puids.append(meta.pop("puid", None))
        meta.pop("metrics", None)
        out.pop("id", None)
        seen[key] = json.dumps(out, sort_keys=True)
    return seen, puids


@dataclass
class Served:
    """What one example answered under one runtime, and what its run showed."""

    answers: dict[str, str] = field(default_factory=dict)
    puids: list[str] = field(default_factory=list)
    images: set[str] = field(default_factory=set)  # containers: the app containers' images
    library: str = ""  # a runtime example: why its answers were not its library's, or ""
    sink: dict[str, list[Any]] = field(default_factory=dict)  # claim -> events read back
    leftovers: list[str] = field(default_factory=list)  # containers: what the run left
    ready_s: float = 0.0
    failed: str = ""  # why the example did not run through


def _sink_events(up: Up, puids: list[str]) -> dict[str, list[Any]]:
    """Claim -> the CloudEvents of requests `puids` its containers wrote as JSON Lines in the
    run's own directory (named in the banner), once both events of each are there or
    SINK_WAIT_S passed (the helm test pod's request is logged too, and left out)."""
    claims = dict(_WRITTEN_CLAIM.findall(up.text()))
    events: dict[str, list[Any]] = {}
    deadline = time.monotonic() + SINK_WAIT_S
    for claim, directory in claims.items():
        while True:
            files = sorted(Path(directory).rglob("*.jsonl"))
            lines = [line for f in files for line in f.read_text().splitlines()]
            events[claim] = [e for e in map(json.loads, lines) if e["requestid"] in puids]
            if len(events[claim]) >= 2 * len(puids) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    return events


def _serve(example: str, runtime: str, workdir: Path, client: Any) -> Served:
    """Start `example` under `runtime`, ask it, stop it, check it left nothing."""
    args = (*CONTAINERS, "--engine", "helm") if runtime == "containers" else ()
    served = Served()
    started = time.monotonic()
    try:
        with Up(example, workdir, 5, None, args, READY_S, STOP_S) as up:
            served.ready_s = time.monotonic() - started
            served.answers, served.puids = _answers(up, example)
            variants = image_variants(EXAMPLES / example)
            for variant in variants:
                expected = library_answer(variant, workdir / CLAIM / f"iris-{variant}", ROWS)
                try:
                    assert_gateway_answers(up, variant, expected)
                except AssertionError as exc:
                    served.library = str(exc)
            if runtime == "containers":
                served.images = {c.attrs["Config"]["Image"] for c in _containers(client, up)}
                served.sink = _sink_events(up, served.puids)
                run = run_id(up.text())
        if runtime == "containers":
            served.leftovers = leftovers(client, run)
    except Exception as exc:  # kept for its example's test to report; the others still run
        served.failed = f"{type(exc).__name__}: {str(exc)[-3000:]}"
    took = time.monotonic() - started
    print(f"\n{runtime:<10} {example:<32} ready {served.ready_s:5.0f} s, all {took:5.0f} s")
    return served


@pytest.fixture(scope="module")
def client(image: str) -> Iterator[Any]:
    """One Docker Engine client for the module's checks, once `image` is built."""
    with contextlib.closing(docker_client()) as engine:
        yield engine


@pytest.fixture(scope="module")
def variants(image: str) -> None:
    """The image variants the runtime examples run on, built (the time it took printed)."""
    took = build_variants(set(VARIANTS))
    print(f"\nimage variants {', '.join(VARIANTS)}: built in {took:.0f} s")


@pytest.fixture(scope="module")
def fleet(workdir: Path, client: Any, variants: None) -> dict[tuple[str, str], Served]:
    """Every example under containers and under processes, PARALLEL runs at a time (the
    container runs first: the slower ones, so that the pool drains evenly)."""
    jobs = [(e, r) for r in ("containers", "processes") for e in EXAMPLE_NAMES]
    started = time.monotonic()
    with custom_images(client), ThreadPoolExecutor(PARALLEL) as pool:
        futures = {job: pool.submit(_serve, *job, workdir, client) for job in jobs}
        served = {job: future.result() for job, future in futures.items()}
    print(
        f"\nfleet: {len(EXAMPLE_NAMES)} examples x 2 runtimes, {PARALLEL} at a time: "
        f"{time.monotonic() - started:.0f} s, load average {os.getloadavg()[0]:.1f}"
    )
    return served


@pytest.fixture(scope="module")
def graph(workdir: Path, client: Any, variants: None) -> Iterator[Up]:
    """The A/B example, rendered by jsonnet, running as containers."""
    args = (*CONTAINERS, "--engine", "jsonnet")
    with Up(SHARED, workdir, 5, None, args, READY_S, STOP_S) as up:
        yield up


def test_every_example_runs_here_but_the_one_on_nvidias_container() -> None:
    """The tier leaves out only triton.yaml, whose node is NVIDIA's Triton image (no pull here)."""
    left_out = sorted(p.name for p in EXAMPLES.glob("*.yaml") if p.name not in EXAMPLE_NAMES)
    assert left_out == ["triton.yaml"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_runtime_answers_as_its_library_on_its_image_variant(
    fleet: dict[tuple[str, str], Served], variant: str
) -> None:
    """`examples/<variant>.yaml` (XGBOOST_SERVER, ...) runs its node on the `-<variant>` image,
    and Seldon and V2 through the gateway, containers and processes alike, answer the library's
    own predictions for the model file both serve (`iris-<variant>`), to 1e-6."""
    example = f"{variant}.yaml"
    for runtime in ("containers", "processes"):
        served = fleet[(example, runtime)]
        assert not served.failed and not served.library, (runtime, served.failed, served.library)
    images = fleet[(example, "containers")].images
    assert f"{SERVER_IMAGE}-{variant}" in images, images


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_example_answers_as_under_processes(
    fleet: dict[tuple[str, str], Served], example: str
) -> None:
    """Same probabilities and requestPath through both runtimes; each container run left nothing."""
    processes, containers = fleet[(example, "processes")], fleet[(example, "containers")]
    assert not processes.failed, processes.failed
    assert not containers.failed, containers.failed
    assert containers.leftovers == [], containers.leftovers
    common = processes.answers.keys() & containers.answers.keys()
    assert common, (processes.answers.keys(), containers.answers.keys())
    for key in common:
        assert containers.answers[key] == processes.answers[key], key
    if "ROUTER" not in (EXAMPLES / example).read_text():
        assert processes.answers.keys() == containers.answers.keys()


def test_the_monitored_log_sink_writes_json_lines_to_its_own_writable_claim(
    fleet: dict[tuple[str, str], Served],
) -> None:
    """The sink's claim is the run's own directory (named in the banner), mounted read-write:
    every request and response of the `main` classifier is there as a CloudEvent."""
    served = fleet[("monitored.yaml", "containers")]
    assert not served.failed, served.failed
    events = served.sink["monitored-logsink"]
    kinds = sorted((e["requestid"], e["type"].rsplit(".", 1)[-1]) for e in events)
    assert kinds == sorted((p, k) for p in served.puids for k in ("request", "response"))
    assert {(e["modelid"], e["endpoint"]) for e in events} == {("classifier", "main")}


def _containers(client: Any, up: Up, role: str = "app") -> list[Any]:
    label = [f"{LABEL_RUN}={run_id(up.text())}", f"{LABEL_ROLE}={role}"]
    return client.containers.list(filters={"label": label})


def test_the_helm_test_pod_passed_and_jsonnet_objects_answer_as_processes(
    fleet: dict[tuple[str, str], Served], graph: Up
) -> None:
    assert "helm test: Pod/iris-ab-test exited 0" in graph.text()
    answers, _ = _answers(graph, SHARED)
    processes = fleet[(SHARED, "processes")].answers
    assert answers.keys() == processes.keys(), (answers.keys(), processes.keys())
    assert answers == processes


def test_each_container_is_hardened_as_rendered_and_writes_only_tmp(graph: Up, client: Any) -> None:
    containers = _containers(client, graph)
    assert {c.name.rsplit("-", 1)[-1] for c in containers} >= {"orchestrator", "ab", "gateway"}
    for container in containers:
        host = container.attrs["HostConfig"]
        assert host["ReadonlyRootfs"] is True, container.name
        assert container.attrs["Config"]["User"] == "10001:10001", container.name
        assert host["CapDrop"] == ["ALL"], container.name
        assert "no-new-privileges:true" in host["SecurityOpt"], container.name
        assert not any("unconfined" in o for o in host["SecurityOpt"]), container.name
        mounts = {m["Destination"] for m in container.attrs["Mounts"]}
        parents = {str(p) for m in mounts for p in Path(m).parents}
        for change in container.diff() or []:
            path = change["Path"]
            assert path in mounts | parents or path.startswith("/tmp/"), (container.name, change)


def _main_process(container: Any) -> int:
    return int(container.attrs["State"]["Pid"])


def _recovered_after(graph: Up, node: str, started: float) -> float:
    """Seconds from `started` until a request routed through `node` answers 200."""
    path, body = _request("ab-test.yaml")
    conn = graph.connection()
    deadline = started + 180
    while time.monotonic() < deadline:
        try:
            status, _, out = post(conn, path, body)
        except OSError:
            conn = graph.connection()
            continue
        if status == 200 and node in out["meta"]["requestPath"]:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{node} did not recover:\n{graph.text()[-3000:]}")


def test_killed_and_hung_servers_are_restarted_and_service_recovers(graph: Up, client: Any) -> None:
    """model-a's server is killed (its container exits: restarted with back-off); model-b's
    is stopped (alive, answering nothing: its liveness probe restarts it). Both at once."""
    by_node = {c.labels[LABEL_POD]: c for c in _containers(client, graph)}
    started = time.monotonic()
    os.kill(_main_process(by_node["iris-ab-main-model-a-0"]), signal.SIGKILL)
    os.kill(_main_process(by_node["iris-ab-main-model-b-0"]), signal.SIGSTOP)
    took = {node: _recovered_after(graph, node, started) for node in ("model-a", "model-b")}
    print(
        f"\nkilled model-a: answering again after {took['model-a']:.1f} s; "
        f"hung model-b: restarted by liveness, answering after {took['model-b']:.1f} s"
    )
    text = graph.text()
    assert "model-a exited with code 137; restarting" in text
    assert "model-b: liveness probe failed 3 times; restarting it" in text


def test_a_node_stopped_under_load_finishes_what_it_accepted_and_comes_back(
    graph: Up, client: Any
) -> None:
    """model-a alone gets SIGTERM, as the kubelet sends it after preStop: the requests it
    accepted are answered, the ones after it are refused fast with a 503 naming it (no
    connection is cut mid-answer), and its container, exiting 0, is started again."""
    with _load(graph.port, *_request("ab-test.yaml")) as load:
        time.sleep(1)
        started = time.monotonic()
        target = {c.labels[LABEL_POD]: c for c in _containers(client, graph)}
        os.kill(_main_process(target["iris-ab-main-model-a-0"]), signal.SIGTERM)
        took = _recovered_after(graph, "model-a", started)
    print(f"\nstopped model-a: answering again after {took:.1f} s")
    assert load.results.count(200) > 10, load.results[:20]
    others = [r for r in load.results if r != 200]
    assert all(r == "503 model-a" for r in others), others[:5]
    assert "model-a exited with code 0; restarting" in graph.text()


def _load(port: int, path: str, body: Any, clients: int = 8) -> Load[int | str]:
    """Clients posting `body` to the gateway, each request on a new connection, until the
    block ends; `results` says what each got: a status ("503 model-a" when a 503 names
    model-a), "closed" when the connection was refused or reset before any answer began,
    "cut: ..." when an answer began and did not finish."""
    text = json.dumps(body)
    headers = {"Content-Type": "application/json"}

    def send(conn: http.client.HTTPConnection) -> int | str:
        try:
            conn.request("POST", path, text, headers)
            answer = conn.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected):
            time.sleep(0.05)
            return "closed"  # refused or reset before any answer: not accepted
        try:
            got = answer.read().decode()
        except (OSError, http.client.HTTPException) as exc:
            return f"cut: {exc!r}"  # an answer begun and not finished: lost
        named = "model-a" if "model-a" in got else "?"
        return answer.status if answer.status != 503 else f"503 {named}"

    return Load(port, send, clients=clients, keep_alive=False)


def test_sigterm_under_load_loses_no_in_flight_request_and_leaves_nothing(
    graph: Up, client: Any
) -> None:
    """Every pod stops with its grace period (preStop first): an accepted request is answered."""
    run = run_id(graph.text())
    with _load(graph.port, *_request("ab-test.yaml")) as load:
        time.sleep(2)
        assert graph.stop() == 0, graph.text()
    answered = [r for r in load.results if r != "closed"]
    assert answered and all(r == 200 for r in answered), [r for r in answered if r != 200][:5]
    assert leftovers(client, run) == []
    assert "removed every container, network and volume of run" in graph.text()


def test_a_missing_model_never_gets_ready_and_the_gateway_names_the_node(
    workdir: Path, tmp_path: Path, client: Any
) -> None:
    """Also: the run removes a dead run's leftovers and nothing that is not labelled by us."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    owner = f"{socket.gethostname()}:{dead.pid}"
    client.networks.create("ig-dead00dead-x", labels={LABEL_RUN: "dead00dead", LABEL_OWNER: owner})
    foreign = client.networks.create(f"not-ours-{os.getpid()}")
    source = (EXAMPLES / "sklearn-single.yaml").read_text()
    broken = tmp_path / "missing-model.yaml"
    broken.write_text(
        source.replace("pvc://infergraph-models/iris", "pvc://infergraph-models/gone")
    )
    assert "models/gone" in broken.read_text()
    command = [str(Path(sys.executable).parent / "infergraph"), "up", str(broken), *CONTAINERS]
    port = free_port_block(1)
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port)], cwd=workdir, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        answer = None
        deadline = time.monotonic() + READY_S
        while proc.poll() is None and time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                status, _, out_doc = post(conn, *_request("sklearn-single.yaml"))
            except (OSError, ValueError):
                time.sleep(0.3)
                continue
            finally:
                conn.close()
            if status == 503 and "classifier" in json.dumps(out_doc):
                answer = out_doc
                break
            time.sleep(0.3)
        assert answer is not None, log.read_text()
        assert proc.wait(READY_S) == 1
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
        foreign.reload()  # still there: never ours to remove
        foreign.remove()
    text = log.read_text()
    assert "without becoming ready" in text and "/mnt/pvc/gone" in text, text
    assert leftovers(client, run_id(text)) == []
    assert "removed the leftovers of run dead00dead" in text
    assert leftovers(client, "dead00dead") == []
