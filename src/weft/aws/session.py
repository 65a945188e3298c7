"""One boto3 session per command, its clients, and a count of every request they send.

Against AWS, weft uses the standard configuration untouched: the credential chain, ``AWS_PROFILE``
and ``AWS_ENDPOINT_URL``. For the local cloud the only difference is ``endpoint_url`` (and fixed
dummy credentials the emulator accepts); the code path is otherwise identical.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

#: Read-only operations start with one of these; everything else counts as a write.
_READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup", "Search")
#: Read-only operations named otherwise: KMS Decrypt (reading a secret, as plan's apps
#: section and deploy do) changes nothing.
_READ_OPERATIONS = frozenset({"Decrypt"})


def is_read(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES) or operation in _READ_OPERATIONS


class RequestCounter:
    """Thread-safe count of the HTTP requests sent, per ``service:Operation``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def add(self, service: str, operation: str) -> None:
        with self._lock:
            self.counts[f"{service}:{operation}"] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def reads(self) -> int:
        return sum(n for k, n in self.counts.items() if is_read(k.split(":", 1)[1]))

    @property
    def writes(self) -> int:
        return self.total - self.reads

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "reads": self.reads,
                "writes": self.writes,
                "by_call": dict(sorted(self.counts.items())),
            }


def default_region() -> str | None:
    """The region the standard AWS configuration names, or None: ``AWS_REGION`` (which the AWS
    SDKs and CLI v2 read first), ``AWS_DEFAULT_REGION``, then the profile's ``region``."""
    return os.environ.get("AWS_REGION") or boto3.session.Session().region_name or None


class AwsSession:
    """A boto3 session for one region, with cached thread-safe clients.

    ``endpoint_url`` is set only for the local cloud (or when the caller asks for one);
    ``credentials`` (key, secret and maybe a session token) likewise. Otherwise boto3 resolves
    everything as usual.
    """

    def __init__(
        self,
        region: str,
        *,
        endpoint_url: str | None = None,
        credentials: tuple[str, str] | tuple[str, str, str] | None = None,
        max_attempts: int = 3,
        pool_size: int = 16,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        kwargs: dict[str, Any] = {"region_name": region}
        if credentials:
            kwargs["aws_access_key_id"], kwargs["aws_secret_access_key"] = credentials[:2]
            if len(credentials) == 3:
                kwargs["aws_session_token"] = credentials[2]
        self._session = boto3.Session(**kwargs)
        self._config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=pool_size,
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.counter = RequestCounter()

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def client(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                kwargs: dict[str, Any] = {"config": self._config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self._session.client(service, **kwargs)
                client.meta.events.register("before-send", self._count)
                self._clients[service] = client
            return client

    def client_in(self, service: str, region: str) -> Any:
        """A client of ``service`` in another Region than the session's (the AWS Price List
        API answers in a few Regions only), with the same credentials, endpoint and count."""
        key = f"{service}@{region}"
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                kwargs: dict[str, Any] = {"config": self._config, "region_name": region}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self._session.client(service, **kwargs)
                client.meta.events.register("before-send", self._count)
                self._clients[key] = client
            return client

    def _count(self, request: Any, **kwargs: Any) -> None:
        event_name: str = kwargs.get("event_name", "")
        # event name: before-send.<service-id>.<Operation>
        parts = event_name.split(".")
        service = parts[1] if len(parts) > 2 else "?"
        operation = parts[2] if len(parts) > 2 else "?"
        self.counter.add(service, operation)

    def caller_identity(self) -> dict[str, str]:
        ident = self.client("sts").get_caller_identity()
        return {"account": ident["Account"], "arn": ident["Arn"]}
