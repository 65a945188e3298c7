"""Plan, apply, destroy and inventory of one fabric.

Apply order of business (``up``):

1. the fabric bucket first (it holds the lock), if the plan creates or repairs it;
2. take the apply lock (a conditional put: one writer per fabric);
3. read the cloud again and re-plan under the lock; if the changes differ from the plan the user
   approved (or saved), refuse: the cloud moved;
4. run the plan through the executor; write a journal entry; release the lock.

``down`` is the same with nothing desired; the fabric bucket (and with it the lock and journal)
goes last, once everything else is gone.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from weft import __version__
from weft.aws import fabric_bucket as bucket_store
from weft.aws.applier import AwsApplier
from weft.aws.drivers import DRIVERS
from weft.aws.inventory import Inventory, discover
from weft.core import planner
from weft.core.events import EventSink, discard
from weft.core.executor import ApplyResult, Executor, RetryPolicy
from weft.core.plan import Action, Plan
from weft.core.resource import KindSchema, Observed
from weft.errors import ConfigError, StalePlan
from weft.model import desired_resources
from weft.ops.target import Target
from weft.spec import check_version_step

BUCKET = "fabric_bucket.fabric"


def schemas() -> dict[str, KindSchema]:
    return {kind: driver.schema for kind, driver in DRIVERS.items()}


def new_run_id() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


def holder() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def inventory(target: Target) -> Inventory:
    return discover(target.context(), DRIVERS)


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
    the_plan = planner.plan(
        target.name,
        desired,
        mine,
        kinds,
        duplicates=[d for d in inv.duplicates if kinds[d.kind].owner == "fabric"],
        meta=_meta(target, "up"),
    )
    check_plan(target, the_plan)
    return the_plan


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
    return planner.plan(
        target.name,
        [],
        inv.by_address.values(),
        schemas(),
        duplicates=inv.duplicates,
        meta=_meta(target, "down"),
    )


def signature(plan: Plan, skip: Iterable[str] = ()) -> list[Any]:
    """What a plan would do, comparable across two readings of the cloud."""
    skipped = set(skip)
    return [
        (c.action.value, c.address, c.cloud_id, [d.to_dict() for d in c.diffs])
        for c in plan.actionable
        if c.address not in skipped
    ]


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

    def _executor(self, run_id: str) -> Executor:
        return Executor(
            AwsApplier(self.target.context(run_id), DRIVERS),
            max_workers=self.max_workers,
            retry=self.retry,
            on_event=self.on_event,
            cancel_event=self.cancel,
        )

    def _journal(self, run_id: str, command: str, plan: Plan, result: ApplyResult) -> str:
        entry = {
            "run_id": run_id,
            "command": command,
            "by": holder(),
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
        return bucket_store.write_journal(self.target.context(run_id), entry)

    def up(self, approved: Plan) -> Outcome:
        run_id = new_run_id()
        ctx = self.target.context(run_id)
        executor = self._executor(run_id)
        boot: ApplyResult | None = None
        boot_change = [c for c in approved.actionable if c.address == BUCKET]
        if boot_change:
            boot = executor.run(_subplan(approved, {BUCKET}))
            if not boot.ok:
                return Outcome(approved, boot, run_id, bootstrap=boot)
        lock = bucket_store.acquire_lock(ctx, command="up", holder=holder())
        try:
            fresh = make_plan(self.target)
            if signature(fresh, skip={BUCKET}) != signature(approved, skip={BUCKET}):
                raise StalePlan(
                    "the cloud changed since this plan was made; nothing was applied",
                    hint="run weft plan again and review the new changes",
                )
            result = executor.run(fresh)
            key = self._journal(run_id, "up", fresh, result)
            return Outcome(fresh, result, run_id, journal_key=key, bootstrap=boot)
        finally:
            bucket_store.release_lock(ctx, lock)

    def down(self, approved: Plan) -> Outcome:
        run_id = new_run_id()
        ctx = self.target.context(run_id)
        executor = self._executor(run_id)
        has_bucket = any(c.address == BUCKET for c in approved.actionable)
        lock = (
            bucket_store.acquire_lock(ctx, command="down", holder=holder()) if has_bucket else None
        )
        released = False
        try:
            fresh = destroy_plan(self.target)
            if signature(fresh) != signature(approved):
                raise StalePlan(
                    "the cloud changed since this plan was made; nothing was deleted",
                    hint="run weft down again and review what it will delete",
                )
            rest = {c.address for c in fresh.actionable if c.address != BUCKET}
            result = executor.run(_subplan(fresh, rest))
            if not result.ok or not has_bucket:
                key = self._journal(run_id, "down", fresh, result) if has_bucket else None
                return Outcome(fresh, result, run_id, journal_key=key)
            # Everything else is gone: the bucket, with its lock and journal, goes last.
            last = executor.run(_subplan(fresh, {BUCKET}))
            released = last.ok
            result.results.update(last.results)
            result.cancelled = result.cancelled or last.cancelled
            return Outcome(fresh, result, run_id)
        finally:
            if lock is not None and not released:
                bucket_store.release_lock(ctx, lock)


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
    for obs in [*extra, *inv.duplicates]:
        rows.append(StatusRow(obs.address, obs.kind, obs.id, obs.state, "not in the fabric file"))
    return rows


def has_deletes(plan: Plan) -> bool:
    return any(c.action in (Action.DELETE, Action.REPLACE) for c in plan.changes)
