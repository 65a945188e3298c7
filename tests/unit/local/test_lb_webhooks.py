"""The controller's webhook handlers as the local cloud serves them (the logic; the API server
calling them is in tests/integration/test_lb_webhooks.py)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from weft.local.kube import lb_webhook_rules as rules
from weft.local.kube import lb_webhooks as wh
from weft.local.kube.lb_webhook_rules import Denied, IngressSettings

ALB = {"metadata": {"name": "alb"}, "spec": {"controller": "ingress.k8s.aws/alb"}}
NGINX = {"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}


def ing(
    annotations: dict[str, str] | None = None, cls: str | None = "alb", service: str = "web"
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "rules": [
            {
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": service, "port": {"number": 80}}},
                        }
                    ]
                }
            }
        ]
    }
    if cls is not None:
        spec["ingressClassName"] = cls
    return {
        "metadata": {"name": "shop", "namespace": "apps", "annotations": annotations or {}},
        "spec": spec,
    }


def check(
    obj: dict[str, Any],
    old: dict[str, Any] | None = None,
    classes: list[dict[str, Any]] | None = None,
    settings: IngressSettings | None = None,
) -> str | None:
    try:
        rules.validate_ingress(
            obj,
            old,
            lambda: classes if classes is not None else [ALB],
            settings or IngressSettings(),
        )
    except Denied as e:
        return str(e)
    return None


def test_the_controllers_own_ingress_passes_and_others_are_not_its_business() -> None:
    assert check(ing()) is None
    bad = {"alb.ingress.kubernetes.io/conditions.web": "not json"}
    assert check(ing(bad, cls="nginx"), classes=[ALB, NGINX]) is None
    assert check(ing(bad, cls=None)) is None  # no class, no default: not the controller's
    assert check({**ing(bad, cls=None), "metadata": {"annotations": {
        **bad, "kubernetes.io/ingress.class": "nginx"}}}) is None  # fmt: skip


def test_an_unknown_class_or_two_defaults_are_refused() -> None:
    assert check(ing(cls="gone")) == (
        'invalid ingress class: ingressclasses.networking.k8s.io "gone" not found'
    )
    default = {"ingressclass.kubernetes.io/is-default-class": "true"}
    two = [{**ALB, "metadata": {"name": "a", "annotations": default}},
           {**ALB, "metadata": {"name": "b", "annotations": default}}]  # fmt: skip
    assert check(ing(cls=None), classes=two) == "multiple default IngressClasses found"
    # the default class is the controller's: its Ingresses are checked
    one = [{**ALB, "metadata": {"name": "a", "annotations": default}}]
    bad = {"alb.ingress.kubernetes.io/conditions.web": "[1]"}
    assert check(ing(bad, cls=None), classes=one) is not None


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([{"field": "host-header"}], "missing hostHeaderConfig"),
        (
            [{"field": "path-pattern", "pathPatternConfig": {}}],
            "invalid pathPatternConfig: values or regexValues must be specified",
        ),
        (
            [{"field": "http-header", "httpHeaderConfig": {"values": ["a"], "regexValues": ["b"]}}],
            "invalid httpHeaderConfig: precisely one of values and regexValues can be specified",
        ),
        (
            [{"field": "http-request-method", "httpRequestMethodConfig": {"values": []}}],
            "invalid httpRequestMethodConfig: values cannot be empty",
        ),
        (
            [{"field": "query-string", "queryStringConfig": {"values": [{"key": "a"}]}}],
            "invalid queryStringConfig: value cannot be empty",
        ),
        ([{"field": "source-ip", "sourceIPConfig": {"values": []}}], None),
    ],
)
def test_invalid_conditions_are_refused_with_the_controllers_message(
    conditions: list[dict[str, Any]], message: str | None
) -> None:
    key = "alb.ingress.kubernetes.io/conditions.web"
    got = check(ing({key: json.dumps(conditions)}))
    if message is None:
        assert got == (
            f"ignoring Ingress apps/shop since invalid {key} annotation: "
            "invalid sourceIPConfig: values cannot be empty"
        )
    else:
        assert got == f"ignoring Ingress apps/shop since invalid {key} annotation: {message}"


def test_valid_and_unparsable_conditions() -> None:
    key = "alb.ingress.kubernetes.io/conditions.web"
    ok = [{"field": "host-header", "hostHeaderConfig": {"values": ["shop.example.com"]}}]
    assert check(ing({key: json.dumps(ok)})) is None
    assert (check(ing({key: "{oops"})) or "").startswith(
        f"failed to parse json annotation, {key}: {{oops: "
    )
    # a condition on another backend's Service is not this path's
    assert check(ing({"alb.ingress.kubernetes.io/conditions.other": "[1]"})) is None


def test_new_uses_of_disabled_annotations_are_refused() -> None:
    settings = IngressSettings("alb", disable_class_annotation=True, disable_group_annotation=True)
    cls = {"kubernetes.io/ingress.class": "alb"}
    assert check(ing(cls, cls=None), settings=settings) == (
        "new usage of `kubernetes.io/ingress.class` annotation is forbidden"
    )
    assert check(ing(cls, cls=None), old=ing(cls, cls=None), settings=settings) is None
    group = {"alb.ingress.kubernetes.io/group.name": "shared"}
    assert check(ing(group), settings=settings) == (
        "new usage of `alb.ingress.kubernetes.io/group.name` annotation is forbidden"
    )
    assert check(ing(group), old=ing(group), settings=settings) is None
    moved = {"alb.ingress.kubernetes.io/group.name": "other"}
    assert check(ing(moved), old=ing(group), settings=settings) is not None
    assert check(ing(group)) is None  # allowed unless the controller is told otherwise


def icp_error(spec: dict[str, Any]) -> str | None:
    try:
        rules.validate_ingress_class_params({"spec": spec})
    except Denied as e:
        return str(e)
    return None


def test_ingress_class_params_cidrs_and_subnets() -> None:
    assert icp_error({"inboundCIDRs": ["10.0.0.0/8", "2001:db8::/32"]}) is None
    assert icp_error({"inboundCIDRs": ["10.0.0.1"]}) == (
        'spec.inboundCIDRs[0]: Invalid value: "10.0.0.1": Could not be parsed as a CIDR '
        '(did you mean "10.0.0.1/32")'
    )
    assert icp_error({"inboundCIDRs": ["10.0.0.1/8"]}) == (
        'spec.inboundCIDRs[0]: Invalid value: "10.0.0.1/8": Network contains bits outside '
        'prefix (did you mean "10.0.0.0/8")'
    )
    assert icp_error({"subnets": {}}) == (
        "spec.subnets: Required value: must have either `ids` or `tags`"
    )
    assert icp_error({"subnets": {"ids": ["a"], "tags": {"k": ["v"]}}}) == (
        "spec.subnets.tags: Forbidden: may not have both `ids` and `tags` set"
    )
    assert icp_error({"subnets": {"ids": ["a", "a"]}, "inboundCIDRs": ["x"]}) == (
        '[spec.inboundCIDRs[0]: Invalid value: "x": Could not be parsed as a CIDR, '
        'spec.subnets.ids[1]: Duplicate value: "a"]'
    )


def test_pods_selected_by_an_ip_binding_get_its_readiness_gate() -> None:
    pod = {"metadata": {"labels": {"app": "web"}}, "spec": {"readinessGates": [
        {"conditionType": "target-health.alb.ingress.k8s.aws/legacy"},
        {"conditionType": "example.com/mine"}]}}  # fmt: skip
    services = {"web": {"spec": {"selector": {"app": "web"}}}, "db": {"spec": {}}}

    def tgb(name: str, svc: str, target: str = "ip") -> dict[str, Any]:
        return {
            "metadata": {"name": name},
            "spec": {"serviceRef": {"name": svc}, "targetType": target},
        }

    gates = rules.readiness_gates(
        pod, [tgb("web-tg", "web"), tgb("inst", "web", "instance"), tgb("db", "db")], services
    )
    assert gates == [
        {"conditionType": "example.com/mine"},
        {"conditionType": "target-health.elbv2.k8s.aws/web-tg"},
    ]
    assert rules.readiness_gates(pod, [tgb("db", "db")], services) is None


def test_handlers_answer_admission_reviews() -> None:
    handlers = wh.Handlers(client=None)  # type: ignore[arg-type]
    review = {"request": {"uid": "u1", "operation": "CREATE", "object": {"spec": {
        "inboundCIDRs": ["1.2.3.4"]}}}}  # fmt: skip
    answer = handlers.handle("/validate-elbv2-k8s-aws-v1beta1-ingressclassparams", review)
    assert answer["response"]["uid"] == "u1" and answer["response"]["allowed"] is False
    assert answer["response"]["status"]["code"] == 403
    tgb = handlers.handle("/validate-elbv2-k8s-aws-v1beta1-targetgroupbinding", review)
    assert tgb["response"]["allowed"] is False
    unknown = handlers.handle("/nowhere?timeout=10s", review)
    assert unknown["response"]["status"]["message"] == "no webhook is registered at /nowhere"
    patched = wh.review_response("u2", patch=[{"op": "add", "path": "/x", "value": 1}])
    assert patched["response"]["patchType"] == "JSONPatch"
    assert json.loads(base64.b64decode(patched["response"]["patch"])) == [
        {"op": "add", "path": "/x", "value": 1}
    ]


def test_the_listeners_are_the_services_that_route_to_the_webhook_port() -> None:
    labels = {"app.kubernetes.io/name": "aws-load-balancer-controller", "x": "y"}

    def svc(ip: str, selector: dict[str, str], target: Any) -> dict[str, Any]:
        return {
            "spec": {
                "clusterIP": ip,
                "selector": selector,
                "ports": [{"port": 443, "targetPort": target}],
            }
        }

    services = [
        svc("127.100.0.10", {"app.kubernetes.io/name": "aws-load-balancer-controller"}, 9443),
        svc("127.100.0.11", {"x": "y"}, "webhook-server"),
        svc("127.100.0.12", {"x": "z"}, 9443),  # selects other pods
        svc("127.100.0.13", {"x": "y"}, 8080),  # another port
        svc("None", {"x": "y"}, 9443),  # headless
        svc("127.100.0.14", {}, 9443),  # no selector: no endpoints from the controller's pods
    ]
    assert wh.service_listeners(services, labels, 9443, {"webhook-server"}) == {
        ("127.100.0.10", 443),
        ("127.100.0.11", 443),
    }
