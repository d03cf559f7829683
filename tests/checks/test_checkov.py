"""checkov on rendered YAML: good objects are clean, a broken one is caught, skips are scoped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infergraph.checks.checkov import DEFAULT_SKIPS_FILE, checkov_binary, read_skips, run_checkov

needs_checkov = pytest.mark.skipif(
    not checkov_binary().exists(), reason="checkov venv missing: run `make checkov`"
)


def write(tmp_path: Path, *objects: dict[str, Any]) -> Path:
    path = tmp_path / "objects.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    return path


@needs_checkov
def test_good_objects_are_clean(good_yaml: Path) -> None:
    summary = run_checkov([good_yaml])
    assert summary.clean, str(summary)
    assert summary.passed > 100
    assert summary.skipped > 0  # the test Pod's probes, waived by kind


@needs_checkov
def test_broken_deployment_fails(good: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    deployment = good["Deployment"]
    spec = deployment["spec"]["template"]["spec"]
    spec["hostNetwork"] = True
    container = spec["containers"][0]
    container["securityContext"]["privileged"] = True
    del container["readinessProbe"]  # waived for Pods only, so it still counts here
    summary = run_checkov([write(tmp_path, deployment)])
    assert not summary.clean
    failed = {(f.check_id, f.kind) for f in summary.failures}
    assert {("CKV_K8S_16", "Deployment"), ("CKV_K8S_19", "Deployment")} <= failed
    assert ("CKV_K8S_9", "Deployment") in failed
    assert summary.failed == len(summary.failures)


@needs_checkov
def test_unparsable_file_is_not_clean(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    summary = run_checkov([path])
    assert summary.resource_count == 0
    assert not summary.clean


def test_committed_skips_each_have_a_reason() -> None:
    skips = read_skips(DEFAULT_SKIPS_FILE)
    assert skips
    for skip in skips:
        assert skip.check_id.startswith(("CKV_K8S_", "CKV2_K8S_")), skip
        assert len(skip.reason.split()) >= 5, skip


def test_skip_line_without_reason_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "skips.txt"
    path.write_text("# comment\n\nCKV_K8S_8 Pod\n")
    with pytest.raises(ValueError, match=r"skips.txt:3: expected '<check id> <scope> <reason>'"):
        read_skips(path)


def test_missing_checkov_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, good_yaml: Path
) -> None:
    monkeypatch.setenv("INFERGRAPH_CHECKOV", str(tmp_path / "checkov"))
    with pytest.raises(FileNotFoundError, match="run `make checkov` or set INFERGRAPH_CHECKOV"):
        run_checkov([good_yaml])
