"""``weft upgrade [--to VERSION]``: the fabric's cluster moved to a newer Kubernetes version,
safely, one minor version at a time.

**Preflight** (:func:`preflight`), shown as a plan before anything changes, reads the cloud and
the cluster and refuses (touching nothing) what would fail half-way:

- the target: the next minor version (or ``--to``, or the file's ``cluster.version`` when it was
  raised by hand); several minor versions are several steps; a version EKS's calendar
  (DescribeClusterVersions) does not offer, or past its support, is refused; the current
  version's support status is shown;
- EKS's upgrade insights (ListInsights, DescribeInsight): deprecated APIs still called (with
  the clients' user agents), add-on compatibility, kubelet skew; an ``ERROR`` that the upgrade's
  own steps do not fix stops it;
- node groups behind the cluster (an interrupted upgrade): they are brought up first;
- the free addresses of the cluster's subnets (EKS needs 5 for the new control plane);
- PodDisruptionBudgets that allow no disruption: a node running their pods cannot be drained
  (EKS fails the node group update with PodEvictionFailure), so the upgrade is refused before
  it starts; an app with a single replica is named (it is unavailable while its node drains);
- add-ons pinned in the file to a version that does not run on a version of the path;
- the apps' rendered objects written in an API the target version no longer serves
  (:mod:`weft.kube.manifests.removed_apis`, from Kubernetes's deprecated API migration guide),
  each named with its app and the API to use instead.

**Steps**, for each minor version of the path: ``UpdateClusterVersion`` (waited, with
progress), then every add-on of the cluster (whatever the fabric has, in the order
vpc-cni, kube-proxy, coredns, then the others) to the default version for the new Kubernetes
version (or its pin), ``resolveConflicts=OVERWRITE`` (weft owns its add-ons' configuration), then
the node groups one at a time (``UpdateNodegroupVersion``; ``updateConfig`` from the file's
``max_unavailable``, 33% by default), watching the nodes being replaced and every Deployment of
the fabric's namespace (a dip in available replicas is reported), then what weft installed in
the cluster and renders for a Kubernetes version (:data:`COMPONENTS`: the AWS Load Balancer
Controller) rendered again for the new version and applied (a step ``VERSION/objects/NAME``,
done when the component says it was rendered for that version), then the file's
``cluster.version`` rewritten (those bytes only). :data:`AFTER_VERSION` hooks run after each
version.

**Resumable**: every step compares the cloud with what it wants first, so after a crash or
Ctrl-C ``weft upgrade`` again skips what is done, waits for an update still in progress, and
goes on. Each step is written to the fabric's journal; the run holds the fabric's lock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from weft.aws import eks_upgrade
from weft.aws import lock as fabric_lock
from weft.aws.journal import write_journal
from weft.errors import CloudError, GuardError
from weft.fabricfile.edit import set_cluster_version
from weft.ops import retrying
from weft.ops.apps.connection import AppEvent, Connection, namespace_of
from weft.ops.run import new_run_id, release_lock, take_lock
from weft.ops.target import Target
from weft.ops.upgrade_plan import (  # noqa: F401 - the names users of weft.ops.upgrade import
    ADDON_ORDER,
    AFTER_VERSION,
    COMPONENTS,
    MIN_FREE_ADDRESSES,
    TIMEOUTS,
    Check,
    Component,
    Step,
    UpgradeEvent,
    UpgradePlan,
    UpgradeResult,
    preflight,
    update_config,
)


# ------------------------------------------------------------------------------------ run
class Watch:
    """The apps' available replicas and the node group's nodes, while a node group updates."""

    def __init__(self, conn: Connection, namespace: str) -> None:
        self.conn = conn
        self.namespace = namespace
        self.lowest: dict[str, tuple[int, int]] = {}  # app: (desired, fewest available)

    def apps(self) -> list[tuple[str, int, int]]:
        found = []
        for d in self.conn.kube.list("apps/v1", "Deployment", namespace=self.namespace):
            name = str((d.get("metadata") or {}).get("name"))
            desired = int((d.get("spec") or {}).get("replicas") or 0)
            available = int((d.get("status") or {}).get("availableReplicas") or 0)
            found.append((name, desired, available))
        return found

    def nodes(self, group: str) -> str:
        counts: dict[str, list[int]] = {}
        for node in self.conn.kube.list(
            "v1", "Node", labels={"eks.amazonaws.com/nodegroup": group}
        ):
            info = (node.get("status") or {}).get("nodeInfo") or {}
            version = str(info.get("kubeletVersion", "?"))
            ready = any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (node.get("status") or {}).get("conditions") or []
            )
            cordoned = bool((node.get("spec") or {}).get("unschedulable"))
            entry = counts.setdefault(version, [0, 0, 0])
            entry[0] += 1
            entry[1] += int(ready)
            entry[2] += int(cordoned)
        return (
            "; ".join(
                f"{n} on {v} ({r} Ready{f', {c} cordoned' if c else ''})"
                for v, (n, r, c) in sorted(counts.items())
            )
            or "no nodes"
        )


def upgrade(
    target: Target,
    plan: UpgradePlan,
    report: Callable[[UpgradeEvent], None],
    *,
    poll: float | None = None,
    conn: Connection | None = None,
) -> UpgradeResult:
    """Run the plan's steps (see the module docstring); raises on a step that fails, naming
    what was done and what to do, after writing it to the journal."""
    if not plan.ok:
        raise GuardError(
            "the upgrade is refused; nothing was changed:\n" + "\n".join(plan.failures()),
            hint="fix what the checks name, then run weft upgrade again",
        )
    run_id = new_run_id()
    ctx = target.context(run_id)
    conn = conn or Connection(target)
    interval = poll if poll is not None else (0.5 if target.local_url else 15.0)
    result = UpgradeResult(plan, run_id)
    watch = Watch(conn, namespace_of(target.fabric))
    lock = take_lock(ctx, "upgrade")
    try:
        done_versions: set[str] = set()
        for step in plan.steps:
            t0 = time.monotonic()
            report(UpgradeEvent(step.key, "started", f"{step.have} → {step.want}"))
            try:
                did = _run_step(target, ctx, plan.cluster, step, report, watch, interval, result)
            except CloudError as exc:
                _journal(ctx, run_id, step, "failed", time.monotonic() - t0, str(exc))
                report(UpgradeEvent(step.key, "failed", str(exc), time.monotonic() - t0))
                raise
            seconds = round(time.monotonic() - t0, 2)
            if did:
                result.seconds[step.key] = seconds
                report(UpgradeEvent(step.key, "done", f"{step.want}", seconds))
            else:
                result.skipped.append(step.key)
                report(UpgradeEvent(step.key, "skipped", f"already {step.want}", seconds))
            _journal(ctx, run_id, step, "done" if did else "skipped", seconds)
            last = step.kind == "file" or step is plan.steps[-1]
            if last and step.version not in done_versions:
                done_versions.add(step.version)
                for hook in AFTER_VERSION:
                    hook(target, step.version)
    finally:
        release_lock(ctx, lock)
        result.lowest = dict(watch.lowest)
    return result


def _journal(
    ctx: Any, run_id: str, step: Step, status: str, seconds: float, error: str | None = None
) -> None:
    entry = {
        "run_id": run_id,
        "command": "upgrade",
        "by": fabric_lock.default_holder(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "step": step.key,
        "from": step.have,
        "to": step.want,
        "status": status,
        "seconds": round(seconds, 2),
        "ok": status != "failed",
        "error": error,
    }
    retrying.attempt(lambda: write_journal(ctx, entry))


def _wait(
    ctx: Any,
    cluster: str,
    update: dict[str, Any],
    step: Step,
    report: Callable[[UpgradeEvent], None],
    interval: float,
    tick: Callable[[], str] | None = None,
    **owner: str,
) -> None:
    """Wait for an EKS update to end, reporting progress; a failed one raises, with its errors."""
    t0 = time.monotonic()
    deadline = t0 + TIMEOUTS.get(step.kind, 3600.0)
    last = ""
    while True:
        current = retrying.attempt(
            lambda: eks_upgrade.describe_update(ctx, cluster, update["id"], **owner)
        )
        status = str(current.get("status"))
        if status == "Successful":
            return
        if status in ("Failed", "Cancelled"):
            raise _failed(step, current)
        message = f"{status}, {time.monotonic() - t0:.0f}s"
        if tick is not None:
            message += f"; {tick()}"
        if message != last:
            report(UpgradeEvent(step.key, "progress", message, time.monotonic() - t0))
            last = message
        if time.monotonic() > deadline:
            raise CloudError(
                f"EKS update {update['id']} ({step.key}) still {status} after "
                f"{TIMEOUTS.get(step.kind, 3600.0):.0f}s",
                address=step.subject,
                hint="run weft upgrade again to keep waiting; it resumes where it stopped",
            )
        time.sleep(interval)


def _failed(step: Step, update: dict[str, Any]) -> CloudError:
    errors = update.get("errors") or []
    codes = {str(e.get("errorCode")) for e in errors}
    details = "; ".join(
        f"{e.get('errorCode')}: {e.get('errorMessage')}"
        + (f" ({', '.join(e.get('resourceIds') or [])})" if e.get("resourceIds") else "")
        for e in errors
    )
    if "PodEvictionFailure" in codes:
        hint = (
            "a PodDisruptionBudget kept EKS from draining the nodes: the node group stays on "
            f"{step.have}, the cluster runs {step.version}. Let the budget allow a disruption "
            "(more replicas, or disruption: {max_unavailable: 1}), then run weft upgrade again: "
            "it resumes here"
        )
    else:
        hint = "run weft upgrade again once the cause is fixed: it resumes here"
    return CloudError(
        f"{step.key}: EKS update {update.get('status', 'failed').lower()}: "
        f"{details or 'no reason given'}",
        address=step.subject,
        hint=hint,
    )


def _run_step(
    target: Target,
    ctx: Any,
    cluster: str,
    step: Step,
    report: Callable[[UpgradeEvent], None],
    watch: Watch,
    interval: float,
    result: UpgradeResult,
) -> bool:
    """One step; False when the cloud already had it done."""
    if step.kind == "control-plane":
        running = eks_upgrade.update_in_progress(ctx, cluster)
        if running is None:
            live = retrying.attempt(lambda: eks_upgrade.cluster(ctx, cluster))
            if str(live["version"]) == step.want:
                return False
            running = eks_upgrade.update_cluster_version(ctx, cluster, step.want)
        _wait(ctx, cluster, running, step, report, interval)
        return True
    if step.kind == "addon":
        running = eks_upgrade.update_in_progress(ctx, cluster, addonName=step.subject)
        if running is None:
            found = {a["addonName"]: a for a in eks_upgrade.addons(ctx, cluster)}
            if str(found.get(step.subject, {}).get("addonVersion")) == step.want:
                return False
            running = eks_upgrade.update_addon(ctx, cluster, step.subject, step.want)
        _wait(ctx, cluster, running, step, report, interval, addonName=step.subject)
        return True
    if step.kind == "nodegroup":
        return _nodegroup_step(target, ctx, cluster, step, report, watch, interval, result)
    if step.kind == "objects":
        return _objects_step(target, step, report)
    if step.kind == "file":
        return set_cluster_version(Path(target.fabric.source), step.want) is not None
    raise AssertionError(step.kind)


def _objects_step(target: Target, step: Step, report: Callable[[UpgradeEvent], None]) -> bool:
    """A weft-installed component rendered again for the version the cluster now runs, through
    a new connection (which negotiates the API versions the upgraded cluster serves)."""
    component = COMPONENTS[step.subject]

    def progress(event: AppEvent) -> None:
        report(UpgradeEvent(step.key, "progress", event.message, event.elapsed))

    conn = Connection(target, progress)
    try:
        if component.rendered_for(conn) == step.want:
            return False
        component.install(conn, step.want)
        return True
    finally:
        conn.close()


def _nodegroup_step(
    target: Target,
    ctx: Any,
    cluster: str,
    step: Step,
    report: Callable[[UpgradeEvent], None],
    watch: Watch,
    interval: float,
    result: UpgradeResult,
) -> bool:
    name = step.subject
    running = eks_upgrade.update_in_progress(ctx, cluster, nodegroupName=name)
    if running is None:
        groups = {g["nodegroupName"]: g for g in eks_upgrade.nodegroups(ctx, cluster)}
        group = groups.get(name) or {}
        if str(group.get("version")) == step.want:
            return False
        ensure_update_config(ctx, cluster, step, group, report, interval)
        running = eks_upgrade.update_nodegroup_version(ctx, cluster, name, step.want)
    watch_nodegroup(ctx, cluster, step, running, report, watch, interval, result)
    return True


def ensure_update_config(
    ctx: Any,
    cluster: str,
    step: Step,
    group: dict[str, Any],
    report: Callable[[UpgradeEvent], None],
    interval: float,
) -> None:
    """The node group's ``updateConfig`` set to the step's ``max_unavailable`` (its note)."""
    name = step.subject
    wanted = update_config(step.note.removeprefix("max_unavailable ") or "33%")
    if (group.get("updateConfig") or {}) != wanted:
        config = eks_upgrade.update_nodegroup_config(ctx, cluster, name, wanted)
        _wait(ctx, cluster, config, step, report, interval, nodegroupName=name)


def watch_nodegroup(
    ctx: Any,
    cluster: str,
    step: Step,
    running: dict[str, Any],
    report: Callable[[UpgradeEvent], None],
    watch: Watch,
    interval: float,
    result: UpgradeResult,
) -> None:
    """Wait for a node group's version update to end, reporting its nodes and every app's
    available replicas (a dip is reported and kept in ``result``); raises when it fails."""
    name = step.subject
    before = {app: desired for app, desired, _ in watch.apps()}

    def tick() -> str:
        parts = [f"nodes: {watch.nodes(name)}"]
        for app, desired, available in watch.apps():
            low = watch.lowest.get(app, (desired, desired))[1]
            watch.lowest[app] = (desired, min(low, available))
            if available < min(low, desired) and desired == before.get(app, desired):
                report(
                    UpgradeEvent(
                        step.key, "dip", f"app {app}: {available} of {desired} replicas available"
                    )
                )
                result.dips.append({"app": app, "desired": desired, "available": available})
            parts.append(f"{app} {available}/{desired}")
        return "; ".join(parts)

    _wait(ctx, cluster, running, step, report, interval, tick, nodegroupName=name)
