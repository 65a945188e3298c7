"""Release history of an application, kept in its cluster next to the application.

One ConfigMap per application, ``weft-history-<app>`` in the fabric's namespace, labelled like
the application (so pruning and teardown find it) and holding ``releases.json``: a list of
:class:`Release`, oldest first, the last :data:`KEEP` kept. Each entry says which Deployment
revision a release became, which version and image it ran, when, and how it ended:

- ``deployed``: the rollout finished;
- ``failed``: the rollout failed (``detail`` names the pods and reasons) and was rolled back
  automatically to ``rolled_back_to``;
- ``rollback``: ``weft rollback`` restored revision ``rolled_back_to`` (``revision`` is the new
  revision the controller gave it).

Kubernetes keeps the pod templates themselves (ReplicaSets, ``revisionHistoryLimit`` of them);
the history adds what Kubernetes cannot know: versions, outcomes, and failures.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

PREFIX = "weft-history-"
DATA_KEY = "releases.json"
KEEP = 50


class Store(Protocol):
    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None: ...

    def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Release:
    version: str
    image: str
    outcome: str
    revision: int | None = None
    at: str = field(default_factory=lambda: now_iso())
    rolled_back_to: int | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Release:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def configmap_name(app: str) -> str:
    return f"{PREFIX}{app}"


def render(
    app: str, namespace: str, labels: Mapping[str, str], releases: list[Release]
) -> dict[str, Any]:
    """The ConfigMap holding ``releases`` (the last :data:`KEEP`)."""
    kept = releases[-KEEP:]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": configmap_name(app),
            "namespace": namespace,
            "labels": dict(labels),
        },
        "data": {DATA_KEY: json.dumps([r.to_dict() for r in kept], indent=1)},
    }


def parse(configmap: Mapping[str, Any] | None) -> list[Release]:
    if not configmap:
        return []
    raw = (configmap.get("data") or {}).get(DATA_KEY) or "[]"
    try:
        items = json.loads(raw)
    except ValueError:
        return []
    return [Release.from_dict(i) for i in items if isinstance(i, dict)]


def load(store: Store, namespace: str, app: str) -> list[Release]:
    return parse(store.get("v1", "ConfigMap", configmap_name(app), namespace))


def record(
    store: Store, namespace: str, app: str, labels: Mapping[str, str], release: Release
) -> list[Release]:
    """Append ``release`` to the application's history; the history as now stored."""
    history = [*load(store, namespace, app), release]
    store.apply(render(app, namespace, labels, history))
    return history[-KEEP:]
