"""The apply lock and the journal in the fabric bucket (local cloud)."""

from __future__ import annotations

import os
import uuid

import pytest

from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.aws.journal import read_journal, write_journal
from weft.aws.lock import LockInfo, acquire_lock, break_lock, read_lock, release_lock
from weft.aws.session import AwsSession
from weft.core.resource import Resource
from weft.errors import LockHeld, NotFound

pytestmark = pytest.mark.integration


def make_ctx(url: str, fabric: str, run_id: str) -> AwsContext:
    session = AwsSession(
        "us-east-2", endpoint_url=url, credentials=("weft-local", "weft-local-secret")
    )
    return AwsContext(session, fabric=fabric, account_id="123456789012", run_id=run_id)


@pytest.fixture
def fabric(moto_url: str) -> str:
    """A fabric whose bucket exists."""
    name = f"t{uuid.uuid4().hex[:10]}"
    ctx = make_ctx(moto_url, name, "setup")
    props = {
        "bucket": ctx.fabric_bucket,
        "versioning": True,
        "encryption": "AES256",
        "public_access_block": True,
        "tags": {"weft:fabric": name, "weft:id": "fabric_bucket.fabric"},
    }
    DRIVERS["fabric_bucket"].create(ctx, Resource("fabric_bucket", "fabric", props), props)
    return name


def test_lock_acquire_conflict_release(moto_url: str, fabric: str) -> None:
    first = make_ctx(moto_url, fabric, "run-1")
    second = make_ctx(moto_url, fabric, "run-2")
    assert read_lock(first) is None

    lock = acquire_lock(first, command="apply", holder="ann@laptop pid 1")
    assert lock.run_id == "run-1"
    assert read_lock(second) == lock

    with pytest.raises(LockHeld) as held:
        acquire_lock(second, command="destroy")
    message = str(held.value)
    assert f"fabric {fabric} is locked by ann@laptop pid 1 since {lock.since} (apply)" in message
    assert "weft unlock" in message

    # not ours: release does nothing
    other = LockInfo(holder="x", command="apply", since="now", run_id="run-2")
    assert release_lock(second, other) is False
    assert read_lock(first) == lock

    assert release_lock(first, lock) is True
    assert read_lock(first) is None
    assert release_lock(first, lock) is False  # twice: nothing left

    again = acquire_lock(second, command="destroy")
    assert again.holder.endswith(f"pid {os.getpid()}")


def test_break_lock(moto_url: str, fabric: str) -> None:
    ctx = make_ctx(moto_url, fabric, "run-1")
    assert break_lock(ctx) is None
    lock = acquire_lock(ctx, command="apply")
    assert break_lock(make_ctx(moto_url, fabric, "other")) == lock
    assert read_lock(ctx) is None
    acquire_lock(ctx, command="apply")  # free again


def test_lock_without_bucket(moto_url: str) -> None:
    ctx = make_ctx(moto_url, f"t{uuid.uuid4().hex[:10]}", "run-1")
    assert read_lock(ctx) is None
    with pytest.raises(NotFound, match="does not exist"):
        acquire_lock(ctx, command="apply")
    assert read_journal(ctx) == []


def test_journal_newest_first(moto_url: str, fabric: str) -> None:
    keys = []
    for i in range(4):
        ctx = make_ctx(moto_url, fabric, f"run-{i}")
        keys.append(write_journal(ctx, {"command": "apply", "n": i}))
    assert all(k.startswith("journal/") and k.endswith(".json") for k in keys)
    ctx = make_ctx(moto_url, fabric, "reader")
    entries = read_journal(ctx)
    assert [e["n"] for e in entries] == [3, 2, 1, 0]
    assert entries[0]["journal_key"] == keys[3]
    assert [e["n"] for e in read_journal(ctx, limit=2)] == [3, 2]


def test_bucket_delete_takes_lock_and_journal_along(moto_url: str, fabric: str) -> None:
    ctx = make_ctx(moto_url, fabric, "run-1")
    lock = acquire_lock(ctx, command="destroy")
    write_journal(ctx, {"command": "destroy"})
    (bucket,) = DRIVERS["fabric_bucket"].discover(ctx)
    DRIVERS["fabric_bucket"].delete(ctx, bucket)
    assert DRIVERS["fabric_bucket"].discover(ctx) == []
    assert release_lock(ctx, lock) is False  # bucket gone: nothing to release
