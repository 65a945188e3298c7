"""The local ElastiCache's engine-version order: "6.x" is the newest 6, not older than 6.0.5."""

import pytest

from weft.local.moto_data import _older


@pytest.mark.parametrize(
    ("version", "running", "older"),
    [
        ("7.0", "7.1", True),
        ("7.1", "7.1.0", False),
        ("7.1", "7.0", False),
        ("6.x", "6.0.5", False),
        ("6.x", "7.0", True),
        ("7.0", "6.0.5", False),
        ("6.2", "6.0.5", False),
    ],
)
def test_only_an_older_version_is_a_downgrade(version: str, running: str, older: bool) -> None:
    assert _older(version, running) is older
