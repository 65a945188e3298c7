"""The local API server really calls the AWS Load Balancer Controller's webhooks: over TLS, at the
webhook Service's ClusterIP, with the certificate of the Secret weft made, only while the
controller runs (:mod:`weft.local.kube.lb_webhooks`)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from lightkube import ApiError, Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Namespace, Pod, Secret
from lightkube.resources.networking_v1 import Ingress

from weft.kube import lb_controller as lbc
from weft.local.kube.control_plane import KubeEndpoint

from . import lb_controller as lbc_helper
from .lb_controller import served_certificate, webhook_address

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

REGION = "us-east-1"
HOOK = "vingress.elbv2.k8s.aws"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def kube(kube_api: KubeEndpoint) -> Iterator[Client]:
    client = Client(KubeConfig.from_file(str(kube_api.kubeconfig)), field_manager="weft")
    yield client
    client.close()


@pytest.fixture(scope="module")
def settings(kube: Client, moto_url: str) -> Iterator[lbc.Settings]:
    """The controller installed as weft renders it, for an EKS cluster of the local AWS."""
    ec2 = lbc_helper.aws(moto_url, "ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    cluster = lbc_helper.eks_cluster(moto_url, REGION, vpc)
    role = lbc_helper.controller_role(moto_url, REGION, cluster)
    settings = lbc.Settings(cluster, REGION, vpc, role)
    lbc_helper.install(kube, settings)
    yield settings
    lbc_helper.uninstall(kube)


@pytest.fixture
def namespace(kube: Client) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    kube.create(from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
    yield name
    with contextlib.suppress(ApiError):
        kube.delete(Namespace, name)


def ingress(name: str, annotations: dict[str, str] | None = None, cls: str = "alb") -> Any:
    return from_dict(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {
                "ingressClassName": cls,
                "rules": [
                    {
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        }
                    }
                ],
            },
        }
    )


def create_error(kube: Client, namespace: str, name: str) -> str | None:
    """The API server's message when creating an Ingress fails, else None (the Ingress is
    deleted again)."""
    try:
        kube.create(ingress(name), namespace=namespace)
    except ApiError as e:
        return str(e.status.message)
    kube.delete(Ingress, name, namespace=namespace)
    return None


def simulators_log(kube_api: KubeEndpoint) -> str:
    return (Path(kube_api.kubeconfig).parent / "logs" / "simulators.log").read_text()


def same_cert(a: str, b: str) -> bool:
    from cryptography import x509

    return x509.load_pem_x509_certificate(a.encode()) == x509.load_pem_x509_certificate(b.encode())


def set_ingress_bundle(kube: Client, bundle: str) -> None:
    """Put ``bundle`` into the Ingress webhook's caBundle, as a configuration would carry it."""
    hooks = next(o for o in lbc.webhooks(bundle) if o["kind"] == "ValidatingWebhookConfiguration")
    kube.apply(from_dict(hooks), field_manager="weft", force=True)


# -------------------------------------------------------------------------------------- tests
def test_the_service_range_is_loopback_and_the_webhook_is_served_at_its_cluster_ip(
    kube: Client, settings: lbc.Settings
) -> None:
    host, port = webhook_address(kube)
    assert host.startswith("127.100.") and port == lbc.WEBHOOK_PORT
    secret = kube.get(Secret, lbc.TLS_SECRET, namespace=lbc.NAMESPACE)
    assert secret.data is not None
    cert = base64.b64decode(secret.data["tls.crt"]).decode()
    served = wait_for("the webhook served", lambda: served_certificate(kube), timeout=15)
    assert same_cert(served, cert)


def test_an_ingress_create_passes_through_the_controllers_webhook(
    kube_api: KubeEndpoint, kube: Client, settings: lbc.Settings, namespace: str
) -> None:
    kube.create(ingress("shop"), namespace=namespace)
    line = f"/validate-networking-v1-ingress CREATE Ingress {namespace}/shop: allowed"
    wait_for("the webhook call logged", lambda: line in simulators_log(kube_api), timeout=5)

    # the controller's own checks refuse what it refuses, through the API server
    bad = {"alb.ingress.kubernetes.io/conditions.web": '[{"field": "host-header"}]'}
    with pytest.raises(ApiError) as err:
        kube.create(ingress("bad-conditions", bad), namespace=namespace)
    assert err.value.status.message == (
        f'admission webhook "{HOOK}" denied the request: ignoring Ingress {namespace}/'
        "bad-conditions since invalid alb.ingress.kubernetes.io/conditions.web annotation: "
        "missing hostHeaderConfig"
    )
    with pytest.raises(ApiError) as err:
        kube.create(ingress("no-class", cls="nginx-missing"), namespace=namespace)
    assert err.value.status.message == (
        f'admission webhook "{HOOK}" denied the request: invalid ingress class: '
        'ingressclasses.networking.k8s.io "nginx-missing" not found'
    )


def test_pods_of_an_opted_in_namespace_go_through_the_pod_mutator(
    kube_api: KubeEndpoint, kube: Client, settings: lbc.Settings, namespace: str
) -> None:
    kube.patch(
        Namespace,
        namespace,
        {"metadata": {"labels": {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}}},
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-0", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    }
    kube.create(from_dict(pod), namespace=namespace)
    line = f"/mutate-v1-pod CREATE Pod {namespace}/web-0: allowed"
    wait_for("the pod mutator's call logged", lambda: line in simulators_log(kube_api), timeout=5)
    # no TargetGroupBinding selects it: no readiness gate
    created = kube.get(Pod, "web-0", namespace=namespace)
    assert created.spec is not None and not created.spec.readinessGates


def test_a_wrong_ca_bundle_fails_the_call_with_the_x509_error(
    kube: Client, settings: lbc.Settings, namespace: str
) -> None:
    secret = kube.get(Secret, lbc.TLS_SECRET, namespace=lbc.NAMESPACE).to_dict()
    wait_for("the webhook served", lambda: served_certificate(kube), timeout=15)
    try:
        set_ingress_bundle(kube, lbc.webhook_tls(None).bundle)  # another CA
        message = wait_for("the x509 failure", lambda: create_error(kube, namespace, "x"))
        assert message.startswith(f'Internal error occurred: failed calling webhook "{HOOK}"')
        # (another CA of the same name: Go adds which candidate's signature did not verify)
        assert (
            "tls: failed to verify certificate: x509: certificate signed by unknown authority"
            in message
        )
        assert f"https://{lbc.WEBHOOK_SERVICE}.{lbc.NAMESPACE}.svc:{lbc.WEBHOOK_PORT}/" in message
    finally:
        set_ingress_bundle(kube, lbc.webhook_tls(secret).bundle)
    wait_for("served again", lambda: create_error(kube, namespace, "y") is None, timeout=10)


def test_with_the_controller_scaled_to_zero_a_fail_webhook_fails_the_create(
    kube: Client, settings: lbc.Settings, namespace: str
) -> None:
    wait_for("the webhook served", lambda: served_certificate(kube), timeout=15)
    kube.patch(Deployment, lbc.NAME, {"spec": {"replicas": 0}}, namespace=lbc.NAMESPACE)
    try:
        # (a call in flight as the listener closes may instead read "connection reset by peer")
        def refused() -> str | None:
            message = create_error(kube, namespace, "down")
            return message if message and "connection refused" in message else None

        message = wait_for("the call refused", refused, timeout=30)
        host, port = webhook_address(kube)
        assert message == (
            f'Internal error occurred: failed calling webhook "{HOOK}": failed to call webhook: '
            f'Post "https://{lbc.WEBHOOK_SERVICE}.{lbc.NAMESPACE}.svc:{lbc.WEBHOOK_PORT}/'
            f'validate-networking-v1-ingress?timeout=10s": dial tcp {host}:{port}: connect: '
            "connection refused"
        )
    finally:
        kube.patch(Deployment, lbc.NAME, {"spec": {"replicas": 2}}, namespace=lbc.NAMESPACE)
    wait_for("served again", lambda: create_error(kube, namespace, "up") is None, timeout=30)


def apply_tls(kube: Client, settings: lbc.Settings, tls: lbc.WebhookTLS) -> None:
    """What weft's deploy applies of the webhook TLS: the Secret and the configurations."""
    for obj in lbc.objects(settings, tls):
        if obj["kind"] in ("Secret", "ValidatingWebhookConfiguration"):
            kube.apply(from_dict(obj), field_manager="weft", force=True)


def test_weft_rotating_the_certificate_keeps_the_webhook_served(
    kube: Client, settings: lbc.Settings, namespace: str
) -> None:
    now = dt.datetime.now(dt.UTC)
    aged = lbc.webhook_tls(None, now - dt.timedelta(days=340))  # 25 days left
    apply_tls(kube, settings, aged)
    wait_for(
        "the aged certificate served",
        lambda: same_cert(served_certificate(kube) or aged.ca, aged.cert),
        timeout=15,
    )
    # weft's next deploy renews it (in its last month) with a new CA; both CAs trusted meanwhile
    secret = kube.get(Secret, lbc.TLS_SECRET, namespace=lbc.NAMESPACE).to_dict()
    renewed = lbc.webhook_tls(secret, now)
    assert renewed.ca != aged.ca and aged.ca in renewed.bundle
    apply_tls(kube, settings, renewed)
    wait_for(
        "the renewed certificate served",
        lambda: same_cert(served_certificate(kube) or renewed.ca, renewed.cert),
        timeout=15,
    )
    # the bundle without the old CA: only the renewed certificate can pass now
    set_ingress_bundle(kube, renewed.ca)
    assert wait_for("created", lambda: create_error(kube, namespace, "r") is None or None)


def test_weft_waits_for_a_webhook_that_does_not_answer_yet(
    kube: Client, kube_api: KubeEndpoint, settings: lbc.Settings, namespace: str
) -> None:
    """Right after the controller's Deployment is available (on EKS its Service's endpoints
    follow a little later) or while its pods are replaced, the API server cannot reach the
    webhook: weft's writes wait for it (``WEBHOOK_WAIT``) rather than fail the deploy."""
    from weft.kube.client import Kube
    from weft.local.kube import admin

    wait_for("the webhook served", lambda: served_certificate(kube), timeout=15)
    data = json.loads(Path(kube_api.kubeconfig).read_text())
    weft_kube = Kube(
        kube_api.endpoint,
        data["clusters"][0]["cluster"]["certificate-authority-data"],
        lambda: admin.read_token(kube_api.kubeconfig),
    )
    obj = {**ingress("late").to_dict(), "metadata": {"name": "late", "namespace": namespace}}
    kube.patch(Deployment, lbc.NAME, {"spec": {"replicas": 0}}, namespace=lbc.NAMESPACE)
    wait_for("the webhook gone", lambda: served_certificate(kube) is None, timeout=30)
    timer = threading.Timer(
        3.0,
        lambda: kube.patch(
            Deployment, lbc.NAME, {"spec": {"replicas": 2}}, namespace=lbc.NAMESPACE
        ),
    )
    timer.start()
    try:
        started = time.monotonic()
        stored = weft_kube.apply(obj)
        assert stored["metadata"]["name"] == "late"
        assert time.monotonic() - started >= 2.5  # it waited for the controller to come back
        assert weft_kube.requests >= 2
    finally:
        timer.join()
        weft_kube.close()
    wait_for("served again", lambda: create_error(kube, namespace, "after") is None, timeout=30)
