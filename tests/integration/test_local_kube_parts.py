"""The parts of the local Kubernetes that need no running cluster: the kubelet simulator's
scheduling rules and the load-balancer controller's naming (the build step's decisions are in
``tests/unit/local/test_kube_setup.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from weft.local.kube import kubelet_sim, lb_sim
from weft.local.kube.certs import generate


def node(labels: dict[str, str] | None = None, taints: list[dict[str, Any]] | None = None) -> Any:
    return {
        "metadata": {"name": "n1", "labels": labels or {}},
        "spec": {"taints": taints or []},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "spec": spec}


def test_scheduling_rules() -> None:
    assert kubelet_sim.fit_problem(pod(), node()) is None
    assert kubelet_sim.fit_problem(pod(nodeSelector={"pool": "a"}), node({"pool": "a"})) is None
    assert "node selector" in (
        kubelet_sim.fit_problem(pod(nodeSelector={"pool": "a"}), node()) or ""
    )
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    assert "taint" in (kubelet_sim.fit_problem(pod(), node(taints=[taint])) or "")
    tolerate = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    assert kubelet_sim.fit_problem(pod(tolerations=tolerate), node(taints=[taint])) is None
    assert (
        kubelet_sim.fit_problem(pod(tolerations=[{"operator": "Exists"}]), node(taints=[taint]))
        is None
    )
    prefer = {"key": "x", "value": "y", "effect": "PreferNoSchedule"}
    assert kubelet_sim.fit_problem(pod(), node(taints=[prefer])) is None
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}
                ]
            }
        }
    }
    assert kubelet_sim.fit_problem(pod(affinity=affinity), node({"zone": "b"})) is None
    assert kubelet_sim.fit_problem(pod(affinity=affinity), node({"zone": "c"})) is not None
    not_ready = node()
    not_ready["status"]["conditions"][0]["status"] = "False"
    assert kubelet_sim.fit_problem(pod(), not_ready) == "node(s) were not ready"


@pytest.mark.parametrize(
    ("image", "outcome"),
    [
        ("nginx", "ok"),
        ("nginx:1.25", "ok"),
        ("registry:5000/app:fail", "fail"),
        ("registry:5000/fail/app:1.0", "ok"),
        ("app:v2-crash", "crash"),
        ("app@sha256:abc", "ok"),
    ],
)
def test_image_tags_choose_the_outcome(image: str, outcome: str) -> None:
    assert kubelet_sim.container_outcome(image) == outcome


def test_nodes_file(tmp_path: Path) -> None:
    assert [n["name"] for n in kubelet_sim.load_nodes(tmp_path)] == [
        "local-node-1",
        "local-node-2",
        "local-node-3",
    ]
    (tmp_path / "nodes.json").write_text('[{"name": "general-1", "labels": {"pool": "general"}}]')
    assert kubelet_sim.load_nodes(tmp_path) == [
        {"name": "general-1", "labels": {"pool": "general"}}
    ]


def test_load_balancer_names_follow_the_controller() -> None:
    name = lb_sim.lb_name("prod", "shop-frontend/storefront-web", "internet-facing")
    assert name.startswith("k8s-shopfron-storefro-")
    assert len(name) <= 32
    assert name == lb_sim.lb_name("prod", "shop-frontend/storefront-web", "internet-facing")
    assert name != lb_sim.lb_name("prod", "shop-frontend/storefront-web", "internal")
    assert len(lb_sim.lb_name("prod", "a-very-long-ingress-group-name", "internal")) <= 32


def test_generated_certificates_chain_to_the_ca(tmp_path: Path) -> None:
    from cryptography import x509

    paths = generate(tmp_path)
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    served = x509.load_pem_x509_certificate(paths.serving_cert.read_bytes())
    assert served.issuer == ca.subject
    sans = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    assert oct(paths.sa_key.stat().st_mode & 0o777) == "0o600"
