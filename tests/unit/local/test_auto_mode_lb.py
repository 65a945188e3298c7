"""What Auto Mode's simulated controller reads of an Ingress: scheme, group and certificates
from its IngressClassParams, never from the annotations Auto Mode ignores."""

from __future__ import annotations

import json
from pathlib import Path

from weft.local.kube.auto_mode_lb import as_controller_reads, auto_clusters
from weft.local.kube.load_balancer import ingress_plan, ingress_scheme, ingress_stack

ALB = "alb.ingress.kubernetes.io/"
CERT = "arn:aws:acm:us-east-2:123456789012:certificate/abc"


def _ingress(**notes: str) -> dict[str, object]:
    return {
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "shop", "annotations": notes},
        "spec": {"ingressClassName": "eks-auto-alb"},
    }


def test_scheme_group_and_certificates_come_from_the_params() -> None:
    ing = _ingress(
        **{
            ALB + "group.name": "elsewhere",
            ALB + "scheme": "internal",
            ALB + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        }
    )
    params = {
        "spec": {"scheme": "internet-facing", "group": {"name": "shop"}, "certificateARNs": [CERT]}
    }
    read = as_controller_reads(ing, params)
    assert ingress_stack(read) == "shop"
    assert ingress_scheme(read) == "internet-facing"
    assert ingress_plan(read).certificate_arns == (CERT,)
    assert ingress_plan(read).problem is None


def test_without_params_the_ingress_is_internal_on_its_own_and_https_has_no_certificate() -> None:
    ing = _ingress(**{ALB + "certificate-arn": CERT, ALB + "listen-ports": '[{"HTTPS": 443}]'})
    read = as_controller_reads(ing, None)
    assert ingress_stack(read) == "shop/web"
    assert ingress_scheme(read) == "internal"
    assert "no certificate" in str(ingress_plan(read).problem)


def test_the_clusters_listed_by_the_local_eks(tmp_path: Path) -> None:
    assert auto_clusters(tmp_path) == []
    (tmp_path / "auto_mode.json").write_text(
        json.dumps([{"cluster": "demo", "region": "us-east-2", "vpc_id": "vpc-1"}])
    )
    assert auto_clusters(tmp_path)[0]["cluster"] == "demo"
    (tmp_path / "auto_mode.json").write_text("not json")
    assert auto_clusters(tmp_path) == []
