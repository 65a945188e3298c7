"""What ``weft upgrade`` will do, decided before anything changes: the steps to the target
version and the checks that refuse an upgrade which would fail half-way (:func:`preflight`; the
rules are described in :mod:`weft.ops.upgrade`, which runs the steps).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from weft.aws import eks_upgrade, k8s_versions
from weft.errors import GuardError, UsageError
from weft.fabricfile.loader import field_place
from weft.kube.manifests import NAME_LABEL
from weft.kube.manifests.removed_apis import SOURCE as REMOVED_APIS_SOURCE
from weft.kube.manifests.removed_apis import removal
from weft.ops import retrying
from weft.ops.apps import inputs
from weft.ops.apps import lb_controller as lb_controller_app
from weft.ops.apps.connection import Connection
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
class Component:
    """Something weft installs in the cluster whose objects depend on its Kubernetes version:
    ``rendered_for(conn)`` is the version it was last rendered for ("" unknown, None: not
    installed), ``install(conn, version)`` renders and applies it for ``version``."""

    rendered_for: Callable[[Connection], str | None]
    install: Callable[[Connection, str], object]


#: What an upgrade re-renders after each version step (a step ``VERSION/objects/NAME`` each),
#: after the node groups: the AWS Load Balancer Controller.
COMPONENTS: dict[str, Component] = {
    lb_controller_app.APP: Component(
        lb_controller_app.rendered_for,
        lambda conn, version: lb_controller_app.install(conn, kubernetes_version=version),
    ),
}


@dataclass(frozen=True)
class Check:
    """One preflight check: ``ok``, ``warn`` (shown) or ``fail`` (the upgrade is refused)."""

    name: str
    status: str
    message: str


@dataclass(frozen=True)
class Step:
    """One step: ``kind`` is ``control-plane``, ``addon``, ``nodegroup``, ``objects`` (a
    weft-installed component re-rendered for the version) or ``file``."""

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


def update_config(max_unavailable: int | str) -> dict[str, int]:
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
    # weft-installed objects, and the version each was rendered for (one behind the cluster:
    # an upgrade stopped before it re-rendered them)
    rendered = {n: c.rendered_for(conn) for n, c in COMPONENTS.items()}
    installed = {n: v for n, v in rendered.items() if v is not None}
    stale_objects = [n for n, v in installed.items() if v and _minor(v) < _minor(current)]
    file_version = fabric.cluster.version
    if to is None:
        if file_version is not None and _minor(file_version) > _minor(current):
            to = file_version
        elif behind or stale_addons or stale_objects:
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

    # the apps' objects against the APIs the target removes
    if path and fabric.apps:
        checks += removed_api_checks(conn, path[-1])

    # disruption budgets
    upgrading_nodes = bool(groups) and (bool(path) or bool(behind))
    if upgrading_nodes:
        checks += budget_checks(conn, target)

    # pinned add-ons
    versions = ([current] if (behind or stale_addons or stale_objects) else []) + path
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
        for component, have in installed.items():
            if have != version:
                steps.append(
                    Step(
                        version,
                        "objects",
                        component,
                        have or "unknown",
                        version,
                        f"re-rendered for Kubernetes {version}",
                    )
                )
                installed[component] = version
        # a file without ``cluster.version`` follows the cluster: nothing to write into it
        if have_file is not None and have_file != version and _minor(version) > _minor(have_file):
            steps.append(Step(version, "file", "cluster.version", have_file, version))
            have_file = version
    return UpgradePlan(name, current, to, path, steps, checks)


def removed_api_checks(conn: Connection, version: str) -> list[Check]:
    """The apps' rendered objects checked against the APIs Kubernetes ``version`` no longer
    serves (:mod:`weft.kube.manifests.removed_apis`): one refusal per object written in one."""
    checks = []
    objects = inputs.render(conn)
    for obj in objects:
        api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
        found = removal(api_version, kind, version)
        if found is None:
            continue
        meta = obj.get("metadata") or {}
        app = (meta.get("labels") or {}).get(NAME_LABEL) or meta.get("name")
        instead = (
            f"use {found.replacement}"
            if found.replacement
            else "it has no replacement: remove the object"
        )
        checks.append(
            Check(
                "removed APIs",
                "fail",
                f"app {app}: {kind} {meta.get('name')} is rendered as {api_version}, which "
                f"Kubernetes {found.removed_in} removed (the target is {version}); {instead} "
                f"(see {REMOVED_APIS_SOURCE})",
            )
        )
    if not checks:
        checks.append(
            Check(
                "removed APIs",
                "ok",
                f"{len(objects)} rendered object(s) of the apps use APIs Kubernetes {version} "
                "serves",
            )
        )
    return checks


def budget_checks(conn: Connection, target: Target) -> list[Check]:
    checks = []
    budgets = conn.kube.list("policy/v1", "PodDisruptionBudget")
    blocking = []
    for pdb in budgets:
        status = pdb.get("status") or {}
        meta = pdb.get("metadata") or {}
        expected = int(status.get("expectedPods") or 0)
        # A budget that keeps every pod it covers blocks any drain for good. One that allows
        # no disruption only while a pod is being rescheduled (a drain cut short) does not:
        # EKS retries evictions until the pod is back.
        if expected > 0 and int(status.get("desiredHealthy") or 0) >= expected:
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
