"""Vendor KEDA's CRD schemas (ScaledObject, TriggerAuthentication) from one pinned release.

Downloads the module zip of `github.com/kedacore/keda/v2` at `VERSION` from the Go module
proxy, refuses it unless its sha256 is `ZIP_SHA256`, and writes the `openAPIV3Schema` of each
CRD in `CRDS` from `config/crd/bases/` as JSON (indent 1, sorted keys, unmodified) into
schemas/thirdparty/keda/. Nothing else of the module (its Go code) is kept. Closing the
schemas (`additionalProperties: false`) happens when they are read, in
generator/infergraph/checks/crd_schema.py, as for Istio's.

    python tools/fetch_keda_crds.py            # write the files, print their sha256
    python tools/fetch_keda_crds.py --check    # exit 1 when the vendored files differ
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import urllib.request
import zipfile
from pathlib import Path

import yaml

__all__ = ["CRDS", "MODULE", "VERSION", "ZIP_SHA256", "extract", "main"]

MODULE = "github.com/kedacore/keda/v2"
VERSION = "v2.21.0"
ZIP_SHA256 = "74b59fe16144250748b716d6dc8789dee52d26164daab732145bed60456013a4"
PROXY = "https://proxy.golang.org"
#: CRD file under config/crd/bases → (served version, vendored file name)
CRDS = {
    "keda.sh_scaledobjects.yaml": ("v1alpha1", "scaledobject-keda.sh-v1alpha1.json"),
    "keda.sh_triggerauthentications.yaml": (
        "v1alpha1",
        "triggerauthentication-keda.sh-v1alpha1.json",
    ),
}
OUT = Path(__file__).resolve().parents[1] / "schemas" / "thirdparty" / "keda"


def fetch() -> bytes:
    """The pinned module zip, checked against its sum."""
    url = f"{PROXY}/{MODULE}/@v/{VERSION}.zip"
    with urllib.request.urlopen(url, timeout=300) as answer:  # a fixed https URL
        data: bytes = answer.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != ZIP_SHA256:
        raise SystemExit(f"{url}: sha256 {digest}, expected {ZIP_SHA256}; refusing it")
    return data


def extract(data: bytes) -> dict[str, str]:
    """Vendored file name → its text, from the module zip."""
    out: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for crd_file, (version, name) in CRDS.items():
            path = f"{MODULE}@{VERSION}/config/crd/bases/{crd_file}"
            crd = yaml.safe_load(archive.read(path))
            [served] = [v for v in crd["spec"]["versions"] if v["name"] == version]
            schema = served["schema"]["openAPIV3Schema"]
            out[name] = json.dumps(schema, indent=1, sort_keys=True) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    files = extract(fetch())
    stale = []
    for name, text in sorted(files.items()):
        target = OUT / name
        if args.check:
            if not target.exists() or target.read_text() != text:
                stale.append(name)
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.replace(target)
        print(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}")
    for name in stale:
        print(f"{OUT / name}: differs from {MODULE}@{VERSION}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
