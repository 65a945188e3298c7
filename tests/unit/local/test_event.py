"""The Events the simulators record (pure part: the Event object)."""

from __future__ import annotations

from weft.local.kube.event import event_body


def test_an_event_names_its_object_and_its_source() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "shop", "uid": "u1", "resourceVersion": "7"},
    }
    body = event_body(
        pod,
        "BackOff",
        "Back-off restarting failed container",
        type_="Warning",
        component="kubelet",
        host="node-1",
        stamp="2030-01-01T00:00:00Z",
        suffix="abc",
    )
    assert body["metadata"] == {"name": "web-1.abc", "namespace": "shop"}
    assert body["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": "web-1",
        "namespace": "shop",
        "uid": "u1",
        "resourceVersion": "7",
    }
    assert (body["reason"], body["type"], body["count"]) == ("BackOff", "Warning", 1)
    assert body["source"] == {"component": "kubelet", "host": "node-1"}
    assert body["reportingInstance"] == "node-1"
    assert body["firstTimestamp"] == body["lastTimestamp"] == "2030-01-01T00:00:00Z"


def test_an_event_about_a_cluster_object_goes_to_default() -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}
    body = event_body(
        node,
        "Ready",
        "ready",
        type_="Normal",
        component="aws-load-balancer-controller",
        host=None,
        stamp="t",
        suffix="s",
    )
    assert body["metadata"]["namespace"] == "default"
    assert body["source"] == {"component": "aws-load-balancer-controller"}
    assert body["reportingInstance"] == "aws-load-balancer-controller"
