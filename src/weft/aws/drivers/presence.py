"""Calls on a resource that may be absent, or already there: such an answer is not an error.

Reading a resource by its id right after creating it (eventual consistency) or while it is being
deleted, removing a part of it (a route, an alias, a policy) that a retried delete already
removed: "not found" is an answer (:func:`if_found`). Creating what a name identifies (an alias,
a role): "already exists" is one too (:func:`unless_exists`). Which errors mean either is
:mod:`weft.aws.errors`'s to say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from weft.aws import errors

T = TypeVar("T")


def if_found(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T | None:
    """``call(*args, **kwargs)``, or None when AWS answers that what it names is not found."""
    return _unless(errors.is_not_found, call, *args, **kwargs)


def unless_exists(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T | None:
    """``call(*args, **kwargs)``, or None when AWS refuses it because what it creates already
    exists."""
    return _unless(errors.is_already_exists, call, *args, **kwargs)


def _unless(
    answer: Callable[[ClientError], bool], call: Callable[..., T], /, *args: Any, **kwargs: Any
) -> T | None:
    try:
        return call(*args, **kwargs)
    except ClientError as exc:
        if answer(exc):
            return None
        raise
