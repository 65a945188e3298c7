"""What the plan says of the account besides the changes: quota notes (and, with
:mod:`weft.ops.cost`, the fabric's monthly cost)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape


def quota_notes(out: Console, notes: list[str]) -> None:
    """The quota preflight's warnings: max sizes that may not fit, quotas not checked."""
    for note in notes:
        out.print(f"[bold yellow]quota:[/] {escape(note)}")
