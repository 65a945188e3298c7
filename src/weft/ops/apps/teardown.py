"""The Kubernetes phase of ``weft down``: what the apps made through the cluster API, deleted
while that API answers (see :mod:`weft.ops.teardown` for the phases around it).

The Cluster Autoscaler weft installed goes first (:mod:`~weft.ops.apps.cluster_autoscaler`:
nothing resizes the node groups while the rest goes). The fabric's load-balanced Services and
Ingresses follow, and weft waits until their controller
has deleted the load balancers (it removes its finalizer then); then the AWS Load Balancer
Controller weft installed (:mod:`~weft.ops.apps.lb_controller`), unless some object in the
cluster still waits on it (its finalizer); then the apps' namespaces (the fabric's and ``weft
verify``'s); then the apps' DNS records. When the cluster API does not
answer, this says so and does nothing: the tag sweep removes the load balancers from the AWS
side.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from weft.errors import GuardError, KubeError
from weft.kube.client import describe
from weft.kube.manifests import FABRIC_LABEL
from weft.ops.apps import auto_mode, cluster_autoscaler, lb_controller
from weft.ops.apps.connection import (
    VERIFY_NAMESPACE,
    Connection,
    Report,
    ignore,
    namespace_of,
)
from weft.ops.apps.objects import app_of
from weft.ops.apps.records import LB_TIMEOUT, POLL, remove_alarm, remove_record
from weft.ops.target import Target

#: Seconds between two progress lines while the phase waits.
PROGRESS_EVERY = 3.0


@dataclass
class TeardownReport:
    """What ``weft down`` did in the cluster before deleting the fabric."""

    reachable: bool
    note: str = ""
    deleted: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.left

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def teardown(
    conn: Connection, namespaces: Iterable[str], *, timeout: float = LB_TIMEOUT
) -> TeardownReport:
    """Kubernetes first: the fabric's load-balanced Services and Ingresses, waiting until their
    controller has deleted the load balancers, then ``namespaces``, then the apps' DNS records.
    """
    start = time.monotonic()
    try:
        kube = conn.kube
        versions = conn.versions
    except (KubeError, GuardError) as exc:
        return TeardownReport(False, note=str(exc))
    report = TeardownReport(True)
    # first, so that nothing resizes the node groups while the apps go
    report.deleted.extend(cluster_autoscaler.remove(conn))
    labels = {FABRIC_LABEL: conn.fabric.name}
    fronts = [
        o
        for o in kube.list("v1", "Service", None, labels)
        if (o.get("spec") or {}).get("type") == "LoadBalancer"
    ] + kube.list(versions.ingress, "Ingress", None, labels)
    for obj in fronts:
        meta = obj["metadata"]
        if kube.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")):
            report.deleted.append(describe(obj))
            conn.emit(app_of(obj), "teardown", f"deleting {describe(obj)}")
    deadline = time.monotonic() + timeout
    said = [time.monotonic()]

    def tell(app: str, what: str) -> None:
        """Say what the phase waits for, every :data:`PROGRESS_EVERY` seconds."""
        now = time.monotonic()
        if now - said[0] >= PROGRESS_EVERY:
            said[0] = now
            conn.emit(app, "progress", f"waiting for {what} ({now - start:.0f}s)")

    waiting = list(fronts)
    while waiting and time.monotonic() < deadline:
        waiting = [
            o
            for o in waiting
            if kube.get(
                o["apiVersion"], o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")
            )
            is not None
        ]
        if waiting:
            tell(
                app_of(waiting[0]),
                "the load balancers of " + ", ".join(describe(o) for o in waiting) + " to go",
            )
            time.sleep(POLL)
    report.left.extend(f"{describe(o)} (its load balancer is still being deleted)" for o in waiting)
    if not waiting:
        held = _held_by_controller(conn)
        if held:
            conn.emit(
                lb_controller.APP,
                "teardown",
                "AWS Load Balancer Controller kept: "
                + ", ".join(held[:3])
                + " still wait on it to delete their load balancers",
            )
        else:
            report.deleted.extend(lb_controller.remove(conn))
        report.deleted.extend(auto_mode.remove(conn))
    for ns in namespaces:
        if kube.delete("v1", "Namespace", ns):
            report.deleted.append(f"Namespace {ns}")
    remaining = list(namespaces)
    while remaining and time.monotonic() < deadline:
        remaining = [ns for ns in remaining if kube.get("v1", "Namespace", ns) is not None]
        if remaining:
            tell("namespaces", f"namespace {', '.join(remaining)} to terminate")
            time.sleep(POLL)
    report.left.extend(f"Namespace {ns} (still terminating)" for ns in remaining)
    for obs in conn.inventory(fresh=True).by_address.values():
        if obs.kind == "app_record":
            report.records.append(remove_record(conn, obs))
        elif obs.kind == "app_alarm":
            report.records.append(remove_alarm(conn, obs))
    report.seconds = round(time.monotonic() - start, 2)
    return report


#: The finalizers the AWS Load Balancer Controller puts on what it made a load balancer for.
CONTROLLER_FINALIZERS = ("service.k8s.aws/resources", "ingress.k8s.aws/resources")


def _held_by_controller(conn: Connection) -> list[str]:
    """The Services and Ingresses of the cluster (any fabric's) that carry the controller's
    finalizer: removing the controller would leave them Terminating forever."""
    kube = conn.kube
    found = kube.list("v1", "Service", None, None) + kube.list(
        conn.versions.ingress, "Ingress", None, None
    )
    return [
        describe(o)
        for o in found
        if set(o["metadata"].get("finalizers") or []) & set(CONTROLLER_FINALIZERS)
    ]


def kubernetes_first(
    target: Target, report: Report = ignore, *, timeout: float = LB_TIMEOUT
) -> TeardownReport:
    """The Kubernetes phase of ``weft down`` for the fabric's apps and ``weft verify``'s canary
    (see :func:`teardown`)."""
    conn = Connection(target, report)
    try:
        return teardown(conn, [namespace_of(target.fabric), VERIFY_NAMESPACE], timeout=timeout)
    finally:
        conn.close()
