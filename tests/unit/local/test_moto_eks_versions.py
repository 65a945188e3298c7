"""The local EKS's Kubernetes release calendar and DescribeClusterVersions (pure)."""

from __future__ import annotations

import datetime as dt
import itertools

import botocore.session
import pytest

from weft.local.moto_eks import versions
from weft.local.moto_eks.versions import CALENDAR, describe

DAY = dt.date(2026, 12, 6)


def names(answer: dict) -> list[str]:
    return [v["clusterVersion"] for v in answer["clusterVersions"]]


def test_the_calendar_follows_eks_rule_of_14_plus_12_months() -> None:
    for older, newer in itertools.pairwise(CALENDAR):
        assert older.released < newer.released
    for release in CALENDAR:
        months = lambda a, b: (b.year - a.year) * 12 + b.month - a.month  # noqa: E731
        assert months(release.released, release.end_of_standard) == 14
        assert months(release.end_of_standard, release.end_of_extended) == 12
        assert release.end_of_standard.day == release.end_of_extended.day


def test_status_ages_with_the_date() -> None:
    r131 = next(r for r in CALENDAR if r.version == "1.31")
    assert r131.status(dt.date(2025, 11, 25)) == "STANDARD_SUPPORT"
    assert r131.status(dt.date(2025, 11, 26)) == "EXTENDED_SUPPORT"
    assert r131.status(dt.date(2026, 11, 26)) == "UNSUPPORTED"


def test_describe_lists_the_supported_versions_newest_first() -> None:
    answer = describe({}, DAY)
    assert names(answer) == ["1.35", "1.34", "1.33", "1.32"]
    by_version = {v["clusterVersion"]: v for v in answer["clusterVersions"]}
    assert by_version["1.35"]["versionStatus"] == "STANDARD_SUPPORT"
    assert by_version["1.35"]["status"] == "standard-support"
    assert by_version["1.35"]["defaultVersion"] is True
    assert by_version["1.34"]["versionStatus"] == "EXTENDED_SUPPORT"  # since 2026-12-02
    assert by_version["1.32"]["endOfExtendedSupportDate"] == dt.datetime(2027, 3, 23, tzinfo=dt.UTC)
    assert [v["defaultVersion"] for v in answer["clusterVersions"]].count(True) == 1


def test_describe_filters_and_pages() -> None:
    everything = describe({"includeAll": ["true"]}, DAY)
    assert names(everything)[-1] == "1.28"
    assert everything["clusterVersions"][-1]["status"] == "unsupported"
    assert names(describe({"clusterVersions": ["1.31", "1.33"]}, DAY)) == ["1.33"]
    assert names(describe({"clusterVersions": ["1.31"], "includeAll": ["true"]}, DAY)) == ["1.31"]
    assert names(describe({"versionStatus": ["EXTENDED_SUPPORT"]}, DAY)) == ["1.34", "1.33", "1.32"]
    assert names(describe({"status": ["standard-support"]}, DAY)) == ["1.35"]
    assert names(describe({"defaultOnly": ["true"]}, DAY)) == ["1.35"]
    assert describe({"clusterType": ["eks-local-outposts"]}, DAY) == {"clusterVersions": []}
    first = describe({"maxResults": ["3"]}, DAY)
    assert names(first) == ["1.35", "1.34", "1.33"] and first["nextToken"] == "3"
    rest = describe({"maxResults": ["3"], "nextToken": [first["nextToken"]]}, DAY)
    assert names(rest) == ["1.32"] and "nextToken" not in rest


def test_a_default_is_chosen_only_in_standard_support() -> None:
    assert versions.default_version(dt.date(2027, 3, 26)) == "1.35"
    assert versions.default_version(dt.date(2028, 1, 1)) is None  # no newer version listed


def test_answers_have_the_shape_botocore_expects() -> None:
    model = botocore.session.get_session().get_service_model("eks")
    members = model.operation_model("DescribeClusterVersions").output_shape.members
    info = members["clusterVersions"].member
    (one, *_) = describe({}, DAY)["clusterVersions"]
    assert set(one) <= set(info.members)
    assert one["versionStatus"] in info.members["versionStatus"].enum
    assert one["status"] in info.members["status"].enum


@pytest.mark.parametrize("bad", [{"maxResults": ["0"]}, {"nextToken": ["x"]}])
def test_bad_paging_is_refused(bad: dict) -> None:
    with pytest.raises(Exception) as refused:
        describe(bad, DAY)
    assert type(refused.value).__name__ == "InvalidParameterException"
