"""The IngressClass of an EKS Auto Mode cluster: applied by every ``weft deploy`` before the
apps, in place of the AWS Load Balancer Controller weft installs on other clusters, and removed
by ``weft down`` once the apps' load balancers are gone.

The class and its IngressClassParams (:mod:`weft.kube.auto_mode`) carry what the apps'
Ingresses share: internet-facing, the fabric's group, and the fabric's certificate once it is
issued (a later deploy adds it, as it adds HTTPS to the Ingresses). EKS makes the
IngressClassParams CRD when Auto Mode is on; until the cluster serves it, deploy waits
(:data:`CRD_TIMEOUT`), then says what is wrong.
"""

from __future__ import annotations

import time

from weft.errors import GuardError
from weft.kube import auto_mode
from weft.kube.client import describe
from weft.ops.apps.connection import Connection

#: What the events of the class are reported as.
APP = "eks-auto-mode"
#: How long to wait for the cluster to serve IngressClassParams.
CRD_TIMEOUT = 120.0
POLL = 1.0


def wanted(conn: Connection) -> bool:
    """Whether the fabric's cluster is an Auto Mode one, whose load balancers EKS runs."""
    cluster = conn.target.fabric.cluster
    return cluster is not None and cluster.auto_mode


def install(conn: Connection, certificate_arn: str | None, *, timeout: float = CRD_TIMEOUT) -> bool:
    """Apply the IngressClassParams and IngressClass of the fabric's Ingresses (with the
    certificate when an app has TLS); False when the cluster is not an Auto Mode one."""
    if not wanted(conn):
        return False
    fabric = conn.target.fabric
    # the file's apps and those acted on (weft verify's canary) share the class
    apps = [*fabric.apps, *conn.fabric.apps]
    tls = any(app.ingress is not None and app.ingress.tls for app in apps)
    _wait_for_crd(conn, timeout)
    for obj in auto_mode.ingress_class_objects(fabric.name, certificate_arn if tls else None):
        conn.kube.apply(obj)
    conn.emit(
        APP, "applied", f"IngressClass {auto_mode.INGRESS_CLASS} ({auto_mode.ALB_CONTROLLER})"
    )
    return True


def _wait_for_crd(conn: Connection, timeout: float) -> None:
    start = time.monotonic()
    said = start
    while (
        conn.kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", auto_mode.PARAMS_CRD)
        is None
    ):
        now = time.monotonic()
        if now - start >= timeout:
            raise GuardError(
                f"cluster {conn.target.fabric.name} serves no IngressClassParams of "
                f"eks.amazonaws.com after {timeout:.0f}s: EKS makes them on an Auto Mode cluster",
                hint="check that Auto Mode is on (aws eks describe-cluster: computeConfig), "
                "or run weft up",
            )
        if now - said >= 5:
            said = now
            conn.emit(APP, "progress", f"waiting for Auto Mode's CRDs ({now - start:.0f}s)")
        time.sleep(POLL)


def remove(conn: Connection) -> list[str]:
    """Delete the class and its parameters (what is already gone is skipped)."""
    gone = []
    for api_version, kind, name in auto_mode.cluster_scoped():
        if conn.kube.delete(api_version, kind, name):
            gone.append(describe({"kind": kind, "metadata": {"name": name}}))
    if gone:
        conn.emit(APP, "teardown", f"IngressClass {auto_mode.INGRESS_CLASS} removed")
    return gone
