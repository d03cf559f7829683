"""Payload logging under `infergraph up`: real orchestrators sending CloudEvents to a real
receiver on loopback, and the graph's own log sink writing JSON Lines.

The receiver is a threaded HTTP server in this process that keeps every request's headers
and body and reads them back with the `cloudevents` SDK, as any consumer would.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from loopback_http import QuietHandler, serving

from .up import EXAMPLES, Up, post

pytestmark = pytest.mark.e2e_local

ROW = [5.1, 3.5, 1.4, 0.2]
PREDICT = "/api/v1.0/predictions"
REQUEST = "io.seldon.serving.inference.request"
RESPONSE = "io.seldon.serving.inference.response"


class Receiver:
    """A CloudEvents receiver on loopback: `events` holds (headers, body) of every POST."""

    def __init__(self) -> None:
        self.events: list[tuple[dict[str, str], bytes]] = []
        lock = threading.Lock()
        events = self.events

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    events.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.answer(202, b"")

        self._serving = contextlib.ExitStack()
        self.port = self._serving.enter_context(serving(Handler))

    def stop(self) -> None:
        self._serving.close()

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        """At least `count` events, each as its ce-* attributes + `content-type` + `data`."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # and nothing more than expected arrives
        out = []
        for headers, body in list(self.events):
            event = from_http(HTTPMessage(headers, body), JSONFormat())
            attributes = dict(event.get_attributes())
            out.append(
                {**attributes, "content-type": headers["content-type"], "data": event.get_data()}
            )
        return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def _graph(workdir: Path, url: str, queue_size: int = 1000) -> str:
    """A transformer in front of a combiner of two models, each node logging in its own mode;
    written into `workdir` with the user classes it needs beside it."""
    model = {"type": "MODEL", "implementation": "SKLEARN_SERVER"}
    doc = {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {"name": "logged", "namespace": "models"},
        "spec": {
            "logging": {"url": url, "mode": "none", "queueSize": queue_size},
            "predictors": [
                {
                    "name": "main",
                    "graph": {
                        "name": "scaler",
                        "type": "TRANSFORMER",
                        "logger": {"mode": "all"},
                        "children": [
                            {
                                "name": "avg",
                                "implementation": "AVERAGE_COMBINER",
                                "logger": {"mode": "all"},
                                "children": [
                                    {
                                        **model,
                                        "name": "m1",
                                        "modelUri": "pvc://infergraph-models/iris",
                                        "logger": {"mode": "request"},
                                    },
                                    {
                                        **model,
                                        "name": "m2",
                                        "modelUri": "pvc://infergraph-models/iris-v3",
                                        "logger": {"mode": "response"},
                                    },
                                    {
                                        **model,
                                        "name": "quiet",
                                        "modelUri": "pvc://infergraph-models/iris-v2",
                                    },
                                ],
                            }
                        ],
                    },
                    "componentSpecs": [
                        {
                            "spec": {
                                "containers": [
                                    {
                                        "name": "scaler",
                                        "image": "example.com/scaler:1",
                                        "env": [
                                            {
                                                "name": "INFERGRAPH_CLASS",
                                                "value": "iris_components:Scaler",
                                            }
                                        ],
                                    }
                                ]
                            }
                        }
                    ],
                }
            ],
        },
    }
    folder = workdir / f"logged-{queue_size}"
    (folder / "custom").mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / "custom" / "iris_components.py", folder / "custom")
    path = folder / "logged.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def _by(events: list[dict[str, Any]], node: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["modelid"] == node and e["type"] == kind]


def test_events_per_node_and_mode_carry_what_each_node_saw(
    workdir: Path, receiver: Receiver
) -> None:
    with Up(_graph(workdir, f"http://127.0.0.1:{receiver.port}/"), workdir) as up:
        conn = up.connection()
        status, _, out = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
        assert status == 200, out
        events = receiver.wait_for(6)
        # scaler: both; avg: both; m1: request only; m2: response only; quiet: none
        kinds = sorted((e["modelid"], e["type"].rsplit(".", 1)[1]) for e in events)
        assert kinds == [
            ("avg", "request"),
            ("avg", "response"),
            ("m1", "request"),
            ("m2", "response"),
            ("scaler", "request"),
            ("scaler", "response"),
        ]
        puid = out["meta"]["puid"]
        for e in events:
            assert e["specversion"] == "1.0"
            assert e["requestid"] == puid
            assert (e["inferenceservicename"], e["namespace"], e["endpoint"]) == (
                "logged",
                "models",
                "main",
            )
            assert e["content-type"] == "application/json"
            assert e["protocol"] == "seldon"
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", e["source"]), e["source"]
        assert len({e["id"] for e in events}) == len(events)

        # the transformer got our input and passed its own output to the combiner's children
        (scaler_in,) = _by(events, "scaler", REQUEST)
        (scaler_out,) = _by(events, "scaler", RESPONSE)
        (m1_in,) = _by(events, "m1", REQUEST)
        assert scaler_in["data"]["data"]["ndarray"] == [ROW]
        assert scaler_out["data"]["data"] != scaler_in["data"]["data"]
        assert m1_in["data"]["data"]["ndarray"] == scaler_out["data"]["data"]["ndarray"]
        # the combiner got its children's answers and its answer is the graph's
        (avg_in,) = _by(events, "avg", REQUEST)
        (avg_out,) = _by(events, "avg", RESPONSE)
        (m2_out,) = _by(events, "m2", RESPONSE)
        messages = avg_in["data"]["seldonMessages"]
        assert len(messages) == 3
        assert messages[1]["data"] == m2_out["data"]["data"]
        assert avg_out["data"]["data"]["ndarray"] == out["data"]["ndarray"]

        # a caller's puid is every event's requestid; events of two requests never mix
        status, _, out = post(conn, PREDICT, {"data": {"ndarray": [ROW]}, "meta": {"puid": "p-7"}})
        assert (status, out["meta"]["puid"]) == (200, "p-7")
        events = receiver.wait_for(12)
        assert len(events) == 12
        assert sorted(e["requestid"] for e in events).count("p-7") == 6
        assert len({e["id"] for e in events}) == 12


def _dropped(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    found = re.findall(
        r'^infergraph_log_events_dropped_total\{.*reason="(\w+)"\} (\S+)$', text, re.M
    )
    return {reason: float(value) for reason, value in found}


def test_predictions_succeed_with_the_receiver_down_and_drops_are_counted(
    workdir: Path, receiver: Receiver
) -> None:
    receiver.stop()  # nothing listens on its port any more
    graph = _graph(workdir, f"http://127.0.0.1:{receiver.port}/", queue_size=4)
    with Up(graph, workdir) as up:
        conn = up.connection()
        for _ in range(30):
            status, _, out = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
            assert status == 200, out
        metrics_port = up.ports["orchestrator main"] + 2  # http, grpc, metrics
        deadline = time.monotonic() + 20
        while _dropped(metrics_port).get("undeliverable", 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        dropped = _dropped(metrics_port)
        # 30 requests make 180 events: a queue of 4 overflows, the rest fail every retry
        assert dropped["queue_full"] > 0, dropped
        assert dropped["undeliverable"] > 0, dropped


def test_monitored_example_files_every_payload_in_its_log_sink_and_feeds_its_detector(
    workdir: Path,
) -> None:
    with Up("monitored.yaml", workdir) as up:
        assert "logsink" in up.ports
        conn = up.connection()
        puids = []
        for _ in range(3):
            status, _, out = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
            assert status == 200, out
            puids.append(out["meta"]["puid"])
        day = time.strftime("%Y-%m-%d", time.gmtime())
        path = workdir / "build/volumes/monitored-logsink/monitored/classifier" / f"{day}.jsonl"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            lines = path.read_text().splitlines() if path.exists() else []
            mine = [json.loads(line) for line in lines]
            mine = [e for e in mine if e["requestid"] in puids]
            if len(mine) == 6:
                break
            time.sleep(0.1)
        assert sorted((e["requestid"], e["type"]) for e in mine) == sorted(
            (p, kind) for p in puids for kind in (REQUEST, RESPONSE)
        )
        for e in mine:
            assert (e["modelid"], e["endpoint"], e["namespace"]) == (
                "classifier",
                "main",
                "default",
            )
            body = e["data"]
            assert "data" in body, body
        # the shadow `watch` logs its requests to the drift detector: one row per prediction
        metrics_port = up.ports["detector drift"] + 1  # http, then metrics
        rows = 'infergraph_detector_rows_total{detector="drift"}'
        found, deadline = None, time.monotonic() + 20
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as answer:
                found = re.search(rf"^{re.escape(rows)} (\S+)$", answer.read().decode(), re.M)
            if found and float(found[1]) == 3:
                break
            time.sleep(0.1)
        assert found and float(found[1]) == 3, found
