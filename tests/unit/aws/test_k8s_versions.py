"""What weft says of a cluster's Kubernetes version, by EKS's calendar (pure)."""

from __future__ import annotations

import datetime as dt

from weft.aws.k8s_versions import (
    ClusterVersion,
    newest_standard,
    offered,
    support_warnings,
    unavailable,
    upgrade_path,
)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


CALENDAR = [
    ClusterVersion("1.35", "STANDARD_SUPPORT", d("2027-03-27"), d("2028-03-27"), default=True),
    ClusterVersion("1.34", "STANDARD_SUPPORT", d("2026-12-02"), d("2027-12-02")),
    ClusterVersion("1.33", "EXTENDED_SUPPORT", d("2026-07-29"), d("2027-07-29")),
    ClusterVersion("1.31", "UNSUPPORTED", d("2025-11-26"), d("2026-11-26")),
]
TODAY = d("2026-11-01")


def test_standard_support_far_from_its_end_says_nothing() -> None:
    assert support_warnings("1.35", CALENDAR, TODAY, running=True) == []
    assert newest_standard(CALENDAR) == "1.35"


def test_within_60_days_of_extended_support_it_warns_with_the_date_and_what_to_run() -> None:
    (warning,) = support_warnings("1.34", CALENDAR, TODAY, running=True)
    assert "Kubernetes 1.34 leaves EKS standard support on 2026-12-02 (in 31 days)" in warning
    assert "$0.60 per cluster hour instead of $0.10" in warning
    assert "run weft upgrade --to 1.35" in warning
    assert support_warnings("1.34", CALENDAR, d("2026-10-02"), running=True) == []  # 61 days


def test_extended_support_warns_with_its_price_and_the_next_step() -> None:
    (running,) = support_warnings("1.33", CALENDAR, TODAY, running=True)
    assert "Kubernetes 1.33 is in EKS extended support since 2026-07-29 until 2027-07-29" in running
    assert "run weft upgrade --to 1.34 (one minor version at a time)" in running
    # a cluster not created yet starts on the newest version in standard support
    (new,) = support_warnings("1.33", CALENDAR, TODAY, running=False)
    assert new.endswith('set cluster.version: "1.35"')


def test_past_support_and_unknown_versions() -> None:
    (gone,) = support_warnings("1.31", CALENDAR, TODAY, running=False)
    assert "Kubernetes 1.31 reached the end of EKS support on 2026-11-26" in gone
    assert "EKS creates no cluster with it" in gone
    (running,) = support_warnings("1.31", CALENDAR, TODAY, running=True)
    assert "EKS upgrades the cluster on its own" in running
    (unknown,) = support_warnings("1.40", CALENDAR, TODAY, running=False)
    assert unknown.startswith("EKS does not offer Kubernetes 1.40 (it offers 1.35, 1.34, 1.33)")


def test_the_upgrade_path_goes_one_minor_version_at_a_time() -> None:
    assert upgrade_path("1.40", "1.42") == ["1.41", "1.42"]
    assert upgrade_path("1.40", "1.40") == []
    assert upgrade_path("1.40", "1.39") == []


def test_versions_eks_refuses_are_named_with_the_versions_it_offers() -> None:
    assert offered(CALENDAR) == ["1.35", "1.34", "1.33"]
    assert unavailable("1.33", CALENDAR) is None  # extended support: still created, billed more
    assert unavailable("1.31", CALENDAR) == (
        "Kubernetes 1.31 reached the end of EKS support on 2026-11-26; EKS offers 1.35, 1.34, "
        "1.33 (newest in standard support: 1.35)"
    )
    assert unavailable("1.40", CALENDAR) == (
        "EKS does not offer Kubernetes 1.40; EKS offers 1.35, 1.34, 1.33 "
        "(newest in standard support: 1.35)"
    )
