from collections import Counter

import pytest

from weft.core.planner import desired_graph
from weft.core.resource import Ref
from weft.fabricfile import parse_fabric
from weft.model import desired_resources

from ...integration.helpers import CLUSTER_VERSION

ZONES = ["us-east-2a", "us-east-2b", "us-east-2c"]


CLUSTER = f'cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}\n'


def build(nat="single", layout="private", zones=3, tags="", extra=""):
    text = (
        f"name: demo\nregion: us-east-2\n{tags}"
        f"network:\n  cidr: 10.0.0.0/16\n  zones: {zones}\n  nat: {nat}\n  layout: {layout}\n"
        f"{extra}"
    )
    fabric = parse_fabric(text)
    return {
        r.address: r
        for r in desired_resources(fabric, account_id="123456789012", zones=ZONES[:zones])
    }


def kinds(resources):
    return Counter(r.kind for r in resources.values())


@pytest.mark.parametrize(
    ("nat", "layout", "expected"),
    [
        ("single", "private", {"subnet": 6, "nat_gateway": 1, "eip": 1, "route_table": 4}),
        ("per-zone", "private", {"subnet": 6, "nat_gateway": 3, "eip": 3, "route_table": 4}),
        ("none", "private", {"subnet": 6, "nat_gateway": 0, "eip": 0, "route_table": 4}),
        ("none", "public", {"subnet": 3, "nat_gateway": 0, "eip": 0, "route_table": 1}),
    ],
)
def test_resource_counts_per_layout(nat, layout, expected):
    res = build(nat, layout)
    counted = kinds(res)
    for kind, n in expected.items():
        assert counted.get(kind, 0) == n, kind
    assert counted["vpc"] == counted["internet_gateway"] == counted["kms_key"] == 1
    # a network-only fabric: no cluster, node, load balancer or data security group
    assert counted["security_group"] == 0 and counted["security_group_rule"] == 0
    desired_graph(res.values())  # every ref resolves, no cycle


def security_groups(resources):
    return sorted(a for a, r in resources.items() if r.kind.startswith("security_group"))


def test_a_network_only_fabric_gets_no_security_groups_until_it_has_a_cluster():
    assert security_groups(build()) == []
    with_cluster = build(extra=CLUSTER)
    counted = kinds(with_cluster)
    assert counted["security_group"] == 4 and counted["security_group_rule"] >= 9
    assert {"security_group.cluster", "security_group.nodes", "security_group.lb"} <= set(
        security_groups(with_cluster)
    )
    desired_graph(with_cluster.values())


def test_a_database_without_a_cluster_gets_only_the_data_group():
    res = build(
        layout="private",
        extra='databases: [{name: main, engine_version: "16.3", instance_class: db.t4g.medium}]\n',
    )
    found = security_groups(res)
    assert found == ["security_group.data"], found
    desired_graph(res.values())


def test_every_resource_is_tagged_with_fabric_and_address():
    for address, res in build(tags="tags:\n  team: web\n").items():
        if res.kind == "dashboard":  # CloudWatch dashboards cannot be tagged
            continue
        tags = res.props["tags"]
        assert tags["weft:fabric"] == "demo"
        assert tags["weft:id"] == address
        assert tags["team"] == "web"
        assert tags["Name"].startswith("demo")


def test_private_routes_follow_the_nat_mode():
    single = build("single")
    assert single["route_table.private-c"].props["routes"][0]["nat_gateway_id"] == Ref(
        "nat_gateway.a"
    )
    per_zone = build("per-zone")
    assert per_zone["route_table.private-c"].props["routes"][0]["nat_gateway_id"] == Ref(
        "nat_gateway.c"
    )
    assert build("none")["route_table.private-a"].props["routes"] == ()


def test_subnets_carry_load_balancer_role_tags():
    res = build()
    assert res["subnet.public-a"].props["tags"]["kubernetes.io/role/elb"] == "1"
    assert res["subnet.private-a"].props["tags"]["kubernetes.io/role/internal-elb"] == "1"
    assert res["subnet.public-a"].props["map_public_ip"] is True
    assert res["subnet.private-a"].props["map_public_ip"] is False
    assert res["subnet.private-a"].props["cidr"] == "10.0.0.0/19"


def test_data_is_reachable_only_from_nodes():
    res = build(extra=CLUSTER)
    data_rules = [
        r
        for r in res.values()
        if r.kind == "security_group_rule" and r.props["group_id"] == Ref("security_group.data")
    ]
    assert {r.props["from_port"] for r in data_rules} == {5432, 6379}
    assert all(
        r.props["source_group_id"] == Ref("security_group.nodes") and r.props["cidr"] is None
        for r in data_rules
    )


def test_nat_gateway_waits_for_the_internet_gateway():
    assert "internet_gateway.main" in build()["nat_gateway.a"].dependencies()


def test_bucket_name_is_unique_per_account_and_region():
    assert build()["fabric_bucket.fabric"].props["bucket"] == "weft-demo-123456789012-us-east-2"
