"""Run checkov (its own venv, `make checkov`) on rendered YAML and summarise its JSON report.

checkov's exit code alone proves nothing: a file it cannot parse, or `--framework helm` without
helm on PATH, yields "0 passed, 0 failed" and exit 0. Callers assert on `Summary.clean`, which
also demands that something was checked.

Skips live in one committed file, one check per line: `<check id> <scope> <reason>`, where the
scope is `*` (skipped everywhere, passed to `--skip-check`) or comma-separated kinds (failures
on other kinds still count), e.g. `CKV_K8S_8 Pod the helm test pod runs once; nothing to probe`.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infergraph.checks.paths import REPO_ROOT

__all__ = [
    "CHECKOV_ENV",
    "DEFAULT_SKIPS_FILE",
    "Failure",
    "Skip",
    "Summary",
    "checkov_binary",
    "read_skips",
    "run_checkov",
]

#: Environment variable naming the checkov executable (default: the repo's `.venv-checkov`).
CHECKOV_ENV = "INFERGRAPH_CHECKOV"
DEFAULT_SKIPS_FILE = REPO_ROOT / ".checkov-skips.txt"
_TIMEOUT_S = 300


@dataclass(frozen=True)
class Skip:
    """One line of the skips file."""

    check_id: str
    kinds: frozenset[str] | None  # None: every kind
    reason: str


@dataclass(frozen=True)
class Failure:
    """One failed checkov check on one resource."""

    check_id: str
    check_name: str
    resource: str  # "<Kind>.<namespace>.<name>"
    file: str

    @property
    def kind(self) -> str:
        return self.resource.split(".", 1)[0]

    def __str__(self) -> str:
        return f"{self.check_id} {self.resource} ({self.file}): {self.check_name}"


@dataclass(frozen=True)
class Summary:
    """checkov's counts after our scoped skips, with the failures that remain."""

    passed: int
    failed: int
    skipped: int
    parsing_errors: int
    resource_count: int
    failures: tuple[Failure, ...] = field(default=())

    @property
    def clean(self) -> bool:
        """Something was checked, nothing failed and every file parsed."""
        return (
            self.resource_count > 0
            and self.passed > 0
            and not self.failed
            and not (self.parsing_errors)
        )

    def __str__(self) -> str:
        head = (
            f"checkov: {self.passed} passed, {self.failed} failed, {self.skipped} skipped, "
            f"{self.parsing_errors} parsing errors, {self.resource_count} resources"
        )
        return "\n  ".join([head, *map(str, self.failures)])


def read_skips(path: Path = DEFAULT_SKIPS_FILE) -> list[Skip]:
    """Parse the skips file; a line without a reason is an error, not a silent skip."""
    skips = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 3:
            raise ValueError(f"{path}:{number}: expected '<check id> <scope> <reason>': {line!r}")
        check_id, scope, reason = parts
        kinds = None if scope == "*" else frozenset(scope.split(","))
        skips.append(Skip(check_id, kinds, reason))
    return skips


def checkov_binary() -> Path:
    """`$INFERGRAPH_CHECKOV`, else `.venv-checkov/bin/checkov` in the repository."""
    return Path(os.environ.get(CHECKOV_ENV) or REPO_ROOT / ".venv-checkov" / "bin" / "checkov")


def run_checkov(paths: Sequence[Path], skips_file: Path = DEFAULT_SKIPS_FILE) -> Summary:
    """Run `checkov --framework kubernetes` on YAML files or folders and summarise it."""
    skips = read_skips(skips_file)
    everywhere = sorted(s.check_id for s in skips if s.kinds is None)
    binary = checkov_binary()
    if not binary.exists():
        raise FileNotFoundError(f"{binary}: no checkov; run `make checkov` or set {CHECKOV_ENV}")
    command = [str(binary), "--framework", "kubernetes", "--output", "json"]
    command += ["--quiet", "--compact", "--skip-download"]
    if everywhere:
        command += ["--skip-check", ",".join(everywhere)]
    for path in paths:
        command += ["--directory" if path.is_dir() else "--file", str(path)]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}  # no call home for guideline links
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=_TIMEOUT_S, check=False
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(
            f"checkov exited {done.returncode} without a JSON report: {done.stderr[-2000:]}"
        ) from error
    return _summarise(report, skips)


def _summarise(report: Any, skips: list[Skip]) -> Summary:
    # One framework gives one report; an empty run gives a bare summary without results.
    summary: Mapping[str, int] = report.get("summary", report)
    results = report.get("results", {})
    scoped = {s.check_id: s.kinds for s in skips if s.kinds is not None}
    failures, waived = [], 0
    for check in results.get("failed_checks", []):
        failure = Failure(
            check["check_id"], check["check_name"], check["resource"], check["file_path"]
        )
        kinds = scoped.get(failure.check_id)
        if kinds is not None and failure.kind in kinds:
            waived += 1
        else:
            failures.append(failure)
    return Summary(
        passed=summary["passed"],
        failed=len(failures),
        skipped=summary["skipped"] + waived,
        parsing_errors=summary["parsing_errors"],
        resource_count=summary["resource_count"],
        failures=tuple(failures),
    )
