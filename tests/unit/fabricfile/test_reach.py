"""Fabrics whose nodes could never join their cluster are refused at validate, with the fix."""

from __future__ import annotations

import pytest

from tests.integration.helpers import CLUSTER_VERSION
from weft.errors import ConfigError
from weft.fabricfile import parse_fabric

NODES = "nodegroups:\n  - {name: general, instance_types: [t3.medium], min: 0, max: 3}\n"
FARGATE = "fargate:\n  - {name: batch, selectors: [{namespace: batch}]}\n"


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
        "network.nat: single (or per-zone)"
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
