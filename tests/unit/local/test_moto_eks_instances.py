"""The local EKS's node instances: two placements at once (two node groups created together,
on the moto server's threads) launch one instance per node, never two."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from weft.local.moto_eks import instances


def test_concurrent_placements_launch_each_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[str] = []
    count = iter(range(1000))

    def launch(account: str, region: str, node: dict[str, Any], *_: Any) -> Any:
        time.sleep(0.05)  # RunInstances takes a while: the window two placements race in
        launched.append(node["name"])
        return SimpleNamespace(id=f"i-{next(count)}")

    monkeypatch.setattr(instances, "_LAUNCHED", {})
    monkeypatch.setattr(instances, "_launch", launch)
    monkeypatch.setattr(instances, "_alive", lambda *_: SimpleNamespace())
    monkeypatch.setattr(instances, "_terminate", lambda *_: None)
    monkeypatch.setattr(instances, "_account", lambda _c: "123456789012")
    monkeypatch.setattr(instances, "node_groups", lambda _ng, _c: ["sg-1"])
    monkeypatch.setattr(instances, "_describe", lambda _i, _g: {})
    cluster = SimpleNamespace(name="c")
    ng = SimpleNamespace(nodegroup_name="g", subnets=["subnet-1"], region="us-east-2")

    def nodes() -> list[dict[str, Any]]:
        labels = {"weft.local/cluster": "c", "eks.amazonaws.com/nodegroup": "g"}
        return [{"name": f"n{i}", "labels": labels} for i in (1, 2, 3)]

    threads = [
        threading.Thread(target=instances.place, args=(nodes(), [(ng, cluster)])) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(launched) == ["n1", "n2", "n3"]
