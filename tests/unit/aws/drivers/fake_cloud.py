"""A stand-in for boto3 in driver unit tests: every call is recorded, nothing is sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from weft.aws.context import AwsContext
from weft.aws.session import AwsSession


class FakeClient:
    def __init__(self, cloud: FakeCloud, service: str) -> None:
        self.cloud = cloud
        self.service = service

    def can_paginate(self, operation: str) -> bool:
        """No paginators here: list calls answer in one page."""
        return False

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        def call(**kwargs: Any) -> Any:
            self.cloud.calls.append((self.service, operation, kwargs))
            answer = self.cloud.answers.get(operation, {})
            return answer(**kwargs) if callable(answer) else answer

        return call


class FakeCloud:
    """Records ``(service, operation, kwargs)`` of every call; answers from ``answers`` (a
    value, or a function of the call's arguments)."""

    region = "us-east-2"

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.answers = answers or {}

    def client(self, service: str) -> FakeClient:
        return FakeClient(self, service)

    def operations(self) -> list[str]:
        return [f"{service}:{operation}" for service, operation, _ in self.calls]

    def context(self, *, first_attempt: bool = False) -> AwsContext:
        session = cast(AwsSession, self)
        return AwsContext(
            session, fabric="f", account_id="123456789012", first_attempt=first_attempt
        )
