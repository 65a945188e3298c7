"""Watching a Deployment's rollout, and the revisions it can be rolled back to.

The judgement is pure (:func:`evaluate`: a Deployment, its ReplicaSets and pods in; a
:class:`Progress` out); :func:`wait` polls the cluster through any object with the
:class:`~weft.kube.client.Kube` verbs ``get`` and ``list`` and reports each change.

Rules (the same ``kubectl rollout status`` keeps, plus fast failure):

- nothing in ``status`` is trusted before ``status.observedGeneration >= metadata.generation``
  (right after an apply or a rollback the conditions still describe the previous template);
- done: every replica updated, ready and available, and no old replica left;
- failed: the ``Progressing`` condition says ``ProgressDeadlineExceeded``; or a pod of the new
  ReplicaSet is in a state that only repeats (:data:`FAILING`: image pull back-off, crash loop,
  an invalid image or configuration), or pulls an image without success for longer than
  ``grace`` seconds. Waiting for the deadline (10 minutes by default) to learn what the pods say
  already would only make the user wait.

apps/v1 has no rollback call: :func:`rollback_template` gives the pod template of an earlier
ReplicaSet (found by its ``deployment.kubernetes.io/revision``) without the
``pod-template-hash`` label the controller added, ready to be applied back onto the Deployment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"
#: Container states that only repeat: the rollout cannot succeed without a change.
FAILING = frozenset(
    {
        "ImagePullBackOff",
        "CrashLoopBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
#: States that may pass (a slow registry): failing only when they last longer than ``grace``.
SLOW = frozenset({"ErrImagePull"})
POLL = 0.5


class Reader(Protocol):
    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None: ...

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class PodProblem:
    pod: str
    container: str
    reason: str
    message: str = ""
    restarts: int = 0

    def __str__(self) -> str:
        extra = f" after {self.restarts} restarts" if self.restarts else ""
        message = f": {self.message}" if self.message else ""
        return f"pod {self.pod}, container {self.container}: {self.reason}{extra}{message}"


@dataclass(frozen=True)
class Progress:
    desired: int
    updated: int = 0
    ready: int = 0
    available: int = 0
    total: int = 0
    observed: bool = False
    done: bool = False
    failure: str | None = None
    problems: tuple[PodProblem, ...] = ()
    revision: int | None = None
    unschedulable: tuple[str, ...] = ()

    def line(self) -> str:
        if not self.observed:
            return "waiting for the controller to see the change"
        text = (
            f"updated {self.updated}/{self.desired}, ready {self.ready}/{self.desired}, "
            f"available {self.available}/{self.desired}"
        )
        old = self.total - self.updated
        if old > 0:
            text += f", {old} old pod{'s' if old != 1 else ''} left"
        if self.unschedulable:
            text += f"; unschedulable: {self.unschedulable[0]}"
        return text


def revision_of(obj: Mapping[str, Any]) -> int | None:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def owned_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return bool(uid) and any(r.get("uid") == uid for r in refs)


def replicasets_of(
    deployment: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The Deployment's ReplicaSets, newest revision first."""
    mine = [rs for rs in replicasets if owned_by(rs, deployment)]
    return sorted(mine, key=lambda rs: revision_of(rs) or 0, reverse=True)


def current_replicaset(
    deployment: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The ReplicaSet of the Deployment's current revision."""
    wanted = revision_of(deployment)
    for rs in replicasets_of(deployment, replicasets):
        if wanted is None or revision_of(rs) == wanted:
            return rs
    return None


def _hash(rs: Mapping[str, Any] | None) -> str | None:
    if rs is None:
        return None
    labels = (rs.get("metadata") or {}).get("labels") or {}
    return labels.get(HASH_LABEL)


def pod_problems(
    pods: Sequence[Mapping[str, Any]],
) -> list[tuple[PodProblem, bool]]:
    """Each container in trouble, with True when its state only repeats (:data:`FAILING`)."""
    found = []
    for pod in pods:
        name = (pod.get("metadata") or {}).get("name", "?")
        status = pod.get("status") or {}
        for cs in (status.get("initContainerStatuses") or []) + (
            status.get("containerStatuses") or []
        ):
            waiting = (cs.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason")
            if reason in FAILING or reason in SLOW:
                problem = PodProblem(
                    pod=name,
                    container=cs.get("name", "?"),
                    reason=reason,
                    message=str(waiting.get("message") or "")[:200],
                    restarts=int(cs.get("restartCount") or 0),
                )
                found.append((problem, reason in FAILING))
    return found


def unschedulable(pods: Sequence[Mapping[str, Any]]) -> list[str]:
    out = []
    for pod in pods:
        for cond in (pod.get("status") or {}).get("conditions") or []:
            if (
                cond.get("type") == "PodScheduled"
                and cond.get("status") == "False"
                and cond.get("reason") == "Unschedulable"
            ):
                name = (pod.get("metadata") or {}).get("name", "?")
                out.append(f"pod {name}: {cond.get('message') or 'no node fits'}")
    return out


@dataclass
class _Seen:
    """When each slow problem was first seen (the only state :func:`evaluate` needs)."""

    first: dict[tuple[str, str, str], float] = field(default_factory=dict)


def evaluate(
    deployment: Mapping[str, Any],
    replicasets: Sequence[Mapping[str, Any]],
    pods: Sequence[Mapping[str, Any]],
    *,
    now: float = 0.0,
    grace: float = 30.0,
    seen: _Seen | None = None,
) -> Progress:
    """Where a rollout stands (see the module docstring)."""
    meta = deployment.get("metadata") or {}
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    desired = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    observed = int(status.get("observedGeneration") or 0) >= int(meta.get("generation") or 1)
    if not observed:
        return Progress(desired=desired, revision=revision_of(deployment))
    updated = int(status.get("updatedReplicas") or 0)
    ready = int(status.get("readyReplicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    total = int(status.get("replicas") or 0)
    current_hash = _hash(current_replicaset(deployment, replicasets))
    new_pods = [
        p
        for p in pods
        if current_hash
        and ((p.get("metadata") or {}).get("labels") or {}).get(HASH_LABEL) == current_hash
    ]
    failure = None
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            failure = cond.get("message") or "the progress deadline was exceeded"
    seen = seen if seen is not None else _Seen()
    problems = []
    failing = False
    for problem, repeats in pod_problems(new_pods):
        problems.append(problem)
        key = (problem.pod, problem.container, problem.reason)
        first = seen.first.setdefault(key, now)
        if repeats or now - first >= grace:
            failing = True
    if failing and failure is None:
        failure = "pods of the new version cannot start"
    done = (
        failure is None
        and updated == desired
        and ready == desired
        and available == desired
        and total == desired
    )
    return Progress(
        desired=desired,
        updated=updated,
        ready=ready,
        available=available,
        total=total,
        observed=True,
        done=done,
        failure=failure,
        problems=tuple(problems),
        revision=revision_of(deployment),
        unschedulable=tuple(unschedulable(new_pods)),
    )


def selector_labels(deployment: Mapping[str, Any]) -> dict[str, str]:
    return dict(((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})


def wait(
    kube: Reader,
    namespace: str,
    name: str,
    *,
    timeout: float,
    report: Callable[[Progress], None] = lambda _p: None,
    grace: float = 30.0,
    poll: float = POLL,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Progress:
    """Poll the Deployment until it is done, failed, or ``timeout`` seconds passed.

    Returns the last :class:`Progress`; on timeout its ``failure`` says so. ``report`` is called
    whenever the progress line changes.
    """
    start = clock()
    seen = _Seen()
    last_line = None
    while True:
        deployment = kube.get("apps/v1", "Deployment", name, namespace)
        if deployment is None:
            return Progress(desired=0, observed=True, failure=f"Deployment {name} disappeared")
        labels = selector_labels(deployment)
        replicasets = kube.list("apps/v1", "ReplicaSet", namespace, labels)
        pods = kube.list("v1", "Pod", namespace, labels)
        progress = evaluate(
            deployment, replicasets, pods, now=clock() - start, grace=grace, seen=seen
        )
        if progress.line() != last_line or progress.done or progress.failure:
            last_line = progress.line()
            report(progress)
        if progress.done or progress.failure:
            return progress
        if clock() - start >= timeout:
            return Progress(
                **{
                    **progress.__dict__,
                    "failure": f"the rollout did not finish within {timeout:.0f}s",
                }
            )
        sleep(poll)


def rollback_template(
    deployment: Mapping[str, Any],
    replicasets: Sequence[Mapping[str, Any]],
    to: int | None = None,
) -> tuple[int, dict[str, Any]] | None:
    """(revision, pod template) to restore: revision ``to``, or the one before the current.

    None when there is no such revision (a first release has nothing to go back to).
    """
    current = revision_of(deployment)
    for rs in replicasets_of(deployment, replicasets):
        rev = revision_of(rs)
        if rev is None or rev == current:
            continue
        if to is None or rev == to:
            template = _without_hash(dict((rs.get("spec") or {}).get("template") or {}))
            return rev, template
    return None


def template_version(template: Mapping[str, Any], key: str) -> str | None:
    value = ((template.get("metadata") or {}).get("annotations") or {}).get(key)
    return str(value) if value is not None else None


def revision_of_version(
    deployment: Mapping[str, Any],
    replicasets: Sequence[Mapping[str, Any]],
    versions: Sequence[str],
    key: str,
) -> int | None:
    """The newest revision, other than the current one, whose pod template runs the first of
    ``versions`` (most wanted first) that still has one; None when none has.

    Kubernetes renumbers a revision that is rolled back to, so a revision number read from an
    old record may be gone while its template lives on under a newer number: versions are
    the stable handle."""
    current = revision_of(deployment)
    owned = replicasets_of(deployment, replicasets)
    for version in versions:
        for rs in owned:
            rev = revision_of(rs)
            template = (rs.get("spec") or {}).get("template") or {}
            if rev is not None and rev != current and template_version(template, key) == version:
                return rev
    return None


def revisions(deployment: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]]) -> list[int]:
    """The revisions the Deployment can still be rolled back to (newest first)."""
    return [r for rs in replicasets_of(deployment, replicasets) if (r := revision_of(rs))]


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    meta = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != HASH_LABEL}
    meta["labels"] = labels
    meta.pop("creationTimestamp", None)
    return {**template, "metadata": meta}
