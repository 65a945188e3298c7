"""``weft down``: everything of a fabric deleted, in an order that cannot hang, with proof.

:meth:`Teardown.run` goes through these phases, in order:

1. **guard** — a protected fabric needs ``--confirm <name>``; data (a bucket holding objects,
   volumes Kubernetes left) needs ``--delete-data``; a database with deletion protection is
   refused with the command that lifts it. Checked before anything is deleted.
2. **lock** — the fabric's apply lock (while its bucket exists), then the cloud is read again and
   the teardown refused if it moved away from the plan the user approved.

3. **kubernetes** — while the fabric's cluster API answers (:func:`weft.ops.apps.teardown`):
   its Services of type LoadBalancer and Ingresses are deleted and weft waits until their
   controller has deleted the load balancers, then the applications' namespaces go, then the
   apps' DNS records. Left to the sweep alone, a controller still running would make the load
   balancers again; and when the API does not answer, the sweep still removes them by tag.
4. **sweep** — what others made for the fabric or its cluster, found by tag in the fabric's VPCs
   (:mod:`weft.aws.sweep`): load balancers, target groups, security groups, network interfaces,
   volumes. It works whether or not the cluster's API answers.
5. **fabric** — the fabric's resources (the fabric bucket excepted) and what the sweep found, as
   one graph walked by the executor: reverse dependency order, in parallel where independent
   (node groups, Fargate profiles and add-ons before the cluster, which goes in parallel with
   the caches and databases; DNS records and the certificate; then NAT gateways, Elastic IPs,
   the internet gateway, subnets, security groups and the VPC; IAM roles and the KMS key once
   nothing uses them). Swept load balancers go before the subnets they sit in, their target
   groups and security groups after them. DependencyViolation while something is still going
   away is retried with backoff up to the executor's deadline, then reported: never a loop.
6. **after** — a second sweep, for what the deleted instances and cluster held until they went
   (detached volumes and interfaces, the cluster's security group if EKS left it). When the
   fabric phase failed and this sweep deleted something, the fabric phase runs once more.
7. **bucket** — the fabric bucket, with its lock and journal, last; ``--keep-journal`` keeps it
   (the journal records the teardown, the lock is released).

The command then runs the leftover report (:mod:`weft.ops.leftovers`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.applier import AwsApplier
from weft.aws.drivers import DRIVERS
from weft.aws.drivers.base import Driver
from weft.aws.drivers.bucket import BucketDriver
from weft.aws.drivers.db_instance import DbInstanceDriver
from weft.aws.inventory import Inventory, build, discover
from weft.aws.sweep import Scope, sweepers
from weft.aws.sweep.base import cluster_exists
from weft.aws.sweep.volume import VolumeSweeper
from weft.core import planner
from weft.core.events import Event
from weft.core.executor import ApplyResult, Executor, execution_graph
from weft.core.plan import Plan
from weft.core.resource import Observed
from weft.errors import CycleError
from weft.model import desired_resources
from weft.ops import guard, retrying
from weft.ops.target import Target

if TYPE_CHECKING:
    from weft.ops.lifecycle import Outcome, Runner

#: The phases of a teardown, in order (reported as ``phase`` events).
PHASES = ("sweep", "fabric", "after", "bucket")


@dataclass(frozen=True)
class TeardownOptions:
    #: the fabric's name, required when it is protected
    confirm: str | None = None
    #: take a final snapshot of each database (``--no-final-snapshot`` turns it off)
    final_snapshot: bool = True
    #: empty buckets that hold objects and delete volumes Kubernetes left (``--delete-data``)
    delete_data: bool = False
    #: keep the fabric bucket with its journal (``--keep-journal``)
    keep_journal: bool = False
    #: delete what the apps made through the cluster API first (the Kubernetes phase)
    kubernetes: bool = True


def sweep_scope(target: Target, inv: Inventory, *, any_vpc: bool = False) -> Scope:
    """The fabric's sweep scope: its VPCs, and its cluster when it has (or declares) one.

    The cluster is named after the fabric; its tags are the fabric's only when the fabric file
    declares a cluster or weft finds its own. ``any_vpc`` (the leftover report) looks beyond
    the fabric's VPCs, which a sweep never does.
    """
    has_cluster = target.fabric.cluster is not None or bool(inv.of_kind("eks_cluster"))
    cluster = target.name if has_cluster else None
    vpc_ids = None if any_vpc else frozenset(o.id for o in inv.of_kind("vpc"))
    running = cluster is not None and _cluster_exists(target, cluster)
    return Scope(target.name, cluster, vpc_ids, cluster_running=running)


def _cluster_exists(target: Target, name: str) -> bool:
    def read() -> bool:
        try:
            return cluster_exists(target.context(), name)
        except (ClientError, BotoCoreError) as exc:
            raise errors.translate(exc, address=None, action="read", subject="eks cluster") from exc

    return retrying.attempt(read)


def swept(target: Target, scope: Scope) -> list[Observed]:
    """What the sweep would delete now (batched reads, every kind at once)."""
    found = retrying.attempt(lambda: discover(target.context(), sweepers(scope)))
    return list(found.by_address.values())


def desired_dependencies(target: Target) -> dict[str, set[str]]:
    """The dependencies the fabric file gives each resource (exact: from its refs).

    Observed dependencies are found by cloud ids appearing in props, which misses references by
    ARN to a resource whose id is not its ARN (a KMS key) and can be misled by two kinds sharing
    a name (a DB subnet group and a cache subnet group): the file's own refs settle both.
    """
    desired = desired_resources(
        target.fabric, account_id=target.account_id, zones=list(target.zones)
    )
    return {r.address: r.dependencies() for r in desired}


def _with_deps(observed: list[Observed], extra: dict[str, set[str]]) -> list[Observed]:
    present = {o.address for o in observed}
    return [
        replace(o, deps=tuple(sorted(set(o.deps) | (extra.get(o.address, set()) & present))))
        for o in observed
    ]


def _teardown_plan(
    target: Target,
    observed: Iterable[Observed],
    meta: dict[str, Any],
    extra_deps: dict[str, set[str]] | None = None,
) -> Plan:
    """Delete everything in ``observed``, dependents first: ordered by the ids they refer to,
    and by ``extra_deps`` (the fabric file's refs) unless those would make a cycle."""
    every = list(build(list(observed)).by_address.values())
    plan: Plan | None = None
    if extra_deps:
        try:
            plan = planner.plan(target.name, [], _with_deps(every, extra_deps), {}, meta=meta)
            execution_graph(plan)
        except CycleError:
            plan = None
    if plan is None:
        plan = planner.plan(target.name, [], every, {}, meta=meta)
    changes = []
    for change in plan.changes:
        why = change.observed.props.get("why") if change.observed else None
        changes.append(replace(change, reason=f"found by tag ({why})") if why else change)
    plan.changes = changes
    return plan


def sweep_plan(target: Target, inv: Inventory) -> Plan:
    """What the sweep would delete now, as a plan (shown by ``weft down`` before it asks)."""
    return _teardown_plan(target, swept(target, sweep_scope(target, inv)), {"kind": "sweep"})


def drivers(options: TeardownOptions, scope: Scope) -> dict[str, Driver]:
    return {
        **DRIVERS,
        "db_instance": DbInstanceDriver(final_snapshot=options.final_snapshot),
        "bucket": BucketDriver(delete_data=options.delete_data),
        **sweepers(scope),
    }


def check(
    target: Target, plan: Plan, inv: Inventory, options: TeardownOptions, scope: Scope
) -> None:
    """The guard phase: refuse, before anything is deleted, what needs consent."""
    guard.require_confirmation(target, options.confirm, command="down")
    volumes = retrying.attempt(lambda: _scan(VolumeSweeper(scope), target))
    guard.refuse_data_loss(
        target, plan, delete_data=options.delete_data, volumes=[v.id for v in volumes]
    )


def _scan(sweeper: VolumeSweeper, target: Target) -> list[Observed]:
    try:
        return sweeper.scan(target.context(), everything=True)
    except (ClientError, BotoCoreError) as exc:
        raise errors.translate(exc, address=None, action="read", subject="volumes") from exc


def _merge(into: ApplyResult, more: ApplyResult) -> None:
    into.results.update(more.results)
    into.cancelled = into.cancelled or more.cancelled
    into.elapsed += more.elapsed


class Teardown:
    """One ``weft down`` of one fabric, through the runner's executor settings and events."""

    def __init__(self, runner: Runner, options: TeardownOptions) -> None:
        self.runner = runner
        self.target = runner.target
        self.options = options

    def _phase(self, name: str, message: str) -> None:
        self.runner.on_event(Event("phase", name, "down", message))

    def _executor(self, run_id: str, scope: Scope) -> Executor:
        runner = self.runner
        return Executor(
            AwsApplier(self.target.context(run_id), drivers(self.options, scope)),
            max_workers=runner.max_workers,
            retry=runner.retry,
            on_event=runner.on_event,
            cancel_event=runner.cancel,
        )

    def run(self, approved: Plan) -> Outcome:
        from weft.ops import lifecycle

        target = self.target
        guard.require_confirmation(target, self.options.confirm, command="down")
        run_id = lifecycle.new_run_id()
        ctx = target.context(run_id)
        has_bucket = any(c.address == lifecycle.BUCKET for c in approved.actionable)
        lock = lifecycle.take_lock(ctx, "down") if has_bucket else None
        released = False
        try:
            inv = lifecycle.inventory(target)
            fresh = lifecycle.destroy_plan(target, inv)
            changed = lifecycle.moved(fresh, approved)
            if changed:
                raise lifecycle.stale(changed, "deleted")
            scope = sweep_scope(target, inv)
            check(target, fresh, inv, self.options, scope)
            if self.options.kubernetes:
                self._kubernetes(inv)
            result, plan = self._fabric(run_id, inv, scope)
            if not result.cancelled:
                self._after(run_id, scope, result)
            if not result.ok or not has_bucket or self.options.keep_journal:
                key = self.runner._journal(run_id, "down", plan, result) if has_bucket else None
                return lifecycle.Outcome(plan, result, run_id, journal_key=key)
            # Everything else is gone: the bucket, with its lock and journal, goes last.
            self._phase("bucket", "the fabric bucket, with its lock and journal")
            last = self._executor(run_id, scope).run(lifecycle._subplan(fresh, {lifecycle.BUCKET}))
            released = last.ok
            _merge(result, last)
            return lifecycle.Outcome(plan, result, run_id)
        finally:
            if lock is not None and not released:
                lifecycle.release_lock(ctx, lock)

    def _kubernetes(self, inv: Inventory) -> None:
        from weft.ops import apps

        if apps.CLUSTER not in inv.by_address:
            return
        self._phase("kubernetes", "the apps' load balancers and namespaces, through the cluster")
        report = apps.kubernetes_first(
            self.target, lambda e: self._phase("kubernetes", f"{e.app}: {e.message}")
        )
        if not report.reachable:
            why = (report.note or "no answer").splitlines()[0]
            self._phase(
                "kubernetes",
                f"the cluster API did not answer ({why}); the sweep removes what Kubernetes "
                "made, by tag",
            )
        elif report.left:
            self._phase("kubernetes", "still going, left to the sweep: " + "; ".join(report.left))
        else:
            done = len(report.deleted) + len(report.records)
            self._phase("kubernetes", f"{done} objects and records deleted in {report.seconds}s")

    def _fabric(self, run_id: str, inv: Inventory, scope: Scope) -> tuple[ApplyResult, Plan]:
        """The sweep and fabric phases: one graph of the fabric (bucket excepted) and the swept."""
        from weft.ops import lifecycle

        self._phase("sweep", "finding what Kubernetes and others made for the fabric, by tag")
        found = swept(self.target, scope)
        mine = [o for o in inv.by_address.values() if o.address != lifecycle.BUCKET]
        self._phase(
            "fabric", f"deleting {len(mine)} fabric resources and {len(found)} found by tag"
        )
        plan = _teardown_plan(
            self.target,
            [*mine, *found],
            lifecycle._meta(self.target, "down"),
            desired_dependencies(self.target),
        )
        return self._executor(run_id, scope).run(plan), plan

    def _after(self, run_id: str, first: Scope, result: ApplyResult) -> None:
        """The second sweep (what the deleted instances and cluster held until they went), and,
        when the fabric phase failed and this sweep deleted something, the fabric phase again.
        """
        from weft.ops import lifecycle

        target = self.target
        running = first.cluster is not None and _cluster_exists(target, first.cluster)
        scope = replace(first, cluster_running=running)
        found = swept(target, scope)
        if not found:
            return
        self._phase("after", f"{len(found)} more found by tag once the fabric's compute had gone")
        after = self._executor(run_id, scope).run(_teardown_plan(target, found, {"kind": "sweep"}))
        _merge(result, after)
        if result.ok or result.cancelled or not after.done:
            return
        again, _ = self._fabric(run_id, lifecycle.inventory(target), scope)
        # What failed the first time and is no longer there has gone after all.
        for node, step in list(result.results.items()):
            if step.status != "done" and node not in again.results and node not in after.results:
                del result.results[node]
        _merge(result, again)


def kept_journal(entries: list[dict[str, Any]]) -> bool:
    """The newest journal entry is a successful ``down``: the bucket was kept on purpose."""
    return bool(entries) and entries[0].get("command") == "down" and bool(entries[0].get("ok"))
