"""What every driver call gets: the session, the fabric it acts for, a progress reporter, and
during a discovery the reads that several drivers share."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from weft.aws.session import AwsSession
from weft.model.naming import fabric_bucket_name

T = TypeVar("T")

Reporter = Callable[[str], None]


def _ignore(_: str) -> None:
    return None


class SharedReads:
    """Reads that several drivers make in one discovery, made once.

    The EKS drivers (cluster, node groups, Fargate profiles, add-ons) all start from the
    fabric's clusters, the certificate and its validation from the fabric's certificates, the
    zone and its records from the fabric's zones. The first driver to ask reads; the others,
    running concurrently, wait for that answer (a failure reaches every one of them). Lives as
    long as one discovery: what it holds is never older than the plan made from it. The values
    are shared between threads: callers must not change them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, Future[Any]] = {}

    def get(self, key: str, read: Callable[[], T]) -> T:
        with self._lock:
            answer = self._answers.get(key)
            first = answer is None
            if answer is None:
                answer = self._answers[key] = Future()
        if first:
            try:
                answer.set_result(read())
            except BaseException as exc:
                with self._lock:  # a failed read is not kept: a retry reads again
                    self._answers.pop(key, None)
                answer.set_exception(exc)
                raise
        result: T = answer.result()
        return result


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
    shared: SharedReads | None = field(default=None, compare=False)
    #: Set by the applier on the first attempt of a create in a run (whose plan was read
    #: under the apply lock): no earlier attempt can have left a resource behind, so the
    #: create need not look for one to adopt (see :mod:`weft.aws.drivers.adoption`).
    first_attempt: bool = field(default=False, compare=False)

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

    def with_shared_reads(self) -> AwsContext:
        """This context with a fresh :class:`SharedReads` (one per discovery)."""
        return replace(self, shared=SharedReads())

    def read_once(self, key: str, read: Callable[[], T]) -> T:
        """``read()``, made once per discovery when the context shares reads, else each time."""
        if self.shared is None:
            return read()
        return self.shared.get(key, read)

    @property
    def fabric_bucket(self) -> str:
        """The fabric bucket's name: unique per fabric, account and region."""
        return fabric_bucket_name(self.fabric, self.account_id, self.region)
