"""Polling with progress reports (a hand-made clock: moto never makes anything wait)."""

from __future__ import annotations

import pytest

from weft.aws.context import AwsContext
from weft.aws.session import AwsSession
from weft.aws.waiting import wait_until
from weft.errors import PermanentError, TemporaryError, WaitTimedOut


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def reports() -> list[str]:
    return []


@pytest.fixture
def ctx(reports: list[str]) -> AwsContext:
    session = AwsSession("us-east-2", credentials=("x", "y"))  # never used to call AWS
    return AwsContext(session, fabric="t1", account_id="123456789012").with_reporter(reports.append)


def test_done_at_once_makes_no_report_and_no_sleep(ctx: AwsContext, reports: list[str]) -> None:
    clock = FakeClock()
    wait_until(ctx, "x", lambda: True, timeout=10, sleep=clock.sleep, clock=clock)
    assert reports == []
    assert clock.sleeps == []


def test_polls_with_growing_interval_and_reports(ctx: AwsContext, reports: list[str]) -> None:
    clock = FakeClock()
    sequence: list[bool | str] = ["pending", "pending", False, "pending", True]
    states = iter(sequence)
    wait_until(
        ctx,
        "NAT gateway nat-1",
        lambda: next(states),
        timeout=600,
        interval=2.0,
        max_interval=4.0,
        sleep=clock.sleep,
        clock=clock,
    )
    assert clock.sleeps == [2.0, 3.0, 4.0, 4.0]
    assert reports == [
        "waiting for NAT gateway nat-1: pending (0s)",
        "waiting for NAT gateway nat-1: pending (2s)",
        "waiting for NAT gateway nat-1: not ready (5s)",
        "waiting for NAT gateway nat-1: pending (9s)",
    ]


def test_timeout_is_temporary(ctx: AwsContext, reports: list[str]) -> None:
    clock = FakeClock()
    with pytest.raises(TemporaryError) as err:
        wait_until(ctx, "cluster c", lambda: "creating", timeout=30, sleep=clock.sleep, clock=clock)
    assert "timed out after 30 s waiting for cluster c" in err.value.message
    assert err.value.hint == "re-run: weft resumes where it stopped"
    assert clock.now - 100.0 == pytest.approx(30.0)  # never sleeps past the deadline
    # a wait that gave up: the executor counts all of it toward its retry deadline
    assert isinstance(err.value, WaitTimedOut)


def test_check_may_give_up(ctx: AwsContext) -> None:
    clock = FakeClock()

    def check() -> bool | str:
        raise PermanentError("NAT gateway failed")

    with pytest.raises(PermanentError):
        wait_until(ctx, "nat", check, timeout=30, sleep=clock.sleep, clock=clock)
