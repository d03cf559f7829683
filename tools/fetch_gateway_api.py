"""Vendor the Gateway API route schemas: `python tools/fetch_gateway_api.py` (needs the Go proxy).

Downloads the Go module `sigs.k8s.io/gateway-api` at the pinned release from the Go module
proxy (`$GOPROXY`, first entry, else proxy.golang.org), checks the archive's sha256 against the
pin, and writes `spec.versions[v1].schema.openAPIV3Schema` of the standard channel's HTTPRoute
and GRPCRoute CRDs (`config/crd/standard/`) to schemas/thirdparty/gateway-api/ as JSON (indent
1, keys sorted, unmodified, as the Istio copies), with a README naming the pin and the sums
that tests/checks/test_crd_schema.py checks. No Go code is kept: the archive stays in memory.
Closing the schemas (`additionalProperties: false`) happens when they are loaded
(`infergraph.checks.crd_schema.close_objects`), as for Istio's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import yaml

__all__ = ["KINDS", "MODULE", "VERSION", "ZIP_SHA256", "extract", "main", "readme"]

MODULE = "sigs.k8s.io/gateway-api"
#: the newest release whose go.mod the repository's Go toolchain (1.26) accepts, so the cluster
#: tier (tests/cluster/crds.py) can `go mod download` the same CRDs; v1.7.0 requires go 1.27
VERSION = "v1.6.3"
#: sha256 of the module zip the proxy serves for VERSION (what we extracted from).
ZIP_SHA256 = "7c5d0a931d6ffb3e08ac4d5318969faaa6acf25a40ad13cc5978c22117e9b64b"
CHANNEL = "standard"
API_VERSION = "v1"
#: kind → CRD file under config/crd/standard/ of the module.
KINDS = {
    "HTTPRoute": "gateway.networking.k8s.io_httproutes.yaml",
    "GRPCRoute": "gateway.networking.k8s.io_grpcroutes.yaml",
}
TARGET = Path(__file__).resolve().parents[1] / "schemas" / "thirdparty" / "gateway-api"


def proxy_url() -> str:
    """The module zip's address on the first proxy of $GOPROXY (proxy.golang.org by default)."""
    proxies = os.environ.get("GOPROXY", "https://proxy.golang.org").split(",")
    base = next((p for p in proxies if p.startswith("http")), "https://proxy.golang.org")
    return f"{base.rstrip('/')}/{MODULE}/@v/{VERSION}.zip"


def extract(archive: bytes) -> dict[str, str]:
    """File name → JSON text of each route schema in the module zip (checked against the pin)."""
    digest = hashlib.sha256(archive).hexdigest()
    if digest != ZIP_SHA256:
        raise SystemExit(f"{MODULE}@{VERSION}: zip sha256 {digest}, pinned {ZIP_SHA256}")
    out: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as module:
        for kind, name in KINDS.items():
            crd: Any = yaml.safe_load(
                module.read(f"{MODULE}@{VERSION}/config/crd/{CHANNEL}/{name}")
            )
            annotations = crd["metadata"]["annotations"]
            channel = annotations["gateway.networking.k8s.io/channel"]
            bundle = annotations["gateway.networking.k8s.io/bundle-version"]
            if (channel, bundle) != (CHANNEL, VERSION) or crd["spec"]["names"]["kind"] != kind:
                raise SystemExit(f"{name}: {kind} {channel} {bundle}; expected {CHANNEL} {VERSION}")
            [version] = [v for v in crd["spec"]["versions"] if v["name"] == API_VERSION]
            schema = version["schema"]["openAPIV3Schema"]
            file = f"{kind.lower()}-gateway.networking.k8s.io-{API_VERSION}.json"
            out[file] = json.dumps(schema, indent=1, sort_keys=True) + "\n"
    return out


def readme(files: dict[str, str]) -> str:
    """The folder's README: where the files come from and their sha256 sums."""
    sums = "\n".join(
        f"{hashlib.sha256(text.encode()).hexdigest()}  {name}"
        for name, text in sorted(files.items())
    )
    rows = "\n".join(
        f"| {f'{kind.lower()}-gateway.networking.k8s.io-{API_VERSION}.json'} | {kind} "
        f"{API_VERSION} | `config/crd/{CHANNEL}/{crd}` |"
        for kind, crd in KINDS.items()
    )
    return f"""# Gateway API CRD schemas (extracted)

Source: the Go module `{MODULE}` {VERSION} from the Go module proxy (zip sha256 `{ZIP_SHA256}`),
channel `{CHANNEL}`. License of the source: Apache-2.0 (kubernetes-sigs/gateway-api; the text is
`../LICENSE-Apache-2.0.txt`). Written by `tools/fetch_gateway_api.py`, which holds the pin; no Go
code of the module is kept.

Each file is the `spec.versions[{API_VERSION}].schema.openAPIV3Schema` of the named CRD, written
as JSON (indent 1, keys sorted), unmodified. `infergraph.checks.crd_schema` closes every described
object of `spec` (`additionalProperties: false`) when it loads them, as it does Istio's; CEL rules
(`x-kubernetes-validations`) are not evaluated.

| file | CRD / version | source in the module |
|---|---|---|
{rows}

sha256 of the extracted files:
```
{sums}
```
Regenerate: `python tools/fetch_gateway_api.py` (after changing VERSION and ZIP_SHA256).
"""


def main() -> int:
    """Fetch, check and write the schemas and the README."""
    url = proxy_url()
    with urllib.request.urlopen(url, timeout=60) as answer:
        archive = answer.read()
    files = extract(archive)
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, text in {**files, "README.md": readme(files)}.items():
        temporary = TARGET / f".{name}.tmp"
        temporary.write_text(text)
        temporary.replace(TARGET / name)
    print(f"{MODULE}@{VERSION}: wrote {', '.join(sorted(files))} to {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
