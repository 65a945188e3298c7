"""What the drivers declare they can change in place, held against what the fabric model makes.

Every property of every kind is immutable (a change replaces), updatable (the driver changes it
in place) or ignored: a property that is none of these would be planned as an update that the
driver silently drops. The integration test ``test_driver_conformance`` then applies a change of
each updatable property against the local cloud.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from weft.aws.drivers import DRIVERS, kit
from weft.core.resource import Resource
from weft.fabricfile import load_fabric
from weft.model import desired_resources

GOOD = Path(__file__).parents[2] / "fabricfile" / "good"


def model_resources() -> list[Resource]:
    found = []
    for path in sorted(GOOD.glob("*.yaml")):
        fabric = load_fabric(path)
        found += desired_resources(fabric, account_id="123456789012", zones=fabric.zone_names())
    return found


def test_every_property_the_model_makes_is_declared() -> None:
    undeclared: dict[str, set[str]] = {}
    for resource in model_resources():
        schema = DRIVERS[resource.kind].schema
        declared = schema.immutable | schema.updatable | schema.ignored
        if missing := set(resource.props) - declared:
            undeclared.setdefault(resource.kind, set()).update(missing)
    assert undeclared == {}


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_a_property_is_immutable_or_updatable_not_both(kind: str) -> None:
    schema = DRIVERS[kind].schema
    assert not schema.immutable & schema.updatable
    assert not schema.ignored & schema.updatable


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_a_driver_changes_what_it_declares(kind: str) -> None:
    """A driver of the kit either has setters for exactly its updatable properties, or one flow
    of its own for them (``change``); every driver takes an update as one edit."""
    driver = DRIVERS[kind]
    assert isinstance(driver, kit.DriverBase)
    if isinstance(driver, kit.TaggedDriver) and driver.setters:
        assert kit.covered(driver.setters) == driver.schema.updatable
        assert driver.set_after_create <= driver.schema.updatable
    elif driver.schema.updatable:
        assert type(driver).change is not kit.TaggedDriver.change


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_what_a_plan_shows_of_a_new_resource_is_a_property(kind: str) -> None:
    schema = DRIVERS[kind].schema
    assert set(schema.shown) <= schema.immutable | schema.updatable
    assert len(set(schema.shown)) == len(schema.shown)


def test_the_kinds_users_size_show_what_they_are() -> None:
    """A new network, cluster, node group, database or cache is shown with what it is."""
    shown = {kind: set(DRIVERS[kind].schema.shown) for kind in DRIVERS}
    assert {"cidr"} <= shown["vpc"]
    assert {"cidr", "zone"} <= shown["subnet"]
    assert {"version"} <= shown["eks_cluster"]
    assert {"instance_types", "ami_type", "scaling"} <= shown["eks_nodegroup"]
    assert {"engine", "engine_version", "instance_class", "storage_gb"} <= shown["db_instance"]
    assert {"engine", "engine_version", "node_type"} <= shown["cache_replication_group"]
