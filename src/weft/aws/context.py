"""What every driver call gets: the session, the fabric it acts for, and a progress reporter."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from weft.aws.session import AwsSession

Reporter = Callable[[str], None]


def _ignore(_: str) -> None:
    return None


@dataclass(frozen=True)
class AwsContext:
    """The fabric being acted on, in one account and region.

    ``run_id`` is unique per apply; idempotency tokens derive from it and the resource address,
    so a retried call inside one run reuses its token while a later run gets fresh ones.
    """

    session: AwsSession
    fabric: str
    account_id: str
    run_id: str = "plan"
    report: Reporter = field(default=_ignore, compare=False)

    @property
    def region(self) -> str:
        return self.session.region

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def token(self, address: str) -> str:
        """An idempotency token (ClientToken) for creating ``address`` in this run."""
        return hashlib.sha256(f"{self.run_id}/{self.fabric}/{address}".encode()).hexdigest()[:32]

    def with_reporter(self, report: Reporter) -> AwsContext:
        return replace(self, report=report)

    @property
    def fabric_bucket(self) -> str:
        """The fabric bucket's name: unique per fabric, account and region."""
        return f"weft-{self.fabric}-{self.account_id}-{self.region}"
