"""The Kubernetes phase of ``weft down`` says what it waits for while load balancers and
namespaces go (a fake cluster whose objects linger for a few looks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from weft.ops.apps import teardown as phase


@dataclass
class Fabric:
    name: str = "demo"


@dataclass
class Versions:
    ingress: str = "networking.k8s.io/v1"
    pdb: str = "policy/v1"


@dataclass
class Inventory:
    by_address: dict[str, Any] = field(default_factory=dict)


class Kube:
    """An Ingress and a namespace that are still there for the first ``looks`` reads."""

    def __init__(self, looks: int) -> None:
        self.looks = {"Ingress": looks, "Namespace": looks}
        self.ingress = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web"}},
        }

    def list(self, api_version: str, kind: str, namespace: Any, labels: Any) -> list[Any]:
        return [self.ingress] if kind == "Ingress" else []

    def delete(self, api_version: str, kind: str, name: str, namespace: Any = None) -> bool:
        return True

    def get(self, api_version: str, kind: str, name: str, namespace: Any = None) -> Any:
        if self.looks[kind] > 0:
            self.looks[kind] -= 1
            return {"metadata": {"name": name}}
        return None


@dataclass
class Conn:
    kube: Kube
    fabric: Fabric = field(default_factory=Fabric)
    versions: Versions = field(default_factory=Versions)
    said: list[tuple[str, str, str]] = field(default_factory=list)

    def emit(self, app: str, phase_: str, message: str) -> None:
        self.said.append((app, phase_, message))

    def inventory(self, fresh: bool = False) -> Inventory:
        return Inventory()


def test_every_wait_says_what_it_waits_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phase, "POLL", 0.001)
    monkeypatch.setattr(phase, "PROGRESS_EVERY", 0.0)
    conn = Conn(Kube(looks=3))
    report = phase.teardown(conn, ["demo"], timeout=30)  # type: ignore[arg-type]
    assert report.ok, report
    progress = [m for _app, p, m in conn.said if p == "progress"]
    assert any(
        m.startswith("waiting for the load balancers of Ingress demo/web to go") for m in progress
    ), conn.said
    assert any(m.startswith("waiting for namespace demo to terminate") for m in progress)


def test_a_short_wait_is_not_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phase, "POLL", 0.001)
    conn = Conn(Kube(looks=2))
    assert phase.teardown(conn, ["demo"], timeout=30).ok  # type: ignore[arg-type]
    assert [p for _app, p, _m in conn.said if p == "progress"] == []


def test_the_controller_goes_after_the_load_balancers_unless_something_waits_on_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(phase, "POLL", 0.001)
    conn = Conn(Kube(looks=1))
    report = phase.teardown(conn, ["demo"], timeout=30)  # type: ignore[arg-type]
    assert any("aws-load-balancer-controller" in d for d in report.deleted), report.deleted
    assert ("aws-load-balancer-controller", "teardown") in [(a, p) for a, p, _m in conn.said]

    held = Kube(looks=1)
    held.ingress["metadata"]["finalizers"] = ["ingress.k8s.aws/resources"]
    conn = Conn(held)
    report = phase.teardown(conn, ["demo"], timeout=30)  # type: ignore[arg-type]
    assert not any("aws-load-balancer-controller" in d for d in report.deleted), report.deleted
    kept = [m for _a, _p, m in conn.said if m.startswith("AWS Load Balancer Controller kept")]
    assert kept and "Ingress demo/web" in kept[0]
