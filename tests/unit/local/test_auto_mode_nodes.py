"""EKS Auto Mode's simulated nodes: launched for pods nothing runs, retired when idle, and
followed by the kubelet simulator next to the node groups' nodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from weft.local.kube import auto_mode_nodes as am
from weft.local.kube.kubelet_sim import load_nodes

UNSCHEDULABLE = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}


def pod(name: str, *, node: str | None = None, selector: dict[str, str] | None = None,
        conditions: list[dict[str, str]] | None = None, owner: str = "ReplicaSet",
        phase: str = "Pending") -> dict[str, Any]:  # fmt: skip
    return {
        "metadata": {"name": name, "namespace": "web", "ownerReferences": [{"kind": owner}]},
        "spec": {**({"nodeName": node} if node else {}), "nodeSelector": selector or {}},
        "status": {"phase": phase, "conditions": conditions or []},
    }


FITS = am.template("demo", "us-east-2a", "us-east-2")


def test_a_pod_no_node_takes_gets_a_node_when_an_auto_node_would_fit_it() -> None:
    assert am.wants_node([pod("a", conditions=[UNSCHEDULABLE])], FITS, any_node=True)
    # no node at all: nothing has said Unschedulable yet, and nothing will run it
    assert am.wants_node([pod("a")], FITS, any_node=False)
    # a pod the scheduler has not judged yet, with nodes around: wait
    assert not am.wants_node([pod("a")], FITS, any_node=True)
    # bound already, or asking for a node group's nodes: no Auto Mode node helps
    assert not am.wants_node([pod("a", node="n1")], FITS, any_node=False)
    other = pod("a", selector={"eks.amazonaws.com/nodegroup": "gpu"}, conditions=[UNSCHEDULABLE])
    assert not am.wants_node([other], FITS, any_node=True)
    auto = pod("a", selector={am.COMPUTE_TYPE: "auto"}, conditions=[UNSCHEDULABLE])
    assert am.wants_node([auto], FITS, any_node=True)


def test_a_node_running_nothing_but_daemon_sets_is_retired_after_a_while() -> None:
    since: dict[str, float] = {}
    pods = [
        pod("web", node="i-1", phase="Running"),
        pod("agent", node="i-2", owner="DaemonSet", phase="Running"),
        pod("job", node="i-3", phase="Succeeded"),
    ]
    assert am.idle_nodes(["i-1", "i-2", "i-3"], pods, since, 100.0) == []
    later = 100.0 + am.IDLE_AFTER
    assert am.idle_nodes(["i-1", "i-2", "i-3"], pods, since, later) == ["i-2", "i-3"]
    # busy again: the clock starts over
    assert am.idle_nodes(["i-2"], [pod("web", node="i-2", phase="Running")], since, later) == []
    assert "i-2" not in since


def test_the_kubelet_follows_auto_modes_nodes_without_its_generic_ones(tmp_path: Path) -> None:
    assert [n["name"] for n in load_nodes(tmp_path)][:1] == ["local-node-1"]
    (tmp_path / am.STATE_FILE).write_text("[]")
    assert load_nodes(tmp_path) == []  # an Auto Mode cluster with no node yet
    auto = {"name": "i-0abc", "labels": {am.COMPUTE_TYPE: "auto"}}
    (tmp_path / am.STATE_FILE).write_text(json.dumps([auto]))
    (tmp_path / "nodes.json").write_text(json.dumps([{"name": "ng-1"}]))
    assert [n["name"] for n in load_nodes(tmp_path)] == ["ng-1", "i-0abc"]
