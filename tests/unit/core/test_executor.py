"""The executor against an in-memory applier: ordering, parallelism cap, failures, retries."""

from __future__ import annotations

import itertools
import threading
import time

from weft.core.events import Event
from weft.core.executor import Executor, RetryPolicy, execution_graph
from weft.core.plan import Action
from weft.core.planner import plan
from weft.core.resource import KindSchema, Observed, Ref, Resource
from weft.errors import PermanentError, TemporaryError, Waiting, WaitTimedOut

SCHEMAS = {"subnet": KindSchema("subnet", immutable=frozenset({"vpc_id", "cidr"}))}
FAST = RetryPolicy(base=0.001, cap=0.01, deadline=5.0)


class MemoryCloud:
    """A tiny applier that records calls; ids are sequential."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.fail: dict[str, list[Exception]] = {}
        self.ids = itertools.count(1)

    def _enter(self, op: str, address: str) -> None:
        with self.lock:
            self.calls.append((op, address))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            errors = self.fail.get(address)
            error = errors.pop(0) if errors else None
        try:
            time.sleep(self.delay)
            if error:
                raise error
        finally:
            with self.lock:
                self.active -= 1

    def create(self, resource, props, report):
        self._enter("create", resource.address)
        report("waiting a bit")
        return Observed(resource.kind, resource.name, f"id-{next(self.ids)}", props)

    def update(self, resource, props, observed, changed, report):
        self._enter("update", resource.address)
        return Observed(resource.kind, resource.name, observed.id, props)

    def delete(self, observed, report):
        self._enter("delete", observed.address)


def network(n_subnets: int = 3):
    res = [Resource("vpc", "main", {"cidr": "10.0.0.0/16"})]
    res += [
        Resource("subnet", f"s{i}", {"vpc_id": Ref("vpc.main"), "cidr": f"10.0.{i}.0/24"})
        for i in range(n_subnets)
    ]
    res.append(
        Resource("route_table", "rt", {"subnets": [Ref(f"subnet.s{i}") for i in range(n_subnets)]})
    )
    return res


def test_creates_follow_dependencies_and_pass_resolved_ids():
    cloud = MemoryCloud()
    result = Executor(cloud, retry=FAST).run(plan("f", network(), [], SCHEMAS))
    assert result.ok and len(result.done) == 5
    order = [a for _, a in cloud.calls]
    assert order[0] == "vpc.main" and order[-1] == "route_table.rt"
    vpc_id = result.results["vpc.main"].observed.id
    assert result.results["subnet.s0"].observed.props["vpc_id"] == vpc_id


def test_parallelism_is_capped():
    cloud = MemoryCloud(delay=0.05)
    result = Executor(cloud, max_workers=3, retry=FAST).run(plan("f", network(10), [], SCHEMAS))
    assert result.ok
    assert cloud.max_active == 3


def test_independent_nodes_run_in_parallel():
    cloud = MemoryCloud(delay=0.1)
    start = time.monotonic()
    Executor(cloud, max_workers=8, retry=FAST).run(plan("f", network(8), [], SCHEMAS))
    # vpc, 8 subnets at once, route table: ~3 rounds of 0.1 s, not 10
    assert time.monotonic() - start < 0.8
    assert cloud.max_active == 8


def test_failure_skips_dependents_and_finishes_the_rest():
    cloud = MemoryCloud()
    cloud.fail["subnet.s1"] = [PermanentError("boom", address="subnet.s1")]
    events: list[Event] = []
    result = Executor(cloud, retry=FAST, on_event=events.append).run(
        plan("f", network(), [], SCHEMAS)
    )
    assert not result.ok
    assert [r.node for r in result.failed] == ["subnet.s1"]
    assert [r.node for r in result.skipped] == ["route_table.rt"]
    assert {r.node for r in result.done} == {"vpc.main", "subnet.s0", "subnet.s2"}
    assert ("create", "route_table.rt") not in cloud.calls
    assert any(e.type == "skipped" and e.node == "route_table.rt" for e in events)


def test_a_waiting_step_and_its_dependents_wait_and_the_apply_is_ok():
    """A step waiting on something outside weft (a domain's delegation) is no failure: it is
    not retried, what needs it waits too, everything else is done, and the apply is ok."""
    cloud = MemoryCloud()
    cloud.fail["subnet.s1"] = [Waiting("waiting for the delegation of example.com")]
    events: list[Event] = []
    result = Executor(cloud, retry=FAST, on_event=events.append).run(
        plan("f", network(), [], SCHEMAS)
    )
    assert result.ok
    assert {r.node for r in result.waiting} == {"subnet.s1", "route_table.rt"}
    assert result.results["route_table.rt"].skipped_because == "subnet.s1"
    assert not result.failed and not result.skipped
    assert {r.node for r in result.done} == {"vpc.main", "subnet.s0", "subnet.s2"}
    assert cloud.calls.count(("create", "subnet.s1")) == 1
    waits = {e.node: e.message for e in events if e.type == "waiting"}
    assert waits == {
        "subnet.s1": "waiting for the delegation of example.com",
        "route_table.rt": "waits for subnet.s1",
    }


def test_temporary_errors_are_retried_then_succeed():
    cloud = MemoryCloud()
    cloud.fail["subnet.s0"] = [TemporaryError("Throttling"), TemporaryError("Throttling")]
    events: list[Event] = []
    result = Executor(cloud, retry=FAST, on_event=events.append).run(
        plan("f", network(), [], SCHEMAS)
    )
    assert result.ok
    assert result.results["subnet.s0"].attempts == 3
    assert sum(e.type == "retrying" for e in events) == 2


def test_temporary_errors_stop_at_the_deadline():
    cloud = MemoryCloud()
    cloud.fail["vpc.main"] = [TemporaryError("DependencyViolation")] * 1000
    policy = RetryPolicy(base=0.01, cap=0.02, deadline=0.2)
    result = Executor(cloud, retry=policy).run(plan("f", network(), [], SCHEMAS))
    assert [r.node for r in result.failed] == ["vpc.main"]
    assert 3 <= result.results["vpc.main"].attempts < 60
    assert len(result.skipped) == 4


def test_permanent_errors_are_not_retried():
    cloud = MemoryCloud()
    cloud.fail["vpc.main"] = [PermanentError("AccessDenied")]
    result = Executor(cloud, retry=FAST).run(plan("f", network(), [], SCHEMAS))
    assert result.results["vpc.main"].attempts == 1


def test_backoff_grows_and_is_jittered():
    import random

    policy = RetryPolicy(base=1.0, cap=20.0)
    rng = random.Random(1)
    delays = [policy.delay(a, rng) for a in range(8)]
    assert all(0.5 <= d <= 20.0 for d in delays)
    assert max(delays[:2]) <= 2.0 and max(delays[4:]) > 2.0
    assert len({round(d, 6) for d in delays}) == len(delays)


def test_cancel_starts_no_new_nodes():
    cloud = MemoryCloud()
    ex = Executor(cloud, max_workers=1, retry=FAST)

    def on_event(e: Event) -> None:
        if e.type == "done" and e.node == "subnet.s0":
            ex.cancel()

    ex.on_event = on_event
    result = ex.run(plan("f", network(), [], SCHEMAS))
    assert result.cancelled and not result.ok
    assert {r.node for r in result.done} == {"vpc.main", "subnet.s0"}
    assert len(result.not_started) == 3


def test_deletes_run_in_reverse_order():
    observed = [
        Observed("vpc", "main", "vpc-1", {"cidr": "10.0.0.0/16"}),
        Observed("subnet", "s0", "sub-0", {"vpc_id": "vpc-1"}, deps=("vpc.main",)),
        Observed("route_table", "rt", "rt-1", {"subnets": ["sub-0"]}, deps=("subnet.s0",)),
    ]
    cloud = MemoryCloud()
    result = Executor(cloud, retry=FAST).run(plan("f", [], observed, SCHEMAS))
    assert result.ok
    assert cloud.calls == [
        ("delete", "route_table.rt"),
        ("delete", "subnet.s0"),
        ("delete", "vpc.main"),
    ]


def test_replace_deletes_old_before_creating_new_and_repoints_dependents():
    observed = [
        Observed("vpc", "main", "vpc-1", {"cidr": "10.0.0.0/16"}),
        Observed(
            "subnet", "s0", "sub-0", {"vpc_id": "vpc-1", "cidr": "10.9.0.0/24"}, deps=("vpc.main",)
        ),
        Observed("route_table", "rt", "rt-1", {"subnets": ["sub-0"]}, deps=("subnet.s0",)),
    ]
    p = plan("f", network(1), observed, SCHEMAS)
    assert p.change("subnet.s0").action is Action.REPLACE
    assert p.change("route_table.rt").action is Action.UPDATE
    graph, _ = execution_graph(p)
    assert ("subnet.s0#delete", "subnet.s0") in graph.edges
    cloud = MemoryCloud()
    result = Executor(cloud, retry=FAST).run(p)
    assert result.ok
    assert cloud.calls == [
        ("delete", "subnet.s0"),
        ("create", "subnet.s0"),
        ("update", "route_table.rt"),
    ]
    assert list(result.results["route_table.rt"].observed.props["subnets"]) == [
        result.results["subnet.s0"].observed.id
    ]


def test_removed_resource_goes_after_its_referrer_is_repointed():
    # a route table routed through nat b; nat b leaves the fabric and the table moves to nat a
    desired = [
        Resource("nat", "a", {}),
        Resource("route_table", "rt", {"nat": Ref("nat.a")}),
    ]
    observed = [
        Observed("nat", "a", "nat-a", {}),
        Observed("nat", "b", "nat-b", {}),
        Observed("route_table", "rt", "rt-1", {"nat": "nat-b"}, deps=("nat.b",)),
    ]
    cloud = MemoryCloud()
    result = Executor(cloud, retry=FAST).run(plan("f", desired, observed, SCHEMAS))
    assert result.ok
    assert cloud.calls == [("update", "route_table.rt"), ("delete", "nat.b")]


def test_ready_nodes_heading_the_longest_chains_start_first():
    """With one worker, the subnet a longer chain waits on starts before independent nodes
    that sort before it by name."""
    res = [Resource("vpc", "main", {"cidr": "10.0.0.0/16"})]
    res += [Resource("eip", f"a{i}", {"vpc_id": Ref("vpc.main")}) for i in range(3)]
    res.append(Resource("subnet", "z", {"vpc_id": Ref("vpc.main"), "cidr": "10.0.9.0/24"}))
    res.append(Resource("nat", "z", {"subnet_id": Ref("subnet.z")}))
    res.append(Resource("route_table", "z", {"nat_id": Ref("nat.z")}))
    cloud = MemoryCloud()
    result = Executor(cloud, max_workers=1, retry=FAST).run(plan("f", res, [], SCHEMAS))
    assert result.ok
    assert [a for _, a in cloud.calls] == [
        "vpc.main",
        "subnet.z",
        "nat.z",
        # then chains of one node each, by name
        "eip.a0",
        "eip.a1",
        "eip.a2",
        "route_table.z",
    ]


class Clock:
    """A hand-made clock that the applier below moves on: nothing here really waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class WaitingCloud:
    """Each attempt to create a resource plays a script: ``("wait", seconds)`` a healthy wait,
    reporting as it starts and every 30 s until it ends; ``("work", seconds)`` time passing
    without a report (a call failing slowly); then it raises the attempt's error, or succeeds
    when there is none."""

    def __init__(
        self, clock: Clock, attempts: list[tuple[list[tuple[str, float]], Exception | None]]
    ):
        self.clock = clock
        self.attempts = list(attempts)
        self.made = 0

    def create(self, resource, props, report):
        script, error = self.attempts.pop(0) if self.attempts else ([], None)
        for what, seconds in script:
            if what == "wait":
                report(f"waiting for {resource.address}: CREATING")
                left = seconds
                while left > 0:
                    step = min(30.0, left)
                    self.clock.now += step
                    left -= step
                    report(f"waiting for {resource.address}: CREATING")
            else:
                self.clock.now += seconds
        if error is not None:
            raise error
        self.made += 1
        return Observed(resource.kind, resource.name, f"id-{self.made}", props)

    def update(self, resource, props, observed, changed, report):  # pragma: no cover
        raise AssertionError("no update expected")

    def delete(self, observed, report):  # pragma: no cover
        raise AssertionError("no delete expected")


# Retries as in production (a 900 s deadline), but with delays too short to wait on for real.
PRODUCTION_DEADLINE = RetryPolicy(base=0.001, cap=0.002, deadline=900.0)


def run_one(cloud: WaitingCloud, clock: Clock, events: list[Event] | None = None):
    cluster = [Resource("cluster", "main", {"name": "main"})]
    sink = events.append if events is not None else (lambda e: None)
    ex = Executor(cloud, retry=PRODUCTION_DEADLINE, clock=clock, on_event=sink)
    return ex.run(plan("f", cluster, [], SCHEMAS)).results["cluster.main"]


def test_a_throttle_after_a_long_healthy_wait_is_retried():
    """A cluster's 15-minute wait ends in a throttled call: the wait was healthy, so the retry
    deadline has not been spent, and the retry finds the cluster and finishes."""
    clock = Clock()
    cloud = WaitingCloud(
        clock,
        [
            ([("work", 2), ("wait", 15 * 60), ("work", 1)], TemporaryError("Throttling")),
            ([("work", 1), ("wait", 30)], None),
        ],
    )
    events: list[Event] = []
    result = run_one(cloud, clock, events)
    assert result.status == "done", result.error
    assert result.attempts == 2
    assert result.elapsed > 15 * 60  # the node's own time still includes its waits
    assert [e.type for e in events if e.type in ("retrying", "done")] == ["retrying", "done"]


def test_long_waits_in_a_row_each_ending_in_a_throttle_are_retried():
    """Several long healthy waits (Fargate profiles that EKS creates one at a time) add up to
    far more than the deadline; each retry still happens, since none of it was failing."""
    clock = Clock()
    long_wait = ([("work", 1), ("wait", 10 * 60)], TemporaryError("ResourceInUseException"))
    cloud = WaitingCloud(clock, [long_wait] * 4 + [([("wait", 60)], None)])
    result = run_one(cloud, clock)
    assert result.status == "done", result.error
    assert result.attempts == 5
    assert result.elapsed > 40 * 60


def test_a_call_that_keeps_failing_stops_at_the_deadline_whatever_waits_come_before():
    """100 s of failing per attempt, each after a healthy minute: nine attempts make 900 s of
    failing time, and the ninth is the last."""
    clock = Clock()
    failing = ([("wait", 60), ("work", 100)], TemporaryError("Throttling"))
    cloud = WaitingCloud(clock, [failing] * 50)
    result = run_one(cloud, clock)
    assert result.status == "failed"
    assert result.attempts == 9


def test_a_call_failing_without_waits_is_bounded_as_before():
    clock = Clock()
    cloud = WaitingCloud(clock, [([("work", 300)], TemporaryError("Throttling"))] * 50)
    result = run_one(cloud, clock)
    assert result.status == "failed"
    assert result.attempts == 3  # 300, 600, 900 s failing: no fourth attempt


def test_a_wait_that_timed_out_counts_toward_the_deadline():
    """A wait that gave up was not healthy: 600 s of it leave room for one more try, not a
    third, so a resource that never gets there is not waited on forever."""
    clock = Clock()
    timed_out = ([("wait", 600)], WaitTimedOut("timed out after 600 s waiting for x"))
    cloud = WaitingCloud(clock, [timed_out] * 10)
    result = run_one(cloud, clock)
    assert result.status == "failed"
    assert isinstance(result.error, WaitTimedOut)
    assert result.attempts == 2
