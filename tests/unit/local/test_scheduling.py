"""Where the kubelet simulator places a pending pod (pure): the scheduler's filters and the
Unschedulable message."""

from __future__ import annotations

from typing import Any

import pytest

from weft.local.kube import scheduling
from weft.local.kube.scheduling import Placement, fit_problem, place


def node(
    labels: dict[str, str] | None = None,
    taints: list[dict[str, Any]] | None = None,
    name: str = "n1",
) -> Any:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or []},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "spec": spec}


def test_scheduling_rules() -> None:
    assert fit_problem(pod(), node()) is None
    assert fit_problem(pod(nodeSelector={"pool": "a"}), node({"pool": "a"})) is None
    assert "node selector" in (fit_problem(pod(nodeSelector={"pool": "a"}), node()) or "")
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    assert "taint" in (fit_problem(pod(), node(taints=[taint])) or "")
    tolerate = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    assert fit_problem(pod(tolerations=tolerate), node(taints=[taint])) is None
    assert fit_problem(pod(tolerations=[{"operator": "Exists"}]), node(taints=[taint])) is None
    prefer = {"key": "x", "value": "y", "effect": "PreferNoSchedule"}
    assert fit_problem(pod(), node(taints=[prefer])) is None
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}
                ]
            }
        }
    }
    assert fit_problem(pod(affinity=affinity), node({"zone": "b"})) is None
    assert fit_problem(pod(affinity=affinity), node({"zone": "c"})) is not None
    not_ready = node()
    not_ready["status"]["conditions"][0]["status"] = "False"
    assert fit_problem(pod(), not_ready) == "node(s) were not ready"


def test_a_cordoned_node_takes_nothing() -> None:
    cordoned = node()
    cordoned["spec"]["unschedulable"] = True
    assert fit_problem(pod(), cordoned) == "node(s) were unschedulable"


def test_the_taint_message_names_the_taint() -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoExecute"}
    assert fit_problem(pod(), node(taints=[taint])) == (
        "node(s) had taint {dedicated: gpu}, that the pod didn't tolerate"
    )


@pytest.mark.parametrize(
    ("toleration", "tolerated"),
    [
        ({"key": "dedicated", "operator": "Exists"}, True),
        ({"key": "dedicated", "value": "gpu"}, True),
        ({"key": "dedicated", "value": "cpu"}, False),
        ({"key": "other", "operator": "Exists"}, False),
        ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}, True),
        ({"operator": "Exists", "effect": "NoExecute"}, False),
    ],
)
def test_tolerations(toleration: dict[str, str], tolerated: bool) -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    problem = fit_problem(pod(tolerations=[toleration]), node(taints=[taint]))
    assert (problem is None) is tolerated


@pytest.mark.parametrize(
    ("expression", "labels", "fits"),
    [
        ({"key": "z", "operator": "NotIn", "values": ["a"]}, {"z": "b"}, True),
        ({"key": "z", "operator": "NotIn", "values": ["a"]}, {"z": "a"}, False),
        ({"key": "z", "operator": "NotIn", "values": ["a"]}, {}, True),
        ({"key": "z", "operator": "Exists"}, {"z": ""}, True),
        ({"key": "z", "operator": "Exists"}, {}, False),
        ({"key": "z", "operator": "DoesNotExist"}, {}, True),
        ({"key": "z", "operator": "DoesNotExist"}, {"z": "a"}, False),
        ({"key": "n", "operator": "Gt", "values": ["3"]}, {"n": "4"}, True),
        ({"key": "n", "operator": "Gt", "values": ["3"]}, {"n": "3"}, False),
        ({"key": "n", "operator": "Lt", "values": ["3"]}, {"n": "2"}, True),
        ({"key": "n", "operator": "Lt", "values": ["3"]}, {"n": "x"}, False),
        ({"key": "n", "operator": "Lt", "values": ["3"]}, {}, False),
        ({"key": "z", "operator": "Unknown", "values": ["a"]}, {"z": "a"}, False),
    ],
)
def test_node_affinity_operators(
    expression: dict[str, Any], labels: dict[str, str], fits: bool
) -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [expression]}]
            }
        }
    }
    assert (fit_problem(pod(affinity=affinity), node(labels)) is None) is fits


def test_any_affinity_term_may_match() -> None:
    terms = [
        {"matchExpressions": [{"key": "z", "operator": "In", "values": ["a"]}]},
        {"matchExpressions": [{"key": "z", "operator": "In", "values": ["b"]}]},
    ]
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}
        }
    }
    assert fit_problem(pod(affinity=affinity), node({"z": "b"})) is None


def test_placement_goes_round_from_the_start_given() -> None:
    nodes = [node(name="n1"), node(name="n2"), node(name="n3")]
    assert place(pod(), nodes, 0) == Placement("n1")
    assert place(pod(), nodes, 1) == Placement("n2")
    assert place(pod(), nodes, 5) == Placement("n3")
    only_b = [node({"pool": "a"}, name="n1"), node({"pool": "b"}, name="n2")]
    assert place(pod(nodeSelector={"pool": "b"}), only_b, 0) == Placement("n2")


def test_unschedulable_says_why_for_each_node() -> None:
    taint = {"key": "gpu", "value": "y", "effect": "NoSchedule"}
    nodes = [node(name="n1"), node({"pool": "b"}, [taint], name="n2"), node(name="n3")]
    placement = place(pod(nodeSelector={"pool": "b"}), nodes, 0)
    assert placement == Placement(
        None,
        "0/3 nodes are available: 2 node(s) didn't match node selector, 1 node(s) had taint "
        "{gpu: y}, that the pod didn't tolerate.",
    )
    condition = scheduling.unschedulable_condition(placement.message, "2030-01-01T00:00:00Z")
    assert condition == {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": placement.message,
        "lastTransitionTime": "2030-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("change", "pending"),
    [
        ({}, True),
        ({"spec": {"nodeName": "n1"}}, False),
        ({"metadata": {"name": "p", "deletionTimestamp": "2030-01-01T00:00:00Z"}}, False),
        ({"status": {"phase": "Running"}}, False),
        ({"spec": {"schedulerName": "other"}}, False),
        ({"spec": {"schedulerName": "default-scheduler"}}, True),
        ({"status": {}}, True),
    ],
)
def test_pending_pods_are_those_the_default_scheduler_waits_for(
    change: dict[str, Any], pending: bool
) -> None:
    assert scheduling.is_pending({**pod(), "status": {"phase": "Pending"}, **change}) is pending
