"""The add-on pins of the example fabric files, checked at plan against the local cloud's
add-on catalogue (what its DescribeAddonVersions answers), so an example cannot pin a version
the local EKS does not run. Pure: :func:`weft.ops.plan.addon_pin_problems` is the plan's check
given the list, and the list is the local catalogue's answer read as weft reads EKS's."""

from __future__ import annotations

from pathlib import Path

import pytest

from weft.aws.eks_upgrade import AddonVersions, versions_by_addon
from weft.aws.inventory import build
from weft.fabricfile import Fabric, load_fabric, parse_fabric
from weft.local.moto_eks import catalogue
from weft.local.moto_eks import versions as local_versions
from weft.ops.plan import addon_pin_problems, pins_to_check

GOOD = Path(__file__).parents[1] / "fabricfile" / "good"
EXAMPLES = sorted(GOOD.glob("*.yaml"))


def _settled(fabric: Fabric) -> Fabric:
    """The fabric with its cluster's version as the plan settles it in the local cloud (the
    file's, else the local EKS's default)."""
    assert fabric.cluster is not None
    version = fabric.cluster.version or local_versions.default_version(local_versions.today())
    assert version is not None
    return fabric.model_copy(
        update={"cluster": fabric.cluster.model_copy(update={"version": version})}
    )


def _offered(k8s_version: str) -> AddonVersions:
    """What the local DescribeAddonVersions lists for ``k8s_version``, read as weft reads it."""
    infos = [catalogue.addon_info(name, k8s_version) for name in catalogue.ADDON_NAMES]
    return versions_by_addon(infos, k8s_version)


def test_the_examples_pin_add_ons() -> None:
    pinned = [
        p.name
        for p in EXAMPLES
        if (f := load_fabric(p)).cluster and pins_to_check(_settled(f), build([]))
    ]
    assert {"production.yaml", "private_endpoint.yaml"} <= set(pinned)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_pin_of_an_example_runs_in_the_local_cloud(path: Path) -> None:
    fabric = load_fabric(path)
    if fabric.cluster is None:
        return
    settled = _settled(fabric)
    assert settled.cluster is not None and settled.cluster.version is not None
    assert addon_pin_problems(settled, build([]), _offered(settled.cluster.version)) == []


def test_a_pin_the_catalogue_does_not_list_is_refused_with_its_line() -> None:
    path = GOOD / "production.yaml"
    text = path.read_text().replace(
        "vpc-cni: {version: v1.18.6-eksbuild.1}", "vpc-cni: {version: v1.18.3-eksbuild.1}"
    )
    settled = _settled(parse_fabric(text, source=str(path)))
    assert settled.cluster is not None and settled.cluster.version is not None
    offered = _offered(settled.cluster.version)
    [problem] = addon_pin_problems(settled, build([]), offered)
    runs, default = offered["vpc-cni"]
    assert "cluster.addons.vpc-cni.version" in problem
    assert "vpc-cni v1.18.3-eksbuild.1 does not run on Kubernetes" in problem
    assert f"{default} (the default)" in problem and all(v in problem for v in runs)


def test_the_list_is_read_per_add_on_from_one_answer() -> None:
    version = local_versions.default_version(local_versions.today())
    minor = catalogue.minor_of(version or "")
    assert version is not None and minor is not None
    offered = _offered(version)
    assert set(offered) == set(catalogue.ADDON_NAMES)
    for name in catalogue.ADDON_NAMES:
        runs, default = offered[name]
        assert runs == catalogue.versions(name, minor)
        assert default == catalogue.default_version(name, version)
