"""The release history ConfigMap (pure render and parse, and recording through a store)."""

from __future__ import annotations

import json
from typing import Any

from weft.kube import releases
from weft.kube.releases import Release


class Store:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        return self.objects.get(name)

    def apply(self, obj: Any) -> dict[str, Any]:
        self.objects[obj["metadata"]["name"]] = obj
        return obj


def test_record_appends_and_round_trips() -> None:
    store = Store()
    labels = {"app.kubernetes.io/name": "web"}
    releases.record(store, "demo", "web", labels, Release("1.0.0", "r/web:1.0.0", "deployed", 1))
    history = releases.record(
        store,
        "demo",
        "web",
        labels,
        Release("1.1.0", "r/web:1.1.0", "failed", 2, rolled_back_to=1, detail="CrashLoopBackOff"),
    )
    cm = store.objects["weft-history-web"]
    assert cm["metadata"] == {"name": "weft-history-web", "namespace": "demo", "labels": labels}
    assert releases.load(store, "demo", "web") == history
    assert [(r.version, r.outcome, r.rolled_back_to) for r in history] == [
        ("1.0.0", "deployed", None),
        ("1.1.0", "failed", 1),
    ]


def test_only_the_last_releases_are_kept() -> None:
    many = [Release(f"1.0.{i}", "i", "deployed", i) for i in range(releases.KEEP + 5)]
    cm = releases.render("web", "demo", {}, many)
    kept = json.loads(cm["data"][releases.DATA_KEY])
    assert len(kept) == releases.KEEP
    assert kept[0]["version"] == "1.0.5"


def test_unreadable_history_is_empty_not_an_error() -> None:
    assert releases.parse(None) == []
    assert releases.parse({"data": {releases.DATA_KEY: "{not json"}}) == []
    assert (
        releases.parse(
            {
                "data": {
                    releases.DATA_KEY: '[{"version": "1", "image": "i", '
                    '"outcome": "deployed", "new": 1}]'
                }
            }
        )[0].version
        == "1"
    )
