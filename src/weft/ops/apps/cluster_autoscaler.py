"""The Cluster Autoscaler in the fabric's cluster: installed (or moved to the version of the
cluster's Kubernetes minor) by every ``weft deploy`` before the apps, removed by ``weft down``.

As with the AWS Load Balancer Controller (:mod:`~weft.ops.apps.lb_controller`): ``weft up``
makes its IAM role (:mod:`weft.model.cluster_autoscaler`), ``weft deploy`` talks to the cluster,
so an upgrade of the cluster reaches the autoscaler (its image follows the cluster's minor:
:mod:`weft.kube.cluster_autoscaler`) and an autoscaler someone deleted is put back. Only a
cluster with node groups gets one: a Fargate-only fabric has no group to scale.
"""

from __future__ import annotations

import time
from typing import Any

from weft.errors import GuardError
from weft.kube import cluster_autoscaler as cas
from weft.kube.client import describe
from weft.model.cluster_autoscaler import AUTOSCALER_ROLE, needs_autoscaler
from weft.ops.apps.connection import Connection

#: What the events of the autoscaler's installation are reported as.
APP = "cluster-autoscaler"
#: How long to wait for the autoscaler's Deployment to be available.
READY_TIMEOUT = 300.0
POLL = 1.0


def wanted(conn: Connection) -> bool:
    """Whether weft installs the autoscaler in this fabric's cluster."""
    return needs_autoscaler(conn.target.fabric)


def settings(conn: Connection) -> cas.Settings:
    """Cluster, region, role and Kubernetes version of the autoscaler, read from the cloud."""
    cluster = conn.cluster()
    role = conn.inventory().by_address.get(AUTOSCALER_ROLE)
    if role is None or not role.outputs.get("arn"):
        raise GuardError(
            f"the Cluster Autoscaler's IAM role of fabric {conn.target.fabric.name} does not "
            "exist yet",
            hint="create it with: weft up",
        )
    version = str(cluster.props.get("version") or "")
    try:
        cas.version_for(version)
    except ValueError as exc:
        raise GuardError(
            f"cluster {cluster.id}: {exc}",
            hint="upgrade the cluster to a supported version (weft upgrade), or a weft that "
            "pins an autoscaler for it",
        ) from None
    return cas.Settings(
        cluster=cluster.id,
        region=conn.target.fabric.region,
        role_arn=str(role.outputs["arn"]),
        kubernetes_version=version,
    )


def install(conn: Connection, *, timeout: float = READY_TIMEOUT) -> bool:
    """Apply the autoscaler's objects for the cluster's version and wait until its Deployment
    is available; False when the fabric gets no autoscaler. Raises GuardError when it does not
    become available in ``timeout`` seconds."""
    if not wanted(conn):
        return False
    conf = settings(conn)
    for obj in cas.objects(conf, conn.versions.pdb):
        conn.kube.apply(obj)
    image = cas.image_for(conf.kubernetes_version)
    conn.emit(APP, "applied", f"Cluster Autoscaler {image.rsplit(':', 1)[1]} in {cas.NAMESPACE}")
    _wait_available(conn, timeout, image)
    return True


def _available(dep: dict[str, Any] | None) -> bool:
    if dep is None:
        return False
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = int(spec.get("replicas") or 0)
    return (
        int(status.get("observedGeneration") or 0) >= int(dep["metadata"].get("generation") or 0)
        and int(status.get("updatedReplicas") or 0) >= want
        and int(status.get("availableReplicas") or 0) >= want
    )


def _wait_available(conn: Connection, timeout: float, image: str) -> None:
    start = time.monotonic()
    said = start
    while True:
        dep = conn.kube.get("apps/v1", "Deployment", cas.NAME, cas.NAMESPACE)
        if _available(dep):
            conn.emit(APP, "done", f"Cluster Autoscaler {image.rsplit(':', 1)[1]} available")
            return
        now = time.monotonic()
        if now - start >= timeout:
            raise GuardError(
                f"the Cluster Autoscaler (Deployment {cas.NAMESPACE}/{cas.NAME}) is not "
                f"available after {timeout:.0f}s",
                hint=f"see why with: kubectl -n {cas.NAMESPACE} describe deployment {cas.NAME}"
                f" (its pod needs room on a node, and the image {image} must be reachable)",
            )
        if now - said >= 5:
            said = now
            conn.emit(APP, "progress", f"waiting for the autoscaler's pod ({now - start:.0f}s)")
        time.sleep(POLL)


def remove(conn: Connection) -> list[str]:
    """Delete the autoscaler's objects (what is already gone is skipped); what was deleted."""
    kube = conn.kube
    gone = []
    for api_version, kind, name in cas.namespaced():
        if kind == "PodDisruptionBudget":
            api_version = conn.versions.pdb
        if kube.delete(api_version, kind, name, cas.NAMESPACE):
            gone.append(describe({"kind": kind, "metadata": {"name": name}}))
    for api_version, kind, name in cas.cluster_scoped():
        if kube.delete(api_version, kind, name):
            gone.append(describe({"kind": kind, "metadata": {"name": name}}))
    if gone:
        conn.emit(APP, "teardown", f"Cluster Autoscaler removed ({len(gone)} objects)")
    return gone
