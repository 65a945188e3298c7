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


def test_the_fabric_bucket_made_first_is_counted_with_the_rest() -> None:
    """up makes the fabric bucket (which holds the lock) in a walk of its own: a plan of 48
    creates closes with 48 created, not 47."""
    from weft.cli.run import done_of, result_of
    from weft.core.executor import ApplyResult
    from weft.core.plan import Plan
    from weft.ops.run import Outcome

    boot = ApplyResult({"fabric_bucket.fabric": done("create", "fabric_bucket.fabric")})
    rest = ApplyResult({f"subnet.s{i}": done("create", f"subnet.s{i}") for i in range(47)})
    outcome = Outcome(Plan("demo", [], "fp"), rest, "run-1", bootstrap=boot)
    assert done_counts(done_of(outcome)) == "48 created"
    assert result_of(outcome)["done"] == 48
    # a bootstrap that failed is the outcome's result: counted once
    failed = Outcome(Plan("demo", [], "fp"), boot, "run-2", bootstrap=boot)
    assert done_counts(done_of(failed)) == "1 created"
