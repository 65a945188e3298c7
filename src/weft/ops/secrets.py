"""``weft secrets``: the fabric's secrets store, for the commands that set, read, list and
remove its secrets (KMS envelope encryption in the fabric bucket: :mod:`weft.aws.secrets`)."""

from __future__ import annotations

from weft.aws import secrets as store
from weft.aws.secrets import SecretInfo
from weft.ops.target import Target


def check_name(name: str) -> str:
    """``name``, or a usage error saying why it cannot name a secret (checked before anything
    is read, so a bad name touches no cloud)."""
    return store.check_name(name)


def put(target: Target, name: str, value: str) -> None:
    """Store ``value`` under ``name`` (a new version of it, if it exists)."""
    store.put_secret(target.context(), name, value)


def get(target: Target, name: str) -> str:
    """The value of ``name`` (a not-found error when there is none)."""
    return store.get_secret(target.context(), name)


def listing(target: Target) -> list[SecretInfo]:
    """Every stored secret: names and dates, never values."""
    return store.list_secrets(target.context())


def delete(target: Target, name: str) -> bool:
    """Remove every stored version of ``name``; whether there was one."""
    return store.delete_secret(target.context(), name)
