"""Calls outside the executor tried again when they fail for a temporary reason.

The executor retries every step of a plan. Around it, a command also reads the cloud (discovery,
the sweep, the leftover report), and takes, releases and records things in the fabric bucket
(the lock, the journal). Those calls are reads or idempotent writes, so when one fails for a
temporary reason (throttling, a 5xx after the SDK's own retries, a dropped connection) it is
tried again after a short jittered pause, a bounded number of times; then the error is raised.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from weft.errors import WeftError

T = TypeVar("T")

#: How many times a call is made in all before its temporary error is raised.
ATTEMPTS = 4


def attempt(
    call: Callable[[], T],
    *,
    attempts: int = ATTEMPTS,
    base: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, made again (up to ``attempts`` times in all) while it raises a retryable
    :class:`WeftError`; pauses of ``base * 2**n`` seconds, jittered down to half."""
    for n in range(attempts):
        try:
            return call()
        except WeftError as exc:
            if not exc.retryable or n + 1 >= attempts:
                raise
            sleep(random.uniform(0.5, 1.0) * base * 2**n)
    raise AssertionError("unreachable")
