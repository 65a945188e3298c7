"""The safety rule "nothing changes without a yes": ``up`` and ``down`` ask, and a standard input
that is not a terminal is refused, never taken as consent."""

from __future__ import annotations

import io

import pytest

from weft.cli.common import confirm
from weft.errors import UsageError


def test_without_yes_a_standard_input_that_is_not_a_terminal_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    with pytest.raises(UsageError, match="standard input is not a terminal") as refused:
        confirm("Apply these changes?", yes=False)
    assert refused.value.hint == "pass --yes to confirm non-interactively"
    confirm("Apply these changes?", yes=True)  # --yes answers
