"""``weft rotate-nodes [GROUP]``: a node group's nodes replaced by fresh ones, safely.

The replacement is EKS's own: ``UpdateNodegroupVersion`` on the group's Kubernetes version
without a release version, which rolls the group onto the newest AMI release EKS has for that
version ("By default, the latest available AMI version for the node group's Kubernetes version
is used", UpdateNodegroupVersion, Amazon EKS API Reference) — new nodes first, then the old
ones drained through the eviction API (PodDisruptionBudgets decide), at most the group's
``max_unavailable`` at once. ``force`` is never passed: it would evict pods a budget protects.

It is the upgrade's node group step (:func:`weft.ops.upgrade.watch_nodegroup`) with the same
watch of the nodes and of every app's available replicas (a dip is reported), the same
refusal up front of a PodDisruptionBudget that allows no disruption, and the same
``updateConfig`` from the file.

**Plan first** (:func:`plan_rotation`): each group with its nodes, version, AMI release and
``max_unavailable``. **Resumable**: the rotation's start is written to the fabric's journal;
run again after a crash or Ctrl-C, an unfinished rotation goes on from where it stopped — a
group whose update succeeded since the rotation began is skipped, one still updating is waited
for. Each group gets a journal entry; the run holds the fabric's lock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from weft.aws import eks_upgrade
from weft.aws import lock as fabric_lock
from weft.aws.journal import read_journal, write_journal
from weft.errors import CloudError, GuardError, UsageError
from weft.ops import retrying
from weft.ops.apps.connection import Connection, namespace_of
from weft.ops.run import new_run_id, release_lock, take_lock
from weft.ops.target import Target
from weft.ops.upgrade import (
    Check,
    Step,
    UpgradeEvent,
    UpgradeResult,
    Watch,
    ensure_update_config,
    watch_nodegroup,
)
from weft.ops.upgrade_plan import UpgradePlan, budget_checks

COMMAND = "rotate-nodes"


@dataclass
class RotatePlan:
    cluster: str
    #: when the rotation began (a resumed one: when it first began), ISO 8601
    since: str
    resumed: bool
    steps: list[Step]
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    def failures(self) -> list[str]:
        return [f"{c.name}: {c.message}" for c in self.checks if c.status == "fail"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "since": self.since,
            "resumed": self.resumed,
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
            "steps": [{"step": s.key, **asdict(s)} for s in self.steps],
        }


def _logical(group: dict[str, Any]) -> str:
    return str((group.get("tags") or {}).get("weft:id", "")).rpartition(".")[2]


def _unfinished(ctx: Any) -> dict[str, Any] | None:
    """The start entry of the last rotation when it did not end, else None."""
    for entry in retrying.attempt(lambda: read_journal(ctx, limit=50)):
        if entry.get("command") != COMMAND:
            continue
        if entry.get("step") == "end":
            return None
        if entry.get("step") == "begin":
            return entry
    return None


def plan_rotation(
    target: Target, group: str | None = None, conn: Connection | None = None
) -> RotatePlan:
    """What ``weft rotate-nodes`` would do (see the module docstring); touches nothing."""
    fabric = target.fabric
    if fabric.cluster is None:
        raise GuardError(
            f"{fabric.source}: fabric {fabric.name} has no cluster",
            hint="add a cluster: section and create it with weft up",
        )
    conn = conn or Connection(target)
    ctx = target.context()
    name = str(conn.cluster().id)
    groups = retrying.attempt(lambda: eks_upgrade.nodegroups(ctx, name))
    if not groups:
        raise GuardError(f"cluster {name} has no node group to rotate")
    known = ", ".join(sorted(_logical(g) or g["nodegroupName"] for g in groups))
    chosen = groups
    if group is not None:
        chosen = [g for g in groups if group in (g["nodegroupName"], _logical(g))]
        if not chosen:
            raise UsageError(f"fabric {fabric.name} has no node group {group!r} (it has: {known})")
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    since, resumed = now, False
    begun = _unfinished(ctx)
    if begun is not None and (group is None or group in begun.get("groups", [])):
        since, resumed = str(begun.get("since") or now), True
        wanted = set(begun.get("groups") or [])
        chosen = [g for g in groups if g["nodegroupName"] in wanted] or chosen
    max_unavailable = {ng.name: ng.max_unavailable for ng in fabric.nodegroups}
    steps = []
    for g in chosen:
        size = int((g.get("scalingConfig") or {}).get("desiredSize") or 0)
        setting = max_unavailable.get(_logical(g), "33%")
        steps.append(
            Step(
                str(g.get("version")),
                "rotate",
                g["nodegroupName"],
                f"{size} node(s) on AMI release {g.get('releaseVersion')}",
                f"fresh nodes on the newest AMI release of Kubernetes {g.get('version')}",
                f"max_unavailable {setting}",
            )
        )
    return RotatePlan(name, since, resumed, steps, budget_checks(conn, target))


def _done_since(ctx: Any, cluster: str, group: str, since: str) -> bool:
    start = dt.datetime.fromisoformat(since)
    for update in retrying.attempt(lambda: eks_upgrade.nodegroup_updates(ctx, cluster, group)):
        created = update.get("createdAt")
        if not isinstance(created, dt.datetime):
            continue
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        if (
            update.get("type") == "VersionUpdate"
            and update.get("status") == "Successful"
            and created >= start
        ):
            return True
    return False


def rotate(
    target: Target,
    plan: RotatePlan,
    report: Callable[[UpgradeEvent], None],
    *,
    poll: float | None = None,
    conn: Connection | None = None,
) -> UpgradeResult:
    """Replace the plan's node groups' nodes, one group at a time; raises on a group that
    fails (its update's errors named), after writing it to the journal."""
    if not plan.ok:
        raise GuardError(
            "the rotation is refused; nothing was changed:\n" + "\n".join(plan.failures()),
            hint="fix what the checks name, then run weft rotate-nodes again",
        )
    run_id = new_run_id()
    ctx = target.context(run_id)
    conn = conn or Connection(target)
    interval = poll if poll is not None else (0.5 if target.local_url else 15.0)
    shown = UpgradePlan(plan.cluster, "", "", [], plan.steps, plan.checks)
    result = UpgradeResult(shown, run_id)
    watch = Watch(conn, namespace_of(target.fabric))
    lock = take_lock(ctx, COMMAND)
    try:
        if not plan.resumed:
            groups = [s.subject for s in plan.steps]
            _journal(ctx, run_id, "begin", "started", 0.0, since=plan.since, groups=groups)
        for step in plan.steps:
            t0 = time.monotonic()
            report(UpgradeEvent(step.key, "started", step.want))
            try:
                did = _rotate_group(ctx, plan, step, report, watch, interval, result)
            except CloudError as exc:
                seconds = time.monotonic() - t0
                _journal(ctx, run_id, step.key, "failed", seconds, error=str(exc))
                report(UpgradeEvent(step.key, "failed", str(exc), seconds))
                raise CloudError(
                    str(exc),
                    address=step.subject,
                    hint=(
                        "the group keeps the nodes not yet replaced; fix the cause (a "
                        "PodDisruptionBudget that allows no disruption: more replicas, or "
                        "disruption: {max_unavailable: 1}), then run weft rotate-nodes again: "
                        "it resumes here"
                    ),
                ) from exc
            seconds = round(time.monotonic() - t0, 2)
            if did:
                group = {g["nodegroupName"]: g for g in eks_upgrade.nodegroups(ctx, plan.cluster)}
                release = (group.get(step.subject) or {}).get("releaseVersion")
                result.seconds[step.key] = seconds
                report(UpgradeEvent(step.key, "done", f"nodes on AMI release {release}", seconds))
            else:
                result.skipped.append(step.key)
                report(UpgradeEvent(step.key, "skipped", "already rotated", seconds))
            _journal(ctx, run_id, step.key, "done" if did else "skipped", seconds)
        _journal(ctx, run_id, "end", "done", sum(result.seconds.values()))
    finally:
        release_lock(ctx, lock)
        result.lowest = dict(watch.lowest)
    return result


def _rotate_group(
    ctx: Any,
    plan: RotatePlan,
    step: Step,
    report: Callable[[UpgradeEvent], None],
    watch: Watch,
    interval: float,
    result: UpgradeResult,
) -> bool:
    """One group: False when it was rotated since the rotation began."""
    name = step.subject
    running = eks_upgrade.update_in_progress(ctx, plan.cluster, nodegroupName=name)
    if running is None:
        if _done_since(ctx, plan.cluster, name, plan.since):
            return False
        groups = {g["nodegroupName"]: g for g in eks_upgrade.nodegroups(ctx, plan.cluster)}
        ensure_update_config(ctx, plan.cluster, step, groups.get(name) or {}, report, interval)
        running = eks_upgrade.update_nodegroup_version(ctx, plan.cluster, name, None)
    watch_nodegroup(ctx, plan.cluster, step, running, report, watch, interval, result)
    return True


def _journal(ctx: Any, run_id: str, step: str, status: str, seconds: float, **extra: Any) -> None:
    entry = {
        "run_id": run_id,
        "command": COMMAND,
        "by": fabric_lock.default_holder(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "step": step,
        "status": status,
        "seconds": round(seconds, 2),
        "ok": status != "failed",
        "error": None,
        **extra,
    }
    retrying.attempt(lambda: write_journal(ctx, entry))
