"""An app's revisions: going back to one, finding the last release that worked, and recording
each release in the app's history (:mod:`weft.kube.releases`).

A revision is one of the Deployment's ReplicaSets (:mod:`weft.kube.rollout` reads them); going
back applies that revision's pod template and waits for the rollout. It re-applies the app's whole
rendered set at the restored version too (its Service, Secret, Ingress and the Deployment's own
labels and annotations), so nothing keeps the version rolled back from: after ``weft rollback``
writes that version into the fabric file, ``weft plan`` shows no change for the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from weft.errors import UsageError
from weft.kube import manifests, releases, rollout
from weft.ops.apps.connection import Connection


def record(conn: Connection, app: str, release: releases.Release) -> None:
    """Add ``release`` to the app's history."""
    releases.record(conn.kube, conn.namespace, app, manifests.labels(conn.fabric, app), release)


#: The app's rendered objects at a version (None: the fabric file's).
RenderAt = Callable[[str | None], list[dict[str, Any]]]


def roll_back(
    conn: Connection,
    app: str,
    render_at: RenderAt,
    to: int | None,
    timeout: float,
    grace: float,
) -> tuple[int, dict[str, Any], rollout.Progress] | None:
    """Apply the pod template of revision ``to`` (default: the previous one), with the app's
    other objects rendered (by ``render_at``) at that revision's version, and wait; the
    revision, its template and how the rollout ended (None: no earlier revision)."""
    live = conn.kube.get("apps/v1", "Deployment", app, conn.namespace)
    if live is None:
        return None
    rss = conn.kube.list("apps/v1", "ReplicaSet", conn.namespace, rollout.selector_labels(live))
    found = rollout.rollback_template(live, rss, to)
    if found is None:
        if to is not None:
            known = ", ".join(str(r) for r in rollout.revisions(live, rss)) or "none"
            raise UsageError(
                f"app {app} has no revision {to} to roll back to (revisions kept: {known})"
            )
        conn.emit(app, "rollback", "no earlier revision to roll back to")
        return None
    rev, template = found
    version = rollout.template_version(template, manifests.VERSION_ANNOTATION)
    for obj in manifests.apply_order(render_at(version)):
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == app:
            obj = {**obj, "spec": {**obj["spec"], "template": template}}
        conn.kube.apply(obj)
    conn.emit(app, "rollback", f"rolling back to revision {rev}")
    settled = wait(conn, app, timeout, grace)
    return rev, template, settled


def wait(conn: Connection, app: str, timeout: float, grace: float) -> rollout.Progress:
    """Wait for the app's rollout, reporting its progress."""

    def progress(p: rollout.Progress) -> None:
        conn.emit(app, "progress", p.line())

    return rollout.wait(
        conn.kube, conn.namespace, app, timeout=timeout, grace=grace, report=progress
    )


def last_good_revision(conn: Connection, app: str) -> int | None:
    """The revision of the last release that worked, other than what runs now: after an
    automatic rollback, the previous revision is the one that failed, never a target."""
    live = conn.kube.get("apps/v1", "Deployment", app, conn.namespace)
    if live is None:
        raise UsageError(f"app {app} is not deployed: nothing to roll back")
    template = (live.get("spec") or {}).get("template") or {}
    current = rollout.template_version(template, manifests.VERSION_ANNOTATION)
    good = [
        r.version
        for r in reversed(releases.load(conn.kube, conn.namespace, app))
        if r.outcome in ("deployed", "rollback") and r.version != current
    ]
    rss = conn.kube.list("apps/v1", "ReplicaSet", conn.namespace, rollout.selector_labels(live))
    return rollout.revision_of_version(
        live, rss, list(dict.fromkeys(good)), manifests.VERSION_ANNOTATION
    )
