"""The zones a fabric uses, chosen from what the account is offered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from weft.errors import ConfigError
from weft.fabricfile import Fabric, load_fabric
from weft.ops.target import Target, choose_zones

OFFERED = ["us-east-2a", "us-east-2b", "us-east-2c"]


def test_a_count_takes_the_first_zones(target_of: Callable[..., Target]) -> None:
    assert choose_zones(target_of().fabric, OFFERED) == ["us-east-2a", "us-east-2b"]
    with pytest.raises(ConfigError, match="2 zones asked for, but us-east-2 offers this account 1"):
        choose_zones(target_of().fabric, ["us-east-2a"])


def test_named_zones_must_be_offered(target_of: Callable[..., Target]) -> None:
    fabric = target_of().fabric
    named = fabric.model_copy(
        update={
            "network": fabric.network.model_copy(update={"zones": ["us-east-2c", "us-east-2a"]})
        }
    )
    assert choose_zones(named, OFFERED) == ["us-east-2c", "us-east-2a"]
    with pytest.raises(ConfigError, match="us-east-2c not available to this account"):
        choose_zones(named, OFFERED[:2])


def test_the_banner_names_what_a_command_acts_on(target_of: Callable[..., Target]) -> None:
    assert target_of("shop").banner() == {
        "fabric": "shop",
        "account": "123456789012",
        "region": "us-east-2",
        "endpoint": "AWS",
        "file": "fabric.yaml",
    }
    assert target_of().requests()["total"] == 0


# In this account us-east-1c is the physical zone use1-az3, where EKS places no control plane.
VIRGINIA = {
    "us-east-1a": "use1-az6",
    "us-east-1b": "use1-az1",
    "us-east-1c": "use1-az3",
    "us-east-1d": "use1-az4",
}
VIRGINIA_FABRIC = """\
name: shop
region: us-east-1
network:
  cidr: 10.0.0.0/16
  layout: private
  zones: {zones}
"""
CLUSTER = 'cluster:\n  api_cidrs: ["203.0.113.0/24"]\n'


def virginia(tmp_path: Path, zones: str, cluster: bool = True) -> Fabric:
    file = tmp_path / "fabric.yaml"
    file.write_text(VIRGINIA_FABRIC.format(zones=zones) + (CLUSTER if cluster else ""))
    return load_fabric(file)


def test_a_count_skips_the_zone_ids_eks_does_not_support(tmp_path: Path) -> None:
    offered = list(VIRGINIA)
    assert choose_zones(virginia(tmp_path, "3"), offered, VIRGINIA) == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1d",
    ]
    # no cluster: every zone serves
    plain = virginia(tmp_path, "3", cluster=False)
    assert choose_zones(plain, offered, VIRGINIA) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    with pytest.raises(ConfigError) as refused:
        choose_zones(virginia(tmp_path, "4"), offered, VIRGINIA)
    message = str(refused.value)
    assert "4 zones asked for, but us-east-1 offers this account 3" in message
    assert "us-east-1c (use1-az3) is skipped: EKS places no cluster control plane there" in message


def test_a_zone_list_naming_an_unsupported_zone_id_is_refused_with_file_line_and_id(
    tmp_path: Path,
) -> None:
    fabric = virginia(tmp_path, "\n    - us-east-1a\n    - us-east-1c")
    with pytest.raises(ConfigError) as refused:
        choose_zones(fabric, list(VIRGINIA), VIRGINIA)
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'fabric.yaml'}:8: network.zones[1]: us-east-1c ")
    assert "us-east-1c is zone id use1-az3 in this account" in message
    assert "Choose other zones (us-east-1a, us-east-1b, us-east-1d)" in message
    # another account may call another physical zone us-east-1c: its id decides
    elsewhere = {**VIRGINIA, "us-east-1c": "use1-az2", "us-east-1d": "use1-az3"}
    assert choose_zones(fabric, list(elsewhere), elsewhere) == ["us-east-1a", "us-east-1c"]
