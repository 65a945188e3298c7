"""AWS errors translated into weft's tree (pure: ClientErrors built by hand)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from weft.aws import errors
from weft.errors import NotFound, PermanentError, TemporaryError


def client_error(
    code: str, message: str = "boom", status: int = 400, operation: str = "CreateVpc"
) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"RequestId": "req-123", "HTTPStatusCode": status},
        },
        operation,
    )


@pytest.mark.parametrize(
    "code",
    [
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "RequestThrottled",
        "ProvisionedThroughputExceeded",
        "PriorRequestNotComplete",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "DependencyViolation",
        "IncorrectState",
        "InvalidState",
        "InvalidIPAddress.InUse",
    ],
)
def test_temporary_codes(code: str) -> None:
    for action in errors.ACTIONS:
        err = errors.translate(client_error(code), address="vpc.main", action=action)
        assert isinstance(err, TemporaryError), (code, action)
        assert err.retryable


def test_http_5xx_is_temporary() -> None:
    err = errors.translate(client_error("Weird", status=503), address=None, action="read")
    assert isinstance(err, TemporaryError)


def test_connection_errors_are_temporary() -> None:
    exc = EndpointConnectionError(endpoint_url="https://ec2.us-east-2.amazonaws.com")
    err = errors.translate(exc, address="vpc.main", action="create")
    assert isinstance(err, TemporaryError)
    assert err.address == "vpc.main"


def test_no_credentials_is_permanent_with_hint() -> None:
    err = errors.translate(NoCredentialsError(), address=None, action="read")
    assert isinstance(err, PermanentError)
    assert err.hint and "AWS_PROFILE" in err.hint


@pytest.mark.parametrize(
    "code",
    [
        "InvalidVpcID.NotFound",
        "InvalidGatewayID.NotFound",
        "NotFound",
        "NoSuchEntity",
        "ResourceNotFoundException",
        "NoSuchBucket",
        "404",
    ],
)
def test_not_found_depends_on_the_action(code: str) -> None:
    for action in ("create", "update"):
        err = errors.translate(client_error(code), address="subnet.a", action=action)
        assert isinstance(err, TemporaryError), (code, action)
    for action in ("read", "delete"):
        err = errors.translate(client_error(code), address="subnet.a", action=action)
        assert isinstance(err, NotFound), (code, action)
        assert not err.retryable
    assert errors.is_not_found(client_error(code))


@pytest.mark.parametrize(
    ("code", "operation", "action"),
    [
        ("UnauthorizedOperation", "CreateVpc", "ec2:CreateVpc"),
        ("AccessDeniedException", "CreateKey", "kms:CreateKey"),
        ("AccessDenied", "PutBucketTagging", "s3:PutBucketTagging"),
        ("AuthFailure", "DescribeVpcs", "ec2:DescribeVpcs"),
        ("ExpiredToken", "GetResources", "tag:GetResources"),
        ("InvalidClientTokenId", "NoSuchOperationAnywhere", None),
        ("SignatureDoesNotMatch", "DescribeSubnets", "ec2:DescribeSubnets"),
    ],
)
def test_credentials_and_permissions(code: str, operation: str, action: str | None) -> None:
    err = errors.translate(
        client_error(code, status=403, operation=operation), address="vpc.main", action="create"
    )
    assert isinstance(err, PermanentError)
    assert err.hint and "credentials" in err.hint
    if action:
        assert action in err.hint
    else:
        assert "allow this operation" in err.hint


@pytest.mark.parametrize(
    ("code", "subject"),
    [
        ("VpcLimitExceeded", "VPCs"),
        ("AddressLimitExceeded", "Elastic IP addresses"),
        ("NatGatewayLimitExceeded", "NAT gateways"),
        ("CustomerGatewayLimitExceeded", "customer gateway"),
    ],
)
def test_quotas(code: str, subject: str) -> None:
    err = errors.translate(client_error(code), address="vpc.main", action="create")
    assert isinstance(err, PermanentError)
    assert err.hint and "Service Quotas" in err.hint and subject in err.hint


def test_message_code_and_request_id() -> None:
    err = errors.translate(
        client_error("InvalidSubnet.Range", "The CIDR is invalid"),
        address="subnet.a",
        action="create",
    )
    assert isinstance(err, PermanentError)
    assert err.message == "could not create: The CIDR is invalid"
    assert str(err).startswith("subnet.a: could not create: The CIDR is invalid")
    assert err.code == "InvalidSubnet.Range"
    assert err.request_id == "req-123"
    assert err.address == "subnet.a"
    text = str(err)
    assert "InvalidSubnet.Range" in text and "req-123" in text


def test_request_id_from_headers() -> None:
    exc = ClientError(
        {
            "Error": {"Code": "Oops", "Message": "m"},
            "ResponseMetadata": {"HTTPHeaders": {"x-amz-request-id": "hdr-9"}},
        },
        "PutObject",
    )
    assert errors.translate(exc, address=None, action="read").request_id == "hdr-9"


def test_subject_names_what_was_read() -> None:
    err = errors.translate(client_error("Oops"), address=None, action="read", subject="vpcs")
    assert err.message == "could not read vpcs: boom"


def test_predicates() -> None:
    assert errors.is_already_exists(client_error("BucketAlreadyOwnedByYou"))
    assert errors.is_already_exists(client_error("AlreadyExistsException"))
    assert not errors.is_already_exists(client_error("BucketAlreadyExists"))  # someone else's
    assert errors.is_precondition_failed(client_error("PreconditionFailed", status=412))
    assert not errors.is_precondition_failed(client_error("AccessDenied", status=403))
    assert not errors.is_not_found(client_error("InvalidParameterValue"))
    assert not errors.is_not_found(ValueError("x"))
    assert errors.is_retryable(client_error("Throttling"))
    assert not errors.is_retryable(client_error("InvalidParameterValue"))
