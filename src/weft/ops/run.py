"""One run that changes the cloud (``up``, ``down``): what every such run shares.

A run has an id (:func:`new_run_id`: idempotency tokens and the lock derive from it); holds the
fabric's apply lock while it changes anything (:func:`take_lock`, :func:`release_lock`; checked
first by :func:`ensure_unlocked`, broken by :func:`break_lock`); walks its plans with an executor
made by its :class:`Runner` (settings, events and cancellation in one place); records itself in
the fabric's journal (:meth:`Runner.journal`); and ends with an :class:`Outcome`.

The lock and journal calls are retried on temporary errors (:mod:`weft.ops.retrying`).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from weft import __version__
from weft.aws import lock as fabric_lock
from weft.aws.applier import AwsApplier
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.aws.drivers.base import Driver
from weft.aws.journal import read_journal, write_journal
from weft.aws.lock import LockInfo
from weft.core.events import EventSink, discard
from weft.core.executor import ApplyResult, Executor, RetryPolicy
from weft.core.plan import Plan
from weft.errors import LockHeld
from weft.ops import retrying
from weft.ops.target import Target


def new_run_id() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


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


def current_lock(target: Target) -> LockInfo | None:
    """Who holds the fabric's lock now (None: nobody, or no fabric bucket yet)."""
    return fabric_lock.read_lock(target.context())


def break_lock(target: Target) -> LockInfo | None:
    """Remove the lock whoever holds it (``weft unlock``); the lock that was removed, if any."""
    return fabric_lock.break_lock(target.context())


def ensure_unlocked(target: Target) -> None:
    """Fail at once, naming who holds the fabric's lock and since when, if someone does.

    ``up`` and ``down`` call this before reading the cloud; taking the lock (a conditional put)
    later is what actually guarantees one writer.
    """
    lock = current_lock(target)
    if lock is None:
        return
    raise held(lock, target.name, target.fabric.source, gone=fabric_lock.holder_gone(lock))


def held(lock: LockInfo, fabric: str, source: str, *, gone: bool) -> LockHeld:
    """The refusal naming who holds ``lock``; ``gone``: that process no longer runs here."""
    unlock = f"weft unlock -f {source}"
    if gone:
        hint = f"that process no longer runs on this host (a crash): break the lock with {unlock}"
    else:
        hint = f"wait for it to finish; if that process is gone, run: {unlock}"
    return LockHeld(
        f"fabric {fabric} is locked by {lock.holder} since {lock.since} ({lock.command}); "
        "nothing was done",
        hint=hint,
    )


def last_entry(target: Target) -> dict[str, Any] | None:
    """The newest entry of the fabric's journal (None: none, or no fabric bucket)."""
    entries = read_journal(target.context(), limit=1)
    return entries[0] if entries else None


def journal_entry(
    run_id: str, command: str, plan: Plan, result: ApplyResult, *, by: str, at: str
) -> dict[str, Any]:
    """The journal's record of one run: who, when, what the plan held, and each step's end."""
    return {
        "run_id": run_id,
        "command": command,
        "by": by,
        "at": at,
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


@dataclass
class Outcome:
    plan: Plan
    result: ApplyResult
    run_id: str
    journal_key: str | None = None
    bootstrap: ApplyResult | None = None
    notes: list[str] = field(default_factory=list)
    #: the fabric's hosted zone: its name servers and delegation (``up``, with ``dns``)
    dns: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.result.ok and (self.bootstrap is None or self.bootstrap.ok)


def merge(into: ApplyResult, more: ApplyResult) -> None:
    """Add the steps of a later walk of the same run to ``into``."""
    into.results.update(more.results)
    into.cancelled = into.cancelled or more.cancelled
    into.elapsed += more.elapsed


@dataclass
class Runner:
    """Runs plans for one target: executor settings, events and cancellation in one place.

    ``weft up`` is :func:`weft.ops.apply.up`, ``weft down`` :func:`weft.ops.teardown.down`.
    """

    target: Target
    on_event: EventSink = discard
    max_workers: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cancel: threading.Event = field(default_factory=threading.Event)

    def executor(self, run_id: str, drivers: Mapping[str, Driver] = DRIVERS) -> Executor:
        """An executor applying plans with ``drivers`` for this run."""
        return Executor(
            AwsApplier(self.target.context(run_id), drivers),
            max_workers=self.max_workers,
            retry=self.retry,
            on_event=self.on_event,
            cancel_event=self.cancel,
        )

    def journal(self, run_id: str, command: str, plan: Plan, result: ApplyResult) -> str:
        """Record the run in the fabric's journal; the entry's key."""
        entry = journal_entry(
            run_id,
            command,
            plan,
            result,
            by=fabric_lock.default_holder(),
            at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        ctx = self.target.context(run_id)
        return retrying.attempt(lambda: write_journal(ctx, entry))
