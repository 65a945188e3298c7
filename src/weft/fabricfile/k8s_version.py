"""Kubernetes versions of the EKS cluster: their shape in the file, and which steps EKS allows.

A version is text ``"1.NN"`` (:func:`k8s_minor` reads it); the file is checked for that shape
only (:func:`check_k8s_version`), offline. Which versions EKS offers is its calendar's to say,
and the calendar moves: ``weft plan`` reads it (DescribeClusterVersions,
:mod:`weft.aws.k8s_versions`) and refuses a version past support, so no list of versions is
written into weft. Whether a running cluster can move from the version it runs to the one in
the file is :func:`check_version_step`, called at plan time.
"""

from __future__ import annotations

import re
from typing import Any

from weft.fabricfile.checks import describe, problem, quote_hint

__all__ = [
    "VERSION_EXAMPLE",
    "check_k8s_version",
    "check_version_step",
    "k8s_minor",
]

#: A version of the right shape, for messages only (which versions EKS offers is its calendar's).
VERSION_EXAMPLE = "1.NN"

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


def _likely(value: str) -> str | None:
    """The EKS-shaped version ``value`` probably means: ``1.3`` → ``1.30``, ``v1.31`` or
    ``1.31.2`` → ``1.31``; None when nothing fits."""
    text = value.strip().removeprefix("v").removeprefix("V")
    match = re.fullmatch(r"1\.([0-9]{1,2})(\.[0-9]+)?", text)
    if not match:
        return None
    minor = match.group(1)
    return f"1.{minor}0" if len(minor) == 1 else f"1.{minor}"


def check_k8s_version(value: Any) -> str:
    """A plain validator for ``cluster.version``: text of the shape ``"1.NN"`` (EKS's minor
    versions have two digits: it started at 1.10).

    Whether EKS offers that version is checked by ``weft plan`` against EKS's calendar.
    """
    if isinstance(value, float | int) and not isinstance(value, bool):
        # 1.30 reads as the number 1.3: suggest the version that lost its trailing zero.
        example = _likely(repr(value)) if isinstance(value, float) else None
        raise problem(((), quote_hint(value, "version", example or VERSION_EXAMPLE)))
    if not isinstance(value, str):
        raise problem(
            ((), f'expected a Kubernetes version in quotes like "1.NN", got {describe(value)}')
        )
    if _K8S_VERSION_RE.fullmatch(value) and k8s_minor(value) >= 10:
        return value
    likely = _likely(value)
    hint = f" (did you mean '{likely}'?)" if likely and likely != value else ""
    raise problem(
        (
            (),
            f'{describe(value)} is not a Kubernetes version; expected major.minor like "1.NN" '
            f"(without a patch number; weft plan lists the versions EKS offers){hint}",
        )
    )
