"""Plan, apply, destroy and inventory of one fabric.

Apply order of business (``up``):

1. the fabric bucket first (it holds the lock), if the plan creates or repairs it;
2. take the apply lock (a conditional put: one writer per fabric);
3. read the cloud again and re-plan under the lock; if the changes differ from the plan the user
   approved (or saved), refuse: the cloud moved;
4. run the plan through the executor; write a journal entry; release the lock.

``down`` (:mod:`weft.ops.teardown`) is the same with nothing desired, plus what others made for
the fabric, found by tag; the fabric bucket (and with it the lock and journal) goes last, once
everything else is gone.

Guard rails (:mod:`weft.ops.guard`) are checked before anything is changed and again under the
lock; reads and the lock and journal calls are retried on temporary errors
(:mod:`weft.ops.retrying`).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from weft import __version__
from weft.aws import lock as fabric_lock
from weft.aws.applier import AwsApplier
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.aws.drivers.base import Driver
from weft.aws.drivers.bucket import BucketDriver
from weft.aws.inventory import Inventory, discover
from weft.aws.journal import write_journal
from weft.aws.lock import LockInfo
from weft.core import planner
from weft.core.events import EventSink, discard
from weft.core.executor import ApplyResult, Executor, RetryPolicy
from weft.core.plan import Action, Plan
from weft.core.resource import KindSchema, Observed
from weft.errors import ConfigError, LockHeld, StalePlan
from weft.fabricfile import check_version_step
from weft.model import desired_resources
from weft.model.addresses import FABRIC_BUCKET
from weft.ops import guard, retrying
from weft.ops.target import Target
from weft.ops.teardown import TeardownOptions

BUCKET = FABRIC_BUCKET


def schemas() -> dict[str, KindSchema]:
    return {kind: driver.schema for kind, driver in DRIVERS.items()}


def new_run_id() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


def inventory(target: Target) -> Inventory:
    """Everything the cloud holds for the fabric (every driver's discovery; a reading that
    failed for a temporary reason is tried again: see :mod:`weft.ops.retrying`)."""
    return retrying.attempt(lambda: discover(target.context(), DRIVERS))


def take_lock(ctx: AwsContext, command: str) -> LockInfo:
    """The fabric's apply lock, taken for this run (retried on temporary errors; a put whose
    answer was lost but which took the lock is recognised by its run id)."""

    def once() -> LockInfo:
        try:
            return fabric_lock.acquire_lock(
                ctx, command=command, holder=fabric_lock.default_holder()
            )
        except LockHeld:
            current = fabric_lock.read_lock(ctx)
            if current is not None and current.run_id == ctx.run_id:
                return current
            raise

    return retrying.attempt(once)


def release_lock(ctx: AwsContext, lock: LockInfo) -> None:
    retrying.attempt(lambda: fabric_lock.release_lock(ctx, lock))


def ensure_unlocked(target: Target) -> None:
    """Fail at once, naming who holds the fabric's lock and since when, if someone does.

    ``up`` and ``down`` call this before reading the cloud; taking the lock (a conditional put)
    later is what actually guarantees one writer.
    """
    lock = fabric_lock.read_lock(target.context())
    if lock is None:
        return
    unlock = f"weft unlock -f {target.fabric.source}"
    if fabric_lock.holder_gone(lock):
        hint = f"that process no longer runs on this host (a crash): break the lock with {unlock}"
    else:
        hint = f"wait for it to finish; if that process is gone, run: {unlock}"
    raise LockHeld(
        f"fabric {target.name} is locked by {lock.holder} since {lock.since} ({lock.command}); "
        "nothing was done",
        hint=hint,
    )


def _meta(target: Target, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "account": target.account_id,
        "region": target.region,
        "zones": list(target.zones),
        "file": target.fabric.source,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "weft": __version__,
    }


def make_plan(target: Target, inv: Inventory | None = None) -> Plan:
    """What ``up`` would change: the fabric file against the cloud."""
    inv = inv or inventory(target)
    desired = desired_resources(
        target.fabric, account_id=target.account_id, zones=list(target.zones)
    )
    kinds = schemas()
    # What `weft deploy` manages (the apps' DNS records) is not the fabric file's to plan away.
    mine = [o for o in inv.by_address.values() if kinds[o.kind].owner == "fabric"]
    the_plan = _duplicates_named(
        planner.plan(target.name, desired, mine, kinds, meta=_meta(target, "up")), inv
    )
    check_plan(target, the_plan)
    return the_plan


def _duplicates_named(plan: Plan, inv: Inventory) -> Plan:
    """Say why a duplicate (``name#2``, renamed by the inventory) is deleted.

    The inventory lists duplicates under their own address, so the planner deletes each of
    them as a resource the file does not name; passing them again as ``duplicates`` would
    delete each one twice.
    """
    extra = {d.address for d in inv.duplicates}
    plan.changes = [
        replace(c, reason=f"duplicate of {c.address.partition('#')[0]}")
        if c.address in extra and c.action is Action.DELETE
        else c
        for c in plan.changes
    ]
    return plan


def check_plan(target: Target, plan: Plan) -> None:
    """Refuse, before anything is written, changes the cloud cannot make."""
    for change in plan.actionable:
        if change.kind != "eks_cluster" or change.action is not Action.UPDATE:
            continue
        for diff in change.diffs:
            if diff.field == "version":
                problem = check_version_step(str(diff.before), str(diff.after))
                if problem:
                    raise ConfigError(
                        f"{target.fabric.source}: cluster.version: {problem} "
                        f"(the cluster runs {diff.before})"
                    )


def destroy_plan(target: Target, inv: Inventory | None = None) -> Plan:
    """What ``down`` would delete: everything the cloud holds for the fabric."""
    inv = inv or inventory(target)
    return _duplicates_named(
        planner.plan(
            target.name, [], inv.by_address.values(), schemas(), meta=_meta(target, "down")
        ),
        inv,
    )


def signature(plan: Plan, skip: Iterable[str] = ()) -> list[Any]:
    """What a plan would do, comparable across two readings of the cloud."""
    skipped = set(skip)
    return [
        (c.action.value, c.address, c.cloud_id, [d.to_dict() for d in c.diffs])
        for c in plan.actionable
        if c.address not in skipped
    ]


def moved(fresh: Plan, approved: Plan, skip: Iterable[str] = ()) -> list[str]:
    """Addresses whose change differs between ``fresh`` and ``approved`` (empty: the same plan).

    Any difference refuses the apply, even when the cloud moved towards the plan (a resource it
    would create now exists: a request still in flight when a previous run died): what was
    approved is exactly what is applied.
    """
    one = {json.dumps(entry, default=str): entry[1] for entry in signature(fresh, skip)}
    two = {json.dumps(entry, default=str): entry[1] for entry in signature(approved, skip)}
    return sorted({one[k] for k in one.keys() - two.keys()} | {two[k] for k in two.keys() - one})


def stale(changed: list[str], what: str) -> StalePlan:
    listed = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return StalePlan(
        f"the cloud changed since this plan was made ({listed}); nothing was {what}",
        hint="run the command again and review the new plan",
    )


def _subplan(plan: Plan, addresses: set[str]) -> Plan:
    return Plan(
        plan.fabric,
        [c for c in plan.changes if c.address in addresses],
        plan.fingerprint,
        dict(plan.meta),
    )


@dataclass
class Outcome:
    plan: Plan
    result: ApplyResult
    run_id: str
    journal_key: str | None = None
    bootstrap: ApplyResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.ok and (self.bootstrap is None or self.bootstrap.ok)


@dataclass
class Runner:
    """Runs plans for one target: executor settings, events and cancellation in one place."""

    target: Target
    on_event: EventSink = discard
    max_workers: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cancel: threading.Event = field(default_factory=threading.Event)

    def _executor(self, run_id: str, drivers: Mapping[str, Driver] = DRIVERS) -> Executor:
        return Executor(
            AwsApplier(self.target.context(run_id), drivers),
            max_workers=self.max_workers,
            retry=self.retry,
            on_event=self.on_event,
            cancel_event=self.cancel,
        )

    def _journal(self, run_id: str, command: str, plan: Plan, result: ApplyResult) -> str:
        entry = {
            "run_id": run_id,
            "command": command,
            "by": fabric_lock.default_holder(),
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "weft": __version__,
            "summary": plan.counts(),
            "ok": result.ok,
            "cancelled": result.cancelled,
            "steps": [
                {
                    "node": r.node,
                    "action": r.action,
                    "status": r.status,
                    "error": str(r.error) if r.error else None,
                    "id": r.observed.id if r.observed else None,
                }
                for r in sorted(result.results.values(), key=lambda r: r.node)
            ],
        }
        ctx = self.target.context(run_id)
        return retrying.attempt(lambda: write_journal(ctx, entry))

    def up(
        self, approved: Plan, *, confirm: str | None = None, delete_data: bool = False
    ) -> Outcome:
        """Apply an approved plan. On a protected fabric, destructive changes need ``confirm``
        (the fabric's name); a bucket that holds objects is emptied only with ``delete_data``.
        """
        run_id = new_run_id()
        ctx = self.target.context(run_id)
        drivers = {**DRIVERS, "bucket": BucketDriver(delete_data=delete_data)}
        executor = self._executor(run_id, drivers)
        boot: ApplyResult | None = None
        boot_change = [c for c in approved.actionable if c.address == BUCKET]
        if boot_change:
            boot = executor.run(_subplan(approved, {BUCKET}))
            if not boot.ok:
                return Outcome(approved, boot, run_id, bootstrap=boot)
        lock = take_lock(ctx, "up")
        try:
            fresh = make_plan(self.target)
            changed = moved(fresh, approved, skip={BUCKET})
            if changed:
                raise stale(changed, "applied")
            changes = guard.destructive(self.target, fresh)
            guard.require_confirmation(self.target, confirm, command="up", changes=changes)
            guard.refuse_data_loss(self.target, fresh, delete_data=delete_data)
            result = executor.run(fresh)
            key = self._journal(run_id, "up", fresh, result)
            return Outcome(fresh, result, run_id, journal_key=key, bootstrap=boot)
        finally:
            release_lock(ctx, lock)

    def down(self, approved: Plan, options: TeardownOptions | None = None) -> Outcome:
        """Tear the fabric down: see :mod:`weft.ops.teardown` for the phases."""
        from weft.ops.teardown import Teardown

        return Teardown(self, options or TeardownOptions()).run(approved)


@dataclass(frozen=True)
class StatusRow:
    address: str
    kind: str
    id: str | None
    state: str
    note: str = ""
    endpoint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "id": self.id,
            "state": self.state,
            "endpoint": self.endpoint,
            "note": self.note,
        }


def _endpoint(obs: Observed) -> str | None:
    """Where to reach a resource that serves something (cluster API, database, cache)."""
    endpoint = obs.outputs.get("endpoint")
    if not endpoint:
        return None
    port = obs.outputs.get("port")
    return f"{endpoint}:{port}" if port and f":{port}" not in str(endpoint) else str(endpoint)


def status_rows(target: Target, inv: Inventory | None = None) -> list[StatusRow]:
    """Every resource of the fabric: desired ones (present or missing) and strays."""
    inv = inv or inventory(target)
    desired = desired_resources(
        target.fabric, account_id=target.account_id, zones=list(target.zones)
    )
    rows: list[StatusRow] = []
    seen: set[str] = set()
    for res in desired:
        obs = inv.by_address.get(res.address)
        seen.add(res.address)
        if obs is None:
            rows.append(StatusRow(res.address, res.kind, None, "absent", "not created yet"))
        else:
            rows.append(StatusRow(res.address, res.kind, obs.id, obs.state, "", _endpoint(obs)))
    extra: list[Observed] = [o for a, o in inv.by_address.items() if a not in seen]
    duplicates = {d.address for d in inv.duplicates}
    for obs in extra:  # duplicates (``name#2``) included
        note = "a duplicate" if obs.address in duplicates else "not in the fabric file"
        rows.append(StatusRow(obs.address, obs.kind, obs.id, obs.state, note))
    return rows


def has_deletes(plan: Plan) -> bool:
    return any(c.action in (Action.DELETE, Action.REPLACE) for c in plan.changes)
