"""What the kubelet simulator reports for a pod bound to one of its nodes (pure).

A pod's fate is chosen by its images' tags (:func:`container_outcome`): a tag containing
``fail`` never pulls (``ErrImagePull``, then ``ImagePullBackOff``, the pod stays Pending); one
containing ``crash`` exits 1 again and again (``CrashLoopBackOff`` with ``restartCount`` rising,
back-off 1, 2, 4 … 30 s, faster than the real 10 s … 5 min so tests stay short); any other
runs. :data:`START_DELAY` after binding the pod is Running and Ready; pods of Jobs
(``restartPolicy`` Never/OnFailure) run :data:`JOB_RUN_SECONDS` then Succeed (exit 0), or with a
``crash`` image fail (Never) or crash-loop (OnFailure).

:func:`advance` takes what the simulator knows of a pod (a :class:`Track`), the pod as last
read and the time, and returns a :class:`Step`: the status to write, the Events to record
before and after writing it, and the track once the step is taken. The kubelet simulator
(:mod:`weft.local.kube.kubelet_sim`) does the writing, at the track's ``due`` time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from weft.local.kube.meta import meta

#: Seconds from binding to Running (or to the first image pull error).
START_DELAY = 0.7
#: Seconds a Job's pod runs before it Succeeds.
JOB_RUN_SECONDS = 1.0
#: Seconds between ``ErrImagePull`` and ``ImagePullBackOff`` (twice that back again).
PULL_BACKOFF_AFTER = 2.0
#: The longest crash-loop back-off, in seconds.
MAX_BACKOFF = 30.0
#: When nothing is due, the next look at a pod (an hour: a running pod is left alone).
IDLE = 3600.0
#: Image pull errors recorded as Events: the first few only (a kubelet aggregates the rest).
PULL_EVENTS = 6


def image_tag(image: str) -> str:
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def container_outcome(image: str) -> str:
    """``fail``, ``crash`` or ``ok``: what the simulator makes of a container of ``image``."""
    tag = image_tag(image).lower()
    if "fail" in tag:
        return "fail"
    if "crash" in tag:
        return "crash"
    return "ok"


@dataclass(frozen=True)
class Track:
    """What the simulator knows of one pod bound to one of its nodes."""

    namespace: str
    name: str
    uid: str
    node: str
    pod_ip: str
    bound_at: float
    due: float
    stage: str = "starting"  # starting | running | done
    restarts: int = 0
    backoff: float = 1.0
    pull_errors: int = 0
    started_at: str = ""
    events: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PodEvent:
    """An Event the kubelet records about the pod."""

    reason: str
    message: str
    type: str = "Normal"


@dataclass(frozen=True)
class Step:
    """One step of a pod: what to write and record, and what the simulator then knows."""

    #: the pod's new ``status``
    status: dict[str, Any]
    #: Events recorded before the status is written
    before: tuple[PodEvent, ...]
    #: Events recorded once the status is written
    after: tuple[PodEvent, ...]
    #: the track once the step is decided (kept even when writing the status fails)
    attempted: Track
    #: the track once the status is written
    track: Track
    phase: str
    outcomes: Mapping[str, str]

    @property
    def first_report(self) -> bool:
        """Whether this is the first status the simulator writes for the pod."""
        return self.attempted.stage == "starting"


def adopt(pod: dict[str, Any], node: str, now: float, *, pod_ip: str, stamp: str) -> Track:
    """Start tracking a pod bound to ``node``: fresh, or from before a simulator restart (its
    status tells how far it got). ``pod_ip``: its address; ``stamp``: now, as an API time."""
    m = meta(pod)
    status = pod.get("status") or {}
    track = Track(
        namespace=m.get("namespace", ""),
        name=m.get("name", ""),
        uid=m.get("uid", ""),
        node=node,
        pod_ip=pod_ip,
        bound_at=now,
        due=now + START_DELAY,
    )
    phase = status.get("phase")
    statuses = status.get("containerStatuses") or []
    if phase in ("Succeeded", "Failed"):
        return dataclasses.replace(track, stage="done")
    if statuses:
        return dataclasses.replace(
            track,
            restarts=max(int(s.get("restartCount") or 0) for s in statuses),
            started_at=status.get("startTime") or stamp,
            due=now + 1.0,
            stage="running" if phase == "Running" else "starting",
        )
    return track


def advance(
    track: Track,
    pod: dict[str, Any],
    now: float,
    *,
    stamp: str,
    host_ip: str,
    jitter: float = 0.0,
) -> Step:
    """The next step of a tracked pod at monotonic time ``now`` (``stamp``: now, as an API
    time). ``host_ip``: the node's address; ``jitter``: seconds added to the next due time (so
    many pods do not all come due at once)."""
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    restart_policy = spec.get("restartPolicy") or "Always"
    is_job = restart_policy != "Always"
    outcomes = {c["name"]: container_outcome(c.get("image", "")) for c in containers}
    started_at = track.started_at or stamp
    stage = track.stage
    noted = set(track.events)
    before: list[PodEvent] = []
    statuses: list[dict[str, Any]] = []
    phase = "Running"
    all_ready = True
    next_due = now + IDLE

    if (
        stage in ("starting", "running")
        and is_job
        and all(o == "ok" for o in outcomes.values())
        and now - track.bound_at >= START_DELAY + JOB_RUN_SECONDS
    ):
        stage = "done"
        phase = "Succeeded"

    for c in containers:
        cname, image = c["name"], c.get("image", "")
        outcome = outcomes[cname]
        base = {
            "name": cname,
            "image": image,
            "imageID": "",
            "restartCount": 0,
            "ready": False,
            "started": False,
        }
        if outcome == "fail":
            all_ready = False
            reason = "ErrImagePull" if track.pull_errors % 2 == 0 else "ImagePullBackOff"
            message = (
                f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
                "not found (weft local: image tags containing 'fail' never pull)"
                if reason == "ErrImagePull"
                else f'Back-off pulling image "{image}"'
            )
            statuses.append({**base, "state": {"waiting": {"reason": reason, "message": message}}})
            if f"pull-{track.pull_errors}" not in noted and track.pull_errors < PULL_EVENTS:
                noted.add(f"pull-{track.pull_errors}")
                before.append(
                    PodEvent(
                        "Failed" if reason == "ErrImagePull" else "BackOff",
                        f"Error: {reason}"
                        if reason == "ImagePullBackOff"
                        else f'Failed to pull image "{image}": {message}',
                        "Warning",
                    )
                )
            next_due = min(next_due, now + PULL_BACKOFF_AFTER * (1 + track.pull_errors % 2))
            if phase != "Succeeded":
                phase = "Pending"
        elif outcome == "crash":
            all_ready = False
            terminated = {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": stamp,
                "finishedAt": stamp,
                "containerID": f"simulated://{track.uid[:12]}-{cname}-{track.restarts}",
            }
            if restart_policy == "Never":
                statuses.append({**base, "state": {"terminated": terminated}})
                phase = "Failed"
                stage = "done"
            else:
                statuses.append(
                    {
                        **base,
                        "restartCount": track.restarts,
                        "state": {
                            "waiting": {
                                "reason": "CrashLoopBackOff",
                                "message": f"back-off {int(track.backoff)}s restarting failed "
                                f"container={cname} pod={track.name}_{track.namespace}"
                                f"({track.uid})",
                            }
                        },
                        "lastState": {"terminated": terminated},
                    }
                )
                if track.restarts < 5 or track.restarts % 10 == 0:
                    before.append(
                        PodEvent("BackOff", "Back-off restarting failed container", "Warning")
                    )
                next_due = min(next_due, now + track.backoff)
        elif phase == "Succeeded":
            completed = {
                **_completed(started_at, stamp),
                "containerID": f"simulated://{track.uid[:12]}-{cname}",
            }
            statuses.append({**base, "state": {"terminated": completed}})
        else:
            statuses.append(
                {
                    **base,
                    "ready": True,
                    "started": True,
                    "containerID": f"simulated://{track.uid[:12]}-{cname}",
                    "state": {"running": {"startedAt": started_at}},
                }
            )
            if is_job:
                next_due = min(next_due, track.bound_at + START_DELAY + JOB_RUN_SECONDS)

    pull_errors, restarts, backoff = track.pull_errors, track.restarts, track.backoff
    if any(o == "fail" for o in outcomes.values()):
        pull_errors += 1
    if any(o == "crash" for o in outcomes.values()) and stage != "done":
        restarts += 1
        backoff = min(backoff * 2, MAX_BACKOFF)
    if phase in ("Succeeded", "Failed"):
        all_ready = False
        stage = "done"

    status = _status(
        pod,
        spec,
        statuses,
        phase=phase,
        all_ready=all_ready,
        started_at=started_at,
        stamp=stamp,
        host_ip=host_ip,
        pod_ip=track.pod_ip,
    )
    attempted = dataclasses.replace(
        track,
        stage=stage,
        restarts=restarts,
        backoff=backoff,
        pull_errors=pull_errors,
        started_at=started_at,
        events=frozenset(noted),
    )
    after: tuple[PodEvent, ...] = ()
    if stage == "starting" and all(o == "ok" for o in outcomes.values()):
        after = (PodEvent("Started", "Started container(s) " + ", ".join(outcomes)),)
    return Step(
        status=status,
        before=tuple(before),
        after=after,
        attempted=attempted,
        track=dataclasses.replace(
            attempted,
            stage="running" if stage == "starting" else stage,
            due=next_due + jitter,
        ),
        phase=phase,
        outcomes=outcomes,
    )


def _completed(started_at: str, stamp: str) -> dict[str, Any]:
    """A container's ``terminated`` state once it ran to completion (exit 0)."""
    return {"exitCode": 0, "reason": "Completed", "startedAt": started_at, "finishedAt": stamp}


def _status(
    pod: dict[str, Any],
    spec: dict[str, Any],
    statuses: list[dict[str, Any]],
    *,
    phase: str,
    all_ready: bool,
    started_at: str,
    stamp: str,
    host_ip: str,
    pod_ip: str,
) -> dict[str, Any]:
    """The pod's ``status``: phase, addresses, conditions (each keeps its transition time while
    it holds), container and init container statuses."""
    ready = "True" if all_ready else "False"
    not_ready_reason = "PodCompleted" if phase == "Succeeded" else "ContainersNotReady"
    unready = [s["name"] for s in statuses if not s["ready"]]
    old_conditions = {c.get("type"): c for c in ((pod.get("status") or {}).get("conditions") or [])}

    def condition(type_: str, status: str, reason: str | None = None) -> dict[str, Any]:
        old = old_conditions.get(type_) or {}
        cond: dict[str, Any] = {
            "type": type_,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": old.get("lastTransitionTime")
            if old.get("status") == status
            else stamp,
        }
        if reason:
            cond["reason"] = reason
            if reason == "ContainersNotReady":
                cond["message"] = f"containers with unready status: [{' '.join(unready)}]"
        return cond

    init_statuses = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "ready": True,
            "restartCount": 0,
            "state": {"terminated": _completed(started_at, stamp)},
        }
        for c in spec.get("initContainers") or []
    ]
    status: dict[str, Any] = {
        "phase": phase,
        "hostIP": host_ip,
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": started_at,
        "conditions": [
            condition("Initialized", "True"),
            condition("Ready", ready, None if all_ready else not_ready_reason),
            condition("ContainersReady", ready, None if all_ready else not_ready_reason),
            condition("PodScheduled", "True"),
        ],
        "containerStatuses": statuses,
    }
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    return status
