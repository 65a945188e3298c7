"""One description of an app, rendered for each way the cluster runs its load balancers: the
AWS Load Balancer Controller weft installs, or EKS Auto Mode's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lightkube import codecs

from weft.fabricfile import Fabric, load_fabric, parse_fabric
from weft.kube import auto_mode
from weft.kube.manifests import RenderInput, render

from .test_manifests import CERT, ROLES, SECRETS, STORES

EXAMPLE = Path(__file__).parents[1] / "fabricfile" / "good" / "apps.yaml"


def _render(fabric: Fabric, certificate: str | None = CERT) -> list[dict[str, Any]]:
    return render(RenderInput(fabric, "shop", certificate, STORES, SECRETS, role_arns=ROLES))


def _one(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


@pytest.fixture(scope="module")
def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    text = EXAMPLE.read_text()
    auto = text.replace("cluster:\n", "cluster:\n  compute: auto\n", 1)
    assert auto != text
    return _render(load_fabric(EXAMPLE)), _render(parse_fabric(auto, "apps.yaml"))


def test_the_ingress_names_auto_modes_class_and_leaves_scheme_group_and_certificate_to_it(
    both: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    controller, auto = both
    on_auto = _one(auto, "Ingress", "web")
    assert on_auto["spec"]["ingressClassName"] == auto_mode.INGRESS_CLASS
    assert on_auto["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "alb.ingress.kubernetes.io/healthcheck-path": "/healthz",
    }
    ours = _one(controller, "Ingress", "web")
    assert ours["spec"]["ingressClassName"] == "alb"
    # the rest of the app is the same whichever way it is served
    assert on_auto["spec"]["rules"] == ours["spec"]["rules"]
    assert _one(auto, "Deployment", "web") == _one(controller, "Deployment", "web")


def test_a_load_balanced_service_asks_for_auto_modes_class(
    both: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    controller, auto = both
    on_auto = _one(auto, "Service", "edge")
    assert on_auto["spec"]["loadBalancerClass"] == "eks.amazonaws.com/nlb"
    assert on_auto["spec"]["type"] == "LoadBalancer"
    notes = on_auto["metadata"]["annotations"]
    assert "service.beta.kubernetes.io/aws-load-balancer-type" not in notes
    assert notes["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internet-facing"
    ours = _one(controller, "Service", "edge")
    assert "loadBalancerClass" not in ours["spec"]
    assert ours["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == (
        "external"
    )
    # a plain Service is the same on both
    assert _one(auto, "Service", "web") == _one(controller, "Service", "web")
    # and is what Kubernetes' schema says a Service is
    assert codecs.from_dict(on_auto).to_dict()["spec"]["loadBalancerClass"] == (
        "eks.amazonaws.com/nlb"
    )


def test_the_ingress_class_and_its_params_carry_the_group_and_certificate() -> None:
    params, ingress_class = auto_mode.ingress_class_objects("shop", CERT)
    assert params["apiVersion"] == "eks.amazonaws.com/v1"
    assert params["kind"] == "IngressClassParams"
    assert params["spec"] == {
        "scheme": "internet-facing",
        "group": {"name": "shop"},
        "certificateARNs": [CERT],
    }
    assert ingress_class["spec"] == {
        "controller": "eks.amazonaws.com/alb",
        "parameters": {
            "apiGroup": "eks.amazonaws.com",
            "kind": "IngressClassParams",
            "name": auto_mode.INGRESS_CLASS,
        },
    }
    codecs.from_dict(ingress_class)  # Kubernetes' own schema of an IngressClass
    without, _ = auto_mode.ingress_class_objects("shop", None)
    assert "certificateARNs" not in without["spec"]
