"""`infergraph-server detector` as a real process: Seldon's payload-log CloudEvents in (built by
the `cloudevents` SDK, as a logger sends them), answers, /metrics and finding events out."""

from __future__ import annotations

import argparse
import datetime
import http.server
import ipaddress
import json
import re
import ssl
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cloudevents.core.bindings.http import (
    HTTPMessage,
    from_binary_event,
    to_binary_event,
    to_structured_event,
)
from cloudevents.core.v1.event import CloudEvent

from infergraph_server.detectors.reference import ReferenceDataError
from infergraph_server.detectors.service import DetectorService, DetectorSettings, register
from infergraph_server.settings import SettingsError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from loopback_http import QuietHandler
from servers import Launch, start_server

pytestmark = pytest.mark.e2e_local

REQUEST = "io.seldon.serving.inference.request"
RESPONSE = "io.seldon.serving.inference.response"
SEED = 7
ROW = b'{"data":{"ndarray":[[1,2,3,4]]}}'
LOGGED = {"ce-specversion": "1.0", "ce-type": REQUEST}


def seldon_event(
    payload: Any, kind: str = REQUEST, puid: str = "puid-1", structured: bool = False
) -> HTTPMessage:
    """A logged payload as Seldon's executor (and our orchestrator) sends it: binary mode;
    or in structured mode, as a Knative broker may deliver it."""
    attributes = {
        "type": kind,
        "source": "http://iris-main:9000/",
        "requestid": puid,
        "modelid": "classifier",
        "inferenceservicename": "iris",
        "namespace": "models",
        "endpoint": "main",
        "datacontenttype": "application/json",
    }
    event = CloudEvent(attributes=attributes, data=payload)
    return to_structured_event(event) if structured else to_binary_event(event)


def post(server: Launch, message: HTTPMessage) -> tuple[int, Any]:
    request = urllib.request.Request(
        server.url + "/", data=message.body, headers=dict(message.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def metrics(server: Launch) -> str:
    with urllib.request.urlopen(server.metrics_url, timeout=5) as answer:
        text: str = answer.read().decode()
        return text


def sample(server: Launch, name: str) -> float:
    """The value of one sample line `name{...}` (or `name`) of the server's metrics."""
    found = re.search(rf"^{re.escape(name)} (\S+)$", metrics(server), re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found[1])


class Receiver:
    """A CloudEvents receiver on loopback: every POST parsed back by the SDK; HTTPS with
    `tls` (a server context)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.events: list[Any] = []
        self.paths: list[str] = []
        self.arrived = threading.Condition()
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                event = from_binary_event(HTTPMessage(headers=headers, body=body))
                with outer.arrived:
                    outer.paths.append(self.path)
                    outer.events.append(event)
                    outer.arrived.notify_all()
                self.answer(202, b"")

        # its own server, not loopback_http.serving: the socket is wrapped in TLS before serving
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/events?key=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10) -> list[Any]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.events) >= count, timeout)
            return list(self.events)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding reference.npy: 1000 rows of 4 standard normal features."""
    path = tmp_path_factory.mktemp("reference")
    np.save(path / "reference.npy", np.random.default_rng(SEED).normal(size=(1000, 4)))
    return path


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def test_outliers_are_scored_counted_and_sent_as_events(
    reference: Path, receiver: Receiver
) -> None:
    args = ["--name", "outliers", "--detector", "OUTLIER_DETECTOR"]
    args += ["--model-uri", f"file://{reference}", "--events-url", receiver.url]
    with start_server("detector", args) as server:
        inliers = np.random.default_rng(SEED + 1).normal(size=(3, 4)).tolist()
        status, answer = post(server, seldon_event({"data": {"ndarray": inliers}}))
        assert status == 200, answer
        assert answer["data"]["is_outlier"] == [0, 0, 0]
        far = [[9.0, -9.0, 9.0, -9.0]]
        status, answer = post(server, seldon_event({"data": {"ndarray": far}}, puid="p-far"))
        assert (status, answer["data"]["is_outlier"]) == (200, [1])
        assert answer["data"]["instance_score"][0] > answer["data"]["threshold"]
        # a response payload is acknowledged and not scored
        status, answer = post(server, seldon_event({"data": {"ndarray": [[1, 0, 0]]}}, RESPONSE))
        assert (status, answer) == (200, {"ignored": RESPONSE})
        # the V2 form: one tensor of rows
        v2 = {"inputs": [{"name": "x", "datatype": "FP64", "shape": [1, 4], "data": far[0]}]}
        status, answer = post(server, seldon_event(v2, puid="p-v2"))
        assert (status, answer["data"]["is_outlier"]) == (200, [1])

        events = receiver.wait_for(2)
        assert [e.get_type() for e in events] == ["io.seldon.serving.inference.outlier"] * 2
        assert {e.get_extension("requestid") for e in events} == {"p-far", "p-v2"}
        assert {e.get_extension("inferenceservicename") for e in events} == {"iris"}
        assert len({e.get_id() for e in events}) == 2
        assert events[0].get_data()["data"]["is_outlier"] == 1

        assert sample(server, 'infergraph_detector_rows_total{detector="outliers"}') == 5
        assert sample(server, 'infergraph_outliers_total{detector="outliers"}') == 2
        assert sample(server, 'infergraph_outlier_score_count{detector="outliers"}') == 5
        assert sample(server, 'infergraph_outlier_threshold{detector="outliers"}') > 0


def test_drift_fires_on_a_shifted_stream_and_reports_p_values(
    reference: Path, receiver: Receiver
) -> None:
    # a level of 0.001: an unshifted window fires once in a thousand, a shift of 1.5 sd always
    parameters = [
        {"name": "windowSize", "type": "INT", "value": "50"},
        {"name": "pValue", "type": "FLOAT", "value": "0.001"},
    ]
    args = ["--name", "drift", "--detector", "DRIFT_DETECTOR", "--model-uri", str(reference)]
    args += ["--parameters", json.dumps(parameters), "--events-url", receiver.url]
    rng = np.random.default_rng(SEED + 2)
    with start_server("detector", args) as server:
        for _ in range(5):  # 50 unshifted rows, in five requests: one window
            rows = rng.normal(size=(10, 4)).tolist()
            status, answer = post(server, seldon_event({"data": {"ndarray": rows}}))
            assert status == 200, answer
        assert [w["is_drift"] for w in answer["data"]["windows"]] == [0]
        assert sample(server, 'infergraph_drift{detector="drift"}') == 0
        shifted = rng.normal(size=(50, 4))
        shifted[:, 2] += 1.5
        tensor = {"shape": [50, 4], "values": shifted.ravel().tolist()}
        status, answer = post(server, seldon_event({"data": {"tensor": tensor}}, puid="p-shift"))
        assert [w["is_drift"] for w in answer["data"]["windows"]] == [1]
        assert sample(server, 'infergraph_drift{detector="drift"}') == 1
        assert sample(server, 'infergraph_drift_p_value{detector="drift",feature="2"}') < 1e-4
        assert sample(server, 'infergraph_drift_windows_total{detector="drift",drift="true"}') == 1
        (event,) = receiver.wait_for(1)
        assert event.get_type() == "io.seldon.serving.inference.drift"
        assert event.get_extension("requestid") == "p-shift"
        assert event.get_data()["data"]["is_drift"] == 1


@pytest.fixture(scope="module")
def outlier_server(reference: Path) -> Iterator[Launch]:
    args = ["--detector", "OUTLIER_DETECTOR", "--model-uri", str(reference)]
    with start_server("detector", args) as server:
        yield server


@pytest.mark.parametrize("data", ["json", "base64"])
def test_structured_events_are_read_as_binary_ones(outlier_server: Launch, data: str) -> None:
    far = {"data": {"ndarray": [[9.0, -9.0, 9.0, -9.0]]}}
    payload: Any = far if data == "json" else json.dumps(far).encode()  # bytes: data_base64
    message = seldon_event(payload, structured=True)
    assert message.headers["content-type"].startswith("application/cloudevents+json")
    assert not any(k.startswith("ce-") for k in message.headers)
    assert ("data_base64" in json.loads(message.body)) == (data == "base64")
    status, answer = post(outlier_server, message)
    assert (status, answer["data"]["is_outlier"]) == (200, [1]), answer
    status, answer = post(outlier_server, seldon_event(payload, RESPONSE, structured=True))
    assert (status, answer) == (200, {"ignored": RESPONSE})


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "not a structured-mode CloudEvent"),
        (b'{"specversion":"1.0","type":"x"}', "not a structured-mode CloudEvent"),
        (
            b'{"specversion":"1.0","id":"1","source":"s","type":"x","data":{}}',
            'ce-type: "x"; expected io.seldon.serving.inference.request',
        ),
    ],
    ids=["not-json", "no-id-or-source", "other-type"],
)
def test_bad_structured_events_are_refused_with_a_reason(
    outlier_server: Launch, body: bytes, says: str
) -> None:
    headers = {"content-type": "application/cloudevents+json; charset=utf-8"}
    status, answer = post(outlier_server, HTTPMessage(headers=headers, body=body))
    assert status == 400
    assert says in answer["error"]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) of a self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_findings_go_to_an_https_events_url(reference: Path, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    receiver = Receiver(tls)
    try:
        args = ["--detector", "OUTLIER_DETECTOR", "--model-uri", str(reference)]
        args += ["--events-url", receiver.url]
        # the detector trusts what the system trusts: here, our certificate alone
        with start_server("detector", args, env={"SSL_CERT_FILE": str(cert)}) as server:
            far = {"data": {"ndarray": [[9.0, -9.0, 9.0, -9.0]]}}
            status, answer = post(server, seldon_event(far, puid="p-tls"))
            assert (status, answer["data"]["is_outlier"]) == (200, [1])
            (event,) = receiver.wait_for(1)
        assert event.get_extension("requestid") == "p-tls"
        assert receiver.paths == ["/events?key=1"]
    finally:
        receiver.close()


@pytest.mark.parametrize(
    ("headers", "body", "says"),
    [
        ({"content-type": "application/json"}, ROW, "ce-specversion"),
        ({"ce-specversion": "1.0", "ce-type": "com.example.other"}, ROW, "ce-type"),
        ({"ce-specversion": "0.3", "ce-type": REQUEST}, ROW, "ce-specversion"),
        (LOGGED, b'{"data":{"ndarray":[[1,2]]}}', "2 features"),
        (LOGGED, b'{"data":{"ndarray":[["a","b","c","d"]]}}', "numbers"),
        (LOGGED, b'{"strData":"hello"}', "ndarray or data.tensor"),
        (LOGGED, b"not json", "not valid JSON"),
    ],
    ids=[
        "no-cloudevent",
        "other-type",
        "old-spec",
        "wrong-width",
        "strings",
        "str-data",
        "not-json",
    ],
)
def test_bad_events_are_refused_with_a_reason(
    outlier_server: Launch, headers: dict[str, str], body: bytes, says: str
) -> None:
    status, answer = post(outlier_server, HTTPMessage(headers=headers, body=body))
    assert status == 400
    assert says in answer["error"]


def _start(argv: list[str]) -> None:
    """What `infergraph-server detector` does before it serves: settings, class, reference."""
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["detector", *argv])
    settings = DetectorSettings.from_args(args)
    DetectorService(settings).detector.load("d", False)


@pytest.mark.parametrize(
    ("argv", "error", "says"),
    [
        (["--detector", "NOPE"], SettingsError, '--detector: "NOPE" is unknown'),
        (
            [
                "--detector",
                "DRIFT_DETECTOR",
                "--parameters",
                '[{"name":"x","type":"INT","value":"1"}]',
            ],
            SettingsError,
            '"x" is not a parameter of DRIFT_DETECTOR',
        ),
        (
            ["--detector", "OUTLIER_DETECTOR", "--events-url", "ftp://example.com/"],
            SettingsError,
            '--events-url: "ftp://example.com/" is not an http',
        ),
        (
            ["--detector", "OUTLIER_DETECTOR", "--events-url", "http://example.com:99999/"],
            SettingsError,
            '--events-url: "http://example.com:99999/" is not an http',
        ),
        (
            [
                "--detector",
                "DRIFT_DETECTOR",
                "--parameters",
                '[{"name":"categoricalFeatures","type":"JSON","value":"[-1]"}]',
            ],
            SettingsError,
            "categoricalFeatures",
        ),
        (
            [
                "--detector",
                "DRIFT_DETECTOR",
                "--parameters",
                '[{"name":"categoricalFeatures","type":"JSON","value":"[5]"}]',
            ],
            ValueError,
            r"categoricalFeatures: \[5\] are not columns",
        ),
        (
            ["--detector", "DRIFT_DETECTOR", "--model-uri", "/nonexistent"],
            ReferenceDataError,
            "no such file",
        ),
    ],
    ids=[
        "unknown",
        "unknown-parameter",
        "ftp-events",
        "events-port-range",
        "negative-index",
        "index-beyond",
        "no-reference",
    ],
)
def test_bad_settings_stop_start_up_naming_the_setting(
    reference: Path, argv: list[str], error: type[Exception], says: str
) -> None:
    if "--model-uri" not in argv:
        argv = [*argv, "--model-uri", str(reference)]
    with pytest.raises(error, match=says):
        _start(argv)
