"""Fabrics whose nodes could never join their cluster are refused at validate, with the fix."""

from __future__ import annotations

import pytest

from tests.integration.helpers import CLUSTER_VERSION
from weft.errors import ConfigError
from weft.fabricfile import parse_fabric
from weft.model import desired_resources

ZONES = ["us-east-2a", "us-east-2b", "us-east-2c"]

NODES = "nodegroups:\n  - {name: general, instance_types: [t3.medium], min: 0, max: 3}\n"
FARGATE = "fargate:\n  - {name: batch, selectors: [{namespace: batch}, {namespace: kube-system}]}\n"


def fabric(network: str, cluster: str, compute: str = NODES) -> str:
    cluster = cluster.replace("{", f'{{version: "{CLUSTER_VERSION}", ', 1)
    return f"name: demo\nregion: us-east-2\nnetwork: {network}\ncluster: {cluster}\n{compute}"


def test_private_subnets_without_nat_refuse_node_groups() -> None:
    text = fabric("{cidr: 10.0.0.0/16, nat: none}", "{api_cidrs: [198.51.100.7/32]}")
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    assert str(caught.value) == (
        "fabric.yaml:3: network.nat: 'none' leaves the private subnets without a way out, and "
        "this fabric has node groups (nodegroups): their nodes could never pull images from ECR "
        "or reach STS, EC2 and the EKS API, so they would never join the cluster; use "
        "network.nat: single (or per-zone), or network.endpoints: true (VPC endpoints for them)"
    )


def test_nodes_outside_a_restricted_public_endpoint_are_refused() -> None:
    text = fabric("{cidr: 10.0.0.0/16}", "{endpoint: public, api_cidrs: [198.51.100.7/32]}")
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    assert str(caught.value) == (
        "fabric.yaml:4: cluster.endpoint: 'public' makes the nodes of the node groups "
        "(nodegroups) reach the Kubernetes API from the NAT gateways' public addresses, which "
        "cluster.api_cidrs does not admit: they could never join the cluster; use "
        "cluster.endpoint: both (the nodes then reach the API inside the VPC, and the public "
        "endpoint stays limited to api_cidrs)"
    )


@pytest.mark.parametrize(
    ("network", "cluster", "compute"),
    [
        ("{cidr: 10.0.0.0/16}", "{api_cidrs: [198.51.100.7/32]}", NODES),
        ("{cidr: 10.0.0.0/16, nat: none}", "{api_cidrs: [198.51.100.7/32]}", ""),
        ("{cidr: 10.0.0.0/16}", "{endpoint: public, api_cidrs: [0.0.0.0/0]}", NODES),
        ("{cidr: 10.0.0.0/16}", "{endpoint: private}", NODES),
        ("{cidr: 10.0.0.0/16, nat: per-zone}", "{endpoint: both, api_cidrs: [10.1.0.0/16]}", NODES),
        ("{cidr: 10.0.0.0/16, nat: none, endpoints: true}", "{endpoint: private}", NODES),
        ("{cidr: 10.0.0.0/16, nat: none, endpoints: true}", "{api_cidrs: [10.1.0.0/16]}", FARGATE),
    ],
)
def test_fabrics_whose_nodes_can_join_are_accepted(
    network: str, cluster: str, compute: str
) -> None:
    parse_fabric(fabric(network, cluster, compute), "fabric.yaml")


def test_private_subnets_without_nat_refuse_fargate_too() -> None:
    text = fabric("{cidr: 10.0.0.0/16, nat: none}", "{api_cidrs: [198.51.100.7/32]}", FARGATE)
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    assert "fabric.yaml:3: network.nat: 'none' leaves the private subnets" in str(caught.value)
    assert "Fargate profiles (fargate)" in str(caught.value)
    assert "use network.nat: single (or per-zone)" in str(caught.value)


def test_a_public_layout_s_nodes_outside_a_restricted_public_endpoint() -> None:
    text = fabric(
        "{cidr: 10.0.0.0/16, layout: public}", "{endpoint: public, api_cidrs: [198.51.100.7/32]}"
    )
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    message = str(caught.value)
    assert "fabric.yaml:4: cluster.endpoint: 'public' makes the nodes" in message
    assert "from their own public addresses" in message
    assert "use cluster.endpoint: both" in message


def test_nodes_without_nat_cannot_use_only_the_public_endpoint() -> None:
    text = fabric(
        "{cidr: 10.0.0.0/16, nat: none, endpoints: true}",
        "{endpoint: public, api_cidrs: [0.0.0.0/0]}",
    )
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    message = str(caught.value)
    assert "fabric.yaml:4: cluster.endpoint: 'public' leaves the nodes" in message
    assert "private subnets without NAT; use cluster.endpoint: both" in message


def test_endpoints_need_private_subnets() -> None:
    network = "network: {cidr: 10.0.0.0/16, layout: public, endpoints: true}\n"
    text = "name: demo\nregion: us-east-2\n" + network
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    assert "fabric.yaml:3: network.endpoints: VPC endpoints serve private subnets" in str(
        caught.value
    )


def test_endpoints_in_the_model() -> None:
    text = fabric(
        "{cidr: 10.0.0.0/16, nat: none, endpoints: true}",
        "{endpoint: both, api_cidrs: [10.1.0.0/16]}",
    )
    model = {
        r.address: r
        for r in desired_resources(
            parse_fabric(text, "fabric.yaml"), account_id="123456789012", zones=ZONES
        )
    }
    interface = sorted(a for a in model if a.startswith("interface_endpoint."))
    assert interface == [
        "interface_endpoint.ec2",
        "interface_endpoint.ecr-api",
        "interface_endpoint.ecr-dkr",
        "interface_endpoint.logs",
        "interface_endpoint.sts",
    ]
    sts = model["interface_endpoint.sts"].props
    assert sts["service"] == "com.amazonaws.us-east-2.sts" and sts["private_dns"] is True
    assert {r.address for r in sts["subnet_ids"]} == {
        "subnet.private-a",
        "subnet.private-b",
        "subnet.private-c",
    }
    assert [r.address for r in sts["security_group_ids"]] == ["security_group.endpoints"]
    https = model["security_group_rule.endpoints-https"].props
    assert (https["from_port"], https["to_port"], https["cidr"]) == (443, 443, "10.0.0.0/16")
    s3 = model["gateway_endpoint.s3"].props
    assert s3["service"] == "com.amazonaws.us-east-2.s3"
    assert {r.address for r in s3["route_table_ids"]} == {
        "route_table.private-a",
        "route_table.private-b",
        "route_table.private-c",
    }
    assert not any(a.startswith(("nat_gateway.", "eip.")) for a in model)
