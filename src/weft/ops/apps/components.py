"""What weft's own components in the cluster (the AWS Load Balancer Controller, the Cluster
Autoscaler) share: their IAM role read from the cloud, the wait for their Deployment, and the
removal of their objects."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from weft.errors import GuardError
from weft.kube.client import describe
from weft.ops.apps.connection import Connection

#: How often a component's Deployment is read while waiting for it.
POLL = 1.0


@dataclass(frozen=True)
class Component:
    """One weft-installed component: what its events are reported as (``app``), what users
    call it (``title``), its Deployment and image."""

    app: str
    title: str
    namespace: str
    deployment: str
    image: str


def role_arn(conn: Connection, address: str, title: str) -> str:
    """The ARN of the component's IAM role (``address`` in the fabric), which ``weft up`` made;
    GuardError when it does not exist yet."""
    role = conn.inventory().by_address.get(address)
    if role is None or not role.outputs.get("arn"):
        raise GuardError(
            f"the {title}'s IAM role of fabric {conn.target.fabric.name} does not exist yet",
            hint="create it with: weft up",
        )
    return str(role.outputs["arn"])


def available(dep: dict[str, Any] | None) -> bool:
    """Whether a Deployment has rolled out its current spec and every replica is available."""
    if dep is None:
        return False
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = int(spec.get("replicas") or 0)
    return (
        int(status.get("observedGeneration") or 0) >= int(dep["metadata"].get("generation") or 0)
        and int(status.get("updatedReplicas") or 0) >= want
        and int(status.get("availableReplicas") or 0) >= want
    )


def wait_available(conn: Connection, component: Component, timeout: float, done: str) -> None:
    """Wait until the component's Deployment is available (progress every 5 s), then emit
    ``done``; GuardError after ``timeout`` seconds, with the replicas available and where to
    look."""
    c = component
    start = time.monotonic()
    said = start
    while True:
        dep = conn.kube.get("apps/v1", "Deployment", c.deployment, c.namespace)
        if available(dep):
            conn.emit(c.app, "done", done)
            return
        now = time.monotonic()
        if now - start >= timeout:
            status = (dep or {}).get("status") or {}
            want = int(((dep or {}).get("spec") or {}).get("replicas") or 0)
            raise GuardError(
                f"the {c.title} (Deployment {c.namespace}/{c.deployment}) is not available "
                f"after {timeout:.0f}s: {status.get('availableReplicas') or 0} of {want} "
                "replicas available",
                hint=f"see why with: kubectl -n {c.namespace} describe deployment "
                f"{c.deployment} (its pods need room on the nodes, and the image {c.image} "
                "must be reachable)",
            )
        if now - said >= 5:
            said = now
            conn.emit(c.app, "progress", f"waiting for the {c.title}'s pods ({now - start:.0f}s)")
        time.sleep(POLL)


def remove(
    conn: Connection,
    component: Component,
    namespaced: Iterable[tuple[str, str, str]],
    cluster_scoped: Iterable[tuple[str, str, str]],
) -> list[str]:
    """Delete the component's objects (what is already gone is skipped; a PodDisruptionBudget
    in the API version the cluster serves); what was deleted."""
    kube = conn.kube
    gone = []
    for api_version, kind, name in namespaced:
        if kind == "PodDisruptionBudget":
            api_version = conn.versions.pdb
        if kube.delete(api_version, kind, name, component.namespace):
            gone.append(describe({"kind": kind, "metadata": {"name": name}}))
    for api_version, kind, name in cluster_scoped:
        if kube.delete(api_version, kind, name):
            gone.append(describe({"kind": kind, "metadata": {"name": name}}))
    if gone:
        conn.emit(component.app, "teardown", f"{component.title} removed ({len(gone)} objects)")
    return gone
