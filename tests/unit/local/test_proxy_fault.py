"""The proxy's faults: which calls get one and how each protocol spells it (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore import parsers
from botocore.awsrequest import HTTPHeaders

from weft.local.proxy import Call, Faults
from weft.local.proxy.fault import choose_fault, fault_response


def test_only_limits_faults_to_the_services_and_calls_listed() -> None:
    vpc = Call("ec2", "CreateVpc", "ec2")
    assert Faults().applies(vpc)
    assert Faults(only=frozenset({"ec2"})).applies(vpc)
    assert Faults(only=frozenset({"ec2:CreateVpc"})).applies(vpc)
    assert not Faults(only=frozenset({"ec2:DeleteVpc"})).applies(vpc)
    assert not Faults(only=frozenset({"s3"})).applies(vpc)


@pytest.mark.parametrize(
    ("draw", "kind"),
    [
        (0.0, "throttle"),
        (0.099, "throttle"),
        (0.1, "server_error"),
        (0.249, "server_error"),
        (0.25, None),
        (0.999, None),
    ],
)
def test_the_draw_chooses_throttling_then_server_errors(draw: float, kind: str | None) -> None:
    assert choose_fault(Faults(throttle=0.1, server_error=0.15), draw) == kind


def test_no_fractions_no_faults() -> None:
    assert choose_fault(Faults(), 0.0) is None


def parsed(call: Call, kind: str, protocol: str) -> tuple[int, dict[str, Any]]:
    """The answer as botocore's parser for ``protocol`` reads it."""
    status, headers, body = fault_response(call, kind)
    response = {"status_code": status, "headers": HTTPHeaders(headers), "body": body}
    return status, parsers.create_parser(protocol).parse(response, None)


@pytest.mark.parametrize(
    ("call", "protocol", "throttle", "error", "statuses"),
    [
        (
            Call("kms", "ListKeys", "json"),
            "json",
            "ThrottlingException",
            "InternalFailure",
            (400, 500),
        ),
        (
            Call("eks", "ListClusters", "rest-json"),
            "rest-json",
            "ThrottlingException",
            "InternalFailure",
            (400, 500),
        ),
        (
            Call("ec2", "DescribeVpcs", "ec2"),
            "ec2",
            "RequestLimitExceeded",
            "InternalError",
            (503, 500),
        ),
        (Call("s3", "ListBuckets", "s3"), "rest-xml", "SlowDown", "InternalError", (503, 500)),
        (Call("iam", "ListRoles", "query"), "query", "Throttling", "InternalFailure", (400, 500)),
    ],
)
def test_faults_speak_the_call_s_protocol(
    call: Call, protocol: str, throttle: str, error: str, statuses: tuple[int, int]
) -> None:
    status, answer = parsed(call, "throttle", protocol)
    assert (status, answer["Error"]["Code"]) == (statuses[0], throttle)
    status, answer = parsed(call, "server_error", protocol)
    assert (status, answer["Error"]["Code"]) == (statuses[1], error)
