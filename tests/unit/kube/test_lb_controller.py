"""weft's rendering of the AWS Load Balancer Controller's chart, and its webhook TLS."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from cryptography import x509

from weft.kube import lb_controller as lbc
from weft.local.kube.lb_install import installed

SETTINGS = lbc.Settings(
    cluster="shop",
    region="eu-west-1",
    vpc_id="vpc-0123",
    role_arn="arn:aws:iam::123456789012:role/weft/shop/weft-shop-lb-controller",
)
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _by(objs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objs}


def _secret(tls: lbc.WebhookTLS) -> dict[str, Any]:
    return {"data": tls.secret_data()}


def test_the_chart_s_objects_are_rendered_with_the_pinned_version() -> None:
    tls = lbc.webhook_tls(None, NOW)
    objs = _by(lbc.objects(SETTINGS, tls))
    assert set(objs) >= {
        ("CustomResourceDefinition", "targetgroupbindings.elbv2.k8s.aws"),
        ("CustomResourceDefinition", "ingressclassparams.elbv2.k8s.aws"),
        ("ServiceAccount", lbc.NAME),
        ("ClusterRole", f"{lbc.NAME}-role"),
        ("ClusterRoleBinding", f"{lbc.NAME}-rolebinding"),
        ("Role", f"{lbc.NAME}-leader-election-role"),
        ("RoleBinding", f"{lbc.NAME}-leader-election-rolebinding"),
        ("Secret", lbc.TLS_SECRET),
        ("Service", lbc.WEBHOOK_SERVICE),
        ("MutatingWebhookConfiguration", f"{lbc.NAME}-webhook"),
        ("ValidatingWebhookConfiguration", f"{lbc.NAME}-webhook"),
        ("Deployment", lbc.NAME),
        ("PodDisruptionBudget", lbc.NAME),
        ("IngressClass", "alb"),
    }
    sa = objs[("ServiceAccount", lbc.NAME)]
    assert sa["metadata"]["namespace"] == "kube-system"
    assert sa["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": SETTINGS.role_arn}
    assert objs[("IngressClass", "alb")]["spec"] == {"controller": "ingress.k8s.aws/alb"}
    dep = objs[("Deployment", lbc.NAME)]
    assert dep["spec"]["replicas"] == 2
    pod = dep["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == lbc.NAME
    container = pod["containers"][0]
    assert container["image"] == "public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0"
    assert {
        "--cluster-name=shop",
        "--aws-region=eu-west-1",
        "--aws-vpc-id=vpc-0123",
        "--ingress-class=alb",
    } <= set(container["args"])
    spread = pod["topologySpreadConstraints"][0]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone" and spread["maxSkew"] == 1
    assert objs[("PodDisruptionBudget", lbc.NAME)]["spec"]["maxUnavailable"] == 1
    service = objs[("Service", lbc.WEBHOOK_SERVICE)]["spec"]
    assert service["ports"] == [
        {"name": "webhook-server", "port": 9443, "targetPort": "webhook-server", "protocol": "TCP"}
    ]


def test_the_simulator_reads_what_the_deployment_tells_the_controller() -> None:
    dep = _by(lbc.objects(SETTINGS, lbc.webhook_tls(None, NOW)))[("Deployment", lbc.NAME)]
    assert installed(dep, "us-east-1") is None  # not available yet
    ctl = installed({**dep, "status": {"availableReplicas": 1}}, "us-east-1")
    assert ctl is not None
    assert (ctl.cluster, ctl.region, ctl.vpc_id) == ("shop", "eu-west-1", "vpc-0123")
    assert (ctl.namespace, ctl.service_account) == ("kube-system", lbc.NAME)
    assert (ctl.ingress_class, ctl.lb_class) == ("alb", "service.k8s.aws/nlb")


def test_every_webhook_trusts_the_ca_and_calls_the_webhook_service() -> None:
    tls = lbc.webhook_tls(None, NOW)
    objs = lbc.objects(SETTINGS, tls)
    hooks = [h for o in objs if o["kind"].endswith("WebhookConfiguration") for h in o["webhooks"]]
    assert {h["name"] for h in hooks} == {
        "mpod.elbv2.k8s.aws",
        "mtargetgroupbinding.elbv2.k8s.aws",
        "vingressclassparams.elbv2.k8s.aws",
        "vtargetgroupbinding.elbv2.k8s.aws",
        "vingress.elbv2.k8s.aws",
    }
    for hook in hooks:
        assert base64.b64decode(hook["clientConfig"]["caBundle"]).decode() == tls.bundle
        assert hook["clientConfig"]["service"]["name"] == lbc.WEBHOOK_SERVICE
        assert hook["sideEffects"] == "None"
    ingress = next(h for h in hooks if h["name"] == "vingress.elbv2.k8s.aws")
    assert ingress["failurePolicy"] == "Fail"  # as the chart: an Ingress waits on the controller
    assert ingress["clientConfig"]["service"]["path"] == "/validate-networking-v1-ingress"
    assert ingress["rules"][0]["resources"] == ["ingresses"]


def test_the_serving_certificate_names_the_service_and_chains_to_the_ca() -> None:
    tls = lbc.webhook_tls(None, NOW)
    cert = x509.load_pem_x509_certificate(tls.cert.encode())
    ca = x509.load_pem_x509_certificate(tls.ca.encode())
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "aws-load-balancer-webhook-service.kube-system.svc" in names.get_values_for_type(
        x509.DNSName
    )
    assert cert.not_valid_after_utc - NOW > dt.timedelta(days=360)
    secret = _by(lbc.objects(SETTINGS, tls))[("Secret", lbc.TLS_SECRET)]
    assert set(secret["data"]) == {"ca.crt", "tls.crt", "tls.key"}  # never the CA's key


def test_the_certificate_is_kept_while_good_and_renewed_before_it_expires() -> None:
    first = lbc.webhook_tls(None, NOW)
    later = NOW + dt.timedelta(days=300)
    assert lbc.webhook_tls(_secret(first), later) == first
    near_end = NOW + dt.timedelta(days=340)
    renewed = lbc.webhook_tls(_secret(first), near_end)
    assert renewed.cert != first.cert and renewed.ca != first.ca
    # the API server trusts both CAs while the pods may still serve the old certificate
    assert renewed.bundle == renewed.ca + first.ca
    cert = x509.load_pem_x509_certificate(renewed.cert.encode())
    assert cert.not_valid_after_utc - near_end > dt.timedelta(days=360)
    # once the old certificate has expired, only the new CA is trusted
    assert lbc.webhook_tls(_secret(first), NOW + dt.timedelta(days=400)).bundle.count("BEGIN") == 1
