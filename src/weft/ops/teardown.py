"""``weft down``: everything of a fabric deleted, in an order that cannot hang, with proof.

Before asking, the command shows what it would delete (:func:`prepare`: the fabric's resources,
and what the sweep finds by tag) and checks what needs consent (:func:`check`). Then
:func:`down` goes through these phases, in order:

1. **guard** — a protected fabric needs ``--confirm <name>``; data (a bucket holding objects,
   volumes Kubernetes left) needs ``--delete-data``; a database with deletion protection is
   refused with the command that lifts it. Checked before anything is deleted.
2. **lock** — the fabric's apply lock (while its bucket exists), then the cloud is read again and
   the teardown refused if it moved away from the plan the user approved.

3. **kubernetes** — while the fabric's cluster API answers (:mod:`weft.ops.apps.teardown`):
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

from dataclasses import dataclass

from weft.aws import data_at_risk
from weft.aws.drivers import DRIVERS
from weft.aws.drivers.base import Driver
from weft.aws.drivers.bucket import BucketDriver
from weft.aws.drivers.cache_replication_group import CacheReplicationGroupDriver
from weft.aws.drivers.db_instance import DbInstanceDriver
from weft.aws.inventory import Inventory
from weft.aws.sweep import Scope, sweepers
from weft.core.events import Event
from weft.core.executor import ApplyResult, Executor
from weft.core.plan import Plan
from weft.model import desired_resources
from weft.model.addresses import CLUSTER, FABRIC_BUCKET
from weft.ops import guard, retrying
from weft.ops.apps.teardown import kubernetes_first
from weft.ops.plan import destroy_plan, inventory, meta, moved, stale, subplan, teardown_plan
from weft.ops.run import (
    Outcome,
    Runner,
    ensure_unlocked,
    merge,
    new_run_id,
    release_lock,
    take_lock,
)
from weft.ops.sweep import sweep_scope, swept, with_cluster_state
from weft.ops.target import Target

#: The phases of a teardown, in order (reported as ``phase`` events).
PHASES = ("sweep", "fabric", "after", "bucket")


@dataclass(frozen=True)
class TeardownOptions:
    #: the fabric's name, required when it is protected
    confirm: str | None = None
    #: take a final snapshot of each database and cache (``--no-final-snapshot`` turns it off)
    final_snapshot: bool = True
    #: empty buckets that hold objects and delete volumes Kubernetes left (``--delete-data``)
    delete_data: bool = False
    #: keep the fabric bucket with its journal (``--keep-journal``)
    keep_journal: bool = False
    #: delete what the apps made through the cluster API first (the Kubernetes phase)
    kubernetes: bool = True


@dataclass(frozen=True)
class Preview:
    """What ``weft down`` shows before it asks: the fabric's resources and what the sweep
    finds by tag now, both as plans, and the inventory they were made from."""

    approved: Plan
    found: Plan
    inventory: Inventory

    @property
    def empty(self) -> bool:
        return not self.approved.has_changes and not self.found.has_changes

    @property
    def total(self) -> int:
        return len(self.approved.actionable) + len(self.found.actionable)


def prepare(target: Target, options: TeardownOptions) -> Preview:
    """Refuse a protected fabric without ``--confirm`` and a locked one, then read what the
    teardown would delete."""
    guard.require_confirmation(target, options.confirm, command="down")
    ensure_unlocked(target)
    inv = inventory(target)
    return Preview(destroy_plan(target, inv), sweep_plan(target, inv), inv)


def sweep_plan(target: Target, inv: Inventory) -> Plan:
    """What the sweep would delete now, as a plan (shown by ``weft down`` before it asks)."""
    return teardown_plan(target.name, swept(target, sweep_scope(target, inv)), {"kind": "sweep"})


def check(target: Target, preview: Preview, options: TeardownOptions) -> None:
    """The guard phase for what ``preview`` shows (see :func:`check_plan`)."""
    inv = preview.inventory
    check_plan(target, preview.approved, options, sweep_scope(target, inv))


def check_plan(target: Target, plan: Plan, options: TeardownOptions, scope: Scope) -> None:
    """The guard phase: refuse, before anything is deleted, what needs consent."""
    guard.require_confirmation(target, options.confirm, command="down")
    volumes = retrying.attempt(lambda: data_at_risk.volumes(target.context(), scope))
    guard.refuse_data_loss(
        target, plan, delete_data=options.delete_data, volumes=[v.id for v in volumes]
    )


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


def drivers(options: TeardownOptions, scope: Scope) -> dict[str, Driver]:
    """The drivers of a teardown: the options' database and bucket settings, and the sweep's."""
    return {
        **DRIVERS,
        "db_instance": DbInstanceDriver(final_snapshot=options.final_snapshot),
        "cache_replication_group": CacheReplicationGroupDriver(
            final_snapshot=options.final_snapshot
        ),
        "bucket": BucketDriver(delete_data=options.delete_data),
        **sweepers(scope),
    }


def down(runner: Runner, approved: Plan, options: TeardownOptions | None = None) -> Outcome:
    """Tear the fabric down, as ``runner`` runs plans (see the phases above)."""
    return Teardown(runner, options or TeardownOptions()).run(approved)


class Teardown:
    """One ``weft down`` of one fabric, through the runner's executor settings and events."""

    def __init__(self, runner: Runner, options: TeardownOptions) -> None:
        self.runner = runner
        self.target = runner.target
        self.options = options

    def _phase(self, name: str, message: str) -> None:
        self.runner.on_event(Event("phase", name, "down", message))

    def _executor(self, run_id: str, scope: Scope) -> Executor:
        return self.runner.executor(run_id, drivers(self.options, scope))

    def run(self, approved: Plan) -> Outcome:
        target = self.target
        guard.require_confirmation(target, self.options.confirm, command="down")
        run_id = new_run_id()
        ctx = target.context(run_id)
        has_bucket = any(c.address == FABRIC_BUCKET for c in approved.actionable)
        lock = take_lock(ctx, "down") if has_bucket else None
        released = False
        try:
            inv = inventory(target)
            fresh = destroy_plan(target, inv)
            changed = moved(fresh, approved)
            if changed:
                raise stale(changed, "deleted")
            scope = sweep_scope(target, inv)
            check_plan(target, fresh, self.options, scope)
            if self.options.kubernetes:
                self._kubernetes(inv)
            result, plan = self._fabric(run_id, inv, scope)
            if not result.cancelled:
                self._after(run_id, scope, result)
            if not result.ok or not has_bucket or self.options.keep_journal:
                key = self.runner.journal(run_id, "down", plan, result) if has_bucket else None
                return Outcome(plan, result, run_id, journal_key=key)
            # Everything else is gone: the bucket, with its lock and journal, goes last.
            self._phase("bucket", "the fabric bucket, with its lock and journal")
            last = self._executor(run_id, scope).run(subplan(fresh, {FABRIC_BUCKET}))
            released = last.ok
            merge(result, last)
            return Outcome(plan, result, run_id)
        finally:
            if lock is not None and not released:
                release_lock(ctx, lock)

    def _kubernetes(self, inv: Inventory) -> None:
        if CLUSTER not in inv.by_address:
            return
        self._phase("kubernetes", "the apps' load balancers and namespaces, through the cluster")
        report = kubernetes_first(
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
        self._phase("sweep", "finding what Kubernetes and others made for the fabric, by tag")
        found = swept(self.target, scope)
        mine = [o for o in inv.by_address.values() if o.address != FABRIC_BUCKET]
        self._phase(
            "fabric", f"deleting {len(mine)} fabric resources and {len(found)} found by tag"
        )
        plan = teardown_plan(
            self.target.name,
            [*mine, *found],
            meta(self.target, "down"),
            desired_dependencies(self.target),
        )
        return self._executor(run_id, scope).run(plan), plan

    def _after(self, run_id: str, first: Scope, result: ApplyResult) -> None:
        """The second sweep (what the deleted instances and cluster held until they went), and,
        when the fabric phase failed and this sweep deleted something, the fabric phase again.
        """
        target = self.target
        scope = with_cluster_state(target, first)
        found = swept(target, scope)
        if not found:
            return
        self._phase("after", f"{len(found)} more found by tag once the fabric's compute had gone")
        after = self._executor(run_id, scope).run(
            teardown_plan(target.name, found, {"kind": "sweep"})
        )
        merge(result, after)
        if result.ok or result.cancelled or not after.done:
            return
        again, _ = self._fabric(run_id, inventory(target), scope)
        # What failed the first time and is no longer there has gone after all.
        for node, step in list(result.results.items()):
            if step.status != "done" and node not in again.results and node not in after.results:
                del result.results[node]
        merge(result, again)
