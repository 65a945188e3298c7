"""The AWS Load Balancer Controller in the fabric's cluster: installed (or upgraded to the pinned
version) by every ``weft deploy`` before the apps, removed by ``weft down`` once the apps' load
balancers are gone.

**Why deploy, not up.** ``weft up`` builds the cloud, including the controller's IAM role
(:mod:`weft.model.lb_controller`); ``weft deploy`` is where weft talks to the cluster, and the
apps are what needs the controller. Installing it there means an upgrade of weft's pin
(:data:`weft.kube.lb_controller.VERSION`) reaches the cluster at the next deploy, a controller
someone deleted is put back, and the webhook certificate is renewed in time by any deploy in
its last month. ``weft verify``'s canary goes through deploy too.

A fabric whose cluster has no node groups and no Fargate profile has nothing to run the
controller on: weft installs none, and its load balancers never come (``deploy`` says so).

**Rendered for a Kubernetes version.** What the controller's objects are written in depends on
what the cluster serves (its PodDisruptionBudget's API version, negotiated). Its Deployment
carries the Kubernetes version it was rendered for (:data:`RENDERED_FOR`); ``weft upgrade``
re-renders it after each version step (:func:`rendered_for` tells whether that step is done).
"""

from __future__ import annotations

from weft.errors import GuardError
from weft.kube import lb_controller as lbc
from weft.model.lb_controller import LB_CONTROLLER_ROLE, needs_controller
from weft.model.pod_identity import uses_pod_identity
from weft.ops.apps import components
from weft.ops.apps.connection import Connection

#: What the events of the controller's installation are reported as.
APP = "aws-load-balancer-controller"
#: How long to wait for the controller's Deployment to be available.
READY_TIMEOUT = 300.0
COMPONENT = components.Component(
    APP, "AWS Load Balancer Controller", lbc.NAMESPACE, lbc.NAME, lbc.IMAGE
)

#: The namespaced objects of the controller, deleted on removal (the Deployment first).
NAMESPACED = (
    ("apps/v1", "Deployment", lbc.NAME),
    ("policy/v1", "PodDisruptionBudget", lbc.NAME),
    ("v1", "Service", lbc.WEBHOOK_SERVICE),
    ("v1", "Secret", lbc.TLS_SECRET),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", f"{lbc.NAME}-leader-election-rolebinding"),
    ("rbac.authorization.k8s.io/v1", "Role", f"{lbc.NAME}-leader-election-role"),
    ("v1", "ServiceAccount", lbc.NAME),
)


#: The annotation on the controller's Deployment: the Kubernetes version it was rendered for.
RENDERED_FOR = "weft.dev/kubernetes-version"


def rendered_for(conn: Connection) -> str | None:
    """The Kubernetes version the installed controller was rendered for ("" when it does not
    say); None when weft installed no controller in the cluster."""
    if not wanted(conn):
        return None
    dep = conn.kube.get("apps/v1", "Deployment", lbc.NAME, lbc.NAMESPACE)
    if dep is None:
        return None
    return str(((dep.get("metadata") or {}).get("annotations") or {}).get(RENDERED_FOR) or "")


def wanted(conn: Connection) -> bool:
    """Whether weft installs the controller in this fabric's cluster."""
    return needs_controller(conn.target.fabric)


def settings(conn: Connection) -> lbc.Settings:
    """Cluster, region, VPC and role of the controller, read from the cloud."""
    cluster = conn.cluster()
    role = components.role_arn(conn, LB_CONTROLLER_ROLE, COMPONENT.title)
    vpc_id = cluster.outputs.get("vpc_id")
    if not vpc_id:
        raise GuardError(
            f"cluster {cluster.id} has no VPC yet (state {cluster.state})",
            hint="wait for weft up to finish",
        )
    pods = uses_pod_identity(conn.target.fabric)
    if pods and "eks_pod_identity_association.lb-controller" not in conn.inventory().by_address:
        raise GuardError(
            f"the Pod Identity association of the AWS Load Balancer Controller of fabric "
            f"{conn.target.fabric.name} does not exist yet",
            hint="create it with: weft up",
        )
    return lbc.Settings(
        cluster=cluster.id,
        region=conn.target.fabric.region,
        vpc_id=str(vpc_id),
        # through Pod Identity the ServiceAccount names no role (the SDK would try IRSA first)
        role_arn="" if pods else role,
    )


def install(
    conn: Connection, *, timeout: float = READY_TIMEOUT, kubernetes_version: str | None = None
) -> bool:
    """Apply the controller's objects at the pinned version, rendered for the cluster's
    Kubernetes version (``kubernetes_version``, or the cluster's as the cloud reports it), and
    wait until its Deployment is available; False when the fabric gets no controller. Raises
    GuardError when it does not become available in ``timeout`` seconds."""
    if not wanted(conn):
        return False
    kube = conn.kube
    conf = settings(conn)
    version = kubernetes_version or str(conn.cluster().props.get("version") or "")
    tls = lbc.webhook_tls(kube.get("v1", "Secret", lbc.TLS_SECRET, lbc.NAMESPACE))
    for obj in lbc.objects(conf, tls, conn.versions.pdb):
        if obj.get("kind") == "Deployment" and version:
            meta = dict(obj.get("metadata") or {})
            meta["annotations"] = {**(meta.get("annotations") or {}), RENDERED_FOR: version}
            obj = {**obj, "metadata": meta}
        kube.apply(obj)
    conn.emit(APP, "applied", f"AWS Load Balancer Controller {lbc.VERSION} in {lbc.NAMESPACE}")
    components.wait_available(
        conn, COMPONENT, timeout, f"AWS Load Balancer Controller {lbc.VERSION} available"
    )
    return True


def remove(conn: Connection) -> list[str]:
    """Delete the controller's objects (what is already gone is skipped); what was deleted."""
    return components.remove(conn, COMPONENT, NAMESPACED, lbc.cluster_scoped())
