"""The local EKS's Kubernetes release calendar, and DescribeClusterVersions, which moto 5.2.5
lacks.

The calendar is EKS's own, as data: the Amazon EKS User Guide, "Understand the Kubernetes version
lifecycle on EKS", section "Amazon EKS Kubernetes release calendar", as published on
:data:`CALENDAR_AS_OF` (Kubernetes 1.28 to 1.35). A minor version is in standard support for 14
months from its EKS release, then in extended support (at the extended-support price) for 12
more; after that "you can no longer create new Amazon EKS clusters with the unsupported version"
(same page, "End of extended support"): the local CreateCluster and UpdateClusterVersion refuse
a version past extended support, or one the calendar does not list, as EKS does, with
``InvalidParameterException`` "unsupported Kubernetes version 1.NN" (:func:`refusal`; the
message EKS answers CreateCluster with, as its users have reported it). A CreateCluster that
names no version gets EKS's default version ("If you don't specify a value here, the default
version available in Amazon EKS is used", CreateCluster, Amazon EKS API Reference; moto: 1.19).
A version's status is read from the calendar against today's date, so the local cloud's answer
ages as AWS's does.

DescribeClusterVersions answers as the EKS API reference describes: the versions in standard or
extended support (unsupported ones too with ``includeAll``, and only then, even when named),
filtered by ``clusterVersions``, ``status``/``versionStatus`` and ``defaultOnly``, newest first,
paged by ``maxResults``/``nextToken``. The EKS documentation gives no rule for which version is
``defaultVersion``; the emulator marks the newest in standard support. The dates of a future
version are not invented: a minor version the calendar does not list is not offered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from weft.local.moto_eks import backend

PATHS = ("{0}/cluster-versions$",)

#: When the calendar below was taken from the EKS documentation.
CALENDAR_AS_OF = dt.date(2026, 4, 24)


@dataclass(frozen=True)
class Release:
    """One Kubernetes minor version on EKS: released, end of standard, end of extended support."""

    version: str
    released: dt.date
    end_of_standard: dt.date
    end_of_extended: dt.date

    def status(self, today: dt.date) -> str:
        """``STANDARD_SUPPORT``, ``EXTENDED_SUPPORT`` or ``UNSUPPORTED`` on ``today``."""
        if today < self.end_of_standard:
            return "STANDARD_SUPPORT"
        if today < self.end_of_extended:
            return "EXTENDED_SUPPORT"
        return "UNSUPPORTED"


def _release(version: str, released: str, standard: str, extended: str) -> Release:
    return Release(
        version,
        dt.date.fromisoformat(released),
        dt.date.fromisoformat(standard),
        dt.date.fromisoformat(extended),
    )


#: EKS's release calendar, oldest first.
CALENDAR: tuple[Release, ...] = (
    _release("1.28", "2023-09-26", "2024-11-26", "2025-11-26"),
    _release("1.29", "2024-01-23", "2025-03-23", "2026-03-23"),
    _release("1.30", "2024-05-23", "2025-07-23", "2026-07-23"),
    _release("1.31", "2024-09-26", "2025-11-26", "2026-11-26"),
    _release("1.32", "2025-01-23", "2026-03-23", "2027-03-23"),
    _release("1.33", "2025-05-29", "2026-07-29", "2027-07-29"),
    _release("1.34", "2025-10-02", "2026-12-02", "2027-12-02"),
    _release("1.35", "2026-01-27", "2027-03-27", "2028-03-27"),
)

#: The API's lower-case ``status`` for each ``versionStatus``.
_STATUS = {
    "STANDARD_SUPPORT": "standard-support",
    "EXTENDED_SUPPORT": "extended-support",
    "UNSUPPORTED": "unsupported",
}


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def default_version(on: dt.date) -> str | None:
    """The version the emulator marks ``defaultVersion``: the newest in standard support."""
    standard = [r.version for r in CALENDAR if r.status(on) == "STANDARD_SUPPORT"]
    return standard[-1] if standard else None


def refusal(version: str | None, on: dt.date) -> str | None:
    """EKS's message refusing to create a cluster on (or update one to) Kubernetes ``version``
    on the date ``on``: past extended support, or not in the calendar; None when it is offered."""
    release = next((r for r in CALENDAR if r.version == version), None)
    if release is None or release.status(on) == "UNSUPPORTED":
        return f"unsupported Kubernetes version {version}"
    return None


def version_info(release: Release, on: dt.date) -> dict[str, Any]:
    """One ``ClusterVersionInformation`` of DescribeClusterVersions."""
    status = release.status(on)

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    return {
        "clusterVersion": release.version,
        "clusterType": "eks",
        "defaultVersion": release.version == default_version(on),
        "releaseDate": midnight(release.released),
        "endOfStandardSupportDate": midnight(release.end_of_standard),
        "endOfExtendedSupportDate": midnight(release.end_of_extended),
        "status": _STATUS[status],
        "versionStatus": status,
    }


def describe(query: dict[str, list[str]], on: dt.date) -> dict[str, Any]:
    """DescribeClusterVersions' answer to these query parameters, on the date ``on``."""

    def first(name: str) -> str | None:
        values = query.get(name) or []
        return values[0] if values else None

    cluster_type = first("clusterType")
    if cluster_type not in (None, "eks"):
        return {"clusterVersions": []}
    include_all = first("includeAll") == "true"
    default_only = first("defaultOnly") == "true"
    wanted = set(query.get("clusterVersions") or [])
    status = first("versionStatus") or (
        {v: k for k, v in _STATUS.items()}.get(first("status") or "")
    )
    found = []
    for release in reversed(CALENDAR):
        info = version_info(release, on)
        if wanted and release.version not in wanted:
            continue
        if not include_all and info["versionStatus"] == "UNSUPPORTED":
            continue
        if status and info["versionStatus"] != status:
            continue
        if default_only and not info["defaultVersion"]:
            continue
        found.append(info)
    token, size_text = first("nextToken") or "0", first("maxResults") or "100"
    if not token.isdigit():
        raise backend.invalid("The nextToken provided is invalid")
    if not size_text.isdigit() or not 1 <= int(size_text) <= 100:
        raise backend.invalid("maxResults must be between 1 and 100")
    start, size = int(token), int(size_text)
    page = found[start : start + size]
    answer: dict[str, Any] = {"clusterVersions": page}
    if start + size < len(found):
        answer["nextToken"] = str(start + size)
    return answer


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    def describe_cluster_versions(self: Any) -> Any:
        return ActionResult(describe(dict(self.querystring), today()))

    EKSResponse.describe_cluster_versions = describe_cluster_versions  # type: ignore[attr-defined]
