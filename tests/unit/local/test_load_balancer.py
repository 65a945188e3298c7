"""What the load-balancer controller simulator decides (pure): names and tags as the AWS Load
Balancer Controller writes them, subnets, listeners, and which objects want what."""

from __future__ import annotations

from typing import Any

import pytest

from weft.local.kube import load_balancer as lb
from weft.local.kube.load_balancer import Listener, Where


def test_load_balancer_names_follow_the_controller() -> None:
    name = lb.lb_name("prod", "shop-frontend/storefront-web", "internet-facing")
    assert name.startswith("k8s-shopfron-storefro-")
    assert len(name) <= 32
    assert name == lb.lb_name("prod", "shop-frontend/storefront-web", "internet-facing")
    assert name != lb.lb_name("prod", "shop-frontend/storefront-web", "internal")
    assert len(lb.lb_name("prod", "a-very-long-ingress-group-name", "internal")) <= 32


def test_a_group_s_name_has_no_namespace_part() -> None:
    name = lb.lb_name("prod", "Shop_Group", "internal")
    assert name.startswith("k8s-shopgroup-") and len(name) == len("k8s-shopgroup-") + 10


def test_target_group_names_are_per_port() -> None:
    a, b = lb.tg_name("prod", "ns/web", 80), lb.tg_name("prod", "ns/web", 443)
    assert a != b and a.startswith("k8s-ns-web-") and len(a) <= 32


def test_tags_name_the_cluster_and_the_stack() -> None:
    tags = lb.lb_tags("prod", "Service", "ns/web")
    assert tags == {
        "elbv2.k8s.aws/cluster": "prod",
        "service.k8s.aws/stack": "ns/web",
        "service.k8s.aws/resource": "LoadBalancer",
        "kubernetes.io/cluster/prod": "owned",
    }
    assert lb.tg_tags(tags, "ns/web", 80)["service.k8s.aws/resource"] == "ns/web:80"
    assert lb.lb_tags("prod", "Ingress", "g1")["ingress.k8s.aws/stack"] == "g1"
    assert lb.owns(tags, "prod", "Service", "ns/web")
    assert not lb.owns(tags, "other", "Service", "ns/web")
    assert not lb.owns(tags, "prod", "Service", "ns/api")
    assert not lb.owns(tags, "prod", "Ingress", "ns/web")


def subnet(sid: str, zone: str, role: str | None = None) -> dict[str, Any]:
    tags = [{"Key": f"kubernetes.io/role/{role}", "Value": "1"}] if role else []
    return {"SubnetId": sid, "AvailabilityZone": zone, "Tags": tags}


SUBNETS = [
    subnet("subnet-4", "a", "elb"),
    subnet("subnet-1", "a", "elb"),
    subnet("subnet-2", "b", "elb"),
    subnet("subnet-3", "c", "internal-elb"),
    subnet("subnet-5", "b", "internal-elb"),
    subnet("subnet-6", "c"),
]


def test_subnets_by_role_one_per_zone_lowest_id_first() -> None:
    assert lb.choose_subnets(SUBNETS, "internet-facing") == ["subnet-1", "subnet-2"]
    assert lb.choose_subnets(SUBNETS, "internal") == ["subnet-3", "subnet-5"]


def test_subnets_fall_back_to_the_other_role_then_to_any() -> None:
    public_only = [s for s in SUBNETS if s["SubnetId"] in ("subnet-1", "subnet-2", "subnet-6")]
    assert lb.choose_subnets(public_only, "internal") == ["subnet-1", "subnet-2"]
    untagged = [subnet("subnet-9", "a"), subnet("subnet-8", "b")]
    assert lb.choose_subnets(untagged, "internet-facing") == ["subnet-8", "subnet-9"]
    assert lb.choose_subnets([], "internal") == []
    empty_value = [{"SubnetId": "s", "AvailabilityZone": "a", "Tags": [{"Key": lb.PUBLIC_ROLE}]}]
    assert lb.choose_subnets([*empty_value, subnet("t", "b")], "internet-facing") == ["s"]


def test_listeners_are_made_only_for_ports_without_one() -> None:
    ports = [
        {"port": 80, "protocol": "TCP", "nodePort": 30080},
        {"port": 53, "protocol": "udp"},
        {"port": 443},
        {"name": "no-port"},
    ]
    assert lb.missing_listeners(ports, {443}) == [
        Listener(80, "TCP", 30080),
        Listener(53, "UDP", 53),
    ]
    assert lb.missing_listeners(ports, {80, 53, 443}) == []


def obj(kind: str, **meta: Any) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": "web", "namespace": "ns", **meta}}


def test_a_service_wants_a_load_balancer_while_of_that_type_and_not_deleted() -> None:
    svc = {**obj("Service"), "spec": {"type": "LoadBalancer"}}
    assert lb.wants_lb(svc)
    assert not lb.wants_lb({**svc, "spec": {"type": "ClusterIP"}})
    assert not lb.wants_lb({**obj("Service", deletionTimestamp="t"), "spec": svc["spec"]})
    assert lb.service_scheme(svc) == "internal"
    scheme = {lb.SCHEME_SERVICE: "internet-facing"}
    assert lb.service_scheme(obj("Service", annotations=scheme)) == "internet-facing"


CLASSES = {"alb": lb.CONTROLLER, "nginx": "k8s.io/ingress-nginx", "auto": "eks.amazonaws.com/alb"}


@pytest.mark.parametrize(
    ("spec", "annotations", "alb"),
    [
        ({}, {}, False),
        ({"ingressClassName": "alb"}, {}, True),
        ({"ingressClassName": ""}, {}, False),
        ({"ingressClassName": "nginx"}, {}, False),
        ({"ingressClassName": "auto"}, {}, False),
        ({"ingressClassName": "missing"}, {}, False),
        ({}, {"kubernetes.io/ingress.class": "alb"}, True),
        ({}, {"kubernetes.io/ingress.class": "nginx"}, False),
    ],
)
def test_only_ingresses_of_an_ingress_class_naming_the_controller_are_its(
    spec: dict[str, str], annotations: dict[str, str], alb: bool
) -> None:
    assert lb.is_alb({**obj("Ingress", annotations=annotations), "spec": spec}, CLASSES) is alb


@pytest.mark.parametrize(
    ("spec", "annotations", "mine"),
    [
        ({"loadBalancerClass": "service.k8s.aws/nlb"}, {}, True),
        ({"loadBalancerClass": "eks.amazonaws.com/nlb"}, {}, False),
        ({}, {lb.TYPE_SERVICE: "external"}, True),
        ({}, {lb.TYPE_SERVICE: "nlb-ip"}, True),
        ({}, {lb.TYPE_SERVICE: "nlb"}, False),
        ({}, {}, False),
    ],
)
def test_only_services_of_its_class_or_type_annotation_are_the_controller_s(
    spec: dict[str, str], annotations: dict[str, str], mine: bool
) -> None:
    svc = {**obj("Service", annotations=annotations), "spec": {"type": "LoadBalancer", **spec}}
    assert lb.service_is_ours(svc, "service.k8s.aws/nlb") is mine


def test_an_ingress_plan_follows_its_annotations() -> None:
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    ing = {
        **obj(
            "Ingress",
            annotations={
                lb.ALB + "certificate-arn": cert,
                lb.ALB + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
                lb.ALB + "ssl-redirect": "443",
                lb.ALB + "ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                lb.ALB + "healthcheck-path": "/healthz",
                lb.ALB + "target-type": "ip",
            },
        ),
        "spec": {
            "rules": [
                {
                    "host": "www.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "backend": {"service": {"name": "web", "port": {"number": 8080}}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    plan = lb.ingress_plan(ing)
    assert plan.problem is None
    assert plan.listeners == (("HTTP", 80), ("HTTPS", 443))
    assert plan.certificate_arns == (cert,)
    assert plan.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert plan.redirect_to == 443
    assert plan.health_path == "/healthz" and plan.target_type == "ip"
    assert plan.backends == (lb.Backend("web", 8080, "www.example.com", "/"),)


def test_an_ingress_plan_defaults_and_refusals() -> None:
    plain = lb.ingress_plan({**obj("Ingress"), "spec": {}})
    assert plain.listeners == (("HTTP", 80),) and plain.problem is None
    assert plain.ssl_policy == lb.DEFAULT_SSL_POLICY and plain.health_path == "/"
    https = obj("Ingress", annotations={lb.ALB + "listen-ports": '[{"HTTPS": 443}]'})
    assert "no certificate found" in str(lb.ingress_plan({**https, "spec": {}}).problem)
    bad = obj("Ingress", annotations={lb.ALB + "listen-ports": "80"})
    assert "listen-ports" in str(lb.ingress_plan({**bad, "spec": {}}).problem)


def ingress(name: str, group: str | None = None, **meta: Any) -> dict[str, Any]:
    annotations = {lb.GROUP_INGRESS: group} if group else {}
    return {
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "ns", "annotations": annotations, **meta},
        "spec": {"ingressClassName": "alb"},
    }


def test_an_ingress_stack_is_its_group_or_itself() -> None:
    assert lb.ingress_stack(ingress("a")) == "ns/a"
    assert lb.ingress_stack(ingress("a", "shop")) == "shop"
    assert lb.ingress_scheme(ingress("a")) == "internal"


def test_a_group_s_load_balancer_stays_while_another_live_ingress_uses_it() -> None:
    a, b = ingress("a", "shop"), ingress("b", "shop")
    assert lb.stack_still_used(a, [a, b], CLASSES)
    assert not lb.stack_still_used(a, [a], CLASSES)
    assert not lb.stack_still_used(a, [a, ingress("b", "shop", deletionTimestamp="t")], CLASSES)
    assert not lb.stack_still_used(a, [a, ingress("c", "other")], CLASSES)
    nginx = {**ingress("d", "shop"), "spec": {"ingressClassName": "nginx"}}
    assert not lb.stack_still_used(a, [a, nginx], CLASSES)


def test_the_hostname_is_patched_only_when_it_changes() -> None:
    bare = obj("Service")
    assert lb.hostname_status(bare, "lb-1.elb") == {
        "status": {"loadBalancer": {"ingress": [{"hostname": "lb-1.elb"}]}}
    }
    assert lb.hostname_status(bare, None) is None
    served = {**bare, "status": {"loadBalancer": {"ingress": [{"hostname": "lb-1.elb"}]}}}
    assert lb.hostname_status(served, "lb-1.elb") is None
    assert lb.hostname_status(served, None) == {"status": {"loadBalancer": {"ingress": []}}}


def test_no_subnets_says_where_it_looked() -> None:
    message = lb.no_subnets_message(Where("prod", "us-east-2", None))
    assert "region us-east-2, cluster prod, vpc none tagged" in message
    assert "vpc vpc-1" in lb.no_subnets_message(Where("prod", "us-east-2", "vpc-1"))
