"""Progress events the executor emits; the CLI renders them (rich, or JSON lines)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """One thing that happened to one node of an apply.

    ``type``: ``started``, ``progress`` (a long wait reporting), ``retrying`` (a temporary error,
    retried after ``delay``), ``done``, ``failed``, ``skipped`` (a dependency failed),
    ``waiting`` (it waits on something outside weft, or on a node that does: no failure; a later
    run does it), ``cancelled`` (the apply was interrupted before the node started).
    """

    type: str
    node: str
    action: str
    message: str = ""
    elapsed: float = 0.0
    attempt: int = 0
    delay: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


EventSink = Callable[[Event], None]


def discard(_: Event) -> None:
    return None
