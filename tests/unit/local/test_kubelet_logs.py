"""What the simulated containers print, and how the kubelet endpoint picks the lines a
``/containerLogs`` query asks for (pure parts of weft.local.kube.kubelet_logs)."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from weft.local.kube import node
from weft.local.kube.kubelet_logs import Line, LogBook, container_output, select
from weft.local.kube.pod_status import Step, Track

T0 = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
POD: dict[str, Any] = {
    "spec": {
        "containers": [
            {"name": "web", "image": "ghcr.io/acme/web:1.0", "ports": [{"containerPort": 8080}]}
        ]
    }
}
TRACK = Track("ns", "web-1", "uid", "n1", "10.0.0.5", 0.0, 0.0)


def step(outcome: str, *, first: bool, phase: str = "Running") -> Step:
    attempted = TRACK if first else dataclasses.replace(TRACK, stage="running")
    return Step({}, (), (), attempted, attempted, phase, {"web": outcome})


def test_a_started_container_prints_its_start_line_once() -> None:
    assert container_output(POD, step("ok", first=True)) == [
        ("web", "starting ghcr.io/acme/web:1.0"),
        ("web", "listening on port 8080"),
    ]
    assert container_output(POD, step("ok", first=False)) == []
    assert container_output(POD, step("ok", first=False, phase="Succeeded")) == [
        ("web", "done: exiting with code 0")
    ]


def test_a_crashing_container_exits_at_every_restart_and_a_missing_image_prints_nothing() -> None:
    crash = container_output(POD, step("crash", first=False))
    assert crash[-1] == ("web", "fatal: exiting with code 1")
    assert container_output(POD, step("fail", first=True)) == []


def test_since_and_tail_pick_the_lines() -> None:
    lines = [Line(T0 + datetime.timedelta(seconds=s), f"l{s}") for s in range(10)]
    now = T0 + datetime.timedelta(seconds=10)
    assert [x.text for x in select(lines, {"sinceSeconds": "3"}, now)] == ["l7", "l8", "l9"]
    assert [x.text for x in select(lines, {"tailLines": "2"}, now)] == ["l8", "l9"]
    since = {"sinceTime": "2030-01-01T00:00:08Z"}
    assert [x.text for x in select(lines, since, now)] == ["l8", "l9"]
    assert lines[0].render(True) == "2030-01-01T00:00:00.000000000Z l0\n"
    assert lines[0].render(False) == "l0\n"


def test_the_book_keeps_each_containers_lines_until_its_pod_goes() -> None:
    book = LogBook(clock=lambda: T0)
    shipped: list[tuple[tuple[str, str, str], str]] = []
    book.listen(lambda key, line: shipped.append((key, line.text)))
    book.write("ns", "web-1", "web", "one\ntwo")
    assert [x.text for x in book.lines(("ns", "web-1", "web"))] == ["one", "two"]
    assert shipped == [(("ns", "web-1", "web"), "one"), (("ns", "web-1", "web"), "two")]
    book.forget_pod("ns", "web-1")
    assert not book.known(("ns", "web-1", "web"))


def test_a_node_reports_where_its_kubelet_is_served() -> None:
    status = node.node_status(
        "n1", "10.0.1.10", "2030-01-01T00:00:00Z", "v1.36.2", ("localhost", 4321)
    )
    assert {"type": "InternalDNS", "address": "localhost"} in status["addresses"]
    assert {"type": "InternalIP", "address": "10.0.1.10"} in status["addresses"]
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 4321}}
