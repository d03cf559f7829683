"""istiod on 127.0.0.1 as the local cluster's sidecar injector, for as long as a test needs it.

The pods of a graph that asks for Istio security carry `sidecar.istio.io/inject: "true"`; here
they get the sidecar Istio's own injection template gives them on a platform running Istio's CNI
plugin (`pilot.cni.enabled`), so the API server's restricted Pod Security admission judges the
pod spec such a platform makes. kwok fakes the pods: the proxy image need not exist, and no proxy
ever connects to istiod.

istiod is `pilot-discovery` from the pinned istio.io/istio module (build_istioctl.sh). Its
injection template and values are the module's istio-discovery chart's (the
`istio-sidecar-injector` ConfigMap, rendered by helm), read from files as an istiod in a cluster
reads them from that ConfigMap mounted. The API server calls it at https://127.0.0.1:PORT/inject
through a MutatingWebhookConfiguration of ours, whose caBundle is a CA made for the run: istiod's
own certificate names istiod.istio-system.svc, not a loopback address. Its webhook patchers are off
(INJECTION_ and VALIDATION_WEBHOOK_CONFIG_NAME empty), so it edits no webhook configuration, and
every listener is on 127.0.0.1. On leaving, the webhook configuration is deleted and istiod
stopped: nothing is left running or listening.
"""

from __future__ import annotations

import base64
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from e2e_kind.kube import wait_for
from e2e_kind.platform import ISTIO_NAMESPACE, ISTIO_VERSION
from loopback import free_port_block

from .istio import Istio
from .local import Local, log

__all__ = ["INJECTION_SETTINGS", "WEBHOOK", "sidecar_injector"]

WEBHOOK = "infergraph-test-istio-sidecar-injector"
# The istio-discovery chart's values for the injection template, but `pilot.cni.enabled` (true on a
# platform with the CNI plugin: the sidecar gets `istio-validation`, unprivileged, instead of
# `istio-init`): the kind tier's proxy image (never pulled here: kwok runs no container).
INJECTION_SETTINGS = ("--set", "global.hub=docker.io/istio", "--set", f"global.tag={ISTIO_VERSION}")
# istiod's listeners, each given a free loopback port
_LISTENERS = ("grpcAddr", "secureGRPCAddr", "httpAddr", "httpsAddr", "monitoringAddr")
_INJECTOR_TEMPLATE = "templates/istiod-injector-configmap.yaml"


def _injection_config(api: Local, istio: Istio, workdir: Path, cni: bool) -> None:
    """The chart's injection template and values where istiod looks for them (relative to its
    working directory: ./var/lib/istio/inject/{config,values})."""
    chart = istio.chart(api.paths, "istio-control/istio-discovery")
    settings = (*INJECTION_SETTINGS, "--set", f"pilot.cni.enabled={str(cni).lower()}")
    out = api.helm("template", "istiod", chart, "-n", ISTIO_NAMESPACE, *settings,
                   "--show-only", _INJECTOR_TEMPLATE).stdout  # fmt: skip
    data = yaml.safe_load(out)["data"]
    inject = workdir / "var" / "lib" / "istio" / "inject"
    inject.mkdir(parents=True)
    for name in ("config", "values"):
        (inject / name).write_text(data[name])


def _certificates(workdir: Path) -> dict[str, Path]:
    """A CA made for this run and a serving certificate it signed for 127.0.0.1 (IP SAN)."""
    files = {n: workdir / f"{n}.pem" for n in ("ca", "ca-key", "tls", "tls-key", "tls-csr")}
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    steps: list[list[str | Path]] = [
        ["req", "-x509", *ec, "-keyout", files["ca-key"], "-out", files["ca"], "-days", "1",
         "-subj", "/CN=infergraph-test-istiod-ca"],
        ["req", *ec, "-keyout", files["tls-key"], "-out", files["tls-csr"], "-subj", "/CN=istiod"],
        ["x509", "-req", "-in", files["tls-csr"], "-CA", files["ca"], "-CAkey", files["ca-key"],
         "-set_serial", "1", "-days", "1", "-out", files["tls"],
         "-extfile", "/dev/stdin"],
    ]  # fmt: skip
    for step in steps:
        subprocess.run(["openssl", *step], input="subjectAltName=IP:127.0.0.1\n", text=True,
                       capture_output=True, check=True, timeout=60)  # fmt: skip
    return files


def _webhook(url: str, ca: Path) -> dict[str, Any]:
    """Istio's injection webhook for pods labelled `sidecar.istio.io/inject: "true"` (Istio's
    per-pod switch), calling `url`. failurePolicy Ignore: a configuration left by a killed run
    can block no pod; the tests check that the sidecar is there."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": WEBHOOK},
        "webhooks": [{
            "name": "sidecar-injector.istio.io",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Ignore",
            "reinvocationPolicy": "Never",
            "clientConfig": {"url": url, "caBundle": base64.b64encode(ca.read_bytes()).decode()},
            "objectSelector": {"matchLabels": {"sidecar.istio.io/inject": "true"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["pods"]}],
        }],
    }  # fmt: skip


def _ready(url: str) -> bool | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return True if answer.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


@contextmanager
def sidecar_injector(
    api: Local, istio: Istio, workdir: Path, *, cni: bool = True
) -> Iterator[None]:
    """istiod running as the cluster's sidecar injector inside the `with` block, injecting as on
    a platform with Istio's CNI plugin (`cni`) or without it."""
    workdir.mkdir(parents=True, exist_ok=True)
    api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ISTIO_NAMESPACE}})
    _injection_config(api, istio, workdir, cni)
    certs = _certificates(workdir)
    base = free_port_block(len(_LISTENERS) + 1)  # and ControlZ's
    ports = {name: base + i for i, name in enumerate(_LISTENERS)}
    argv: list[str | Path] = [
        istio.pilot_discovery, "discovery", "--kubeconfig", api.paths.kubeconfig,
        *(f"--{name}=127.0.0.1:{port}" for name, port in ports.items()),
        "--ctrlz_address", "127.0.0.1", "--ctrlz_port", str(base + len(_LISTENERS)),
        "--tlsCertFile", certs["tls"], "--tlsKeyFile", certs["tls-key"],
        "--caCertFile", certs["ca"],
    ]  # fmt: skip
    env = {**os.environ, "POD_NAMESPACE": ISTIO_NAMESPACE, "INJECTION_WEBHOOK_CONFIG_NAME": "",
           "VALIDATION_WEBHOOK_CONFIG_NAME": ""}  # fmt: skip
    logfile = workdir / "istiod.log"
    log.info("$ %s (log: %s)", " ".join(map(str, argv)), logfile)
    with logfile.open("w") as out:
        istiod = subprocess.Popen(argv, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        ready = f"http://127.0.0.1:{ports['httpAddr']}/ready"
        wait_for("istiod ready", lambda: _ready(ready) if istiod.poll() is None else False, 60, 0.5)
        assert istiod.poll() is None, f"istiod exited {istiod.returncode}:\n{logfile.read_text()}"
        api.apply(_webhook(f"https://127.0.0.1:{ports['httpsAddr']}/inject", certs["ca"]))
        yield
    finally:
        api.kubectl("delete", "mutatingwebhookconfiguration", WEBHOOK, "--ignore-not-found")
        istiod.terminate()
        try:
            istiod.wait(timeout=30)
        except subprocess.TimeoutExpired:
            istiod.kill()
            istiod.wait(timeout=30)
