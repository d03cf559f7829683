"""What `infergraph diff` compares and prints, without a cluster: server-set fields left out,
additions and deletions as whole objects, the summary line, the release selectors."""

from __future__ import annotations

import copy
from typing import Any

from infergraph.cluster.changes import change, summary, unified
from infergraph.cluster.diff import release_selectors
from infergraph.cluster.normalize import identity, is_hook, normalize, owned_by_controller

LABELS = {"app.kubernetes.io/name": "infergraph", "app.kubernetes.io/instance": "g"}


def _service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "g-main", "namespace": "ns", "labels": dict(LABELS)},
        "spec": {"ports": [{"name": "http", "port": 9000}], "selector": {"app": "g"}},
    }


def _live(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` as the API server returns it: bookkeeping, status and an allocated address."""
    live = copy.deepcopy(obj)
    live["metadata"].update(
        uid="0d1f", resourceVersion="812", generation=3, creationTimestamp="2026-01-01T00:00:00Z",
        managedFields=[{"manager": "helm"}],
        annotations={"deployment.kubernetes.io/revision": "2"},
    )  # fmt: skip
    live["spec"].update(clusterIP="10.96.0.7", clusterIPs=["10.96.0.7"])
    live["status"] = {"loadBalancer": {}}
    return live


def test_server_set_fields_make_no_change_and_the_input_is_not_touched() -> None:
    live = _live(_service())
    kept = copy.deepcopy(live)
    assert normalize(live) == _service()
    assert live == kept
    assert change("Service", "ns", "g-main", live, _service()) is None


def test_a_changed_field_shows_as_one_removed_and_one_added_line() -> None:
    after = _live(_service())
    after["spec"]["ports"][0]["port"] = 9001
    found = change("Service", "ns", "g-main", _live(_service()), after)
    assert found is not None
    text = found.text()
    assert text.startswith("--- Service ns/g-main (live)\n+++ Service ns/g-main (after apply)\n")
    edits = [ln for ln in text.splitlines()[2:] if ln[:1] in "+-"]
    assert edits == ["-    port: 9000", "+    port: 9001"]


def test_additions_and_deletions_are_whole_objects() -> None:
    added = change("Service", "ns", "g-main", None, _service())
    deleted = change("Service", "ns", "g-old", _live(_service()), None)
    assert added is not None and deleted is not None
    add_lines = added.text().splitlines()
    assert add_lines[:2] == ["--- /dev/null", "+++ Service ns/g-main (after apply)"]
    assert all(ln.startswith("+") for ln in add_lines[3:]) and "+kind: Service" in add_lines
    del_lines = deleted.text().splitlines()
    assert del_lines[:2] == ["--- Service ns/g-old (live)", "+++ /dev/null"]
    assert all(ln.startswith("-") for ln in del_lines[3:])
    assert not any("resourceVersion" in ln or "clusterIP" in ln for ln in del_lines)
    assert unified([added, deleted]) == added.text() + deleted.text()
    assert summary([added, deleted]) == "0 to change, 1 to add, 1 to delete"
    assert summary([]) == "no changes"


def test_hooks_controller_objects_and_identity() -> None:
    hook = _service()
    hook["metadata"]["annotations"] = {"helm.sh/hook": "test"}
    assert is_hook(hook) and not is_hook(_service())
    pod = _service()
    pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "x"}]
    assert owned_by_controller(pod) and not owned_by_controller(_service())
    unplaced = _service()
    del unplaced["metadata"]["namespace"]
    assert identity(unplaced, "dflt") == ("", "Service", "dflt", "g-main")
    assert identity({**_service(), "apiVersion": "apps/v1"}, "x")[:3] == ("apps", "Service", "ns")


def test_release_selectors_come_from_the_rendered_labels() -> None:
    other = _service()
    other["metadata"]["labels"]["app.kubernetes.io/instance"] = "h"
    unlabelled = {"kind": "ConfigMap", "metadata": {"name": "x"}}
    assert release_selectors([_service(), _service(), other, unlabelled]) == [
        "app.kubernetes.io/name=infergraph,app.kubernetes.io/instance=g",
        "app.kubernetes.io/name=infergraph,app.kubernetes.io/instance=h",
    ]
