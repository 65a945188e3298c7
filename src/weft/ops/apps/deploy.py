"""``weft deploy``: apply the apps, prune what the file no longer names, wait for every rollout,
roll a failed one back, record each release, and point the apps' DNS records.

See :mod:`weft.ops.apps` for the whole order of business.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from weft.errors import UsageError
from weft.kube import manifests, releases, rollout
from weft.kube.client import describe
from weft.kube.manifests.traffic import HTTPS_SKIPPED
from weft.ops.apps import auto_mode, cluster_autoscaler, lb_controller
from weft.ops.apps.connection import Connection
from weft.ops.apps.inputs import render_input
from weft.ops.apps.objects import app_of, image_of, version_of
from weft.ops.apps.records import (
    LB_TIMEOUT,
    sync_alarms,
    sync_records,
    wait_for_load_balancers,
)
from weft.ops.apps.revisions import RenderAt, record, roll_back, wait

#: Kinds weft applies for apps, in the versions of a given cluster (prune lists these).
PRUNABLE = (
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
)


@dataclass
class AppOutcome:
    app: str
    version: str
    outcome: str  # deployed | unchanged | failed | rolled back | applied
    revision: int | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rolled_back_to: int | None = None
    #: Its load balancer did not come in time (the problem says why).
    no_load_balancer: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DeployResult:
    outcomes: list[AppOutcome] = field(default_factory=list)
    applied: int = 0
    pruned: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(
            o.outcome not in ("failed", "rolled back") and not o.no_load_balancer
            for o in self.outcomes
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "applied": self.applied,
            "pruned": self.pruned,
            "records": self.records,
            "apps": [o.to_dict() for o in self.outcomes],
        }


def deploy(
    conn: Connection,
    only: Collection[str] | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
    timeout: float = 900.0,
    grace: float = 30.0,
    prune: bool = True,
    lb_timeout: float = LB_TIMEOUT,
) -> DeployResult:
    """Deploy the apps and cron jobs (or ``only`` those), versions ``overrides`` aside; the
    AWS Load Balancer Controller first (:mod:`~weft.ops.apps.lb_controller`), and the Cluster
    Autoscaler (:mod:`~weft.ops.apps.cluster_autoscaler`). An app whose
    load balancer does not come within ``lb_timeout`` seconds fails the deploy."""
    conn.check_names(only)
    conn.cluster()
    lb_controller.install(conn)
    cluster_autoscaler.install(conn)
    inp = render_input(conn, only, reveal=True, overrides=overrides)
    auto_mode.install(conn, inp.certificate_arn)  # EKS Auto Mode's IngressClass, if it is one
    objects = manifests.render(inp, only)
    result = DeployResult()
    before = _deployments(conn, only)
    for obj in manifests.apply_order(objects):
        conn.kube.apply(obj)
        result.applied += 1
        conn.emit(app_of(obj), "applied", describe(obj))
        skipped = (obj["metadata"].get("annotations") or {}).get(HTTPS_SKIPPED)
        if skipped:
            conn.emit(app_of(obj), "https", f"HTTPS skipped: {skipped}")
    if prune:
        result.pruned = _prune(conn, objects, only)
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(deployments)))) as pool:
        futures = [
            pool.submit(_settle, conn, d, before.get(d["metadata"]["name"]), timeout, grace)
            for d in deployments
        ]
        result.outcomes = [f.result() for f in futures]
    for obj in objects:
        if obj["kind"] == "CronJob":
            result.outcomes.append(AppOutcome(obj["metadata"]["name"], version_of(obj), "applied"))
    if result.ok:
        missing = wait_for_load_balancers(conn, only, lb_timeout)
        for o in result.outcomes:
            if o.app in missing:
                o.no_load_balancer = True
                o.problems.append(missing[o.app])
                conn.emit(o.app, "failed", missing[o.app])
    result.records = sync_records(conn, only, wait=0.0, prune=prune)
    result.records += sync_alarms(conn, only, prune=prune)
    return result


def _deployments(conn: Connection, only: Collection[str] | None) -> dict[str, dict[str, Any]]:
    found = conn.kube.list(
        "apps/v1", "Deployment", conn.namespace, {manifests.FABRIC_LABEL: conn.fabric.name}
    )
    return {d["metadata"]["name"]: d for d in found if only is None or app_of(d) in only}


def _settle(
    conn: Connection,
    rendered: dict[str, Any],
    before: dict[str, Any] | None,
    timeout: float,
    grace: float,
) -> AppOutcome:
    """Wait for one app's rollout; roll it back if it fails; record the release."""
    app = rendered["metadata"]["name"]
    start = time.monotonic()
    version = version_of(rendered)
    result = wait(conn, app, timeout, grace)
    outcome = AppOutcome(app, version, "deployed", revision=result.revision)
    changed = before is None or rollout.revision_of(before) != result.revision
    if result.failure is None:
        outcome.outcome = "deployed" if changed else "unchanged"
        if changed:
            record(
                conn,
                app,
                releases.Release(version, image_of(rendered), "deployed", revision=result.revision),
            )
        conn.emit(app, "done", f"{version}: {outcome.outcome} (revision {result.revision})")
    else:
        outcome.outcome = "failed"
        outcome.problems = [result.failure, *(str(p) for p in result.problems)]
        conn.emit(app, "failed", "; ".join(outcome.problems))
        # Undo only what this deploy changed, back to what ran before it; a rollout that
        # fails without a change (a crash with the same template) has nothing to undo.
        back = None
        if changed and before is not None:
            try:
                back = roll_back(
                    conn,
                    app,
                    rendered_at(conn, app),
                    rollout.revision_of(before),
                    timeout,
                    grace,
                )
            except UsageError as exc:  # the revision that ran before is no longer kept
                conn.emit(app, "rollback", str(exc))
        elif not changed:
            conn.emit(app, "rollback", "nothing changed in this deploy: nothing to undo")
        else:
            conn.emit(app, "rollback", "a first release has no earlier revision")
        if back is not None:
            rev, _template, back_progress = back
            outcome.outcome = "rolled back"
            outcome.rolled_back_to = rev
            if back_progress.failure:
                outcome.problems.append(f"the rollback did not settle: {back_progress.failure}")
        record(
            conn,
            app,
            releases.Release(
                version,
                image_of(rendered),
                "failed",
                revision=result.revision,
                rolled_back_to=outcome.rolled_back_to,
                detail="; ".join(outcome.problems)[:1000],
            ),
        )
        if back is not None:
            # The controller gives the restored template a new revision: record it, so the
            # history has no gap where the automatic rollback was.
            rev, template, back_progress = back
            record(
                conn,
                app,
                releases.Release(
                    rollout.template_version(template, manifests.VERSION_ANNOTATION) or "?",
                    image_of({"spec": {"template": template}}),
                    "rollback" if back_progress.failure is None else "failed",
                    revision=back_progress.revision,
                    rolled_back_to=rev,
                    detail=f"automatic, after {version} failed",
                ),
            )
    outcome.seconds = round(time.monotonic() - start, 2)
    return outcome


def rendered_at(conn: Connection, app: str) -> RenderAt:
    """How a rollback renders ``app``'s objects at the version it restores (that of the
    fabric file where the revision carries none)."""

    def render(version: str | None) -> list[dict[str, Any]]:
        overrides = {app: version} if version else None
        inp = render_input(conn, [app], reveal=True, overrides=overrides)
        objects = manifests.render(inp, [app])
        return [o for o in objects if o["kind"] != "Namespace" and app_of(o) == app]

    return render


def _prune(
    conn: Connection, objects: list[dict[str, Any]], only: Collection[str] | None
) -> list[str]:
    """Delete what weft manages here that the rendering no longer holds."""
    gone = []
    for api_version, obj in doomed(conn, objects, only):
        kind, name = obj["kind"], obj["metadata"]["name"]
        if conn.kube.delete(api_version, kind, name, conn.namespace):
            gone.append(describe(obj))
            conn.emit(
                app_of(obj),
                "pruned",
                f"pruned {describe(obj)}: the fabric file no longer has it",
            )
    return gone


def doomed(
    conn: Connection, objects: list[dict[str, Any]], only: Collection[str] | None
) -> list[tuple[str, dict[str, Any]]]:
    """What a prune deletes: the objects weft manages here (with their API versions) that the
    rendering ``objects`` no longer holds, in the order they go."""
    keep = {(o["kind"], o["metadata"]["name"]) for o in objects}
    keep |= {("ConfigMap", releases.configmap_name(a)) for a in set(conn.names())}
    versions = conn.versions
    kinds = [
        *PRUNABLE,
        (versions.ingress, "Ingress"),
        (versions.hpa, "HorizontalPodAutoscaler"),
        (versions.pdb, "PodDisruptionBudget"),
        (versions.cronjob, "CronJob"),
    ]
    selector = {
        manifests.MANAGED_BY_LABEL: manifests.MANAGED_BY,
        manifests.FABRIC_LABEL: conn.fabric.name,
    }
    out = []
    for api_version, kind in reversed(kinds):
        for obj in conn.kube.list(api_version, kind, conn.namespace, selector):
            if (kind, obj["metadata"]["name"]) in keep:
                continue
            if only is not None and app_of(obj) not in only:
                continue
            out.append((api_version, obj))
    return out
