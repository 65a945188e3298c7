"""The `weft init` template loads back to the fabric it describes."""

from __future__ import annotations

import re

import pytest

from tests.integration.helpers import CLUSTER_VERSION
from weft.errors import ConfigError
from weft.fabricfile import (
    Fabric,
    Network,
    parse_fabric,
    render_fabric_file,
)


def test_template_round_trip() -> None:
    zones = ["us-east-2a", "us-east-2b", "us-east-2c"]
    text = render_fabric_file("demo", "us-east-2", zones)
    assert "# availability zones in us-east-2 (discovered from EC2): " + ", ".join(zones) in text
    fabric = parse_fabric(text, "fabric.yaml")
    expected = Fabric(
        name="demo",
        region="us-east-2",
        network=Network(cidr="10.0.0.0/16", zones=3, nat="single", layout="private"),
    )
    assert fabric.model_dump() == expected.model_dump()
    assert fabric.protect is False


def test_template_with_options() -> None:
    text = render_fabric_file(
        "edge-prod",
        "eu-west-1",
        ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        zone_count=2,
        nat="none",
        layout="public",
        cidr="172.16.0.0/20",
    )
    fabric = parse_fabric(text)
    assert fabric.protect is True
    assert fabric.network == Network(cidr="172.16.0.0/20", zones=2, nat="none", layout="public")


def test_zone_count_is_capped_at_the_discovered_zones() -> None:
    text = render_fabric_file("demo", "us-west-1", ["us-west-1a", "us-west-1c"])
    assert parse_fabric(text).zone_count() == 2


def test_every_key_is_commented() -> None:
    text = render_fabric_file("demo", "us-east-2", ["us-east-2a", "us-east-2b", "us-east-2c"])
    for words in ("none, single, per-zone", "public, private", "/16 to /24", "protect"):
        assert words in text


def test_invalid_arguments_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid name"):
        render_fabric_file("Bad_Name", "us-east-2", ["us-east-2a"])


def _uncommented(text: str) -> str:
    """The template with every commented-out example key turned on."""
    return "\n".join(re.sub(r"^# (?=\s*(?:[a-z_-]+:|- ))", "", line) for line in text.splitlines())


def test_optional_sections_are_commented_out_examples() -> None:
    text = render_fabric_file("demo", "us-east-2", ["us-east-2a", "us-east-2b", "us-east-2c"])
    sections = ("cluster", "nodegroups", "fargate", "databases", "caches", "buckets", "dns")
    for section in (*sections, "apps", "cronjobs"):
        assert f"\n# {section}:\n" in text
    assert "\n# environment: production\n" in text
    fabric = parse_fabric(text)
    assert fabric.cluster is None
    assert fabric.nodegroups == fabric.databases == fabric.buckets == []
    assert all(len(line) <= 100 for line in text.splitlines())


def test_without_eks_calendar_the_cluster_example_leaves_the_version_out() -> None:
    zones = ["us-east-2a", "us-east-2b", "us-east-2c"]
    text = render_fabric_file("demo", "us-east-2", zones, api_cidrs=["198.51.100.7/32"])
    assert "weft init could\n#   # not ask EKS for its versions" in text
    fabric = parse_fabric(_uncommented(text), "fabric.yaml")
    assert fabric.cluster is not None and fabric.cluster.version is None


def test_the_examples_load_when_turned_on() -> None:
    text = render_fabric_file(
        "demo",
        "us-east-2",
        ["us-east-2a", "us-east-2b", "us-east-2c"],
        api_cidrs=["198.51.100.7/32"],
        k8s_version=CLUSTER_VERSION,
    )
    fabric = parse_fabric(_uncommented(text), "fabric.yaml")
    assert fabric.cluster is not None
    assert fabric.cluster.api_cidrs == ["198.51.100.7/32"]
    assert fabric.cluster.version == CLUSTER_VERSION
    assert list(fabric.cluster.addons) == ["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"]
    assert [group.name for group in fabric.nodegroups] == ["general"]
    assert fabric.nodegroups[0].desired == 2
    assert [profile.name for profile in fabric.fargate] == ["system"]
    assert [database.db_name for database in fabric.databases] == ["main"]
    assert [cache.name for cache in fabric.caches] == ["sessions"]
    assert [bucket.name for bucket in fabric.buckets] == ["uploads"]
    assert fabric.dns is not None and fabric.dns.domain == "example.com"
    assert fabric.environment == "production"
    (web,) = fabric.apps
    assert (web.name, web.version, web.port, web.uses) == (
        "web",
        "1.0.0",
        8080,
        ["main", "sessions", "uploads"],
    )
    assert web.ingress is not None and web.ingress.host == "www.example.com"
    assert [job.schedule for job in fabric.cronjobs] == ["0 3 * * *"]


def test_without_the_callers_address_the_cluster_example_must_say_who_reaches_the_api() -> None:
    """Never open to the world by default: with no address found, the example's api_cidrs is
    empty, and turning the cluster on fails until the user lists the networks."""
    text = render_fabric_file("demo", "us-east-2", ["us-east-2a", "us-east-2b", "us-east-2c"])
    assert '0.0.0.0/0"]' not in text and "could not find the public address" in text
    with pytest.raises(ConfigError) as caught:
        parse_fabric(_uncommented(text), "fabric.yaml")
    assert any(
        "cluster.api_cidrs: an empty list is not allowed with endpoint both" in p
        for p in caught.value.problems
    )
