"""Kubernetes versions of the EKS cluster: which ones weft creates, and which steps EKS allows.

A version is text ``"1.NN"`` (:func:`k8s_minor` reads it), one of :data:`SUPPORTED_K8S_VERSIONS`
in the file (:func:`check_k8s_version`). Whether a running cluster can move from the version it
runs to the one in the file is :func:`check_version_step`, called at plan time.
"""

from __future__ import annotations

import re
from typing import Any

from weft.fabricfile.checks import describe, did_you_mean, problem, quote_hint

__all__ = [
    "SUPPORTED_K8S_VERSIONS",
    "check_k8s_version",
    "check_version_step",
    "k8s_minor",
]

#: The Kubernetes versions weft creates EKS clusters with, oldest first.
SUPPORTED_K8S_VERSIONS = ("1.28", "1.29", "1.30", "1.31", "1.32", "1.33")

_K8S_VERSION_RE = re.compile(r"1\.([0-9]{1,2})")


def k8s_minor(version: str) -> int:
    """The minor number of a Kubernetes version: ``k8s_minor("1.31") == 31``.

    Raises ValueError for anything but ``1.N`` (a patch part, as in ``1.31.2``, is not accepted).
    """
    match = _K8S_VERSION_RE.fullmatch(version)
    if not match:
        raise ValueError(f"{version!r} is not a Kubernetes version like '1.31'")
    return int(match.group(1))


def check_version_step(current: str, wanted: str) -> str | None:
    """Why a running cluster at ``current`` cannot be moved to ``wanted``, or None if it can.

    EKS only upgrades, and one minor version at a time. Raises ValueError when either is not a
    ``1.N`` version.
    """
    have, want = k8s_minor(current), k8s_minor(wanted)
    if want < have:
        return (
            f"the cluster runs Kubernetes {current} and downgrades are not possible; "
            f'set version: "{current}" (or a later version)'
        )
    if want > have + 1:
        return (
            f"the cluster runs Kubernetes {current} and cannot move to {wanted} in one step; "
            f"EKS upgrades one minor version at a time: {current} → 1.{have + 1} first"
        )
    return None


def check_k8s_version(value: Any) -> str:
    """A plain validator for ``cluster.version``: one of :data:`SUPPORTED_K8S_VERSIONS`, as text."""
    supported = ", ".join(SUPPORTED_K8S_VERSIONS)
    if isinstance(value, float | int) and not isinstance(value, bool):
        # 1.30 reads as the number 1.3: suggest the version that lost its trailing zero.
        candidates = [
            text for text in (repr(value), f"{value!r}0") if text in SUPPORTED_K8S_VERSIONS
        ]
        example = candidates[0] if candidates else SUPPORTED_K8S_VERSIONS[-1]
        raise problem(((), quote_hint(value, "version", example)))
    if not isinstance(value, str):
        raise problem(
            ((), f'expected a Kubernetes version in quotes like "1.31", got {describe(value)}')
        )
    if value in SUPPORTED_K8S_VERSIONS:
        return value
    if not _K8S_VERSION_RE.fullmatch(value):
        hint = did_you_mean(value, SUPPORTED_K8S_VERSIONS)
        raise problem(
            (
                (),
                f"{describe(value)} is not a Kubernetes version; expected major.minor like "
                f'"1.31", one of: {supported}{hint}',
            )
        )
    too = "old" if k8s_minor(value) < k8s_minor(SUPPORTED_K8S_VERSIONS[0]) else "new"
    hint = f" (did you mean '{value}0'?)" if f"{value}0" in SUPPORTED_K8S_VERSIONS else ""
    raise problem(
        (
            (),
            f"Kubernetes {value} is not supported (too {too}); expected one of: {supported}{hint}",
        )
    )
