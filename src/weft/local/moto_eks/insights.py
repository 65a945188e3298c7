"""EKS cluster insights and CancelUpdate, which moto 5.2.5 lacks.

**ListInsights** and **DescribeInsight** ("Prepare for Kubernetes version upgrades and
troubleshoot misconfigurations with cluster insights", Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/cluster-insights.html; the EKS API reference
for the shapes) answer, for each cluster, the ``UPGRADE_READINESS`` insights about the next
minor version, each with an ``insightStatus`` of ``PASSING``, ``WARNING`` or ``ERROR``:

- **Kubelet version skew**: every node group runs the cluster's version (``PASSING``); one
  behind (``WARNING``); more than two minors behind, past what the next version allows
  (``ERROR``). Its resources are the node groups.
- **EKS add-on version compatibility**: every add-on's version runs on the next version
  (``PASSING``), else ``ERROR``; ``addonCompatibilityDetails`` lists, per add-on, the versions
  that do.
- **Deprecated APIs in use**: the requests to deprecated Kubernetes APIs in the local API
  server's audit log (the ``k8s.io/deprecated`` annotation the API server writes; EKS reads its
  control plane's audit log alike), with each client's user agent, request count and last
  request; ``WARNING`` when there are any. Requests of the control plane's own components
  (``system:`` users, and the local simulators, which stand for EKS's) are not counted.

``filter`` (``categories``, ``kubernetesVersions``, ``statuses``) and ``maxResults``/``nextToken``
are honoured; an unknown insight id is ResourceNotFoundException.

**CancelUpdate** cancels only ``VersionRollback`` updates of EKS Auto Mode clusters, as the API
reference says; the local EKS makes no such update, so every other update is refused with
InvalidRequestException, an unknown one with ResourceNotFoundException.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

from weft.local.moto_eks import backend, catalogue, local_kube

PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/insights$",
    "{0}/clusters/(?P<name>[^/]+)/insights/(?P<id>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)/cancel-update$",
)

#: Users whose requests are the control plane's own, not a workload's.
_OWN_USERS = ("system:", "weft-local-simulators")


def _next(version: str) -> str:
    minor = catalogue.minor_of(version)
    return f"1.{minor + 1}" if minor is not None else version


def _insight_id(cluster: Any, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{cluster.arn}/insight/{name}"))


def _status(values: list[str]) -> str:
    for level in ("ERROR", "WARNING"):
        if level in values:
            return level
    return "PASSING"


def skew_insight(cluster: Any) -> dict[str, Any]:
    """The kubelet version skew insight of a cluster (pure over moto's objects)."""
    minor = catalogue.minor_of(cluster.version) or 0
    resources = []
    for ng in sorted(cluster.nodegroups.values(), key=lambda n: n.nodegroup_name):
        behind = minor - (catalogue.minor_of(str(ng.version)) or minor)
        status = "PASSING" if behind <= 0 else ("WARNING" if behind <= 2 else "ERROR")
        resources.append(
            {
                "insightStatus": {
                    "status": status,
                    "reason": f"Node group {ng.nodegroup_name} runs Kubernetes {ng.version}.",
                },
                "arn": ng.arn,
            }
        )
    status = _status([r["insightStatus"]["status"] for r in resources])
    return {
        "name": "Kubelet version skew",
        "description": (
            "Checks that the nodes' kubelets run the control plane's version, so that the "
            "control plane can be upgraded within the supported version skew."
        ),
        "recommendation": (
            "Update every node group to the cluster's Kubernetes version before upgrading the "
            "control plane."
        ),
        "insightStatus": {
            "status": status,
            "reason": "Every node group runs the cluster's version."
            if status == "PASSING"
            else "Node groups run an older Kubernetes version than the cluster.",
        },
        "resources": resources,
        "categorySpecificSummary": {},
    }


def addon_insight(cluster: Any) -> dict[str, Any]:
    """The add-on compatibility insight of a cluster about its next minor version."""
    target = _next(cluster.version)
    details, statuses = [], []
    for name, addon in sorted(backend.addons_of(cluster).items()):
        compatible = catalogue.versions(name, catalogue.minor_of(target) or 0)
        details.append({"name": name, "compatibleVersions": compatible})
        statuses.append("PASSING" if addon["addonVersion"] in compatible else "ERROR")
    status = _status(statuses)
    return {
        "name": "EKS add-on version compatibility",
        "description": (
            f"Checks that the cluster's EKS add-ons have versions compatible with Kubernetes "
            f"{target}."
        ),
        "recommendation": (
            "Update the add-ons to a version compatible with the target Kubernetes version "
            "after upgrading the control plane."
        ),
        "insightStatus": {
            "status": status,
            "reason": "Every add-on version is compatible."
            if status == "PASSING"
            else f"Add-on versions are not compatible with Kubernetes {target}.",
        },
        "resources": [],
        "categorySpecificSummary": {"addonCompatibilityDetails": details},
    }


def audit_log() -> Path | None:
    """The local API server's audit log, while a local Kubernetes is recorded."""
    if local_kube.LOCAL_DIR is None:
        return None
    try:
        record = json.loads((local_kube.LOCAL_DIR / "kube.json").read_text())
        return Path(str(record["directory"])) / "logs" / "audit.log"
    except (OSError, ValueError, KeyError, TypeError):
        return None


def deprecated_calls(lines: list[str]) -> list[dict[str, Any]]:
    """The ``deprecationDetails`` of these audit log lines: per API path, its clients (pure)."""
    usage: dict[str, dict[str, dict[str, Any]]] = {}
    for line in lines:
        if '"k8s.io/deprecated"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        user = str((event.get("user") or {}).get("username") or "")
        if (event.get("annotations") or {}).get("k8s.io/deprecated") != "true" or any(
            user.startswith(own) for own in _OWN_USERS
        ):
            continue
        ref = event.get("objectRef") or {}
        group = ref.get("apiGroup") or ""
        version = ref.get("apiVersion")
        api = f"/apis/{group}/{version}" if group else f"/api/{version}"
        api += f"/{ref.get('resource')}"
        agent = str(event.get("userAgent") or "unknown")
        stat = usage.setdefault(api, {}).setdefault(
            agent, {"userAgent": agent, "numberOfRequestsLast30Days": 0}
        )
        stat["numberOfRequestsLast30Days"] += 1
        stat["lastRequestTime"] = event.get("stageTimestamp")
    found = []
    for api, clients in sorted(usage.items()):
        found.append({"usage": api, "clientStats": list(clients.values())})
    return found


def deprecation_insight(cluster: Any) -> dict[str, Any]:
    path = audit_log()
    lines: list[str] = []
    if path is not None:
        # the rotated-away log (``audit-<time>.log``), then the current one
        for one in [*sorted(path.parent.glob("audit-*.log")), path]:
            with contextlib.suppress(OSError):
                lines += one.read_text(errors="replace").splitlines()
    details = deprecated_calls(lines)
    status = "WARNING" if details else "PASSING"
    return {
        "name": "Deprecated APIs in use",
        "description": (
            "Checks for requests to deprecated Kubernetes APIs, which a later Kubernetes "
            "version stops serving."
        ),
        "recommendation": (
            "Move the clients named to the API version that replaces the deprecated one "
            "before upgrading."
        ),
        "insightStatus": {
            "status": status,
            "reason": "No deprecated API was called."
            if not details
            else f"{len(details)} deprecated API(s) called by workload clients.",
        },
        "resources": [],
        "categorySpecificSummary": {"deprecationDetails": details},
    }


def insights(cluster: Any) -> list[dict[str, Any]]:
    """Every insight of a cluster, whole (DescribeInsight's shape)."""
    now = backend.now()
    made = [skew_insight(cluster), addon_insight(cluster), deprecation_insight(cluster)]
    return [
        {
            "id": _insight_id(cluster, m["name"]),
            "category": "UPGRADE_READINESS",
            "kubernetesVersion": _next(cluster.version),
            "lastRefreshTime": now,
            "lastTransitionTime": now,
            "additionalInfo": {},
            **m,
        }
        for m in made
    ]


_SUMMARY = (
    "id",
    "name",
    "category",
    "kubernetesVersion",
    "lastRefreshTime",
    "lastTransitionTime",
    "description",
    "insightStatus",
)


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    def list_insights(self: Any) -> Any:
        cluster = backend.cluster(self.eks_backend, self._get_param("name"))
        wanted = self._get_param("filter") or {}
        found = []
        for insight in insights(cluster):
            if wanted.get("categories") and insight["category"] not in wanted["categories"]:
                continue
            versions = wanted.get("kubernetesVersions")
            if versions and insight["kubernetesVersion"] not in versions:
                continue
            statuses = wanted.get("statuses")
            if statuses and insight["insightStatus"]["status"] not in statuses:
                continue
            found.append({k: insight[k] for k in _SUMMARY})
        token = str(self._get_param("nextToken") or "0")
        size = int(self._get_param("maxResults") or 100)
        if not token.isdigit():
            raise backend.invalid("The nextToken provided is invalid")
        if not 1 <= size <= 100:
            raise backend.invalid("maxResults must be between 1 and 100")
        start = int(token)
        answer: dict[str, Any] = {"insights": found[start : start + size]}
        if start + size < len(found):
            answer["nextToken"] = str(start + size)
        return ActionResult(answer)

    def describe_insight(self: Any) -> Any:
        name = self._get_param("name")
        wanted = self._get_param("id")
        cluster = backend.cluster(self.eks_backend, name)
        for insight in insights(cluster):
            if insight["id"] == wanted:
                return ActionResult({"insight": insight})
        raise backend.not_found(f"No insight found for id: {wanted}", cluster=name)

    def cancel_update(self: Any) -> Any:
        name = self._get_param("name")
        update_id = self._get_param("updateId")
        cluster = backend.cluster(self.eks_backend, name)
        update = backend.updates_of(cluster).get(update_id)
        if update is None:
            raise backend.not_found(f"No update found for ID: {update_id}", cluster=name)
        raise backend.invalid_request(
            f"Update {update_id} ({update['type']}) cannot be cancelled: cancellation is only "
            "supported for VersionRollback updates on EKS Auto Mode clusters.",
            cluster=name,
        )

    EKSResponse.list_insights = list_insights  # type: ignore[attr-defined]
    EKSResponse.describe_insight = describe_insight  # type: ignore[attr-defined]
    EKSResponse.cancel_update = cancel_update  # type: ignore[attr-defined]
