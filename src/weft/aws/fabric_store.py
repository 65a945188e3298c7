"""What the fabric bucket holds, and the errors its readers and writers share.

The bucket's name is fixed by fabric, account and region (:attr:`AwsContext.fabric_bucket`), so it
is found without a search. Objects in it::

    lock.json                        the apply lock (:mod:`weft.aws.lock`)
    journal/<UTC time>-<run>.json    one entry per apply/destroy (:mod:`weft.aws.journal`)
    secrets/<name>.json              the fabric's secrets (:mod:`weft.aws.secrets`)

The bucket itself is made and deleted by its driver (:mod:`weft.aws.drivers.fabric_bucket`).
"""

from __future__ import annotations

from weft.aws.context import AwsContext
from weft.errors import NotFound
from weft.model.addresses import FABRIC_BUCKET

LOCK_KEY = "lock.json"
JOURNAL_PREFIX = "journal/"
SECRETS_PREFIX = "secrets/"


def where(ctx: AwsContext, key: str) -> str:
    """``s3://BUCKET/KEY``: how errors name an object of the fabric bucket."""
    return f"s3://{ctx.fabric_bucket}/{key}"


def missing_bucket(ctx: AwsContext, address: str = FABRIC_BUCKET) -> NotFound:
    """The error for a fabric bucket that does not exist (yet)."""
    return NotFound(
        f"the fabric bucket {ctx.fabric_bucket} does not exist",
        address=address,
        hint="it is made by the first `weft apply` of this fabric",
    )
