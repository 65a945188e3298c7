"""The zones a fabric uses, chosen from what the account is offered."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from weft.errors import ConfigError
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
