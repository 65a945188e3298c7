"""AWS errors translated into weft's exception tree: the only module that compares error codes.

::

    botocore ClientError / BotoCoreError
        ├── throttling, 5xx, connection trouble,        ──► TemporaryError (retry with backoff)
        │   DependencyViolation, IncorrectState, an
        │   address still in use, a parent that was
        │   just created and is not visible yet
        ├── "not found" while reading or deleting       ──► NotFound (on delete: success)
        ├── no credentials / no permission              ──► PermanentError + hint naming the action
        ├── a service quota reached                     ──► PermanentError + hint (Service Quotas)
        └── anything else                               ──► PermanentError

Drivers never look at codes: when one must treat "already gone" or "already there" as success it
asks a predicate here (:func:`is_not_found`, :func:`is_already_exists`,
:func:`is_precondition_failed`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from weft.errors import CloudError, NotFound, PermanentError, TemporaryError

ACTIONS = ("read", "create", "update", "delete")

_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceeded",
        "ProvisionedThroughputExceededException",
        "PriorRequestNotComplete",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)

#: Retrying later helps: something is still on its way in or out.
_TRANSIENT_STATE = frozenset(
    {
        "DependencyViolation",
        "IncorrectState",
        "InvalidState",
        "InvalidIPAddress.InUse",
        "ConcurrentModificationException",
        "ResourceInUseException",
        # ELBv2: a target group still used by a load balancer that is going away
        "ResourceInUse",
        # data stores and DNS: busy with a change, or still used by something going away
        "InvalidDBInstanceState",
        "InvalidDBSubnetGroupStateFault",
        "InvalidReplicationGroupState",
        "InvalidCacheClusterState",
        "CacheSubnetGroupInUse",
        "OperationAborted",
        "RequestInProgressException",
    }
)

_CREDENTIALS = frozenset(
    {
        "AuthFailure",
        "UnauthorizedOperation",
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
    }
)

_NOT_FOUND_EXACT = frozenset(
    {
        "404",
        "NotFound",
        "NoSuchEntity",
        "ResourceNotFoundException",
        "NotFoundException",
    }
)

_ALREADY_EXISTS = frozenset(
    {
        "BucketAlreadyOwnedByYou",
        "AlreadyExistsException",
        "EntityAlreadyExists",
        "ResourceExistsException",
        "RouteAlreadyExists",
        "InvalidPermission.Duplicate",
        "InvalidGroup.Duplicate",
        "ResourceAlreadyExistsException",
    }
)

_PRECONDITION = frozenset({"PreconditionFailed", "412"})

#: EKS refusing a role IAM has not yet propagated (a role created seconds ago): on AWS this
#: clears within about ten seconds, so during a create it is temporary.
_ROLE_NOT_READY = re.compile(r"role\b.*\b(?:could not|cannot) be assumed", re.IGNORECASE)

#: Services weft talks to, searched (lazily) to name the IAM action of a denied operation.
_SERVICES = (
    "ec2",
    "kms",
    "s3",
    "resourcegroupstaggingapi",
    "sts",
    "iam",
    "eks",
    "rds",
    "elasticache",
    "elbv2",
    "acm",
    "route53",
    "secretsmanager",
    "autoscaling",
    "ssm",
)

#: IAM action prefixes that differ from the service's endpoint prefix.
_IAM_PREFIX = {"tagging": "tag", "elasticloadbalancing": "elasticloadbalancing"}


def code_of(exc: BaseException) -> str:
    """The AWS error code of a ClientError ("" for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "") or "")
    return ""


def _status_of(exc: ClientError) -> int:
    try:
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    except (TypeError, ValueError):
        return 0


def _request_id_of(exc: ClientError) -> str | None:
    meta: dict[str, Any] = exc.response.get("ResponseMetadata", {}) or {}
    rid = meta.get("RequestId")
    if not rid:
        headers = meta.get("HTTPHeaders", {}) or {}
        rid = headers.get("x-amzn-requestid") or headers.get("x-amz-request-id")
    return str(rid) if rid else None


def _is_not_found_code(code: str) -> bool:
    return (
        code in _NOT_FOUND_EXACT
        or code.endswith("NotFound")
        or code.endswith("NotFoundException")
        or code.endswith("NotFoundFault")
        or code.endswith("NotFoundError")
        or code.startswith("NoSuch")
    )


def _is_throttling(code: str, status: int) -> bool:
    return code in _THROTTLING or status >= 500


def is_not_found(exc: BaseException) -> bool:
    """The thing asked for does not exist (a resource, a key, a bucket's optional setting)."""
    code = code_of(exc)
    return bool(code) and _is_not_found_code(code)


def is_already_exists(exc: BaseException) -> bool:
    """The thing being created is already there (and, for buckets, already ours)."""
    return code_of(exc) in _ALREADY_EXISTS


def is_precondition_failed(exc: BaseException) -> bool:
    """A conditional write (If-None-Match / If-Match) found the object in another state."""
    if not isinstance(exc, ClientError):
        return False
    return code_of(exc) in _PRECONDITION or _status_of(exc) == 412


def is_no_such_bucket(exc: BaseException) -> bool:
    """The S3 bucket itself does not exist (as opposed to a key or a setting of it)."""
    return code_of(exc) == "NoSuchBucket"


def is_retryable(exc: BaseException) -> bool:
    """Retrying later can help (as :func:`translate` would decide for a create)."""
    if isinstance(exc, ClientError | BotoCoreError):
        return translate(exc, address=None, action="create").retryable
    return False


@functools.lru_cache(maxsize=256)
def iam_action(operation: str, service: str | None = None) -> str | None:
    """``service:Operation`` for an API operation name, found in botocore's service models."""
    import botocore.session

    session = botocore.session.get_session()
    for name in (service,) if service else _SERVICES:
        try:
            model = session.get_service_model(name)
        except Exception:  # an unknown model just means "cannot name it"
            continue
        if operation in model.operation_names:
            prefix = model.metadata.get("endpointPrefix") or name
            return f"{_IAM_PREFIX.get(prefix, prefix)}:{operation}"
    return None


def _quota_subject(code: str) -> str:
    known = {
        "VpcLimitExceeded": "VPCs",
        "AddressLimitExceeded": "Elastic IP addresses",
        "NatGatewayLimitExceeded": "NAT gateways",
        "InternetGatewayLimitExceeded": "internet gateways",
        "SecurityGroupLimitExceeded": "security groups",
        "RulesPerSecurityGroupLimitExceeded": "rules in the security group",
        "RouteLimitExceeded": "routes",
        "RouteTableLimitExceeded": "route tables",
        "SubnetLimitExceeded": "subnets",
    }
    if code in known:
        return known[code]
    stem = code.rsplit(".", 1)[-1].removesuffix("LimitExceeded").removesuffix("Exception")
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", stem).lower().strip()
    return f"{words} resources" if words else "resources"


def translate(
    exc: ClientError | BotoCoreError,
    *,
    address: str | None,
    action: str,
    service: str | None = None,
    subject: str | None = None,
) -> CloudError:
    """The weft error for a failed AWS call made while doing ``action`` to ``address``.

    ``action`` is one of "read", "create", "update", "delete". A "not found" while creating or
    updating is taken for eventual consistency (a parent just created is not visible yet) and so
    is temporary; while reading or deleting it is :class:`NotFound`. ``service`` (e.g. "ec2")
    helps name the IAM action of a denied call; ``subject`` names what was acted on when there
    is no single address (e.g. "vpc resources" during discovery).
    """
    # CloudError's text starts with the address; name the target here only when there is none.
    target = "" if address else f" {subject or 'resources'}"
    if isinstance(exc, BotoCoreError):
        return _translate_botocore(exc, target=target, address=address, action=action)

    error = exc.response.get("Error", {}) or {}
    code = str(error.get("Code", "") or "")
    aws_message = str(error.get("Message", "") or "") or str(exc)
    status = _status_of(exc)
    request_id = _request_id_of(exc)
    message = f"could not {action}{target}: {aws_message}"
    common: dict[str, Any] = {"address": address, "code": code or None, "request_id": request_id}

    if code in _CREDENTIALS or (status == 403 and not code):
        operation = getattr(exc, "operation_name", "") or ""
        named = iam_action(operation, service) if operation else None
        needs = f"allow {named}" if named else "allow this operation"
        hint = (
            "check the credentials (AWS_PROFILE, an expired session?) and that their "
            f"IAM policy {needs}"
        )
        return PermanentError(message, hint=hint, **common)
    if _is_throttling(code, status):
        return TemporaryError(message, hint="AWS asked to slow down or failed briefly", **common)
    if code in _TRANSIENT_STATE:
        return TemporaryError(message, **common)
    if (
        code == "InvalidParameterException"
        and action == "create"
        and _ROLE_NOT_READY.search(aws_message)
    ):
        return TemporaryError(
            message, hint="an IAM role just created takes a few seconds to reach EKS", **common
        )
    if _is_not_found_code(code):
        if action in ("create", "update"):
            return TemporaryError(
                message, hint="a resource just created may not be visible yet", **common
            )
        return NotFound(message, **common)
    if code.endswith("LimitExceeded") or code.endswith("LimitExceededException"):
        subject = _quota_subject(code)
        hint = f"raise the quota in Service Quotas or delete unused {subject}"
        return PermanentError(message, hint=hint, **common)
    return PermanentError(message, **common)


def _translate_botocore(
    exc: BotoCoreError, *, target: str, address: str | None, action: str
) -> CloudError:
    message = f"could not {action}{target}: {exc}"
    if isinstance(
        exc,
        EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError,
    ):
        return TemporaryError(
            message, hint="the AWS endpoint could not be reached", address=address
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return PermanentError(
            message,
            hint="no AWS credentials found: set AWS_PROFILE or run `aws sso login`",
            address=address,
        )
    return PermanentError(message, address=address)
