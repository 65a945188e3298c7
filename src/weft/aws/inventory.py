"""What exists: every driver's discovery, run concurrently, gathered by address and by cloud id.

Dependencies between observed resources are computed here, generically: a resource depends on
every other observed resource whose cloud id appears anywhere in its props (inside lists and
dicts too; tags excepted). So a teardown can order deletes with no desired state at hand.

Duplicates: after a crash, two cloud resources may carry the same ``weft:id``. Both stay visible.
The one other resources refer to (then the lowest id) keeps the address; each extra one is renamed
``name#2``, ``name#3``... and listed both in ``by_address`` (under that suffixed address, which no
desired resource has, so the planner deletes it) and in ``duplicates``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.drivers.base import Driver
from weft.core.resource import Observed


@dataclass
class Inventory:
    """Observed resources of one fabric."""

    by_address: dict[str, Observed] = field(default_factory=dict)
    by_id: dict[str, Observed] = field(default_factory=dict)
    #: extra resources carrying an address already taken (renamed ``name#N``)
    duplicates: list[Observed] = field(default_factory=list)

    def get(self, address: str) -> Observed | None:
        return self.by_address.get(address)

    def __contains__(self, address: object) -> bool:
        return address in self.by_address

    def __iter__(self) -> Iterator[Observed]:
        return iter(sorted(self.by_address.values(), key=lambda o: o.address))

    def __len__(self) -> int:
        return len(self.by_address)

    def of_kind(self, kind: str) -> list[Observed]:
        return [o for o in self if o.kind == kind]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v)


def referenced_ids(observed: Observed) -> set[str]:
    """Every string in the props (tags excepted): the candidates for cloud ids it points at."""
    return {s for key, v in observed.props.items() if key != "tags" for s in _strings(v)}


def build(found: list[Observed]) -> Inventory:
    """An inventory from what discovery found: duplicates set apart, deps computed."""
    references: dict[str, int] = {}
    for item in found:
        for ref in referenced_ids(item):
            if ref != item.id:
                references[ref] = references.get(ref, 0) + 1

    groups: dict[str, list[Observed]] = {}
    for item in found:
        groups.setdefault(item.address, []).append(item)
    kept: list[Observed] = []
    duplicates: list[Observed] = []
    for address in sorted(groups):
        group = sorted(groups[address], key=lambda o: (-references.get(o.id, 0), o.id))
        kept.append(group[0])
        for n, extra in enumerate(group[1:], start=2):
            duplicates.append(replace(extra, name=f"{extra.name}#{n}"))

    everything = kept + duplicates
    address_of_id = {o.id: o.address for o in everything}
    inventory = Inventory()
    for item in everything:
        deps = {
            address_of_id[ref]
            for ref in referenced_ids(item)
            if ref in address_of_id and ref != item.id
        }
        item = replace(item, deps=tuple(sorted(deps | set(item.deps))))
        inventory.by_address[item.address] = item
        inventory.by_id[item.id] = item
    inventory.duplicates = [inventory.by_address[d.address] for d in duplicates]
    return inventory


#: At most this many kinds are read at once.
MAX_READERS = 32
#: A kind's reads that fail for a reason worth retrying (throttled past the SDK's own attempts,
#: a server error) are made again, up to this many times in all, pausing 0.5, 1, 2 s between.
DISCOVERY_ATTEMPTS = 4
DISCOVERY_PAUSE = 0.5


def discover(
    ctx: AwsContext, drivers: Mapping[str, Driver], *, max_workers: int | None = None
) -> Inventory:
    """Run every driver's discovery concurrently; raise the first failure (in kind order).

    By default every kind is read at once (up to :data:`MAX_READERS`): a discovery is a few
    reads per kind, so its time is that of the slowest kind, not a sum over rounds of them.

    The drivers share one :class:`~weft.aws.context.SharedReads`: a read that several of them
    need (the fabric's EKS clusters, certificates, hosted zones) is made once per discovery.
    """
    ctx = ctx.with_shared_reads()

    def run(kind: str, driver: Driver) -> list[Observed]:
        attempt = 1
        while True:
            try:
                return driver.discover(ctx)
            except (ClientError, BotoCoreError) as exc:
                err = errors.translate(
                    exc, address=None, action="read", subject=f"{kind} resources"
                )
                if not err.retryable or attempt >= DISCOVERY_ATTEMPTS:
                    raise err from exc
            # throttled past the SDK's own attempts: reads are safe to make again
            time.sleep(DISCOVERY_PAUSE * 2 ** (attempt - 1))
            attempt += 1

    workers = max_workers if max_workers is not None else min(MAX_READERS, len(drivers))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="discover") as pool:
        futures = {kind: pool.submit(run, kind, driver) for kind, driver in drivers.items()}
    found: list[Observed] = []
    failures: list[BaseException] = []
    for kind in drivers:
        exc = futures[kind].exception()
        if exc is None:
            found.extend(futures[kind].result())
        else:
            failures.append(exc)
    if failures:
        first = failures[0]
        for other in failures[1:]:
            first.add_note(f"also: {other}")
        raise first
    return build(found)
