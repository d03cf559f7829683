"""One connection to a live API server, configured the way kubectl is (the `kubernetes` client
reads the kubeconfig: KUBECONFIG or ~/.kube/config, its current context, exec plugins).

Requests go through the client's own urllib3 pool (TLS, proxy and credentials as the kubeconfig
sets them) but not through its generated API classes, whose calling conventions change between
client releases: every object here is a plain JSON document. Every failure becomes one line in
a `ClusterError`; a 404 is `NotFound`, which callers may expect. An answer the server asks to be
retried (429 or 5xx with `Retry-After`: a CRD whose storage is still initializing, API priority
and fairness throttling) is retried as client-go does, at most `RETRIES` times.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from time import sleep
from urllib.parse import urlencode

import urllib3
from kubernetes import config as kube_config
from kubernetes.client import Configuration
from kubernetes.client.rest import RESTClientObject
from kubernetes.config.config_exception import ConfigException
from yaml import MarkedYAMLError, YAMLError

from .. import __version__
from ..errors import ClusterError, NotFound
from ..pointers import JSON

__all__ = ["Connection"]

#: connect and read timeouts of one request, seconds
TIMEOUT = urllib3.Timeout(connect=5.0, read=60.0)
#: retries of an answer with `Retry-After` (client-go's limit), and the longest wait honoured
RETRIES = 10
LONGEST_WAIT = 10.0
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^')\]]+)")


def _reason(err: Exception) -> str:
    """The OS's words for a failed connection (`connection refused`), not urllib3's repr."""
    text = str(getattr(err, "reason", None) or err)
    found = _ERRNO.search(text)
    return found.group(1).strip().lower() if found else text.split(": ")[-1]


def _config_problem(err: Exception, where: str) -> str:
    """One line: `FILE:LINE:COL: problem` for a YAML syntax error, the client's words else."""
    if isinstance(err, MarkedYAMLError) and err.problem_mark is not None:
        mark = err.problem_mark
        return f"{mark.name}:{mark.line + 1}:{mark.column + 1}: {err.problem}"
    return f"{where}: {' '.join(str(err).split())}"


def _server_message(body: bytes) -> str:
    """The `message` of the Status document the API server answers failures with."""
    try:
        status = json.loads(body)
    except ValueError:
        return body.decode(errors="replace").strip()[:200] or "no message"
    return str(status.get("message", "no message")) if isinstance(status, dict) else "no message"


def _retry_after(response: urllib3.BaseHTTPResponse) -> float | None:
    """Seconds the server asked us to wait before asking again, or None: not to be retried."""
    if response.status != 429 and response.status < 500:
        return None
    try:
        seconds = int(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(max(seconds, 0), LONGEST_WAIT)


class Connection:
    """The API server of a kubeconfig context; `namespace` is the context's (else "default")."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None) -> None:
        self.config = Configuration()
        try:
            kube_config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig,
                context=context,
                client_configuration=self.config,
                persist_config=False,  # never write the user's kubeconfig back
            )
            contexts, active = kube_config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
                config_file=kubeconfig
            )
        except (ConfigException, OSError, YAMLError, ValueError, TypeError, KeyError) as err:
            where = kubeconfig or "the default kubeconfig (KUBECONFIG or ~/.kube/config)"
            raise ClusterError(f"cannot use {_config_problem(err, where)}") from None
        chosen = next((c for c in contexts if c.get("name") == context), active) or {}
        self.namespace: str = (chosen.get("context") or {}).get("namespace") or "default"
        self.host: str = self.config.host
        self._pool = RESTClientObject(self.config).pool_manager

    def _headers(self, content_type: str | None, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": f"infergraph/{__version__}"}
        # the client's own answer to "which credentials go in which header" (a bearer token
        # from the kubeconfig or an exec plugin, refreshed when it expires); its key names
        # changed between client releases, its shape did not
        settings: JSON = self.config.auth_settings()  # a TypedDict of plain dicts
        for setting in settings.values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        body: JSON = None,
        content_type: str | None = None,
        accept: str = "application/json",
    ) -> JSON:
        """The decoded JSON answer to one request; raise NotFound on 404, ClusterError else."""
        url = self.host + path + (f"?{urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body)
        for attempt in range(RETRIES + 1):
            response = self._send(method, url, data, self._headers(content_type, accept))
            wait = _retry_after(response)
            if wait is None or attempt == RETRIES:
                break
            sleep(wait)
        status = response.status
        if 200 <= status < 300:
            try:
                return json.loads(response.data)
            except ValueError:
                raise ClusterError(f"{method} {path}: the answer is not JSON") from None
        said = _server_message(response.data)
        if status == 404:
            raise NotFound(said)
        if status == 401:
            raise ClusterError(
                f"{self.host}: unauthorized; the kubeconfig's credentials were refused"
            )
        if status == 403:
            raise ClusterError(f"forbidden: {said}")
        raise ClusterError(f"{method} {path}: {status} {said}")

    def _send(
        self, method: str, url: str, data: str | None, headers: dict[str, str]
    ) -> urllib3.BaseHTTPResponse:
        """One attempt; a connection that fails is a ClusterError, never retried here."""
        try:
            return self._pool.request(
                method, url, body=data, headers=headers, timeout=TIMEOUT, retries=False
            )
        except urllib3.exceptions.HTTPError as err:
            raise ClusterError(f"cannot reach the API server {self.host}: {_reason(err)}") from None
