"""What ``weft deploy`` would change in the cluster, found without changing it: the apps section
of ``weft plan``, and ``weft deploy --dry-run``.

Every object ``deploy`` would apply is sent to the API server as a server-side apply with
``dryRun=All`` (:meth:`weft.kube.client.Kube.apply`): the server defaults it, runs admission and
merges it with the fields other managers own (an autoscaler's replicas, a controller's
annotations), and answers the object as it would store it, storing nothing. That answer is
compared with the object the cluster holds now, so what is shown is what the cluster would
really change, not a guess from the file. What a prune would delete is listed the way ``deploy``
finds it (:func:`weft.ops.apps.deploy.doomed`).

Secret values never leave this module: a Secret's change is shown by key (``added``,
``value changed``, ``removed``), and the pod template's ``weft.dev/secret-hash`` as "secret
values changed". The dry run needs the values (the server must see what ``deploy`` would send); they
go to the cluster's API only, which stores nothing.

Where the cluster does not exist yet (or ``weft up`` will replace it), every app is new and the
section says so, from the rendering alone. Where the apps cannot be rendered for real yet (a
secret not set, a store not made), or the cluster does not answer, the section says why and
what ``deploy`` would do about it, and the plan goes on.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from weft.aws.inventory import Inventory
from weft.core.plan import Action as PlanAction
from weft.core.plan import Plan
from weft.errors import ConfigError, GuardError, KubeError, UsageError
from weft.kube import manifests
from weft.model.addresses import CLUSTER
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import doomed
from weft.ops.apps.inputs import render_input
from weft.ops.apps.objects import app_of, image_of, version_of
from weft.ops.target import Target

Action = Literal["create", "update", "prune", "unchanged"]

#: What the server keeps up to date itself: never a change weft makes.
_SERVER_ANNOTATIONS = frozenset(
    {"deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration"}
)


@dataclass(frozen=True)
class ObjectChange:
    """What deploy would do to one object: ``changes`` are lines ("image: a -> b")."""

    app: str
    kind: str
    name: str
    action: Action
    changes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AppsPreview:
    """The apps section: ``state`` says how it was found (``dry-run``: the API server's answer;
    ``no-cluster``: all new, from the file; ``unavailable``: not known, ``note`` says why)."""

    state: Literal["dry-run", "no-cluster", "unavailable", "none"]
    note: str = ""
    objects: list[ObjectChange] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return any(o.action != "unchanged" for o in self.objects)

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "prune": 0, "unchanged": 0}
        for o in self.objects:
            out[o.action] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "note": self.note,
            "counts": self.counts(),
            "objects": [o.to_dict() for o in self.objects],
        }


def preview(
    conn: Connection,
    only: Collection[str] | None = None,
    *,
    new_cluster: str | None = None,
    prune: bool = True,
) -> AppsPreview:
    """What ``deploy`` (of ``only``, or of every app) would change. ``new_cluster``: why the
    cluster the apps would go to does not exist yet (``weft up`` makes or replaces it)."""
    conn.check_names(only)
    if not conn.workloads():
        return AppsPreview("none", "the fabric file has no apps or cron jobs")
    if conn.fabric.cluster is None:
        return AppsPreview("none", "the fabric has no cluster")
    if new_cluster is None and conn.inventory().by_address.get(CLUSTER) is None:
        new_cluster = "cluster not created yet"
    if new_cluster is not None:
        return _all_new(conn, only, f"{new_cluster}: all apps new")
    try:
        objects = manifests.render(render_input(conn, only, reveal=True), only)
    except (ConfigError, GuardError, UsageError) as exc:
        return AppsPreview("unavailable", f"deploy would stop before applying anything: {exc}")
    except KubeError as exc:
        return AppsPreview("unavailable", f"the cluster did not answer: {exc}")
    try:
        return _dry_run(conn, objects, only, prune=prune)
    except (KubeError, GuardError) as exc:
        return AppsPreview("unavailable", f"the cluster did not answer: {exc}")


def _all_new(conn: Connection, only: Collection[str] | None, note: str) -> AppsPreview:
    objects = manifests.render(render_input(conn, only, reveal=False), only)
    return AppsPreview(
        "no-cluster",
        note,
        [
            ObjectChange(app_of(o), o["kind"], o["metadata"]["name"], "create", facts(o))
            for o in manifests.apply_order(objects)
            if o["kind"] != "Namespace"
        ],
    )


def _dry_run(
    conn: Connection, objects: list[dict[str, Any]], only: Collection[str] | None, *, prune: bool
) -> AppsPreview:
    kube = conn.kube
    found: list[ObjectChange] = []
    namespace_exists = kube.get("v1", "Namespace", conn.namespace) is not None
    for obj in manifests.apply_order(objects):
        meta = obj["metadata"]
        app, kind, name = app_of(obj), obj["kind"], meta["name"]
        live = (
            kube.get(obj["apiVersion"], kind, name, meta.get("namespace"))
            if namespace_exists or kind == "Namespace"
            else None
        )
        if live is None:
            if kind != "Namespace":
                found.append(ObjectChange(app, kind, name, "create", facts(obj)))
            continue
        after = kube.apply(obj, dry_run=True)
        lines = differences(live, after)
        if kind != "Namespace" or lines:
            found.append(ObjectChange(app, kind, name, "update" if lines else "unchanged", lines))
    if prune and namespace_exists:
        for _api_version, obj in doomed(conn, objects, only):
            found.append(
                ObjectChange(
                    app_of(obj),
                    obj["kind"],
                    obj["metadata"]["name"],
                    "prune",
                    ["the fabric file no longer has it"],
                )
            )
    return AppsPreview("dry-run", "from a server-side apply dry run against the cluster", found)


# ------------------------------------------------------------------ what is shown of an object
def facts(obj: Mapping[str, Any]) -> list[str]:
    """The key attributes of a new object, as lines (secret values never shown)."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    out: list[str] = []
    if kind in ("Deployment", "CronJob"):
        out.append(f"version {version_of(obj)}")
        template = _pod_template(obj)
        out.append(f"image {image_of({'spec': {'template': template}})}")
        if "replicas" in spec:
            out.append(f"replicas {spec['replicas']}")
        if kind == "CronJob":
            out.append(f"schedule {spec.get('schedule')}")
        containers = (template.get("spec") or {}).get("containers") or [{}]
        names = [str(e.get("name")) for e in containers[0].get("env") or []]
        if names:
            out.append(f"env {', '.join(names)}")
    elif kind == "Secret":
        keys = sorted({*(obj.get("stringData") or {}), *(obj.get("data") or {})})
        out.append(f"keys {', '.join(keys)} (values hidden)")
    elif kind == "Service":
        ports = ", ".join(str(p.get("port")) for p in spec.get("ports") or [])
        out.append(f"{spec.get('type') or 'ClusterIP'} port {ports}")
    elif kind == "Ingress":
        for rule in spec.get("rules") or []:
            for path in ((rule.get("http") or {}).get("paths")) or []:
                out.append(f"{rule.get('host') or '*'}{path.get('path') or '/'}")
    elif kind == "HorizontalPodAutoscaler":
        out.append(f"replicas {spec.get('minReplicas')}..{spec.get('maxReplicas')}")
    elif kind == "PodDisruptionBudget":
        for key in ("minAvailable", "maxUnavailable"):
            if key in spec:
                out.append(f"{key} {spec[key]}")
    elif kind == "ServiceAccount":
        for key, value in sorted(((obj.get("metadata") or {}).get("annotations") or {}).items()):
            out.append(f"{key} {value}")
    return out


def _pod_template(obj: Mapping[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        return dict(((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {})
    return dict(spec.get("template") or {})


def differences(live: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What differs between the object the cluster holds and the one it would hold, as lines:
    the fields weft renders (labels, annotations, spec, data), lists of named items matched by
    name. A new version is one line (``version: a -> b``), not one per label and annotation
    that carries it; a Secret's values and the secret hash are never shown."""
    secret = live.get("kind") == "Secret"
    found: list[tuple[str, str, Any, Any]] = []
    _diff(_comparable(live), _comparable(after), "", found)
    lines: list[str] = []
    versions = [d for d in found if d[0] == f"annotations.{manifests.VERSION_ANNOTATION}"] or [
        d for d in found if d[0] == f"labels.{manifests.VERSION_LABEL}"
    ]
    for _path, what, old, new in versions:
        lines.append(f"version: {old} -> {new}" if what == "changed" else f"version: {what}")
    for path, what, old, new in found:
        if versions and path.endswith(_CARRY_THE_VERSION):
            continue
        if path.endswith(manifests.SECRET_HASH_ANNOTATION):
            lines.append("secret values changed: the pods restart")
        elif secret and path.startswith("data."):
            shown = "value changed (hidden)" if what == "changed" else what
            lines.append(f"{_name(path)}: {shown}")
        elif what == "changed":
            lines.append(f"{_name(path)}: {_shown(old)} -> {_shown(new)}")
        elif what == "added":
            lines.append(f"{_name(path)}: added {_shown(new)}")
        else:
            lines.append(f"{_name(path)}: removed")
    return lines


#: The labels and annotations that only repeat the version (shown once, as ``version``).
_CARRY_THE_VERSION = (
    f"labels.{manifests.VERSION_LABEL}",
    f"annotations.{manifests.VERSION_ANNOTATION}",
    f"annotations.{manifests.CHANGE_CAUSE_ANNOTATION}",
)


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in _SERVER_ANNOTATIONS
    }
    out: dict[str, Any] = {"labels": meta.get("labels") or {}, "annotations": annotations}
    for key in ("spec", "data", "type"):
        if key in obj:
            out[key] = obj[key]
    return out


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    """A list of named items (containers, env, ports) as a dict by name; None otherwise."""
    if items and all(isinstance(i, dict) and "name" in i for i in items):
        names = [str(i["name"]) for i in items]
        if len(set(names)) == len(names):
            return dict(zip(names, items, strict=True))
    return None


def _diff(a: Any, b: Any, path: str, out: list[tuple[str, str, Any, Any]]) -> None:
    """Append ``(path, changed | added | removed, before, after)`` for each difference."""
    if a == b:
        return
    if isinstance(a, list) and isinstance(b, list):
        ka, kb = _keyed(a), _keyed(b)
        if ka is not None and kb is not None:
            a, b = ka, kb
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in b:
                out.append((sub, "removed", a[key], None))
            elif key not in a:
                out.append((sub, "added", None, b[key]))
            else:
                _diff(a[key], b[key], sub, out)
        return
    out.append((path, "changed", a, b))


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


#: Friendlier names for the paths users look for first.
_NAMES: tuple[tuple[str, str], ...] = (
    ("spec.template.spec.containers.", "container "),
    ("spec.jobTemplate.spec.template.spec.containers.", "container "),
    ("spec.jobTemplate.spec.template.metadata.annotations.", "pod annotation "),
    ("spec.jobTemplate.spec.template.metadata.labels.", "pod label "),
    ("spec.template.metadata.annotations.", "pod annotation "),
    ("spec.template.metadata.labels.", "pod label "),
    ("annotations.", "annotation "),
    ("labels.", "label "),
    ("data.", "key "),
)


def _name(path: str) -> str:
    for prefix, name in _NAMES:
        if path.startswith(prefix):
            return name + path[len(prefix) :]
    return path


def for_plan(target: Target, plan: Plan, inventory: Inventory) -> AppsPreview:
    """The apps section of ``weft plan``: what ``deploy`` would change once ``up`` applied
    ``plan`` (read with ``inventory``, the cloud the plan was made from)."""
    new_cluster = None
    for change in plan.changes:
        if change.address == CLUSTER and change.action is PlanAction.CREATE:
            new_cluster = "cluster not created yet"
        elif change.address == CLUSTER and change.action is PlanAction.REPLACE:
            new_cluster = "weft up replaces the cluster"
    conn = Connection(target, inventory=inventory)
    try:
        return preview(conn, new_cluster=new_cluster)
    finally:
        conn.close()
