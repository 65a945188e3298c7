"""``weft up``: an approved plan applied under the fabric's lock.

Order of business:

0. unless the caller did, check the change fits the account's service quotas
   (:mod:`weft.ops.quotas`): a change that does not is refused before any write;
1. the fabric bucket first (it holds the lock), if the plan creates or repairs it;
2. take the apply lock (a conditional put: one writer per fabric);
3. read the cloud again and re-plan under the lock; if the changes differ from the plan the user
   approved (or saved), refuse: the cloud moved;
4. check the guard rails again (:mod:`weft.ops.guard`), under the lock;
5. run the plan through the executor; write a journal entry; release the lock;
6. with ``dns``: read the hosted zone's name servers and whether the domain is delegated to them
   (what to set at the registrar), for the summary.

``down`` (:mod:`weft.ops.teardown`) is the same with nothing desired, plus what others made for
the fabric, found by tag; what both share is in :mod:`weft.ops.run`.
"""

from __future__ import annotations

from weft.aws.drivers import DRIVERS
from weft.aws.drivers.bucket import BucketDriver
from weft.core.executor import ApplyResult
from weft.core.plan import Plan
from weft.model.addresses import FABRIC_BUCKET
from weft.ops import guard, quotas
from weft.ops.plan import dns_delegation, make_plan, moved, stale, subplan
from weft.ops.run import Outcome, Runner, new_run_id, release_lock, take_lock


def up(
    runner: Runner, approved: Plan, *, confirm: str | None = None, delete_data: bool = False
) -> Outcome:
    """Apply an approved plan. On a protected fabric, destructive changes need ``confirm``
    (the fabric's name); a bucket that holds objects is emptied only with ``delete_data``.
    """
    target = runner.target
    if "quotas" not in approved.meta:  # not checked yet by the caller: check before any write
        quotas.enforce(target, approved)
    run_id = new_run_id()
    ctx = target.context(run_id)
    executor = runner.executor(run_id, {**DRIVERS, "bucket": BucketDriver(delete_data=delete_data)})
    boot: ApplyResult | None = None
    if any(c.address == FABRIC_BUCKET for c in approved.actionable):
        boot = executor.run(subplan(approved, {FABRIC_BUCKET}))
        if not boot.ok:
            return Outcome(approved, boot, run_id, bootstrap=boot)
    lock = take_lock(ctx, "up")
    try:
        fresh = make_plan(target)
        changed = moved(fresh, approved, skip={FABRIC_BUCKET})
        if changed:
            raise stale(changed, "applied")
        changes = guard.destructive(target, fresh)
        guard.require_confirmation(target, confirm, command="up", changes=changes)
        guard.refuse_data_loss(target, fresh, delete_data=delete_data)
        result = executor.run(fresh)
        key = runner.journal(run_id, "up", fresh, result)
        outcome = Outcome(fresh, result, run_id, journal_key=key, bootstrap=boot)
        if target.fabric.dns is not None and not result.cancelled:
            found = dns_delegation(target)
            outcome.dns = found.to_dict() if found is not None else None
        return outcome
    finally:
        release_lock(ctx, lock)
