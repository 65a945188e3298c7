"""A node group's desired size: the file sets it, the Cluster Autoscaler moves it within bounds."""

from __future__ import annotations

from typing import Any

from weft.aws.drivers import eks_nodegroup as ng


def described(desired: int, mark: str | None) -> dict[str, Any]:
    tags = {"weft:fabric": "f"} | ({ng.DESIRED_TAG: mark} if mark is not None else {})
    return {
        "clusterName": "f",
        "nodegroupName": "general-1",
        "scalingConfig": {"minSize": 2, "maxSize": 5, "desiredSize": desired},
        "tags": tags,
    }


def props(item: dict[str, Any]) -> dict[str, Any]:
    return ng._props(item, item["tags"])


def test_the_autoscalers_moves_are_no_drift_and_the_tag_is_not_a_model_tag() -> None:
    read = props(described(4, "2"))  # the autoscaler raised 2 to 4
    assert read["scaling"] == {"min": 2, "max": 5, "desired": 2}
    assert read["tags"] == {"weft:fabric": "f"}


def test_a_group_without_the_tag_reads_its_live_size() -> None:
    assert props(described(4, None))["scaling"]["desired"] == 4


def want(low: int, high: int, desired: int) -> dict[str, Any]:
    return {"scaling": {"min": low, "max": high, "desired": desired}, "tags": {}}


def test_new_bounds_keep_the_autoscalers_size_within_them() -> None:
    current = props(described(4, "2"))
    request = ng._config_changes(current, want(2, 3, 2), frozenset({"scaling"}), 4)
    assert request["scalingConfig"] == {"minSize": 2, "maxSize": 3, "desiredSize": 3}
    request = ng._config_changes(current, want(1, 8, 2), frozenset({"scaling"}), 4)
    assert request["scalingConfig"] == {"minSize": 1, "maxSize": 8, "desiredSize": 4}


def test_a_new_desired_size_in_the_file_is_set_and_tagged() -> None:
    current = props(described(4, "2"))
    request = ng._config_changes(current, want(2, 5, 3), frozenset({"scaling"}), 4)
    assert request["scalingConfig"]["desiredSize"] == 3
    assert ng._tags(want(2, 5, 3))[ng.DESIRED_TAG] == "3"
