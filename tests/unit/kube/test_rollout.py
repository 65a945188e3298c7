"""How a rollout is judged from a Deployment, its ReplicaSets and its pods (pure)."""

from __future__ import annotations

from typing import Any

from weft.kube import rollout
from weft.kube.rollout import Progress, evaluate, rollback_template

UID = "uid-web"


def deployment(
    *,
    generation: int = 2,
    observed: int = 2,
    replicas: int = 3,
    revision: int = 2,
    updated: int = 3,
    ready: int = 3,
    available: int = 3,
    total: int = 3,
    conditions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web",
            "uid": UID,
            "generation": generation,
            "annotations": {rollout.REVISION: str(revision)},
        },
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}},
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": available,
            "replicas": total,
            "conditions": conditions or [],
        },
    }


def replicaset(revision: int, template_hash: str, image: str = "web:1") -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"web-{template_hash}",
            "labels": {"app": "web", rollout.HASH_LABEL: template_hash},
            "annotations": {rollout.REVISION: str(revision)},
            "ownerReferences": [{"uid": UID, "kind": "Deployment", "name": "web"}],
        },
        "spec": {
            "template": {
                "metadata": {
                    "labels": {"app": "web", rollout.HASH_LABEL: template_hash},
                    "annotations": {"weft.dev/version": image.split(":")[1]},
                    "creationTimestamp": None,
                },
                "spec": {"containers": [{"name": "web", "image": image}]},
            }
        },
    }


def pod(name: str, template_hash: str, reason: str | None = None, restarts: int = 0) -> dict:
    state: dict[str, Any] = {"running": {}} if reason is None else {"waiting": {"reason": reason}}
    return {
        "metadata": {"name": name, "labels": {rollout.HASH_LABEL: template_hash}},
        "status": {
            "containerStatuses": [{"name": "web", "state": state, "restartCount": restarts}]
        },
    }


RSS = [replicaset(1, "old", "web:1"), replicaset(2, "new", "web:2")]


def test_nothing_is_trusted_before_the_controller_observed_the_generation() -> None:
    stale = deployment(
        generation=3,
        observed=2,
        conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}],
    )
    progress = evaluate(stale, RSS, [])
    assert not progress.observed and not progress.done and progress.failure is None
    assert "waiting for the controller" in progress.line()


def test_done_needs_every_replica_updated_ready_available_and_no_old_one() -> None:
    assert evaluate(deployment(), RSS, []).done
    for field in ("updated", "ready", "available"):
        assert not evaluate(deployment(**{field: 2}), RSS, []).done
    leftover = evaluate(deployment(total=4), RSS, [])
    assert not leftover.done
    assert "1 old pod left" in leftover.line()


def test_deadline_exceeded_is_a_failure() -> None:
    dep = deployment(
        updated=1,
        available=2,
        conditions=[
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": "too slow",
            }
        ],
    )
    assert evaluate(dep, RSS, []).failure == "too slow"


def test_crash_loops_of_the_new_pods_fail_at_once_naming_them() -> None:
    pods = [pod("web-new-a", "new", "CrashLoopBackOff", restarts=3), pod("web-old-a", "old")]
    progress = evaluate(deployment(updated=1, ready=0, available=2), RSS, pods)
    assert progress.failure == "pods of the new version cannot start"
    assert [str(p) for p in progress.problems] == [
        "pod web-new-a, container web: CrashLoopBackOff after 3 restarts"
    ]


def test_old_pods_in_trouble_do_not_fail_the_new_rollout() -> None:
    pods = [pod("web-old-a", "old", "CrashLoopBackOff")]
    assert evaluate(deployment(updated=1, ready=1, available=1), RSS, pods).failure is None


def test_an_image_pull_error_fails_only_when_it_lasts() -> None:
    seen = rollout._Seen()
    pods = [pod("web-new-a", "new", "ErrImagePull")]
    dep = deployment(updated=1, ready=0, available=2)
    assert evaluate(dep, RSS, pods, now=0.0, grace=10, seen=seen).failure is None
    assert evaluate(dep, RSS, pods, now=9.0, grace=10, seen=seen).failure is None
    assert evaluate(dep, RSS, pods, now=10.0, grace=10, seen=seen).failure is not None
    back_off = [pod("web-new-a", "new", "ImagePullBackOff")]
    assert evaluate(dep, RSS, back_off, now=0.0, grace=10).failure is not None


def test_unschedulable_pods_are_reported_but_not_a_failure() -> None:
    stuck = pod("web-new-a", "new")
    stuck["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/3 nodes are available",
        }
    ]
    progress = evaluate(deployment(updated=1, ready=0, available=2), RSS, [stuck])
    assert progress.failure is None
    assert "unschedulable: pod web-new-a: 0/3 nodes are available" in progress.line()


def test_rollback_template_is_the_previous_revision_without_the_hash_label() -> None:
    found = rollback_template(deployment(revision=2), RSS)
    assert found is not None
    revision, template = found
    assert revision == 1
    assert template["metadata"]["labels"] == {"app": "web"}
    assert "creationTimestamp" not in template["metadata"]
    assert template["spec"]["containers"][0]["image"] == "web:1"


def test_rollback_to_a_named_revision_and_to_nothing() -> None:
    rss = [*RSS, replicaset(3, "newest", "web:3")]
    assert rollback_template(deployment(revision=3), rss, to=1)[0] == 1  # type: ignore[index]
    assert rollback_template(deployment(revision=3), rss, to=7) is None
    assert rollback_template(deployment(revision=1), [replicaset(1, "old")]) is None
    foreign = replicaset(1, "x")
    foreign["metadata"]["ownerReferences"] = [{"uid": "someone-else"}]
    assert rollback_template(deployment(revision=2), [foreign, RSS[1]]) is None


def test_revisions_newest_first() -> None:
    assert rollout.revisions(deployment(), RSS) == [2, 1]


def test_wait_reports_changes_and_stops_when_done() -> None:
    states = [
        deployment(generation=2, observed=1),
        deployment(updated=1, ready=1, available=1, total=3),
        deployment(updated=1, ready=1, available=1, total=3),
        deployment(),
    ]

    class Fake:
        def get(self, *a: Any, **k: Any) -> dict[str, Any]:
            return states.pop(0) if len(states) > 1 else states[0]

        def list(self, api_version: str, kind: str, *a: Any, **k: Any) -> list[dict[str, Any]]:
            return RSS if kind == "ReplicaSet" else []

    lines: list[str] = []
    clock = iter(range(100))
    result = rollout.wait(
        Fake(),
        "ns",
        "web",
        timeout=60,
        report=lambda p: lines.append(p.line()),
        clock=lambda: float(next(clock)),
        sleep=lambda _s: None,
    )
    assert result.done
    assert lines == [
        "waiting for the controller to see the change",
        "updated 1/3, ready 1/3, available 1/3, 2 old pods left",
        "updated 3/3, ready 3/3, available 3/3",
    ]


def test_wait_gives_up_after_the_timeout() -> None:
    class Slow:
        def get(self, *a: Any, **k: Any) -> dict[str, Any]:
            return deployment(updated=1, ready=1, available=1)

        def list(self, *a: Any, **k: Any) -> list[dict[str, Any]]:
            return RSS

    clock = iter(range(0, 1000, 10))
    result: Progress = rollout.wait(
        Slow(), "ns", "web", timeout=30, clock=lambda: float(next(clock)), sleep=lambda _s: None
    )
    assert result.failure == "the rollout did not finish within 30s"


def test_a_version_is_found_under_its_newest_revision() -> None:
    key = "weft.dev/version"
    # revision 3 failed (3), then 1's template came back as revision 4
    rss = [replicaset(2, "b", "web:2"), replicaset(3, "c", "web:3"), replicaset(4, "a", "web:1")]
    dep = deployment(revision=4)
    assert rollout.revision_of_version(dep, rss, ["2", "1"], key) == 2
    assert rollout.revision_of_version(dep, rss, ["9", "1"], key) is None  # 1 runs now
    assert rollout.revision_of_version(dep, rss, [], key) is None
