"""``weft upgrade`` on the local cloud: a cluster moved two minor versions (from the local cloud's
own calendar) with an app serving throughout, add-ons (Container Insights', the containers' logs',
metrics-server and the Pod Identity agent among them) and node groups following in order, the
fabric file rewritten; a blocking PodDisruptionBudget refused before anything changes; ``up``
refusing a version changed by hand; a crash mid-upgrade resumed (through the CLI, ``--json``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from weft.aws import eks_upgrade
from weft.aws.journal import read_journal
from weft.cli.main import main
from weft.errors import ConfigError, GuardError
from weft.fabricfile import load_fabric
from weft.fabricfile.k8s_version import check_k8s_version
from weft.kube.manifests import ApiVersions
from weft.local.kube.control_plane import KubeEndpoint
from weft.local.moto_eks import versions
from weft.ops.apps.connection import Connection
from weft.ops.apps.deploy import deploy
from weft.ops.apps.lb_controller import APP as CONTROLLER
from weft.ops.apps.lb_controller import RENDERED_FOR
from weft.ops.apps.teardown import teardown as kubernetes_teardown
from weft.ops.plan import make_plan
from weft.ops.rotate import plan_rotation, rotate
from weft.ops.target import Target, connect
from weft.ops.upgrade import UpgradeEvent, preflight, upgrade

from .helpers import down, up

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

FABRIC = "upfab"
#: the add-ons weft installs for Container Insights, the containers' logs, metrics and Pod
#: Identity: moved by the upgrade like the others
OBSERVABILITY_ADDONS = (
    "amazon-cloudwatch-observability",
    "eks-pod-identity-agent",
    "fluent-bit",
    "metrics-server",
)


def calendar_path() -> tuple[str, str, str]:
    """Three consecutive versions of the local calendar still supported today, the newest last."""
    supported = [
        r.version for r in versions.CALENDAR if r.status(versions.today()) != "UNSUPPORTED"
    ]
    return supported[-3], supported[-2], supported[-1]


OLD, MID, NEW = calendar_path()


def the_file_accepts(version: str) -> bool:
    try:
        check_k8s_version(version)
    except Exception:
        return False
    return True


if not the_file_accepts(NEW):  # pragma: no cover - until the file takes the calendar's versions
    pytest.skip(
        f"the fabric file does not accept Kubernetes {NEW} yet (a fixed list of versions, "
        "replaced by EKS's calendar in issue 10)",
        allow_module_level=True,
    )

TEXT = f"""\
name: {FABRIC}
region: us-east-2
provider: local
network: {{cidr: 10.61.0.0/16, zones: 2, nat: single, layout: private}}
cluster:
  version: "{OLD}"     # upgraded by weft upgrade
  api_cidrs: [203.0.113.0/24]
  pod_identity: true
observability: {{container_insights: true}}   # and the containers' logs, on by default
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 2, max: 4, desired: 2}}
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 2
    port: 8080
    disruption: {{min_available: 1}}
"""


def target_at(path: Path) -> Target:
    return connect(load_fabric(path), local=True)


@pytest.fixture(scope="module")
def fabric(
    kube_api: KubeEndpoint, moto_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("upgrade") / "fabric.yaml"
    path.write_text(TEXT)
    target = target_at(path)
    assert up(target).ok
    conn = Connection(target)
    assert deploy(conn).ok
    yield path
    conn = Connection(target_at(path))
    assert kubernetes_teardown(conn, [FABRIC], timeout=120).ok
    conn.close()
    assert down(target_at(path)).ok


def cluster_state(target: Target) -> dict[str, Any]:
    ctx = target.context()
    name = str(Connection(target).cluster().id)
    return {
        "cluster": eks_upgrade.cluster(ctx, name)["version"],
        "nodegroups": {g["nodegroupName"]: g["version"] for g in eks_upgrade.nodegroups(ctx, name)},
        "addons": {a["addonName"]: a["addonVersion"] for a in eks_upgrade.addons(ctx, name)},
    }


def test_a_blocking_budget_refuses_the_upgrade_before_anything_changes(fabric: Path) -> None:
    target = target_at(fabric)
    conn = Connection(target)
    before, text = cluster_state(target), fabric.read_text()
    own = conn.kube.get("policy/v1", "PodDisruptionBudget", "web", namespace=FABRIC) or {}
    conn.kube.apply(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web-all", "namespace": FABRIC},
            "spec": {"minAvailable": 2, "selector": own["spec"]["selector"]},
        }
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # the disruption controller computes the budget's status
            plan = preflight(target, NEW, conn)
            if not plan.ok or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert not plan.ok
        [failure] = plan.failures()
        assert f"{FABRIC}/web-all" in failure and "allows no disruption" in failure
        with pytest.raises(GuardError, match="nothing was changed"):
            upgrade(target, plan, lambda _e: None)
        rotation = plan_rotation(target, conn=conn)  # nor can the nodes be rotated
        [refused] = rotation.failures()
        assert f"{FABRIC}/web-all" in refused and "allows no disruption" in refused
        with pytest.raises(GuardError, match="nothing was changed"):
            rotate(target, rotation, lambda _e: None)
        assert cluster_state(target) == before
        assert fabric.read_text() == text
    finally:
        conn.kube.delete("policy/v1", "PodDisruptionBudget", "web-all", namespace=FABRIC)


def test_the_apps_objects_are_checked_against_the_apis_the_target_removes(fabric: Path) -> None:
    target = target_at(fabric)
    plan = preflight(target, NEW)
    [ok] = [c for c in plan.checks if c.name == "removed APIs"]
    assert ok.status == "ok" and f"Kubernetes {NEW} serves" in ok.message
    # a cluster that served only the older PodDisruptionBudget API: weft renders the budget in it
    conn = Connection(target)
    conn._versions = ApiVersions(pdb="policy/v1beta1")
    before = cluster_state(target)
    plan = preflight(target, NEW, conn)
    assert not plan.ok
    [failure] = [c.message for c in plan.checks if c.status == "fail"]
    assert "app web: PodDisruptionBudget web is rendered as policy/v1beta1" in failure
    assert "use policy/v1" in failure and "deprecation-guide" in failure
    with pytest.raises(GuardError, match="nothing was changed"):
        upgrade(target, plan, lambda _e: None)
    assert cluster_state(target) == before


def test_up_refuses_a_version_changed_by_hand(fabric: Path, tmp_path: Path) -> None:
    edited = tmp_path / "fabric.yaml"
    edited.write_text(fabric.read_text().replace(f'"{OLD}"', f'"{NEW}"'))
    with pytest.raises(ConfigError) as refused:
        make_plan(target_at(edited))
    message = str(refused.value)
    assert f"Upgrade path: {OLD} → {MID} → {NEW}" in message
    assert f"weft upgrade --to {NEW}" in message


class Availability:
    """Samples the app's available replicas in the background (the fewest seen)."""

    def __init__(self, target: Target) -> None:
        self.conn = Connection(target)
        self.lowest = 99
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.wait(0.2):
            d = self.conn.kube.get("apps/v1", "Deployment", "web", namespace=FABRIC) or {}
            self.lowest = min(
                self.lowest, int((d.get("status") or {}).get("availableReplicas") or 0)
            )

    def __enter__(self) -> Availability:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()


class Crash(Exception):
    """Stands for the process dying."""


def test_an_upgrade_across_two_versions_crashes_then_resumes(
    fabric: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = target_at(fabric)
    original = fabric.read_text()
    before = cluster_state(target)["addons"]
    assert set(OBSERVABILITY_ADDONS) <= set(before)
    plan = preflight(target, NEW)
    assert plan.ok, plan.failures()
    assert plan.path == [MID, NEW]
    kinds = [(s.version, s.kind) for s in plan.steps]
    assert kinds.index((MID, "control-plane")) < kinds.index((MID, "addon"))
    assert kinds.index((MID, "addon")) < kinds.index((MID, "nodegroup"))
    moved = [s.subject for s in plan.steps if s.kind == "addon" and s.version == MID]
    first = [a for a in ("vpc-cni", "kube-proxy", "coredns") if a in moved]
    assert moved[: len(first)] == first  # then the others, by name
    # weft's controller re-rendered for each version, once its node groups run it
    for version in (MID, NEW):
        assert kinds.index((version, "nodegroup")) < kinds.index((version, "objects"))
        assert kinds.index((version, "objects")) < kinds.index((version, "file"))
    [objects] = [s for s in plan.steps if s.kind == "objects" and s.version == MID]
    assert (objects.subject, objects.have) == (CONTROLLER, OLD)

    def crash_mid_drain(event: UpgradeEvent) -> None:
        if event.step.startswith(f"{MID}/nodegroup/") and event.status == "progress":
            raise Crash  # the node group's update is under way

    with Availability(target) as seen, pytest.raises(Crash):
        upgrade(target, plan, crash_mid_drain)
    assert seen.lowest >= 1
    state = cluster_state(target)
    assert state["cluster"] == MID
    assert fabric.read_text() == original  # the file follows whole versions only

    # resumed through the CLI: the control plane and add-ons are not redone
    with Availability(target) as seen:
        code = main(["upgrade", "-f", str(fabric), "--to", NEW, "--yes", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["event"] == "plan"
    resumed = [step["step"] for step in lines[0]["upgrade"]["steps"]]
    # the node group's update (still under way, or finished by EKS meanwhile), then the file
    # catching up with that whole version, is all that is left of the first version: the
    # control plane and add-ons are not redone
    assert [k for k in resumed if k.startswith(f"{MID}/")] in (
        [f"{MID}/objects/{CONTROLLER}", f"{MID}/file/cluster.version"],
        [
            f"{MID}/nodegroup/{state_name(state)}",
            f"{MID}/objects/{CONTROLLER}",
            f"{MID}/file/cluster.version",
        ],
    )
    assert resumed[-1] == f"{NEW}/file/cluster.version"
    assert lines[-1]["event"] == "summary" and lines[-1]["ok"] is True
    statuses = {line["status"] for line in lines if line["event"] == "upgrade"}
    assert {"started", "done"} <= statuses and "failed" not in statuses
    assert seen.lowest >= 1  # never below the budget (min_available 1)

    after = cluster_state(target_at(fabric))
    assert after["cluster"] == NEW
    assert set(after["nodegroups"].values()) == {NEW}
    ctx, name = target.context(), str(Connection(target).cluster().id)
    for addon, version in after["addons"].items():
        assert version == eks_upgrade.compatible_versions(ctx, addon, NEW)[1], addon
    # the observability add-ons too: EKS's default for the target differs from the one they
    # were installed at, and the plan moved them
    moved_in_plan = {s.subject for s in plan.steps if s.kind == "addon"}
    for addon in OBSERVABILITY_ADDONS:
        assert after["addons"][addon] != before[addon], addon
        assert addon in moved_in_plan, addon
    assert fabric.read_text() == original.replace(f'"{OLD}"', f'"{NEW}"')
    nodes = Connection(target_at(fabric)).kube.list(
        "v1", "Node", labels={"weft.local/cluster": name}
    )
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {f"v{NEW}.0-eks-local"}
    entries = [e for e in read_journal(ctx, limit=50) if e.get("command") == "upgrade"]
    assert {e["step"] for e in entries} >= {
        f"{NEW}/control-plane/{name}",
        f"{NEW}/file/cluster.version",
    }
    controller = Connection(target_at(fabric)).kube.get(
        "apps/v1", "Deployment", CONTROLLER, "kube-system"
    )
    assert controller is not None
    assert controller["metadata"]["annotations"][RENDERED_FOR] == NEW
    assert f"{NEW}/objects/{CONTROLLER}" in {e["step"] for e in entries}
    # the file and the cloud agree again: nothing left for up to do
    assert not make_plan(target_at(fabric)).has_changes
    # and nothing left to upgrade to that version
    assert preflight(target_at(fabric), NEW).steps == []


def state_name(state: dict[str, Any]) -> str:
    [name] = state["nodegroups"]
    return str(name)


def test_rotate_nodes_replaces_a_groups_nodes_crashes_then_resumes(
    fabric: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = target_at(fabric)
    conn = Connection(target)
    ctx, name = target.context(), str(conn.cluster().id)
    [group] = eks_upgrade.nodegroups(ctx, name)
    old_nodes = {
        n["metadata"]["name"]
        for n in conn.kube.list(
            "v1", "Node", labels={"eks.amazonaws.com/nodegroup": group["nodegroupName"]}
        )
    }
    plan = plan_rotation(target, "general")
    assert plan.ok and not plan.resumed, plan.failures()
    [step] = plan.steps
    assert step.subject == group["nodegroupName"] and step.kind == "rotate"
    assert group["releaseVersion"] in step.have and step.note == "max_unavailable 33%"

    def crash_mid_drain(event: UpgradeEvent) -> None:
        if event.status == "progress":
            raise Crash  # the group's update is under way

    with Availability(target) as seen, pytest.raises(Crash):
        rotate(target, plan, crash_mid_drain)
    assert seen.lowest >= 1

    # resumed through the CLI: the update under way is waited for, not started again
    with Availability(target) as seen:
        code = main(["rotate-nodes", "-f", str(fabric), "--yes", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["event"] == "plan" and lines[0]["rotate"]["resumed"] is True
    assert lines[0]["rotate"]["since"] == plan.since
    events = [line for line in lines if line["event"] == "rotate"]
    assert {e["rotate"] for e in events} == {step.key}
    statuses = {e["status"] for e in events} - {"dip"}  # a dip within the budget is reported
    # the update still under way (waited for), or ended meanwhile (nothing left to do)
    assert statuses in (
        {"started", "progress", "done"},
        {"started", "done"},
        {"started", "skipped"},
    )
    assert lines[-1]["event"] == "summary" and lines[-1]["ok"] is True
    assert seen.lowest >= 1  # never below the budget (min_available 1)
    updates = eks_upgrade.nodegroup_updates(ctx, name, group["nodegroupName"])
    assert sum(1 for u in updates if u["createdAt"].isoformat() >= plan.since) == 1

    new_nodes = {
        n["metadata"]["name"]
        for n in Connection(target_at(fabric)).kube.list(
            "v1", "Node", labels={"eks.amazonaws.com/nodegroup": group["nodegroupName"]}
        )
    }
    assert new_nodes and not new_nodes & old_nodes
    entries = [e for e in read_journal(ctx, limit=50) if e.get("command") == "rotate-nodes"]
    assert [e["step"] for e in entries][:2] == ["end", step.key]
    assert entries[-1]["step"] == "begin" and entries[-1]["groups"] == [step.subject]
    # done: a new rotation starts afresh
    assert not plan_rotation(target_at(fabric)).resumed
