"""What the kubelet simulator reports for a pod, step by step (pure): images choose the outcome,
timings and back-offs, conditions, Events."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from weft.local.kube import pod_status
from weft.local.kube.pod_status import (
    JOB_RUN_SECONDS,
    START_DELAY,
    PodEvent,
    Step,
    Track,
    adopt,
    advance,
    container_outcome,
)

STAMP = "2030-01-01T00:00:00Z"
BOUND = 100.0


@pytest.mark.parametrize(
    ("image", "outcome"),
    [
        ("nginx", "ok"),
        ("nginx:1.25", "ok"),
        ("registry:5000/app:fail", "fail"),
        ("registry:5000/fail/app:1.0", "ok"),
        ("app:v2-crash", "crash"),
        ("app@sha256:abc", "ok"),
    ],
)
def test_image_tags_choose_the_outcome(image: str, outcome: str) -> None:
    assert container_outcome(image) == outcome


def test_the_readme_documents_the_image_tag_conventions() -> None:
    """Users rehearse failures with these tags: the README says what each one does, with the
    simulator's own timings."""
    from pathlib import Path

    readme = " ".join((Path(__file__).parents[3] / "README.md").read_text().split())
    said = readme.partition("simulated kubelets decide each pod's fate by its image tag")[2]
    assert said, "the README does not describe the image-tag conventions"
    said = said[:900]
    assert "containing `fail` (`1.2.0-fail`) never pulls (`ErrImagePull`" in said
    assert container_outcome("ghcr.io/acme/web:1.2.0-fail") == "fail"
    assert "containing `crash` starts and exits 1 again and again (`CrashLoopBackOff`" in said
    assert container_outcome("ghcr.io/acme/web:2.0-crash") == "crash"
    assert f"Running and Ready {START_DELAY} s after scheduling" in said
    assert f"… {pod_status.MAX_BACKOFF:.0f} s" in said
    assert JOB_RUN_SECONDS == 1.0 and "runs about a second" in said


def pod(*images: str, policy: str | None = None, init: list[str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    }
    if policy:
        spec["restartPolicy"] = policy
    if init:
        spec["initContainers"] = [{"name": f"i{i}", "image": im} for i, im in enumerate(init)]
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "uid-p"}, "spec": spec}


def fresh() -> Track:
    return adopt(pod("x"), "n1", BOUND, pod_ip="10.244.1.2", stamp=STAMP)


def step(track: Track, p: dict[str, Any], now: float | None = None) -> Step:
    return advance(track, p, track.due if now is None else now, stamp=STAMP, host_ip="10.0.1.10")


def conditions(s: Step) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in s.status["conditions"]}


def test_a_fresh_pod_is_due_after_the_start_delay() -> None:
    track = fresh()
    assert (track.stage, track.due, track.bound_at, track.pod_ip) == (
        "starting",
        BOUND + START_DELAY,
        BOUND,
        "10.244.1.2",
    )


def test_a_pod_runs_and_is_ready() -> None:
    s = step(fresh(), pod("nginx:1.25", "sidecar"))
    assert s.phase == s.status["phase"] == "Running"
    assert [c["state"] for c in s.status["containerStatuses"]] == [
        {"running": {"startedAt": STAMP}},
        {"running": {"startedAt": STAMP}},
    ]
    assert all(c["ready"] and c["started"] for c in s.status["containerStatuses"])
    assert {t: c["status"] for t, c in conditions(s).items()} == {
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }
    assert (s.status["hostIP"], s.status["podIP"]) == ("10.0.1.10", "10.244.1.2")
    assert s.before == ()
    assert s.after == (PodEvent("Started", "Started container(s) c0, c1"),)
    assert s.first_report
    assert s.track.stage == "running" and s.attempted.stage == "starting"
    assert s.track.due == BOUND + START_DELAY + pod_status.IDLE
    assert s.attempted.due == BOUND + START_DELAY  # kept when writing the status fails


def test_the_next_due_time_carries_the_jitter() -> None:
    track = fresh()
    s = advance(track, pod("x"), track.due, stamp=STAMP, host_ip="h", jitter=0.03)
    assert s.track.due == pytest.approx(track.due + pod_status.IDLE + 0.03)


def test_an_image_that_never_pulls_alternates_pull_errors_and_back_off() -> None:
    p = pod("app:fail")
    track = fresh()
    reasons, dues, events = [], [], []
    for _ in range(8):
        s = step(track, p)
        (status,) = s.status["containerStatuses"]
        reasons.append(status["state"]["waiting"]["reason"])
        dues.append(round(s.track.due - track.due, 3))
        events.extend(e.reason for e in s.before)
        assert s.phase == "Pending" and not status["ready"]
        assert s.after == ()  # no Started: the container never started
        track = s.track
    assert reasons == ["ErrImagePull", "ImagePullBackOff"] * 4
    assert dues == [2.0, 4.0] * 4
    assert events == ["Failed", "BackOff"] * 3  # the first six only
    assert track.pull_errors == 8 and track.stage == "running"
    ready = conditions(s)["Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "ContainersNotReady")
    assert ready["message"] == "containers with unready status: [c0]"


def test_a_crashing_container_loops_with_a_doubling_back_off() -> None:
    p = pod("app:crash")
    track = fresh()
    backoffs, restarts, events = [], [], 0
    for _ in range(20):
        s = step(track, p)
        (status,) = s.status["containerStatuses"]
        assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        assert status["lastState"]["terminated"]["exitCode"] == 1
        assert s.phase == "Running"
        backoffs.append(s.track.due - track.due)
        restarts.append(status["restartCount"])
        events += len(s.before)
        track = s.track
    assert backoffs[:7] == pytest.approx([1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0])
    assert restarts == list(range(20))
    assert events == 6  # restarts 0-4, then every tenth
    assert track.restarts == 20 and track.backoff == 30.0


def test_a_crash_without_restarts_fails_the_pod() -> None:
    s = step(fresh(), pod("app:crash", policy="Never"))
    (status,) = s.status["containerStatuses"]
    assert status["state"]["terminated"]["reason"] == "Error"
    assert s.phase == "Failed" and s.track.stage == "done" and s.track.restarts == 0
    assert conditions(s)["Ready"]["reason"] == "ContainersNotReady"
    assert not s.first_report


@pytest.mark.parametrize("policy", ["Never", "OnFailure"])
def test_a_job_runs_then_succeeds(policy: str) -> None:
    p = pod("job:1", policy=policy, init=["setup:1"])
    first = step(fresh(), p)
    assert first.phase == "Running"
    assert first.track.due == BOUND + START_DELAY + JOB_RUN_SECONDS
    assert first.status["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    second = step(first.track, {**p, "status": first.status})
    assert second.phase == "Succeeded" and second.track.stage == "done"
    (status,) = second.status["containerStatuses"]
    assert status["state"]["terminated"] == {
        "exitCode": 0,
        "reason": "Completed",
        "startedAt": STAMP,
        "finishedAt": STAMP,
        "containerID": "simulated://uid-p-c0",
    }
    assert conditions(second)["Ready"]["reason"] == "PodCompleted"
    assert second.after == () and not second.first_report


def test_a_crashing_job_that_may_restart_loops() -> None:
    s = step(fresh(), pod("job:crash", policy="OnFailure"))
    assert s.phase == "Running" and s.track.restarts == 1 and s.track.stage == "running"


def test_one_failing_image_keeps_the_pod_pending_and_names_the_container() -> None:
    s = step(fresh(), pod("ok:1", "bad:fail"))
    assert s.phase == "Pending"
    assert conditions(s)["ContainersReady"]["message"] == ("containers with unready status: [c1]")
    assert s.after == ()


def test_conditions_keep_their_transition_time_while_they_hold() -> None:
    old = {
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "earlier"},
            {"type": "PodScheduled", "status": "False", "lastTransitionTime": "earlier"},
        ]
    }
    s = step(fresh(), {**pod("x"), "status": old})
    assert conditions(s)["Ready"]["lastTransitionTime"] == "earlier"
    assert conditions(s)["PodScheduled"]["lastTransitionTime"] == STAMP


def test_a_pod_found_running_resumes_where_it_was() -> None:
    status = {
        "phase": "Running",
        "podIP": "10.244.1.77",
        "startTime": "2029-01-01T00:00:00Z",
        "containerStatuses": [{"restartCount": 3}, {"restartCount": 5}],
    }
    track = adopt({**pod("x"), "status": status}, "n1", BOUND, pod_ip="10.244.1.77", stamp=STAMP)
    assert (track.stage, track.restarts, track.started_at, track.due) == (
        "running",
        5,
        "2029-01-01T00:00:00Z",
        BOUND + 1.0,
    )
    s = step(track, pod("x"))
    assert s.after == () and not s.first_report  # started before: no second Started


def test_a_pod_found_finished_or_starting() -> None:
    done = {"phase": "Succeeded", "containerStatuses": [{"restartCount": 0}]}
    assert adopt({**pod("x"), "status": done}, "n1", BOUND, pod_ip="ip", stamp=STAMP).stage == (
        "done"
    )
    pending = {"phase": "Pending", "containerStatuses": [{"restartCount": 1}]}
    track = adopt({**pod("x"), "status": pending}, "n1", BOUND, pod_ip="ip", stamp=STAMP)
    assert (track.stage, track.restarts, track.started_at) == ("starting", 1, STAMP)


def test_a_step_does_not_change_the_track_it_was_given() -> None:
    track = dataclasses.replace(fresh(), events=frozenset({"x"}))
    step(track, pod("app:fail"))
    assert track == dataclasses.replace(fresh(), events=frozenset({"x"}))
