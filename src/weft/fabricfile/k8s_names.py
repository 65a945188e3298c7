"""Kubernetes names a fabric file holds: label keys and values, and namespaces.

A label value is empty, or 1 to :data:`MAX_LABEL_VALUE_LENGTH` letters, digits, ``-``, ``_`` or
``.``, starting and ending with a letter or digit (:data:`LABEL_VALUE_RE`). The fabric's
``environment`` is one, and so is an app's version (with ``+`` written as ``_``). A label key is
an optional prefix (a DNS subdomain and ``/``) and a name with the grammar of a non-empty label
value; node group labels and taints, and Fargate selectors, use them. A namespace is a DNS label
(:data:`weft.fabricfile.dns.DOMAIN_LABEL_RE`).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from weft.fabricfile.checks import Path, describe, none_as_empty, problem
from weft.fabricfile.dns import DOMAIN_LABEL_RE, MAX_DOMAIN_LABEL_LENGTH, MAX_DOMAIN_LENGTH

__all__ = [
    "LABEL_VALUE_RE",
    "MAX_LABEL_VALUE_LENGTH",
    "Labels",
    "check_namespace",
    "is_label_value",
    "label_key_problem",
    "label_value_problem",
]

MAX_LABEL_VALUE_LENGTH = 63
LABEL_VALUE_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?")

_SUBDOMAIN_RE = re.compile(rf"{DOMAIN_LABEL_RE.pattern}(?:\.{DOMAIN_LABEL_RE.pattern})*")


def is_label_value(text: str) -> bool:
    """Whether ``text`` is a non-empty Kubernetes label value."""
    return len(text) <= MAX_LABEL_VALUE_LENGTH and LABEL_VALUE_RE.fullmatch(text) is not None


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a Kubernetes label key, or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and (
        not prefix or len(prefix) > MAX_DOMAIN_LENGTH or not _SUBDOMAIN_RE.fullmatch(prefix)
    ):
        return (
            f"{describe(key)} has an invalid prefix {describe(prefix)}; a prefix is a lowercase "
            f"DNS subdomain (like example.com) of at most {MAX_DOMAIN_LENGTH} characters, "
            "followed by '/'"
        )
    if not is_label_value(name):
        return (
            f"{describe(key)} is not a Kubernetes label key; expected an optional prefix "
            f"(a DNS subdomain and '/') and a name of 1 to {MAX_LABEL_VALUE_LENGTH} letters, "
            "digits, '-', '_' or '.', starting and ending with a letter or digit"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a Kubernetes label value (which may be empty), or None."""
    if value and not is_label_value(value):
        return (
            f"{describe(value)} is not a Kubernetes label value; expected at most "
            f"{MAX_LABEL_VALUE_LENGTH} letters, digits, '-', '_' or '.', starting and ending with "
            "a letter or digit (or empty)"
        )
    return None


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    found: list[tuple[Path, str]] = []
    for key, value in labels.items():
        message = label_key_problem(key) or label_value_problem(value)
        if message is not None:
            found.append(((key,), message))
    if found:
        raise problem(*found)
    return labels


#: Kubernetes labels (a key written with nothing after it is no labels).
Labels = Annotated[
    dict[str, str], BeforeValidator(none_as_empty(dict)), AfterValidator(_check_labels)
]


def check_namespace(value: str) -> str:
    """An after-validator for a Kubernetes namespace."""
    if len(value) > MAX_DOMAIN_LABEL_LENGTH or not DOMAIN_LABEL_RE.fullmatch(value):
        raise problem(
            (
                (),
                f"{describe(value) if value else 'an empty name'} is not a Kubernetes namespace; "
                "expected lowercase letters, digits and hyphens, starting and ending with a "
                f"letter or digit, 1 to {MAX_DOMAIN_LABEL_LENGTH} characters",
            )
        )
    return value
