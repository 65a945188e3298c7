"""The fabric's apply lock: one writer per fabric.

The lock is an object in the fabric bucket written with a conditional put (``If-None-Match: *``):
of two writers, S3 lets exactly one create the object; the other gets 412 and is told who holds
the lock. It names its holder (``user@host pid N``), the command and the run id, so a run whose
answer was lost recognises its own lock, and ``weft unlock`` can say whose lock it breaks.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.fabric_store import LOCK_KEY, missing_bucket, where
from weft.errors import LockHeld, TemporaryError


@dataclass(frozen=True)
class LockInfo:
    """Who holds a fabric's apply lock."""

    holder: str
    command: str
    since: str
    run_id: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockInfo:
        return cls(
            holder=str(data.get("holder", "unknown")),
            command=str(data.get("command", "unknown")),
            since=str(data.get("since", "unknown")),
            run_id=str(data.get("run_id", "")),
        )


def default_holder() -> str:
    """``user@host pid N`` for this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def holder_gone(lock: LockInfo) -> bool:
    """The lock's holder was a process on this host that no longer runs (a crashed weft)."""
    user_host, _, pid = lock.holder.rpartition(" pid ")
    host = user_host.rpartition("@")[2]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _now() -> datetime:
    return datetime.now(UTC)


def read_lock(ctx: AwsContext) -> LockInfo | None:
    """The current lock, or None when the fabric is not locked (or has no bucket yet)."""
    found = _read_lock_object(ctx)
    return found[0] if found else None


def _read_lock_object(ctx: AwsContext) -> tuple[LockInfo, str] | None:
    try:
        answer = ctx.client("s3").get_object(Bucket=ctx.fabric_bucket, Key=LOCK_KEY)
        body = answer["Body"].read()
    except ClientError as exc:
        if errors.is_not_found(exc):
            return None
        raise errors.translate(exc, address=where(ctx, LOCK_KEY), action="read") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=where(ctx, LOCK_KEY), action="read") from exc
    try:
        data = json.loads(body)
    except ValueError:
        data = {"holder": "unknown (unreadable lock.json)"}
    return LockInfo.from_dict(data if isinstance(data, dict) else {}), str(answer.get("ETag", ""))


def acquire_lock(ctx: AwsContext, *, command: str, holder: str | None = None) -> LockInfo:
    """Take the fabric's apply lock, or raise :class:`LockHeld` naming who has it."""
    lock = LockInfo(
        holder=holder or default_holder(),
        command=command,
        since=_now().isoformat(timespec="seconds"),
        run_id=ctx.run_id,
    )
    body = json.dumps(lock.to_dict(), indent=2).encode()
    s3 = ctx.client("s3")
    for _ in range(3):
        try:
            s3.put_object(
                Bucket=ctx.fabric_bucket,
                Key=LOCK_KEY,
                Body=body,
                ContentType="application/json",
                IfNoneMatch="*",
            )
            return lock
        except ClientError as exc:
            if errors.is_precondition_failed(exc):
                current = read_lock(ctx)
                if current is None:  # released between our put and our read: try again
                    continue
                raise LockHeld(
                    f"fabric {ctx.fabric} is locked by {current.holder} "
                    f"since {current.since} ({current.command})",
                    hint="wait for it to finish; if that process is gone, run: weft unlock -f FILE",
                ) from exc
            if errors.is_not_found(exc):
                raise missing_bucket(ctx) from exc
            raise errors.translate(exc, address=where(ctx, LOCK_KEY), action="create") from exc
        except BotoCoreError as exc:
            raise errors.translate(exc, address=where(ctx, LOCK_KEY), action="create") from exc
    raise TemporaryError(
        f"could not take the lock of fabric {ctx.fabric}: it kept changing hands",
        address=where(ctx, LOCK_KEY),
    )


def release_lock(ctx: AwsContext, lock: LockInfo) -> bool:
    """Release ``lock`` if it is still ours (same run id); True when it was removed."""
    current = read_lock(ctx)
    if current is None or current.run_id != lock.run_id:
        return False
    _delete_lock(ctx)
    return True


def break_lock(ctx: AwsContext) -> LockInfo | None:
    """Remove the lock whoever holds it (``weft unlock``); the lock that was removed, if any."""
    current = read_lock(ctx)
    if current is not None:
        _delete_lock(ctx)
    return current


def _delete_lock(ctx: AwsContext) -> None:
    try:
        ctx.client("s3").delete_object(Bucket=ctx.fabric_bucket, Key=LOCK_KEY)
    except ClientError as exc:
        if errors.is_not_found(exc):
            return
        raise errors.translate(exc, address=where(ctx, LOCK_KEY), action="delete") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=where(ctx, LOCK_KEY), action="delete") from exc
