"""The executor's hands on AWS: create, update and delete one resource through its kind's driver.

Every botocore error leaves here translated (:func:`weft.aws.errors.translate`) with the
resource's address and the action, so the executor decides on retries from ``retryable`` alone.
A delete of something already gone succeeds. The first attempt to create a resource is marked
(``ctx.first_attempt``): the drivers skip looking for what an earlier attempt left (adoption).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.aws.drivers.base import Driver
from weft.core.resource import Observed, Resource, thaw
from weft.errors import NotFound, PermanentError

Report = Callable[[str], None]


@contextmanager
def _translated(address: str, action: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise errors.translate(exc, address=address, action=action) from exc


class AwsApplier:
    """Applies one change at a time (the executor calls it from several threads at once)."""

    def __init__(self, ctx: AwsContext, drivers: Mapping[str, Driver] = DRIVERS) -> None:
        self.ctx = ctx
        self.drivers = dict(drivers)
        self._attempted: set[str] = set()
        self._lock = threading.Lock()

    def driver(self, kind: str) -> Driver:
        try:
            return self.drivers[kind]
        except KeyError:
            raise PermanentError(f"weft has no AWS driver for resources of kind {kind!r}") from None

    def create(self, resource: Resource, props: Mapping[str, Any], report: Report) -> Observed:
        driver = self.driver(resource.kind)
        with self._lock:
            first = resource.address not in self._attempted
            self._attempted.add(resource.address)
        ctx = replace(self.ctx.with_reporter(report), first_attempt=first)
        with _translated(resource.address, "create"):
            observed = driver.create(ctx, resource, thaw(props))
        return self._with_deps(resource, observed)

    def update(
        self,
        resource: Resource,
        props: Mapping[str, Any],
        observed: Observed,
        changed: set[str],
        report: Report,
    ) -> Observed:
        driver = self.driver(resource.kind)
        ctx = self.ctx.with_reporter(report)
        with _translated(resource.address, "update"):
            result = driver.update(ctx, resource, thaw(props), observed, set(changed))
        return self._with_deps(resource, result)

    def delete(self, observed: Observed, report: Report) -> None:
        driver = self.driver(observed.kind)
        ctx = self.ctx.with_reporter(report)
        try:
            with _translated(observed.address, "delete"):
                driver.delete(ctx, observed)
        except NotFound:
            report(f"{observed.address} ({observed.id}) was already gone")

    @staticmethod
    def _with_deps(resource: Resource, observed: Observed) -> Observed:
        """The returned resource keeps the desired one's name and dependency addresses."""
        deps = set(observed.deps) | resource.dependencies()
        return replace(observed, name=resource.name, deps=tuple(sorted(deps)))
