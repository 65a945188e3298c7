"""What weft reads off Kubernetes objects, and how the apps' records are decided."""

from __future__ import annotations

from typing import Any

from weft.aws.session import AwsSession
from weft.core.resource import Observed
from weft.fabricfile import parse_fabric
from weft.kube.manifests import NAME_LABEL, VERSION_ANNOTATION, VERSION_LABEL
from weft.ops.apps.connection import Connection
from weft.ops.apps.objects import app_of, image_of, version_of
from weft.ops.apps.records import hosts, record_differs, record_props
from weft.ops.target import Target

APPS = """\
name: shop
region: us-east-2
network: {cidr: 10.0.0.0/16, zones: 2}
cluster: {api_cidrs: [203.0.113.0/24]}
dns: {domain: shop.example.com}
apps:
  - {name: web, image: r.example.com/web, version: "1.0.0", port: 80,
     ingress: {host: www.shop.example.com}}
  - {name: api, image: r.example.com/api, version: "1.0.0", port: 80, load_balancer: true}
  - {name: worker, image: r.example.com/worker, version: "1.0.0"}
"""


def deployment(**meta: Any) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "web-abc", **meta},
        "spec": {
            "template": {
                "metadata": {"annotations": {VERSION_ANNOTATION: "1.2.3"}},
                "spec": {"containers": [{"image": "r.example.com/web:1.2.3"}, {"image": "x"}]},
            }
        },
    }


def test_the_app_is_the_name_label_else_the_object_s_name() -> None:
    assert app_of(deployment(labels={NAME_LABEL: "web"})) == "web"
    assert app_of(deployment()) == "web-abc"


def test_the_version_comes_from_the_pod_template_then_the_object() -> None:
    assert version_of(deployment()) == "1.2.3"
    cronjob = {
        "kind": "CronJob",
        "metadata": {"labels": {VERSION_LABEL: "2.0.0"}},
        "spec": {"jobTemplate": {"spec": {"template": {"metadata": {}}}}},
    }
    assert version_of(cronjob) == "2.0.0"
    assert version_of({"kind": "Service", "metadata": {"name": "x"}}) == "?"


def test_the_image_is_the_first_container_s() -> None:
    assert image_of(deployment()) == "r.example.com/web:1.2.3"
    assert image_of({"spec": {}}) == "?"


def test_apps_with_an_ingress_or_a_load_balancer_get_a_record() -> None:
    fabric = parse_fabric(APPS, source="fabric.yaml")
    target = Target(fabric, AwsSession("us-east-2"), "123456789012", "arn", ("us-east-2a",))
    conn = Connection(target)  # reads nothing until asked
    assert hosts(conn) == {
        "web": ("www.shop.example.com", "Ingress", "web"),
        "api": ("api.shop.example.com", "Service", "api"),
    }
    assert hosts(conn, ["api", "worker"]) == {"api": ("api.shop.example.com", "Service", "api")}
    assert target.requests()["total"] == 0


def test_a_record_is_an_alias_and_is_changed_only_when_it_differs() -> None:
    props = record_props("Z1", "www.shop.example.com", "lb-1.elb.example", "ZLB")
    assert props == {
        "zone_id": "Z1",
        "name": "www.shop.example.com.",
        "type": "A",
        "ttl": None,
        "values": [],
        "alias": {"dns_name": "lb-1.elb.example", "zone_id": "ZLB"},
    }
    assert record_props("Z1", "a.example.", "lb", "Z")["name"] == "a.example."
    current = Observed("app_record", "web", "rec-1", props)
    assert not record_differs(current, props)
    moved = record_props("Z1", "www.shop.example.com", "lb-2.elb.example", "ZLB")
    assert record_differs(current, moved)
