"""`infergraph diff`: what applying the rendered objects would change in the live cluster.

Each rendered object is applied server-side as a dry run (`dryRun=All`, our own field manager,
`force` so that fields helm owns can be taken over), and the object the API server answers
with is compared to the live one: defaults, admission and conversions are the server's own, so
only real changes remain. Objects the cluster lacks are whole additions (shown as rendered,
still dry-run applied so a rejection fails the command); objects in the cluster that carry the
graph's release labels but are no longer rendered are deletions. Objects a controller made
(ownerReferences) and helm hooks are neither.
"""

from __future__ import annotations

import copy

from ..errors import ClusterError, NotFound
from ..pointers import JSON
from ..render import KIND_ORDER
from .changes import Change, change
from .connect import Connection
from .discovery import Resource, Resources, discover
from .normalize import identity, is_hook, owned_by_controller

__all__ = ["FIELD_MANAGER", "diff_objects", "release_selectors"]

FIELD_MANAGER = "infergraph"
APPLY = "application/apply-patch+yaml"
DRY_RUN = {"dryRun": "All", "fieldManager": FIELD_MANAGER, "force": "true"}
#: the labels that tie an object to a graph's release (DESIGN.md, "Labels on everything")
RELEASE_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance")

Key = tuple[str, str, str, str]


def release_selectors(rendered: list[JSON]) -> list[str]:
    """Label selectors of the releases the rendered objects belong to (normally one)."""
    found = set()
    for obj in rendered:
        labels = obj.get("metadata", {}).get("labels") or {}
        if all(key in labels for key in RELEASE_LABELS):
            found.add(",".join(f"{key}={labels[key]}" for key in RELEASE_LABELS))
    return sorted(found)


def _scope(resource: Resource, obj: JSON, namespace: str) -> str | None:
    return (obj.get("metadata", {}).get("namespace") or namespace) if resource.namespaced else None


def _applied(
    connection: Connection, resource: Resource, obj: JSON, namespace: str
) -> Change | None:
    """The change a server-side apply of `obj` would make (None: none)."""
    where = _scope(resource, obj, namespace)
    name = obj["metadata"]["name"]
    body = copy.deepcopy(obj)
    if where is not None:
        body["metadata"]["namespace"] = where
    path = resource.path(where, name)
    try:
        try:
            live = connection.request("GET", path)
        except NotFound:
            live = None
        try:
            after = connection.request("PATCH", path, DRY_RUN, body, content_type=APPLY)
        except NotFound:  # a namespace that does not exist yet: the object is new all the same
            if live is not None:
                raise
    except ClusterError as err:
        raise ClusterError(f"{obj['kind']} {where or ''}/{name}: {err}") from None
    return change(obj["kind"], where or "", name, live, after if live is not None else body)


def _scanned(rendered: list[JSON], resources: Resources) -> list[Resource]:
    """Where objects of ours may be: each kind the chart can render, at the version rendered
    (else the group's preferred one)."""
    kinds = list(dict.fromkeys([*KIND_ORDER, *(o["kind"] for o in rendered)]))
    found: list[Resource] = []
    for kind in kinds:
        versions = sorted({o["apiVersion"] for o in rendered if o["kind"] == kind})
        found += (
            [resources.find(v, kind) for v in versions] if versions else resources.preferred(kind)
        )
    return found


def _deletions(
    connection: Connection,
    resources: Resources,
    rendered: list[JSON],
    namespace: str,
    kept: set[Key],
) -> list[Change]:
    """Objects with the release's labels that the rendering no longer has."""
    spaces = sorted({identity(o, namespace)[2] for o in rendered})
    selectors = release_selectors(rendered)
    found: dict[Key, Change] = {}
    for resource in _scanned(rendered, resources):
        for space in spaces if resource.namespaced else [namespace]:
            for selector in selectors:
                listed = connection.request(
                    "GET", resource.path(space), {"labelSelector": selector}
                )
                items = sorted(listed.get("items", []), key=lambda o: o["metadata"]["name"])
                for item in items:
                    item = {"apiVersion": resource.api_version, "kind": resource.kind, **item}
                    key = identity(item, space)
                    if key in kept or key in found or is_hook(item) or owned_by_controller(item):
                        continue
                    gone = change(resource.kind, key[2], key[3], item, None)
                    if gone is not None:
                        found[key] = gone
    return list(found.values())


def diff_objects(connection: Connection, rendered: list[JSON], namespace: str) -> list[Change]:
    """Every change applying `rendered` (helm hooks left out) would make, in rendered order,
    then the deletions."""
    applied = [o for o in rendered if not is_hook(o)]
    resources = discover(connection)
    changes = []
    for obj in applied:
        found = _applied(connection, resources.find(obj["apiVersion"], obj["kind"]), obj, namespace)
        if found is not None:
            changes.append(found)
    kept = {identity(o, namespace) for o in applied}
    return changes + _deletions(connection, resources, applied, namespace, kept)
