"""Kubernetes label keys and values, and namespaces: one grammar for every place that uses it."""

from __future__ import annotations

import pytest

from weft.errors import ConfigError
from weft.fabricfile import parse_fabric
from weft.fabricfile.image import version_problem
from weft.fabricfile.k8s_names import (
    MAX_LABEL_VALUE_LENGTH,
    check_namespace,
    is_label_value,
    label_key_problem,
    label_value_problem,
)

LONGEST = "a" * MAX_LABEL_VALUE_LENGTH
TOO_LONG = LONGEST + "a"


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("a", True),
        ("A.b_c-9", True),
        (LONGEST, True),
        (TOO_LONG, False),
        ("", False),
        ("-a", False),
        ("a.", False),
        ("a b", False),
    ],
)
def test_label_values(text: str, valid: bool) -> None:
    assert is_label_value(text) is valid
    assert (label_value_problem(text) is None) is (valid or text == "")


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("role", True),
        ("app.kubernetes.io/part-of", True),
        (f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 61}/x", True),  # a 253-character prefix
        (f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 62}/x", False),
        (f"example.com/{LONGEST}", True),
        (f"example.com/{TOO_LONG}", False),
        ("Example.com/x", False),
        ("/x", False),
        ("example.com/", False),
    ],
)
def test_label_keys(key: str, valid: bool) -> None:
    assert (label_key_problem(key) is None) is valid


@pytest.mark.parametrize(
    ("value", "valid"), [("default", True), ("a" * 63, True), ("a" * 64, False), ("Jobs", False)]
)
def test_namespaces(value: str, valid: bool) -> None:
    if valid:
        assert check_namespace(value) == value
    else:
        with pytest.raises(ValueError, match="is not a Kubernetes namespace"):
            check_namespace(value)


def test_the_environment_and_versions_are_label_values_of_the_same_length() -> None:
    base = "name: demo\nregion: us-east-2\nnetwork: {cidr: 10.0.0.0/16}\n"
    assert parse_fabric(base + f"environment: {LONGEST}\n").environment == LONGEST
    with pytest.raises(ConfigError, match=f"1 to {MAX_LABEL_VALUE_LENGTH} letters"):
        parse_fabric(base + f"environment: {TOO_LONG}\n")
    assert version_problem("1.0.0-" + "a" * (MAX_LABEL_VALUE_LENGTH - 6)) is None
    assert "at most 63" in str(version_problem("1.0.0-" + "a" * (MAX_LABEL_VALUE_LENGTH - 5)))
