"""The closing line of ``up`` and ``down`` counts what was done as the plan counted it."""

from __future__ import annotations

from weft.cli.run import done_counts
from weft.core.executor import StepResult


def done(action: str, address: str = "x.y") -> StepResult:
    return StepResult(address, address, action, "done")


def test_a_plan_of_creates_is_said_in_creates_not_steps() -> None:
    assert done_counts([done("create")] * 48) == "48 created"


def test_every_action_is_counted_as_the_plan_counts_it() -> None:
    results = [
        *[done("create")] * 3,
        done("update"),
        done("replace (create)", "db_instance.main"),
        done("replace (delete)", "db_instance.main"),
        *[done("delete")] * 2,
    ]
    # a replacement is one change in two steps: the steps are said too, as they differ
    assert done_counts(results) == "3 created, 1 updated, 1 replaced, 2 deleted (8 steps)"


def test_nothing_done() -> None:
    assert done_counts([]) == "nothing"
