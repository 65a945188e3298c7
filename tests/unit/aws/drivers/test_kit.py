"""The driver kit on a toy driver: the adoption rule, make and the setters after it, updates
that run exactly the setters of what changed, and what an update reports."""

from __future__ import annotations

from typing import Any

import pytest

from weft.aws.context import AwsContext
from weft.aws.drivers import kit, tagger
from weft.core.resource import KindSchema, Observed, Resource

from .fake_cloud import FakeCloud


def _set_size(edit: kit.Edit) -> None:
    edit.ctx.client("toy").resize(Id=edit.id, Size=edit.props["size"])


def _set_ends(edit: kit.Edit) -> None:
    edit.ctx.client("toy").set_ends(Id=edit.id, Left=edit.props["left"], Right=edit.props["right"])
    edit.outputs["ends"] = f"{edit.props['left']}-{edit.props['right']}"


class Toy(kit.TaggedDriver):
    """A resource with an immutable name, a size the create call cannot set, two ends set
    together, and EC2 tags."""

    setters = (
        kit.Setter(frozenset({"size"}), _set_size),
        kit.Setter(frozenset({"left", "right"}), _set_ends),
        kit.tags(tagger.EC2),
    )
    schema = KindSchema("toy", immutable=frozenset({"name"}), updatable=kit.covered(setters))
    set_after_create = frozenset({"size"})

    def __init__(self, *existing: Observed) -> None:
        self.existing = list(existing)
        self.finds: list[str | None] = []

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        self.finds.append(address)
        return [o for o in self.existing if address in (None, o.address)]

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        ctx.client("toy").create(Name=props["name"])
        return self.observed(resource.name, "t-new", {**props, "size": 1}, {"arn": "arn:new"})

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("toy").delete(Id=observed.id)


def desired(**changes: Any) -> dict[str, Any]:
    return {"name": "n", "size": 1, "left": 0, "right": 0, "tags": {"a": "1"}, **changes}


RESOURCE = Resource("toy", "main", desired())


def found(**changes: Any) -> Observed:
    return Observed("toy", "main", "t-old", desired(**changes), {"arn": "arn:old"}, state="up")


def test_a_first_attempt_looks_for_nothing_and_makes() -> None:
    cloud, driver = FakeCloud(), Toy(found())
    made = driver.create(cloud.context(first_attempt=True), RESOURCE, desired())
    assert driver.finds == []
    assert cloud.operations() == ["toy:create"]
    assert made.id == "t-new"


def test_after_make_only_the_fields_the_create_call_cannot_set_are_set() -> None:
    cloud, driver = FakeCloud(), Toy()
    made = driver.create(cloud.context(first_attempt=True), RESOURCE, desired(size=3, left=2))
    # "left" differs from what make reports too, but the create call sets it
    assert cloud.operations() == ["toy:create", "toy:resize"]
    assert dict(made.props) == desired(size=3, left=2)
    assert made.outputs == {"id": "t-new", "arn": "arn:new"}


def test_a_retry_finishes_what_an_earlier_attempt_left() -> None:
    cloud, driver = FakeCloud(), Toy(found(size=2))
    adopted = driver.create(cloud.context(), RESOURCE, desired(size=5))
    assert driver.finds == ["toy.main"]
    assert cloud.operations() == ["toy:resize"]
    assert (adopted.id, adopted.props["size"], adopted.state) == ("t-old", 5, "up")


def test_a_retry_never_adopts_one_with_other_immutable_props() -> None:
    cloud, driver = FakeCloud(), Toy(found(name="other"))
    made = driver.create(cloud.context(), RESOURCE, desired())
    assert made.id == "t-new"
    assert cloud.operations() == ["toy:create"]


@pytest.mark.parametrize(("look", "first", "finds"), [("always", True, 1), ("never", False, 0)])
def test_when_to_look_is_data(look: kit.AdoptionLook, first: bool, finds: int) -> None:
    driver = Toy()
    driver.adoption_look = look
    driver.create(FakeCloud().context(first_attempt=first), RESOURCE, desired())
    assert len(driver.finds) == finds


def test_an_update_runs_the_setters_of_what_changed_once_each_in_table_order() -> None:
    cloud, driver = FakeCloud(), Toy()
    props = desired(right=1, left=1, tags={"b": "2"})
    driver.update(cloud.context(), RESOURCE, props, found(), {"tags", "right", "left"})
    assert cloud.operations() == ["toy:set_ends", "ec2:create_tags", "ec2:delete_tags"]
    assert cloud.calls[1][2] == {"Resources": ["t-old"], "Tags": [{"Key": "b", "Value": "2"}]}


def test_an_update_reports_the_desired_props_and_the_outputs_setters_leave() -> None:
    driver = Toy()
    updated = driver.update(FakeCloud().context(), RESOURCE, desired(left=4), found(), {"left"})
    assert dict(updated.props) == desired(left=4)
    assert updated.outputs == {"id": "t-old", "arn": "arn:old", "ends": "4-0"}
    assert updated.state == "up"
    driver.settled_state = "ready"
    assert driver.update(FakeCloud().context(), RESOURCE, desired(), found(), set()).state == (
        "ready"
    )


def test_nothing_changed_nothing_called() -> None:
    cloud = FakeCloud()
    Toy().update(cloud.context(), RESOURCE, desired(), found(), set())
    assert cloud.calls == []


def test_setter_decorator_and_covered() -> None:
    @kit.setter("a", "b")
    def both(edit: kit.Edit) -> None: ...

    assert both.fields == {"a", "b"}
    assert kit.covered([both, kit.tags(tagger.EKS)]) == {"a", "b", "tags"}
