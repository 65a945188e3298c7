"""EKS's Kubernetes release calendar, read from the cloud, and what it means for a cluster.

:func:`calendar` reads DescribeClusterVersions (every version, past support ones included): each
minor version's support status and its end-of-standard and end-of-extended-support dates, so
weft never relies on a list written into it that the calendar has moved past.

:func:`newest_standard`, :func:`offered` and :func:`unavailable` are pure: the default version of a
new cluster, the versions EKS creates clusters with, and why a version is refused.
:func:`support_warnings` is pure too: what to tell the owner of a cluster on a version that is in
extended support (billed at the extended-support rate), will be within
:data:`WARN_DAYS` days, or is past support altogether, and what to run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.errors import translate
from weft.aws.session import AwsSession

#: How many days before a version leaves standard support plan and status start to warn.
WARN_DAYS = 60
#: EKS's price per cluster hour, in standard and in extended support (Amazon EKS pricing).
STANDARD_RATE = "$0.10"
EXTENDED_RATE = "$0.60"

STANDARD = "STANDARD_SUPPORT"
EXTENDED = "EXTENDED_SUPPORT"
UNSUPPORTED = "UNSUPPORTED"


@dataclass(frozen=True)
class ClusterVersion:
    """One Kubernetes minor version as EKS lists it."""

    version: str
    status: str
    end_of_standard: dt.date | None
    end_of_extended: dt.date | None
    default: bool = False


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date()
    return value if isinstance(value, dt.date) else None


def calendar(session: AwsSession) -> list[ClusterVersion]:
    """Every Kubernetes version EKS lists (``includeAll``), newest first."""
    eks = session.client("eks")
    found: list[ClusterVersion] = []
    token: str | None = None
    try:
        while True:
            page = eks.describe_cluster_versions(
                includeAll=True, **({"nextToken": token} if token else {})
            )
            for item in page.get("clusterVersions") or []:
                found.append(
                    ClusterVersion(
                        str(item["clusterVersion"]),
                        str(item.get("versionStatus") or "").upper(),
                        _date(item.get("endOfStandardSupportDate")),
                        _date(item.get("endOfExtendedSupportDate")),
                        bool(item.get("defaultVersion")),
                    )
                )
            token = page.get("nextToken")
            if not token:
                break
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="EKS cluster versions", action="read", service="eks") from exc
    return sorted(found, key=lambda v: _minor(v.version), reverse=True)


def _minor(version: str) -> int:
    try:
        return int(version.split(".")[1])
    except (IndexError, ValueError):
        return -1


def newest_standard(versions: list[ClusterVersion]) -> str | None:
    """The newest version in standard support (what a new cluster should run)."""
    standard = [v.version for v in versions if v.status == STANDARD]
    return max(standard, key=_minor) if standard else None


def offered(versions: list[ClusterVersion]) -> list[str]:
    """The versions EKS creates clusters with (in standard or extended support), newest first."""
    found = [v.version for v in versions if v.status in (STANDARD, EXTENDED)]
    return sorted(found, key=_minor, reverse=True)


def unavailable(version: str, versions: list[ClusterVersion]) -> str | None:
    """Why EKS neither creates a cluster on Kubernetes ``version`` nor updates one to it (past
    the end of extended support, or not in its calendar), with the versions it offers; None when
    it does."""
    info = next((v for v in versions if v.version == version), None)
    if info is not None and info.status != UNSUPPORTED:
        return None
    newest = newest_standard(versions)
    offers = ", ".join(offered(versions)) or "none"
    standard = f" (newest in standard support: {newest})" if newest else ""
    if info is None:
        why = f"EKS does not offer Kubernetes {version}"
    else:
        when = f" on {info.end_of_extended}" if info.end_of_extended else ""
        why = f"Kubernetes {version} reached the end of EKS support{when}"
    return f"{why}; EKS offers {offers}{standard}"


def support_warnings(
    version: str, versions: list[ClusterVersion], today: dt.date, *, running: bool
) -> list[str]:
    """What to tell about a cluster on Kubernetes ``version`` (``running``: the cluster exists
    and runs it; else the fabric file asks for it), by EKS's calendar ``versions`` on ``today``.

    Nothing while the version is in standard support and more than :data:`WARN_DAYS` days from
    its end. Each warning says what to run or set: a running cluster is upgraded one minor
    version at a time (``weft upgrade``), a new one starts on the newest version in standard
    support.
    """
    info = next((v for v in versions if v.version == version), None)
    newest = newest_standard(versions)
    if running:
        step = f"1.{_minor(version) + 1}"
        todo = f"run weft upgrade --to {step} (one minor version at a time)"
    else:
        todo = f'set cluster.version: "{newest}"' if newest else "choose another version"
    if info is None:
        offered = ", ".join(v.version for v in versions if v.status != UNSUPPORTED)
        return [f"EKS does not offer Kubernetes {version} (it offers {offered}): {todo}"]
    end_std, end_ext = info.end_of_standard, info.end_of_extended
    if info.status == UNSUPPORTED:
        when = f" on {end_ext}" if end_ext else ""
        fate = (
            "EKS upgrades the cluster on its own" if running else "EKS creates no cluster with it"
        )
        return [f"Kubernetes {version} reached the end of EKS support{when}: {fate}; {todo}"]
    rates = f"{EXTENDED_RATE} per cluster hour instead of {STANDARD_RATE}"
    if info.status == EXTENDED:
        since = f" since {end_std}" if end_std else ""
        until = f" until {end_ext}" if end_ext else ""
        return [
            f"Kubernetes {version} is in EKS extended support{since}{until}, billed at "
            f"{rates}: {todo}"
        ]
    if end_std is not None and (end_std - today).days <= WARN_DAYS:
        days = (end_std - today).days
        return [
            f"Kubernetes {version} leaves EKS standard support on {end_std} (in {days} days); "
            f"extended support is then billed at {rates}: {todo}"
        ]
    return []


def upgrade_path(current: str, target: str) -> list[str]:
    """The versions a cluster at ``current`` passes through to reach ``target``, one minor at a
    time (EKS takes no bigger step): ``upgrade_path("1.33", "1.35") == ["1.34", "1.35"]``;
    empty when ``target`` is not after ``current``."""
    have, want = _minor(current), _minor(target)
    if have < 0 or want < 0:
        return []
    return [f"1.{minor}" for minor in range(have + 1, want + 1)]
