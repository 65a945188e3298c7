"""Cloud names derived from the fabric: unique, stable, and within each service's length limit."""

from __future__ import annotations

import hashlib


def digest(*parts: object, length: int = 6) -> str:
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()[:length]


def bounded(name: str, limit: int) -> str:
    """``name`` if it fits in ``limit`` characters, else a prefix of it plus a short digest.

    The digest keeps two long names that share a prefix distinct, and the result stable.
    """
    if len(name) <= limit:
        return name
    tail = digest(name)
    return f"{name[: limit - len(tail) - 1].rstrip('-')}-{tail}"


def fabric_bucket_name(fabric: str, account_id: str, region: str) -> str:
    """The fabric bucket's name: unique per fabric, account and region, so it is found without a
    search."""
    return f"weft-{fabric}-{account_id}-{region}"


def kms_alias(fabric: str) -> str:
    """The alias of the fabric's KMS key."""
    return f"alias/weft/{fabric}"
