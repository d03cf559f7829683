"""Regenerate tests/golden/: every example's compiled values and its helm-rendered objects.

`make golden` runs this; tests/golden/test_golden.py fails (with a diff) when a file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from infergraph.api import compile_values
from infergraph.helm_values import helm_values
from infergraph.loading import load
from infergraph.output import dump_yaml, write_file
from infergraph.render import render_values, to_yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "golden"


def golden_files(example: Path) -> dict[Path, str]:
    """The golden files of one example: `<stem>.values.yaml` (as `compile --to values` writes
    it) and `<stem>.yaml` (the objects helm renders)."""
    values = compile_values(load(example))
    return {
        GOLDEN / f"{example.stem}.values.yaml": dump_yaml(helm_values(values)),
        GOLDEN / f"{example.stem}.yaml": to_yaml(render_values(values, "helm")),
    }


def main() -> int:
    for example in EXAMPLES:
        for path, text in golden_files(example).items():
            write_file(path, text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
