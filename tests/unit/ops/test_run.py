"""What every run shares: its id, the lock's refusal, the journal entry, outcomes merged."""

from __future__ import annotations

import re
from typing import Any

from weft.aws.lock import LockInfo
from weft.core.executor import ApplyResult, StepResult
from weft.core.plan import Action, Change, Plan
from weft.core.resource import Observed
from weft.errors import LockHeld, PermanentError
from weft.ops.run import Outcome, held, journal_entry, merge, new_run_id

LOCK = LockInfo("ana@build pid 42", "up", "2024-05-01T10:00:00+00:00", "run-1")


def result(*steps: StepResult, cancelled: bool = False, elapsed: float = 1.0) -> ApplyResult:
    return ApplyResult({s.node: s for s in steps}, cancelled, elapsed)


def step(node: str, status: str = "done", **kw: Any) -> StepResult:
    return StepResult(node, node, "create", status, **kw)


def test_run_ids_are_a_utc_time_and_a_random_part() -> None:
    one, two = new_run_id(), new_run_id()
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", one)
    assert one != two


def test_a_held_lock_names_its_holder_and_how_to_break_it() -> None:
    alive = held(LOCK, "demo", "prod.yaml", gone=False)
    assert isinstance(alive, LockHeld)
    assert alive.message == (
        "fabric demo is locked by ana@build pid 42 since 2024-05-01T10:00:00+00:00 (up); "
        "nothing was done"
    )
    assert (
        alive.hint
        == "wait for it to finish; if that process is gone, run: weft unlock -f prod.yaml"
    )
    crashed = held(LOCK, "demo", "prod.yaml", gone=True)
    assert crashed.hint is not None
    assert crashed.hint.startswith("that process no longer runs on this host (a crash)")
    assert crashed.hint.endswith("weft unlock -f prod.yaml")


def test_the_journal_records_each_step_in_order() -> None:
    plan = Plan(
        "demo",
        [
            Change(Action.CREATE, "vpc.main", "vpc"),
            Change(Action.DELETE, "subnet.a", "subnet"),
        ],
        "fp",
    )
    done = result(
        step("vpc.main", observed=Observed("vpc", "main", "vpc-1")),
        step("subnet.a", "failed", error=PermanentError("no", address="subnet.a")),
    )
    entry = journal_entry("run-1", "up", plan, done, by="ana@build pid 42", at="now")
    assert {k: entry[k] for k in ("run_id", "command", "by", "at", "ok", "cancelled")} == {
        "run_id": "run-1",
        "command": "up",
        "by": "ana@build pid 42",
        "at": "now",
        "ok": False,
        "cancelled": False,
    }
    assert entry["summary"] == {"create": 1, "update": 0, "replace": 0, "delete": 1, "no-op": 0}
    assert entry["steps"] == [
        {
            "node": "subnet.a",
            "action": "create",
            "status": "failed",
            "error": "subnet.a: no",
            "id": None,
        },
        {"node": "vpc.main", "action": "create", "status": "done", "error": None, "id": "vpc-1"},
    ]
    assert "weft" in entry


def test_a_later_walk_of_the_same_run_adds_its_steps() -> None:
    first = result(step("a", "failed"), elapsed=2.0)
    merge(first, result(step("a"), step("b"), cancelled=True, elapsed=3.0))
    assert {n: s.status for n, s in first.results.items()} == {"a": "done", "b": "done"}
    assert first.cancelled and first.elapsed == 5.0


def test_an_outcome_is_ok_only_when_its_bootstrap_was() -> None:
    plan = Plan("demo", [], "fp")
    assert Outcome(plan, result(step("a")), "r").ok
    assert not Outcome(plan, result(step("a")), "r", bootstrap=result(step("b", "failed"))).ok
    assert not Outcome(plan, result(step("a", "skipped")), "r").ok
