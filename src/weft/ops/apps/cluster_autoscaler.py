"""The Cluster Autoscaler in the fabric's cluster: installed (or moved to the version of the
cluster's Kubernetes minor) by every ``weft deploy`` before the apps, removed by ``weft down``.

As with the AWS Load Balancer Controller (:mod:`~weft.ops.apps.lb_controller`): ``weft up``
makes its IAM role (:mod:`weft.model.cluster_autoscaler`), ``weft deploy`` talks to the cluster,
so an upgrade of the cluster reaches the autoscaler (its image follows the cluster's minor:
:mod:`weft.kube.cluster_autoscaler`) and an autoscaler someone deleted is put back. Only a
cluster with node groups gets one: a Fargate-only fabric has no group to scale.
"""

from __future__ import annotations

from weft.errors import GuardError
from weft.kube import cluster_autoscaler as cas
from weft.model.cluster_autoscaler import AUTOSCALER_ROLE, needs_autoscaler
from weft.ops.apps import components
from weft.ops.apps.connection import Connection

#: What the events of the autoscaler's installation are reported as.
APP = "cluster-autoscaler"
#: How long to wait for the autoscaler's Deployment to be available.
READY_TIMEOUT = 300.0
TITLE = "Cluster Autoscaler"


def component(image: str) -> components.Component:
    """The autoscaler as a weft component (its image: the cluster's minor's)."""
    return components.Component(APP, TITLE, cas.NAMESPACE, cas.NAME, image)


def wanted(conn: Connection) -> bool:
    """Whether weft installs the autoscaler in this fabric's cluster."""
    return needs_autoscaler(conn.target.fabric)


def settings(conn: Connection) -> cas.Settings:
    """Cluster, region, role and Kubernetes version of the autoscaler, read from the cloud."""
    cluster = conn.cluster()
    role = components.role_arn(conn, AUTOSCALER_ROLE, TITLE)
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
        role_arn=role,
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
    tag = image.rsplit(":", 1)[1]
    conn.emit(APP, "applied", f"{TITLE} {tag} in {cas.NAMESPACE}")
    components.wait_available(conn, component(image), timeout, f"{TITLE} {tag} available")
    return True


def remove(conn: Connection) -> list[str]:
    """Delete the autoscaler's objects (what is already gone is skipped); what was deleted."""
    return components.remove(conn, component(""), cas.namespaced(), cas.cluster_scoped())
