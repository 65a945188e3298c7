"""A read several drivers share is made once per discovery, and a failed one is not kept."""

from __future__ import annotations

import pytest

from weft.aws.context import SharedReads


def test_a_shared_read_is_made_once_and_a_failed_one_is_made_again() -> None:
    shared = SharedReads()
    calls: list[str] = []

    def flaky() -> str:
        calls.append("read")
        if len(calls) == 1:
            raise RuntimeError("Rate exceeded")
        return "clusters"

    with pytest.raises(RuntimeError):
        shared.get("eks:clusters", flaky)
    assert shared.get("eks:clusters", flaky) == "clusters"  # read again, not the kept failure
    assert shared.get("eks:clusters", flaky) == "clusters"  # then kept
    assert calls == ["read", "read"]
