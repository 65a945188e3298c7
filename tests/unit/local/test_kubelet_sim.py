"""The kubelet simulator's loop around its pure decisions, on a fake API client and clock:
it binds, reports, retries and finalises as the decisions say, at the times they say."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx2
from lightkube import ApiError

from weft.local.kube.kubelet_sim import Kubelet
from weft.local.kube.pod_status import START_DELAY


class Answer:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def to_dict(self) -> dict[str, Any]:
        return self.body


def api_error(code: int) -> ApiError:
    request = httpx2.Request("PATCH", "https://kube.invalid")
    status = {"kind": "Status", "apiVersion": "v1", "code": code, "message": "no"}
    return ApiError(request=request, response=httpx2.Response(code, json=status, request=request))


class FakeClient:
    """Records what the kubelet writes; fails the pod status writes it is told to."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail_status: list[int] = []

    def create(self, obj: Any, namespace: str | None = None) -> Any:
        body = obj.to_dict()
        if body.get("kind") == "Event":
            self.calls.append(("event", body["reason"], body["message"]))
        else:
            self.calls.append(("bind", body["metadata"]["name"], body["target"]["name"]))
        return Answer(body)

    def patch(self, res: Any, name: str, body: dict[str, Any], **kw: Any) -> Any:
        if res.__name__ == "PodStatus" and self.fail_status:
            raise api_error(self.fail_status.pop(0))
        self.calls.append(("patch", res.__name__, name, body))
        return Answer(body)

    def delete(self, res: Any, name: str, **kw: Any) -> None:
        self.calls.append(("delete", res.__name__, name, kw))

    def list(self, res: Any, **kw: Any) -> list[Any]:
        return []


def ready_node(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"pool": name}},
        "spec": {},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def pod(name: str, image: str = "nginx:1", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "c", "image": image}], **spec},
        "status": {"phase": "Pending"},
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def kubelet() -> tuple[Kubelet, FakeClient, Clock]:
    client, clock = FakeClient(), Clock()
    k = Kubelet(client, Path("/nonexistent"), threading.Event(), clock=clock)  # type: ignore[arg-type]  # a fake client
    k.nodes = {"n1": ready_node("n1"), "n2": ready_node("n2")}
    k.node_ips = {"n1": "10.0.1.10", "n2": "10.0.2.10"}
    return k, client, clock


def kinds(client: FakeClient) -> list[tuple[Any, ...]]:
    return [c[:3] for c in client.calls]


def test_pending_pods_are_bound_round_robin_and_reported_as_the_scheduler_does() -> None:
    k, client, _ = kubelet()
    k.on_pod("ADDED", pod("a"))
    k.on_pod("ADDED", pod("b"))
    k._schedule_pending(retry_unschedulable=True)
    assert kinds(client) == [
        ("bind", "a", "n1"),
        ("event", "Scheduled", "Successfully assigned ns/a to n1"),
        ("bind", "b", "n2"),
        ("event", "Scheduled", "Successfully assigned ns/b to n2"),
    ]


def test_an_unschedulable_pod_is_reported_once_per_message() -> None:
    k, client, _ = kubelet()
    k.on_pod("ADDED", pod("p", nodeSelector={"pool": "gpu"}))
    k._schedule_pending(retry_unschedulable=True)
    k._schedule_pending(retry_unschedulable=True)
    k._schedule_pending(retry_unschedulable=False)
    message = "0/2 nodes are available: 2 node(s) didn't match node selector."
    assert [c[:3] for c in client.calls if c[0] == "event"] == [
        ("event", "FailedScheduling", message)
    ]
    (patch,) = [c for c in client.calls if c[0] == "patch"]
    assert patch[3]["status"]["conditions"][0]["reason"] == "Unschedulable"
    assert k.unschedulable_noted == {"uid-p": message}


def test_a_bound_pod_runs_after_the_start_delay() -> None:
    k, client, clock = kubelet()
    k.on_pod("ADDED", pod("p", nodeName="n1"))
    k._advance(clock.now + START_DELAY - 0.01)
    assert client.calls == []
    k._advance(clock.now + START_DELAY)
    (patch, started) = client.calls
    assert patch[:3] == ("patch", "PodStatus", "p")
    assert patch[3]["status"]["phase"] == "Running"
    assert patch[3]["status"]["hostIP"] == "10.0.1.10"
    assert started == ("event", "Started", "Started container(s) c")
    assert k.tracks["uid-p"].stage == "running"


def test_a_failed_status_write_is_retried_a_second_later_and_a_gone_pod_is_dropped() -> None:
    k, client, clock = kubelet()
    k.on_pod("ADDED", pod("p", "app:fail", nodeName="n1"))
    due = clock.now + START_DELAY
    client.fail_status = [500]
    k._advance(due)
    track = k.tracks["uid-p"]
    assert track.due == due + 1.0 and track.pull_errors == 1  # the step was taken
    assert [c[:2] for c in client.calls] == [("event", "Failed")]
    client.fail_status = [404]
    k._advance(due + 1.0)
    assert k.tracks["uid-p"].stage == "done"
    k._advance(due + 100.0)
    assert not [c for c in client.calls if c[0] == "patch"]


def test_a_pod_being_deleted_on_our_node_is_finalised() -> None:
    k, client, _ = kubelet()
    gone = pod("p", nodeName="n1")
    gone["metadata"]["deletionTimestamp"] = "2030-01-01T00:00:00Z"
    k.on_pod("MODIFIED", gone)
    assert client.calls == [("delete", "Pod", "p", {"namespace": "ns", "grace_period": 0})]
    elsewhere = pod("q", nodeName="not-ours")
    elsewhere["metadata"]["deletionTimestamp"] = "2030-01-01T00:00:00Z"
    k.on_pod("MODIFIED", elsewhere)
    assert len(client.calls) == 1


def test_a_deleted_pod_is_forgotten() -> None:
    k, _, _ = kubelet()
    p = pod("p", nodeName="n1")
    k.on_pod("ADDED", p)
    assert "uid-p" in k.tracks
    k.on_pod("DELETED", p)
    assert k.tracks == {} and k.pods == {}


def test_pods_take_the_addresses_of_their_nodes_interface() -> None:
    k, _, _ = kubelet()
    k.pod_pools = {"n1": ["10.40.0.21", "10.40.0.22"]}
    first = k._next_ip("n1")
    taken = pod("a", nodeName="n1")
    taken["status"] = {"phase": "Running", "podIP": first}
    k.pods[("ns", "a")] = taken
    second = k._next_ip("n1")
    assert {first, second} == {"10.40.0.21", "10.40.0.22"}
    assert k._next_ip("n2").startswith("10.244.")  # a node that is no instance
