"""Reading every item of a list/describe call, through its paginator when it has one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def items(client: Any, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item under ``result_key`` of ``operation``, across all pages."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(result_key, []) or []
    else:
        yield from getattr(client, operation)(**kwargs).get(result_key, []) or []
