"""The pure rules of the local EKS's upgrades: the nodes of a group during a version rollout,
the deprecated-API insight read from audit events, what a drain evicts, and the audit flags."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from weft.local.kube import drain, flags
from weft.local.moto_eks import insights, rollout
from weft.local.moto_eks.nodegroup import nodes_of

from .test_kube_flags import API


def group(**attrs: Any) -> Any:
    base: dict[str, Any] = {
        "cluster_name": "shop",
        "nodegroup_name": "general",
        "region": "us-east-2",
        "status": "ACTIVE",
        "scaling_config": {"desiredSize": 2},
        "capacity_type": None,
        "instance_types": None,
        "labels": None,
        "taints": None,
        "version": "1.40",
    }
    return SimpleNamespace(**{**base, **attrs})


def test_nodes_report_their_group_kubelet_version() -> None:
    nodes = nodes_of([group()])
    assert [n["name"] for n in nodes] == ["shop-general-1", "shop-general-2"]
    assert {n["kubelet_version"] for n in nodes} == {"v1.40.0-eks-local"}
    assert not any("drain" in n for n in nodes)


def test_during_a_rollout_the_old_nodes_drain_next_to_the_new_ones() -> None:
    ng = group(weft_rollout={"update": "u-1", "version": "1.41"})
    nodes = {n["name"]: n for n in nodes_of([ng])}
    assert list(nodes) == [
        "shop-general-1",
        "shop-general-2",
        "shop-general-g1-1",
        "shop-general-g1-2",
    ]
    assert nodes["shop-general-1"]["drain"] == {
        "update": "u-1",
        "seconds": rollout.DRAIN_SECONDS,
        "parallel": 1,
    }
    assert nodes["shop-general-1"]["kubelet_version"] == "v1.40.0-eks-local"
    assert "drain" not in nodes["shop-general-g1-1"]
    assert nodes["shop-general-g1-1"]["kubelet_version"] == "v1.41.0-eks-local"


def test_a_finished_rollout_moves_the_group_a_failed_one_does_not() -> None:
    ng = group(weft_rollout={"update": "u-1", "version": "1.41"})
    rollout.finish(ng, "1.41", succeeded=False)
    assert (ng.version, rollout.generation(ng), ng.status) == ("1.40", 0, "ACTIVE")
    assert [n["name"] for n in nodes_of([ng])] == ["shop-general-1", "shop-general-2"]
    rollout.finish(ng, "1.41", succeeded=True)
    assert (ng.version, ng.release_version) == ("1.41", rollout.release_version("1.41"))
    assert [n["name"] for n in nodes_of([ng])] == ["shop-general-g1-1", "shop-general-g1-2"]


def audit(user: str, agent: str, resource: str, deprecated: bool = True) -> str:
    return json.dumps(
        {
            "user": {"username": user},
            "userAgent": agent,
            "objectRef": {"resource": resource, "apiVersion": "v1"},
            "annotations": {"k8s.io/deprecated": "true"} if deprecated else {},
            "stageTimestamp": "2026-01-01T00:00:00Z",
        }
    )


def test_deprecated_calls_count_workload_clients_only() -> None:
    lines = [
        audit("weft-admin", "legacy/1", "componentstatuses"),
        audit("weft-admin", "legacy/1", "componentstatuses"),
        audit("system:kube-controller-manager", "kcm", "endpoints"),
        audit("weft-local-simulators", "sim", "endpoints"),
        audit("weft-admin", "modern/2", "pods", deprecated=False),
        "not json",
    ]
    assert insights.deprecated_calls(lines) == [
        {
            "usage": "/api/v1/componentstatuses",
            "clientStats": [
                {
                    "userAgent": "legacy/1",
                    "numberOfRequestsLast30Days": 2,
                    "lastRequestTime": "2026-01-01T00:00:00Z",
                }
            ],
        }
    ]


def test_a_drain_evicts_running_pods_but_not_daemon_set_or_finished_ones() -> None:
    def pod(**meta: Any) -> dict[str, Any]:
        phase = meta.pop("phase", "Running")
        return {"metadata": {"name": "p", **meta}, "status": {"phase": phase}}

    assert drain.evictable(pod())
    assert not drain.evictable(pod(ownerReferences=[{"kind": "DaemonSet"}]))
    assert not drain.evictable(pod(phase="Succeeded"))
    assert not drain.evictable(pod(deletionTimestamp="2026-01-01T00:00:00Z"))
    assert drain.still_there(pod(deletionTimestamp="2026-01-01T00:00:00Z"))


def test_the_api_server_audits_when_given_a_policy_and_a_log() -> None:
    assert not any(a.startswith("--audit") for a in flags.apiserver_args("1.36.2", API))
    audited = dataclasses.replace(
        API, audit_policy=Path("/k/policy.json"), audit_log=Path("/k/audit.log")
    )
    args = flags.apiserver_args("1.36.2", audited)
    assert "--audit-policy-file=/k/policy.json" in args
    assert "--audit-log-path=/k/audit.log" in args


def test_a_rollout_replaces_at_most_the_groups_max_unavailable_nodes_at_once() -> None:
    sized = {"scaling_config": {"desiredSize": 7}}
    assert rollout.parallel(group(**sized)) == 1  # EKS's default: one node
    assert rollout.parallel(group(update_config={"maxUnavailable": 3}, **sized)) == 3
    assert rollout.parallel(group(update_config={"maxUnavailablePercentage": 50}, **sized)) == 3
    assert rollout.parallel(group(update_config={"maxUnavailablePercentage": 10}, **sized)) == 1
    assert rollout.parallel(group(update_config={"maxUnavailable": 500}, **sized)) == 100
    draining = group(
        update_config={"maxUnavailable": 2}, weft_rollout={"update": "u-1", "version": "1.41"}
    )
    marked = [n["drain"] for n in nodes_of([draining]) if "drain" in n]
    assert marked == [{"update": "u-1", "seconds": rollout.DRAIN_SECONDS, "parallel": 2}] * 2


def test_a_node_group_moves_only_to_a_newer_ami_release_of_its_version() -> None:
    older, newest = rollout.release_versions("1.40")
    assert rollout.release_version("1.40") == newest
    assert rollout.release_problem("1.40", older, newest) is None
    assert rollout.release_problem("1.40", newest, newest) is None  # fresh nodes, same AMI
    back = rollout.release_problem("1.40", newest, older)
    assert back == (
        f"Requested Nodegroup release version {older} is invalid. Allowed release version is "
        f"{newest}"
    )
    assert rollout.release_problem("1.40", newest, "1.40.9-20990101") is not None
    other = rollout.release_versions("1.41")[-1]
    assert rollout.release_problem("1.40", newest, other) == (
        f"Requested release version {other} is not valid for kubernetes version 1.40."
    )
