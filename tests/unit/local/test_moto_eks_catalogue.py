"""The local EKS's add-on catalogue (pure): versions per Kubernetes minor, one default each."""

from __future__ import annotations

import pytest

from weft.local.moto_eks import catalogue


def test_the_addons_weft_installs_in_order() -> None:
    assert catalogue.ADDON_NAMES == (
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "aws-ebs-csi-driver",
        "metrics-server",
        "eks-pod-identity-agent",
        "fluent-bit",
        # with observability.container_insights
        "amazon-cloudwatch-observability",
    )


def test_fluent_bit_is_a_community_addon_in_its_own_namespace() -> None:
    info = catalogue.addon_info("fluent-bit", "1.30")
    assert info["owner"] == "community"
    assert info["defaultNamespace"] == "fluent-bit"
    assert catalogue.configuration_problem("fluent-bit", '{"config": {"outputs": "x"}}') is None
    refused = catalogue.configuration_problem("fluent-bit", '{"cloudWatchLogs": {}}')
    assert refused is not None and "$.cloudWatchLogs" in refused


def test_metrics_server_is_a_community_addon_from_kubernetes_1_25() -> None:
    assert catalogue.versions("metrics-server", 24) == []
    assert catalogue.default_version("metrics-server", "1.25") == "v0.7.2-eksbuild.3"
    info = catalogue.addon_info("metrics-server", "1.30")
    assert info["owner"] == "community"
    assert info["addonVersions"][0]["compatibilities"][0]["clusterVersion"] == "1.30"
    assert catalogue.addon_info("metrics-server", "1.24")["addonVersions"] == []


def test_configuration_is_checked_against_the_addons_schema() -> None:
    assert catalogue.configuration_problem("coredns", '{"computeType": "Fargate"}') is None
    assert catalogue.configuration_problem("coredns", "computeType: Fargate") is None
    refused = catalogue.configuration_problem("coredns", '{"computeTyp": "Fargate"}')
    assert refused is not None and "$.computeTyp" in refused
    assert catalogue.configuration_problem("vpc-cni", "[1, 2]") is not None


@pytest.mark.parametrize(
    ("version", "minor"),
    [
        ("1.29", 29),
        ("1.31.2", 31),
        ("1.9", 9),
        ("2.0", None),
        ("1", None),
        ("1.x", None),
        ("", None),
    ],
)
def test_minor_of(version: str, minor: int | None) -> None:
    assert catalogue.minor_of(version) == minor


def test_versions_follow_the_kubernetes_minor() -> None:
    assert catalogue.versions("kube-proxy", 30) == ["v1.30.3-eksbuild.2", "v1.30.0-eksbuild.3"]
    assert catalogue.versions("coredns", 31)[0] == "v1.11.3-eksbuild.2"
    assert catalogue.versions("coredns", 32)[0] == "v1.12.3-eksbuild.2"
    assert catalogue.versions("vpc-cni", 23) == catalogue.versions("vpc-cni", 35)
    assert catalogue.versions("no-such-addon", 30) == []


def test_the_default_is_the_newest_and_only_inside_the_catalogue() -> None:
    assert catalogue.default_version("coredns", "1.33") == "v1.12.3-eksbuild.2"
    assert catalogue.default_version("kube-proxy", "1.29.4") == "v1.29.3-eksbuild.2"
    assert catalogue.default_version("kube-proxy", "1.22") is None
    assert catalogue.default_version("kube-proxy", "1.36") is None
    assert catalogue.default_version("no-such-addon", "1.30") is None
    assert catalogue.default_version("vpc-cni", "latest") is None


def test_compatibility_is_per_kubernetes_minor() -> None:
    assert catalogue.compatible("kube-proxy", "v1.30.0-eksbuild.3", "1.30")
    assert not catalogue.compatible("kube-proxy", "v1.30.0-eksbuild.3", "1.31")
    assert catalogue.compatible("coredns", "v1.11.1-eksbuild.9", "1.31")
    assert not catalogue.compatible("coredns", "v1.11.1-eksbuild.9", "1.32")
    assert not catalogue.compatible("vpc-cni", "v1.19.2-eksbuild.1", "not-a-version")


def test_addon_info_has_one_default_per_cluster_version() -> None:
    info = catalogue.addon_info("coredns", None)
    assert (info["addonName"], info["type"], info["owner"]) == ("coredns", "networking", "aws")
    defaults: dict[str, list[str]] = {}
    for entry in info["addonVersions"]:
        for compat in entry["compatibilities"]:
            if compat["defaultVersion"]:
                defaults.setdefault(compat["clusterVersion"], []).append(entry["addonVersion"])
    assert sorted(defaults) == sorted(f"1.{m}" for m in catalogue.CATALOGUE_MINORS)
    assert all(len(v) == 1 for v in defaults.values())
    versions = [e["addonVersion"] for e in info["addonVersions"]]
    assert versions == sorted(versions, reverse=True)


def test_addon_info_for_one_kubernetes_version() -> None:
    info = catalogue.addon_info("aws-ebs-csi-driver", "1.30")
    assert info["type"] == "storage"
    assert [e["addonVersion"] for e in info["addonVersions"]] == [
        "v1.38.1-eksbuild.1",
        "v1.37.0-eksbuild.1",
    ]
    assert all(e["requiresIamPermissions"] for e in info["addonVersions"])
    assert info["addonVersions"][0]["compatibilities"] == [
        {"clusterVersion": "1.30", "platformVersions": ["*"], "defaultVersion": True}
    ]
    assert catalogue.addon_info("kube-proxy", "1.12")["addonVersions"] == []
    assert not catalogue.addon_info("kube-proxy", "1.30")["addonVersions"][0][
        "requiresIamPermissions"
    ]


@pytest.mark.parametrize(
    "addon",
    ["metrics-server", "eks-pod-identity-agent", "fluent-bit", "amazon-cloudwatch-observability"],
)
def test_observability_addons_get_newer_defaults_with_newer_kubernetes(addon: str) -> None:
    """Two minors apart (an upgrade's two steps), the default differs; one minor on, the
    previous default still runs (the add-on is moved after the control plane)."""
    for minor in range(29, 34):
        before = catalogue.default_version(addon, f"1.{minor}")
        assert before is not None
        assert catalogue.default_version(addon, f"1.{minor + 2}") != before
        assert catalogue.compatible(addon, before, f"1.{minor + 1}")
    info = catalogue.addon_info(addon, None)
    versions = [e["addonVersion"] for e in info["addonVersions"]]
    assert versions == sorted(versions, reverse=True)
