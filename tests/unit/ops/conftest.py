"""Targets for the pure parts of ops: a fabric file and an AWS session that never sends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from weft.aws.session import AwsSession
from weft.fabricfile import parse_fabric
from weft.ops.target import Target

FABRIC = """\
name: {name}
region: us-east-2
protect: {protect}
network:
  cidr: 10.0.0.0/16
  zones: 2
"""


def make_target(name: str = "demo", *, protect: bool = False, extra: str = "") -> Target:
    text = FABRIC.format(name=name, protect=str(protect).lower()) + extra
    fabric = parse_fabric(text, source="fabric.yaml")
    return Target(
        fabric,
        AwsSession("us-east-2"),
        "123456789012",
        "arn:aws:iam::123456789012:user/me",
        ("us-east-2a", "us-east-2b"),
    )


@pytest.fixture
def target_of() -> Callable[..., Target]:
    return make_target
