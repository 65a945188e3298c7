"""The executor: walks a plan's graph with a bounded thread pool.

- A node starts when everything it waits for has succeeded; at most ``max_workers`` run at once.
  Among the nodes ready to start, those heading the longest chains still to run go first (then
  by name), so a worker limit never holds back the critical path: the subnet that a NAT gateway
  and its route table wait for starts before a batch of independent rules.
- A failure skips everything that depends on it; everything else still finishes, and all errors
  are reported together.
- A step that waits on something outside weft (:class:`weft.errors.Waiting`: a certificate
  whose domain is not delegated yet) is ``waiting``, and so is everything that depends on it;
  that is no failure (the apply is ``ok``), and a later run does them.
- Temporary errors (``error.retryable``) are retried with exponential backoff and full jitter
  until the node's deadline. The deadline bounds the time a node spends *failing*, not the time
  it spends in a healthy wait: a driver waiting for its resource (a cluster's 15 minutes) reports
  progress, and the time from an attempt's first progress report to its last is not counted. So
  a throttle right after a long wait is still retried, while a call that keeps failing (with or
  without waits before it) stops at the deadline as before. A wait that itself gave up
  (:class:`weft.errors.WaitTimedOut`) was not healthy: its whole attempt counts.
- :meth:`Executor.cancel` (Ctrl-C) lets running nodes finish and starts no new ones; since every
  create is tagged at creation, a later apply picks up where this one stopped.

The node graph of a plan (:func:`execution_graph`): creates and updates follow the desired
dependencies; deletes run in reverse, after whatever still refers to the deleted resource has
been updated or deleted; a replacement is a delete node and a create node.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from weft.core.events import Event, EventSink, discard
from weft.core.graph import Graph
from weft.core.plan import Action, Change, Plan
from weft.core.planner import contains_unknown, resolve
from weft.core.resource import Observed, Resource
from weft.errors import Waiting, WaitTimedOut, WeftError

Reporter = Callable[[str], None]

DELETE_SUFFIX = "#delete"


class Applier(Protocol):
    """What the executor drives; the AWS implementation lives in weft.aws.applier."""

    def create(self, resource: Resource, props: dict[str, Any], report: Reporter) -> Observed: ...

    def update(
        self,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
        report: Reporter,
    ) -> Observed: ...

    def delete(self, observed: Observed, report: Reporter) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts, and how long a node may spend failing.

    ``deadline`` bounds a node's failing time: the backoff delays, plus each failed attempt's
    duration less its healthy wait (from its first progress report to its last; none when the
    attempt failed because that wait timed out). A retry starts only while the failing time
    with its delay stays under the deadline.
    """

    base: float = 1.0
    cap: float = 20.0
    deadline: float = 900.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [base/2, min(cap, base * 2**attempt)]."""
        ceiling = min(self.cap, self.base * (2**attempt))
        return rng.uniform(min(self.base / 2, ceiling), ceiling)


@dataclass(frozen=True)
class Step:
    """One node of the execution graph: an operation on one change."""

    node: str
    op: str  # "up" (create/update) or "delete"
    change: Change

    @property
    def label(self) -> str:
        if self.change.action is Action.REPLACE:
            return "replace (delete)" if self.op == "delete" else "replace (create)"
        return self.change.action.value


@dataclass
class StepResult:
    node: str
    address: str
    action: str
    status: str  # done | failed | skipped | waiting | cancelled
    error: BaseException | None = None
    observed: Observed | None = None
    elapsed: float = 0.0
    attempts: int = 0
    skipped_because: str | None = None


@dataclass
class ApplyResult:
    results: dict[str, StepResult] = field(default_factory=dict)
    cancelled: bool = False
    elapsed: float = 0.0

    def _with(self, status: str) -> list[StepResult]:
        return [r for r in self.results.values() if r.status == status]

    @property
    def done(self) -> list[StepResult]:
        return self._with("done")

    @property
    def failed(self) -> list[StepResult]:
        return self._with("failed")

    @property
    def skipped(self) -> list[StepResult]:
        return self._with("skipped")

    @property
    def not_started(self) -> list[StepResult]:
        return self._with("cancelled")

    @property
    def waiting(self) -> list[StepResult]:
        """Steps waiting on something outside weft, and those that depend on them."""
        return self._with("waiting")

    @property
    def ok(self) -> bool:
        """Nothing failed, was skipped or interrupted (waiting steps are no failure)."""
        return not self.cancelled and all(
            r.status in ("done", "waiting") for r in self.results.values()
        )


def execution_graph(plan: Plan) -> tuple[Graph, dict[str, Step]]:
    steps: dict[str, Step] = {}
    up: dict[str, str] = {}
    down: dict[str, str] = {}
    for ch in plan.actionable:
        if ch.action in (Action.CREATE, Action.UPDATE, Action.REPLACE):
            steps[ch.address] = Step(ch.address, "up", ch)
            up[ch.address] = ch.address
        if ch.action is Action.DELETE:
            steps[ch.address] = Step(ch.address, "delete", ch)
            down[ch.address] = ch.address
        if ch.action is Action.REPLACE:
            node = ch.address + DELETE_SUFFIX
            steps[node] = Step(node, "delete", ch)
            down[ch.address] = node
    graph = Graph(steps)
    by_address = {c.address: c for c in plan.changes}
    for address, node in up.items():
        desired = by_address[address].desired
        assert desired is not None
        for dep in desired.dependencies():
            if dep in up:
                graph.add_edge(up[dep], node)
    for ch in plan.actionable:
        if ch.action is Action.REPLACE:
            if ch.delete_first:
                graph.add_edge(down[ch.address], up[ch.address])
            else:
                graph.add_edge(up[ch.address], down[ch.address])
    # A resource goes only after whatever still refers to it has gone or been re-pointed.
    for ch in plan.changes:
        if ch.observed is None:
            continue
        for dep in ch.observed.deps:
            if dep not in down:
                continue
            dep_change = by_address.get(dep)
            dep_delete_first = dep_change is not None and (
                dep_change.action is Action.DELETE or dep_change.delete_first
            )
            if ch.address in down:
                graph.add_edge(down[ch.address], down[dep])
            elif ch.address in up and not (
                dep_change is not None and dep_change.action is Action.REPLACE and dep_delete_first
            ):
                graph.add_edge(up[ch.address], down[dep])
    graph.check_acyclic()
    return graph, steps


def chain_lengths(graph: Graph) -> dict[str, int]:
    """For each node, the number of nodes on the longest chain that starts with it."""
    length: dict[str, int] = {}
    for node in reversed(graph.topological_order()):
        length[node] = 1 + max((length[n] for n in graph.successors(node)), default=0)
    return length


class Executor:
    def __init__(
        self,
        applier: Applier,
        *,
        max_workers: int = 8,
        retry: RetryPolicy | None = None,
        on_event: EventSink = discard,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        cancel_event: threading.Event | None = None,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.applier = applier
        self.max_workers = max_workers
        self.retry = retry or RetryPolicy()
        self.on_event = on_event
        self.clock = clock
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._cancel = cancel_event or threading.Event()
        self._outputs_lock = threading.Lock()

    def cancel(self) -> None:
        """Start no new node; running ones finish (their retries stop waiting)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self, plan: Plan) -> ApplyResult:
        started_at = self.clock()
        graph, steps = execution_graph(plan)
        outputs: dict[str, Mapping[str, Any] | None] = {}
        for ch in plan.changes:
            if ch.observed is not None and ch.action in (Action.NOOP, Action.UPDATE):
                outputs[ch.address] = ch.observed.outputs
        result = ApplyResult()
        waiting = {n: set(graph.predecessors(n)) for n in graph.nodes}
        height = chain_lengths(graph)
        ready = [(-height[n], n) for n, preds in waiting.items() if not preds]
        heapq.heapify(ready)
        running: dict[Future[StepResult], str] = {}

        def finish(res: StepResult) -> None:
            result.results[res.node] = res
            if res.status == "done":
                for nxt in sorted(graph.successors(res.node)):
                    waiting[nxt].discard(res.node)
                    if not waiting[nxt] and nxt not in result.results:
                        heapq.heappush(ready, (-height[nxt], nxt))
            else:
                waits = res.status == "waiting"
                for nxt in sorted(graph.descendants(res.node)):
                    if nxt in result.results:
                        continue
                    step = steps[nxt]
                    result.results[nxt] = StepResult(
                        nxt,
                        step.change.address,
                        step.label,
                        "waiting" if waits else "skipped",
                        skipped_because=res.node,
                    )
                    if waits:
                        self.on_event(Event("waiting", nxt, step.label, f"waits for {res.node}"))
                    else:
                        self.on_event(
                            Event("skipped", nxt, step.label, f"{res.node} did not succeed")
                        )

        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="weft") as pool:
            while ready or running:
                while ready and len(running) < self.max_workers and not self._cancel.is_set():
                    _, node = heapq.heappop(ready)
                    if node in result.results:
                        continue
                    fut = pool.submit(self._run_step, steps[node], outputs)
                    running[fut] = node
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    running.pop(fut)
                    finish(fut.result())
            for node in graph.nodes:
                if node not in result.results:
                    step = steps[node]
                    result.results[node] = StepResult(
                        node, step.change.address, step.label, "cancelled"
                    )
                    self.on_event(Event("cancelled", node, step.label, "not started"))
        result.cancelled = self._cancel.is_set()
        result.elapsed = self.clock() - started_at
        return result

    def _run_step(self, step: Step, outputs: dict[str, Mapping[str, Any] | None]) -> StepResult:
        start = self.clock()
        label = step.label
        node = step.node
        # The first and last progress report of the current attempt: what lies between them is
        # a healthy wait, which the deadline does not count.
        reports: list[float] = []

        def report(message: str) -> None:
            now = self.clock()
            if reports:
                reports[1:] = [now]
            else:
                reports.append(now)
            self.on_event(Event("progress", node, label, message, now - start))

        self.on_event(Event("started", node, label))
        attempt = 0
        failing = 0.0  # the failing time so far: what the deadline bounds
        while True:
            attempt += 1
            began = self.clock()
            reports.clear()
            try:
                observed = self._perform(step, outputs, report)
            except Waiting as exc:
                elapsed = self.clock() - start
                self.on_event(Event("waiting", node, label, str(exc), elapsed, attempt))
                return StepResult(
                    node, step.change.address, label, "waiting", exc, None, elapsed, attempt
                )
            except BaseException as exc:
                now = self.clock()
                elapsed = now - start
                healthy = 0.0
                if reports and not isinstance(exc, WaitTimedOut):
                    healthy = reports[-1] - reports[0]
                failing += now - began - healthy
                retryable = isinstance(exc, WeftError) and exc.retryable
                with self._rng_lock:
                    delay = self.retry.delay(attempt - 1, self._rng)
                if (
                    retryable
                    and not self._cancel.is_set()
                    and failing + delay < self.retry.deadline
                ):
                    failing += delay
                    self.on_event(Event("retrying", node, label, str(exc), elapsed, attempt, delay))
                    if not self._cancel.wait(delay):
                        continue
                    # cancelled while waiting: no further attempt, report the last error
                self.on_event(Event("failed", node, label, str(exc), elapsed, attempt))
                return StepResult(
                    node, step.change.address, label, "failed", exc, None, elapsed, attempt
                )
            elapsed = self.clock() - start
            if observed is not None and step.op == "up":
                with self._outputs_lock:
                    outputs[step.change.address] = observed.outputs
            self.on_event(Event("done", node, label, "", elapsed, attempt))
            return StepResult(
                node, step.change.address, label, "done", None, observed, elapsed, attempt
            )

    def _perform(
        self, step: Step, outputs: dict[str, Mapping[str, Any] | None], report: Reporter
    ) -> Observed | None:
        change = step.change
        if step.op == "delete":
            assert change.observed is not None
            self.applier.delete(change.observed, report)
            return None
        desired = change.desired
        assert desired is not None
        with self._outputs_lock:
            props = resolve(desired.props, dict(outputs))
        if contains_unknown(props):
            raise WeftError(f"{change.address}: a resource it refers to has no id yet")
        if change.action is Action.UPDATE:
            assert change.observed is not None
            changed = {d.field for d in change.diffs}
            return self.applier.update(desired, props, change.observed, changed, report)
        return self.applier.create(desired, props, report)
