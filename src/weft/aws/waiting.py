"""Polling a resource until it reaches the state we need, reporting progress as it goes."""

from __future__ import annotations

import time
from collections.abc import Callable

from weft.aws.context import AwsContext
from weft.errors import WaitTimedOut


def wait_until(
    ctx: AwsContext,
    what: str,
    check: Callable[[], bool | str],
    *,
    timeout: float,
    interval: float = 2.0,
    max_interval: float = 15.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Call ``check`` until it returns True; the first call happens at once.

    ``check`` returns True when done, or a state to report (a string, or False for "not ready").
    It may raise to give up (e.g. a NAT gateway that ``failed``). Each poll that is not done is
    reported as ``waiting for {what}: {state} ({elapsed}s)``; the pause between polls grows by
    half each time up to ``max_interval``. After ``timeout`` seconds: :class:`WaitTimedOut`, a
    temporary error (a re-run picks up where this one stopped). The reports are what tells the
    executor that the time went to a healthy wait, which its retry deadline does not count.
    """
    start = clock()
    pause = interval
    while True:
        result = check()
        if result is True:
            return
        state = result if isinstance(result, str) and result else "not ready"
        elapsed = clock() - start
        ctx.report(f"waiting for {what}: {state} ({elapsed:.0f}s)")
        if elapsed >= timeout:
            raise WaitTimedOut(
                f"timed out after {timeout:.0f} s waiting for {what} (last state: {state})",
                hint="re-run: weft resumes where it stopped",
            )
        sleep(max(0.0, min(pause, timeout - elapsed)))
        pause = min(pause * 1.5, max_interval)
