"""``cluster: {compute: auto}``: EKS Auto Mode in the fabric file."""

from __future__ import annotations

import pytest

from weft.errors import ConfigError
from weft.fabricfile import parse_fabric
from weft.fabricfile.cluster import ADDONS, AUTO_MODE_ADDONS, AUTO_MODE_MIN_MINOR

BASE = """\
name: demo
region: us-east-2
network:
  cidr: 10.0.0.0/16
cluster:
  compute: auto
  api_cidrs: [203.0.113.0/24]
"""


def test_node_groups_stay_the_default() -> None:
    text = BASE.replace("  compute: auto\n", "")
    fabric = parse_fabric(text, "fabric.yaml")
    assert fabric.cluster is not None
    assert fabric.cluster.compute == "nodegroups" and not fabric.cluster.auto_mode


def test_auto_mode_alone_gets_only_the_add_ons_it_does_not_run_itself() -> None:
    fabric = parse_fabric(BASE, "fabric.yaml")
    assert fabric.cluster is not None and fabric.cluster.auto_mode
    assert tuple(fabric.cluster.addons) == AUTO_MODE_ADDONS


def test_node_groups_next_to_auto_mode_keep_every_add_on() -> None:
    text = BASE + "nodegroups:\n  - {name: general, instance_types: [t3.medium], min: 1, max: 3}\n"
    fabric = parse_fabric(text, "fabric.yaml")
    assert fabric.cluster is not None and tuple(fabric.cluster.addons) == ADDONS


def test_listed_add_ons_are_kept() -> None:
    text = BASE + "  addons: {coredns: {}, metrics-server: {}}\n"
    fabric = parse_fabric(text, "fabric.yaml")
    assert fabric.cluster is not None and set(fabric.cluster.addons) == {
        "coredns",
        "metrics-server",
    }


def test_auto_mode_below_its_first_kubernetes_version_is_refused_with_file_line_field() -> None:
    old = f"1.{AUTO_MODE_MIN_MINOR - 1}"
    text = BASE + f'  version: "{old}"\n'
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    assert str(caught.value).startswith("fabric.yaml:8: cluster.version: EKS Auto Mode")
    assert f"1.{AUTO_MODE_MIN_MINOR} or newer" in str(caught.value)
    fine = BASE + f'  version: "1.{AUTO_MODE_MIN_MINOR}"\n'
    assert parse_fabric(fine, "fabric.yaml").cluster is not None


def test_a_fargate_only_auto_mode_fabric_needs_no_profile_for_coredns() -> None:
    text = BASE + "fargate:\n  - {name: apps, selectors: [{namespace: web}]}\n"
    fabric = parse_fabric(text, "fabric.yaml")
    assert fabric.cluster is not None and fabric.cluster.auto_mode


def test_auto_mode_nodes_need_a_way_out_of_private_subnets() -> None:
    text = BASE.replace("  cidr: 10.0.0.0/16\n", "  cidr: 10.0.0.0/16\n  nat: none\n")
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "fabric.yaml")
    assert "network.nat: 'none'" in str(caught.value)
    assert "EKS Auto Mode (cluster.compute)" in str(caught.value)
