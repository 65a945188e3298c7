"""``dns.zone_id``: the existing public hosted zone a fabric adopts."""

from __future__ import annotations

import pytest

from weft.errors import ConfigError
from weft.fabricfile import parse_fabric
from weft.model import desired_resources

BASE = "name: demo\nregion: us-east-2\nnetwork: {cidr: 10.0.0.0/16, layout: public}\n"


def test_the_zone_named_is_the_hosted_zone_s_to_adopt() -> None:
    fabric = parse_fabric(BASE + "dns: {domain: shop.example.com, zone_id: Z0123ABC}\n", "f.yaml")
    assert fabric.dns is not None and fabric.dns.zone_id == "Z0123ABC"
    zone = next(
        r
        for r in desired_resources(fabric, account_id="123456789012", zones=["us-east-2a"])
        if r.address == "hosted_zone.main"
    )
    assert zone.props["zone_id"] == "Z0123ABC"


def test_without_a_zone_id_the_zone_has_no_such_prop() -> None:
    fabric = parse_fabric(BASE + "dns: {domain: shop.example.com}\n", "f.yaml")
    zone = next(
        r
        for r in desired_resources(fabric, account_id="123456789012", zones=["us-east-2a"])
        if r.address == "hosted_zone.main"
    )
    assert "zone_id" not in zone.props  # existing fabrics plan no change


def test_a_zone_id_with_its_path_is_refused_with_the_bare_id() -> None:
    text = BASE + "dns:\n  domain: shop.example.com\n  zone_id: /hostedzone/Z0123ABC\n"
    with pytest.raises(ConfigError) as caught:
        parse_fabric(text, "f.yaml")
    assert str(caught.value) == (
        "f.yaml:6: dns.zone_id: '/hostedzone/Z0123ABC' is not a Route 53 hosted zone id; "
        "expected uppercase letters and digits like Z0123456789ABCDEFGHIJ "
        "(did you mean 'Z0123ABC'?)"
    )
