"""The Cluster Autoscaler simulator's decisions and the scheduler's resource fit (pure)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from weft.local.kube import resources, scheduling
from weft.local.kube.autoscaler_sim import Group, idle_nodes, plan_scale_up
from weft.local.kube.node import node_status


def node(name: str, **labels: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {},
        "status": node_status(name, "10.0.0.1", "2026-12-01T00:00:00Z"),
    }


def pod(name: str, cpu: str = "1", on: str | None = None, **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "shop", "uid": f"uid-{name}", **meta},
        "spec": {
            "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}],
            **({"nodeName": on} if on else {}),
        },
        "status": {"phase": "Running" if on else "Pending"},
    }


def test_quantities_and_a_pod_s_request() -> None:
    assert resources.quantity("500m") == Decimal("0.5")
    assert resources.quantity("1Gi") == 2**30
    assert resources.quantity("2") == 2
    assert resources.quantity("1e3") == 1000
    p = pod("a", "250m")
    p["spec"]["containers"].append({"name": "d", "resources": {"requests": {"memory": "1Gi"}}})
    p["spec"]["initContainers"] = [{"name": "i", "resources": {"requests": {"cpu": "2"}}}]
    assert resources.pod_request(p) == resources.Request(Decimal(2), Decimal(2**30), 1)


def test_a_pod_does_not_fit_a_node_its_neighbours_fill() -> None:
    n = node("n1")
    used = resources.used_by_node([pod("a", "3", on="n1"), pod("done", "3", on="n1")])
    used_all = resources.used_by_node([pod("a", "3", on="n1")])
    assert used == {"n1": resources.Request(Decimal(6), Decimal(0), 2)}
    placed = scheduling.place(pod("b", "1"), [n], 0, used_all)
    assert placed.node is None
    assert placed.message == "0/1 nodes are available: 1 Insufficient cpu."
    assert scheduling.place(pod("c", "900m"), [n], 0, used_all).node == "n1"
    assert scheduling.place(pod("b", "1"), [n], 0).node == "n1"  # not counted: fits


def test_scale_up_packs_pending_pods_within_the_group_s_max() -> None:
    group = Group("eks-general-1", min_size=1, max_size=3, desired=1, nodes=[node("n1")])
    pending = [pod(f"p{i}") for i in range(9)]  # 3 fit a node of 3920m
    plan = plan_scale_up(pending, [group])
    assert plan.desired == {"eks-general-1": 3}
    assert len(plan.triggered) == 6
    assert set(plan.not_triggered.values()) == {
        "pod didn't trigger scale-up: 1 max node group size reached"
    }
    assert len(plan.not_triggered) == 3


def test_nodes_asked_for_are_counted_before_new_ones() -> None:
    group = Group("g", min_size=1, max_size=5, desired=2, nodes=[node("n1")])  # one upcoming
    plan = plan_scale_up([pod("a"), pod("b")], [group])
    assert plan.desired == {}  # both fit the node on its way
    assert plan.triggered == {} and plan.not_triggered == {}


def test_a_pod_no_group_s_node_fits_triggers_nothing() -> None:
    group = Group("g", min_size=1, max_size=5, desired=1, nodes=[node("n1", team="a")])
    picky = pod("a")
    picky["spec"]["nodeSelector"] = {"team": "b"}
    plan = plan_scale_up([picky], [group])
    assert plan.desired == {}
    assert "wouldn't fit if a new node is added" in plan.not_triggered["uid-a"]


def test_idle_nodes_run_nothing_but_daemon_set_and_system_pods() -> None:
    nodes = [node("n1"), node("n2"), node("n3")]
    ds = pod("ds", on="n1", ownerReferences=[{"kind": "DaemonSet", "name": "x"}])
    system = pod("dns", on="n2")
    system["metadata"]["namespace"] = "kube-system"
    app = pod("web", on="n3")
    assert idle_nodes(nodes, [ds, system, app]) == {"n1", "n2"}
    unsafe = pod(
        "ca", on="n2", annotations={"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}
    )
    unsafe["metadata"]["namespace"] = "kube-system"
    assert idle_nodes(nodes, [ds, system, app, unsafe]) == {"n1"}
