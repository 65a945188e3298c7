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
- add-ons pinned in the file to a version that does not run on a version of the path.

**Steps**, for each minor version of the path: ``UpdateClusterVersion`` (waited, with
progress), then every add-on of the cluster (whatever the fabric has, in the order
vpc-cni, kube-proxy, coredns, then the others) to the default version for the new Kubernetes
version (or its pin), ``resolveConflicts=OVERWRITE`` (weft owns its add-ons' configuration), then
the node groups one at a time (``UpdateNodegroupVersion``; ``updateConfig`` from the file's
``max_unavailable``, 33% by default), watching the nodes being replaced and every Deployment of
the fabric's namespace (a dip in available replicas is reported), then the file's
``cluster.version`` rewritten (those bytes only). :data:`AFTER_VERSION` hooks run after each
version (where objects weft installs in the cluster are re-rendered for it).

**Resumable**: every step compares the cloud with what it wants first, so after a crash or
Ctrl-C ``weft upgrade`` again skips what is done, waits for an update still in progress, and
goes on. Each step is written to the fabric's journal; the run holds the fabric's lock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from weft.aws import eks_upgrade, k8s_versions
from weft.aws import lock as fabric_lock
from weft.aws.journal import write_journal
from weft.errors import CloudError, GuardError, UsageError
from weft.fabricfile.edit import set_cluster_version
from weft.fabricfile.loader import field_place
from weft.ops import retrying
from weft.ops.apps.connection import Connection, namespace_of
from weft.ops.run import new_run_id, release_lock, take_lock
from weft.ops.target import Target

#: EKS needs up to five free addresses in the cluster's subnets to upgrade the control plane.
MIN_FREE_ADDRESSES = 5
#: Add-ons moved first, in this order (the others follow by name).
ADDON_ORDER = ("vpc-cni", "kube-proxy", "coredns")
#: How long each kind of step may take.
TIMEOUTS = {"control-plane": 3600.0, "addon": 1200.0, "nodegroup": 4 * 3600.0}
#: Run after every minor version the cluster reached (controller and weft-installed objects
#: re-rendered for it): ``hook(target, version)``.
AFTER_VERSION: list[Callable[[Target, str], None]] = []


@dataclass(frozen=True)
class Check:
    """One preflight check: ``ok``, ``warn`` (shown) or ``fail`` (the upgrade is refused)."""

    name: str
    status: str
    message: str


@dataclass(frozen=True)
class Step:
    """One step: ``kind`` is ``control-plane``, ``addon``, ``nodegroup`` or ``file``."""

    version: str
    kind: str
    subject: str
    have: str
    want: str
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.version}/{self.kind}/{self.subject}"


@dataclass
class UpgradePlan:
    cluster: str
    current: str
    target: str
    path: list[str]
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
            "current": self.current,
            "target": self.target,
            "path": self.path,
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
            "steps": [{"step": s.key, **asdict(s)} for s in self.steps],
        }


@dataclass(frozen=True)
class UpgradeEvent:
    """What the CLI shows: ``status`` is started, progress, dip, done, skipped or failed."""

    step: str
    status: str
    message: str
    seconds: float = 0.0


@dataclass
class UpgradeResult:
    plan: UpgradePlan
    run_id: str
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: every dip seen: app, its desired and its fewest available replicas
    dips: list[dict[str, Any]] = field(default_factory=list)
    #: each app's (desired, fewest available) replicas seen while node groups were updated
    lowest: dict[str, tuple[int, int]] = field(default_factory=dict)


def _minor(version: str) -> int:
    try:
        return int(str(version).split(".")[1])
    except (IndexError, ValueError):
        return -1


def _addon_key(name: str) -> tuple[int, str]:
    return (ADDON_ORDER.index(name) if name in ADDON_ORDER else len(ADDON_ORDER), name)


def _update_config(max_unavailable: int | str) -> dict[str, int]:
    if isinstance(max_unavailable, str) and max_unavailable.endswith("%"):
        return {"maxUnavailablePercentage": int(max_unavailable[:-1])}
    return {"maxUnavailable": int(max_unavailable)}


#: Insights the upgrade's own steps resolve (add-ons moved, node groups brought up).
def _handled(insight: dict[str, Any]) -> bool:
    name = str(insight.get("name", "")).lower()
    return "add-on" in name or "version skew" in name


def _insight_message(insight: dict[str, Any]) -> str:
    status = insight.get("insightStatus") or {}
    text = f"{insight.get('name')}: {status.get('reason') or status.get('status')}"
    details = (insight.get("categorySpecificSummary") or {}).get("deprecationDetails") or []
    for detail in details:
        agents = ", ".join(
            f"{c.get('userAgent')} ({c.get('numberOfRequestsLast30Days')} requests)"
            for c in detail.get("clientStats") or []
        )
        text += f"; {detail.get('usage')} called by {agents or 'unknown clients'}"
    return text


def preflight(target: Target, to: str | None = None, conn: Connection | None = None) -> UpgradePlan:
    """What ``weft upgrade`` would do, and whether it can (see the module docstring)."""
    fabric = target.fabric
    if fabric.cluster is None:
        raise GuardError(
            f"{fabric.source}: fabric {fabric.name} has no cluster to upgrade",
            hint="add a cluster: section and create it with weft up",
        )
    conn = conn or Connection(target)
    ctx = target.context()
    name = str(conn.cluster().id)
    live = retrying.attempt(lambda: eks_upgrade.cluster(ctx, name))
    current = str(live["version"])
    groups = retrying.attempt(lambda: eks_upgrade.nodegroups(ctx, name))
    addons = sorted(
        retrying.attempt(lambda: eks_upgrade.addons(ctx, name)),
        key=lambda a: _addon_key(a["addonName"]),
    )
    checks: list[Check] = []

    def compatible(addon: str, version: str) -> tuple[list[str], str | None]:
        return retrying.attempt(lambda: eks_upgrade.compatible_versions(ctx, addon, version))

    pins = {n: a.version for n, a in fabric.cluster.addons.items() if a.version}
    behind = [g for g in groups if str(g.get("version")) != current]
    stale_addons = [
        a
        for a in addons
        if a["addonVersion"]
        != (pins.get(a["addonName"]) or compatible(a["addonName"], current)[1] or a["addonVersion"])
    ]
    file_version = fabric.cluster.version
    if to is None:
        if file_version is not None and _minor(file_version) > _minor(current):
            to = file_version
        elif behind or stale_addons:
            to = current
        else:
            to = f"1.{_minor(current) + 1}"
    if _minor(to) < 0:
        raise UsageError(f"{to!r} is not a Kubernetes version like '1.NN'")
    if _minor(to) < _minor(current):
        raise GuardError(
            f"cluster {name} runs Kubernetes {current}: EKS cannot downgrade it to {to}",
            hint=f"choose --to {current} or later",
        )
    path = k8s_versions.upgrade_path(current, to)

    # the calendar
    calendar = k8s_versions.calendar(target.session)
    today = dt.datetime.now(dt.UTC).date()
    by_version = {v.version: v for v in calendar}
    for version in path:
        info = by_version.get(version)
        if info is None:
            offered = ", ".join(v.version for v in calendar if v.status != k8s_versions.UNSUPPORTED)
            checks.append(
                Check("calendar", "fail", f"EKS does not offer Kubernetes {version} ({offered})")
            )
        elif info.status == k8s_versions.UNSUPPORTED:
            checks.append(Check("calendar", "fail", f"Kubernetes {version} is past EKS support"))
        else:
            end = f", standard support until {info.end_of_standard}" if info.end_of_standard else ""
            status = info.status.replace("_", " ").lower()
            checks.append(Check("calendar", "ok", f"Kubernetes {version}: {status}{end}"))
    for warning in k8s_versions.support_warnings(current, calendar, today, running=True):
        checks.append(Check("calendar", "warn", warning))

    # insights
    if path:
        for insight in retrying.attempt(lambda: eks_upgrade.insights(ctx, name)):
            status = str((insight.get("insightStatus") or {}).get("status", "UNKNOWN"))
            message = _insight_message(insight)
            if status == "ERROR" and not _handled(insight):
                checks.append(Check("insight", "fail", message))
            elif status in ("ERROR", "WARNING"):
                note = " (the upgrade's own steps resolve it)" if _handled(insight) else ""
                checks.append(Check("insight", "warn", message + note))
            else:
                checks.append(Check("insight", "ok", message))

    # node groups behind the cluster
    for group in behind:
        checks.append(
            Check(
                "node groups",
                "warn",
                f"node group {group['nodegroupName']} runs {group.get('version')}, the cluster "
                f"{current}: it is brought to {current} first",
            )
        )
    if groups and not behind:
        checks.append(Check("node groups", "ok", f"every node group runs {current}"))

    # free addresses in the cluster's subnets
    if path:
        subnets = list((live.get("resourcesVpcConfig") or {}).get("subnetIds") or [])
        free = retrying.attempt(lambda: eks_upgrade.free_addresses(ctx, subnets))
        total = sum(free.values())
        listing = ", ".join(f"{s} {n}" for s, n in sorted(free.items()))
        checks.append(
            Check(
                "addresses",
                "ok" if total >= MIN_FREE_ADDRESSES else "fail",
                f"{total} free addresses in the cluster's subnets ({listing}); EKS needs "
                f"{MIN_FREE_ADDRESSES}",
            )
        )

    # disruption budgets
    upgrading_nodes = bool(groups) and (bool(path) or bool(behind))
    if upgrading_nodes:
        checks += _budget_checks(conn, target)

    # pinned add-ons
    versions = ([current] if (behind or stale_addons) else []) + path
    for addon in addons:
        pinned = pins.get(addon["addonName"])
        if not pinned:
            continue
        for version in versions:
            runs_on, _ = compatible(addon["addonName"], version)
            if pinned not in runs_on:
                place = field_place(fabric.source, ("cluster", "addons", addon["addonName"]))
                checks.append(
                    Check(
                        "add-ons",
                        "fail",
                        f"{place}: version {pinned} does not run on Kubernetes {version}; set "
                        f"version: null (EKS's default for each version) or one of: "
                        f"{', '.join(runs_on) or 'none listed'}",
                    )
                )
                break

    # the steps
    steps: list[Step] = []
    have_cluster = current
    have_addons = {a["addonName"]: str(a["addonVersion"]) for a in addons}
    have_groups = {g["nodegroupName"]: str(g.get("version")) for g in groups}
    max_unavailable = {ng.name: ng.max_unavailable for ng in fabric.nodegroups}
    have_file = file_version
    for version in versions:
        if have_cluster != version:
            steps.append(Step(version, "control-plane", name, have_cluster, version))
            have_cluster = version
        for addon in addons:
            addon_name = addon["addonName"]
            want = pins.get(addon_name) or compatible(addon_name, version)[1]
            if want is None:
                checks.append(
                    Check(
                        "add-ons",
                        "fail",
                        f"EKS names no default version of {addon_name} for Kubernetes {version}",
                    )
                )
                continue
            if have_addons[addon_name] != want:
                steps.append(
                    Step(
                        version,
                        "addon",
                        addon_name,
                        have_addons[addon_name],
                        want,
                        "resolveConflicts OVERWRITE: weft owns the add-on's configuration",
                    )
                )
                have_addons[addon_name] = want
        for group in groups:
            group_name = group["nodegroupName"]
            if have_groups[group_name] != version:
                logical = str((group.get("tags") or {}).get("weft:id", "")).rpartition(".")[2]
                setting = max_unavailable.get(logical, "33%")
                steps.append(
                    Step(
                        version,
                        "nodegroup",
                        group_name,
                        have_groups[group_name],
                        version,
                        f"max_unavailable {setting}",
                    )
                )
                have_groups[group_name] = version
        # a file without ``cluster.version`` follows the cluster: nothing to write into it
        if have_file is not None and have_file != version and _minor(version) > _minor(have_file):
            steps.append(Step(version, "file", "cluster.version", have_file, version))
            have_file = version
    return UpgradePlan(name, current, to, path, steps, checks)


def _budget_checks(conn: Connection, target: Target) -> list[Check]:
    checks = []
    budgets = conn.kube.list("policy/v1", "PodDisruptionBudget")
    blocking = []
    for pdb in budgets:
        status = pdb.get("status") or {}
        meta = pdb.get("metadata") or {}
        if (
            int(status.get("expectedPods") or 0) > 0
            and int(status.get("disruptionsAllowed") or 0) == 0
        ):
            healthy, required = status.get("currentHealthy", 0), status.get("desiredHealthy", 0)
            blocking.append(
                f"{meta.get('namespace')}/{meta.get('name')} (pods {healthy} healthy, "
                f"{required} required)"
            )
    if blocking:
        checks.append(
            Check(
                "disruption budgets",
                "fail",
                "PodDisruptionBudget "
                + ", ".join(blocking)
                + " allows no disruption: EKS could not drain a node running its pods (the node "
                "group update would fail with PodEvictionFailure); give the app more replicas "
                "than its budget keeps, or a budget that allows one (disruption: "
                "{max_unavailable: 1})",
            )
        )
    else:
        checks.append(
            Check("disruption budgets", "ok", f"{len(budgets)} budget(s), none blocks a drain")
        )
    for app in target.fabric.apps:
        replicas = getattr(app, "replicas", None)
        if replicas and replicas > 1 and app.disruption is None:
            checks.append(
                Check(
                    "disruption budgets",
                    "warn",
                    f"app {app.name} has no disruption budget: a drain may evict all its "
                    "replicas at once (set disruption: {max_unavailable: 1})",
                )
            )
        if replicas == 1:
            checks.append(
                Check(
                    "disruption budgets",
                    "warn",
                    f"app {app.name} has 1 replica: it is unavailable while its node drains",
                )
            )
    return checks


# ------------------------------------------------------------------------------------ run
class _Watch:
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
    watch = _Watch(conn, namespace_of(target.fabric))
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
    watch: _Watch,
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
    if step.kind == "file":
        return set_cluster_version(Path(target.fabric.source), step.want) is not None
    raise AssertionError(step.kind)


def _nodegroup_step(
    target: Target,
    ctx: Any,
    cluster: str,
    step: Step,
    report: Callable[[UpgradeEvent], None],
    watch: _Watch,
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
        wanted = _update_config(step.note.removeprefix("max_unavailable ") or "33%")
        if (group.get("updateConfig") or {}) != wanted:
            config = eks_upgrade.update_nodegroup_config(ctx, cluster, name, wanted)
            _wait(ctx, cluster, config, step, report, interval, nodegroupName=name)
        running = eks_upgrade.update_nodegroup_version(ctx, cluster, name, step.want)
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
    return True
