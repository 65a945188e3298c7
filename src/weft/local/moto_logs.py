"""The local cloud's CloudWatch Logs uses a KMS key only when the key lets it, as AWS does.

moto 5.2.5 stores whatever ``kmsKeyId`` CreateLogGroup is given. AWS checks the key first: it
must exist, be enabled, and its key policy must allow the CloudWatch Logs service principal of
the region (``logs.REGION.amazonaws.com``) to use it for that log group ("Encrypt log data in
CloudWatch Logs using AWS Key Management Service", step 2, CloudWatch Logs User Guide:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html; "If the
KMS key is not allowed to be used by CloudWatch Logs ... the operation fails"). AWS answers
``AccessDeniedException``: "The specified KMS key does not exist or is not allowed to be used
with Arn 'arn:aws:logs:REGION:ACCOUNT:log-group:NAME'".

The key policy is read as AWS reads it for this question: an ``Allow`` statement whose
principal is that service, whose actions cover ``kms:GenerateDataKey`` (wildcards allowed), and
whose conditions (only ``kms:EncryptionContext:aws:logs:arn`` with ``ArnLike``/``ArnEquals``/
``StringLike``/``StringEquals`` is understood; any other condition is taken as unmet, so the
emulator never allows more than AWS) admit the log group's ARN. A ``Deny`` is not evaluated:
weft's key policies have none.

A request signed by a role session (IRSA, :mod:`weft.local.moto_irsa`) is authorized against
the resource it acts on, as IAM does for CloudWatch Logs ("Actions, resources, and condition
keys for Amazon CloudWatch Logs", Service Authorization Reference): a log stream
(``arn:aws:logs:REGION:ACCOUNT:log-group:GROUP:log-stream:STREAM``) when the request names one,
else its log group (``…:log-group:GROUP``), else ``*`` (:func:`request_resource`). moto
authorizes every request against ``*``, which a policy naming its group (least privilege) never
matches. A request refused so is answered as CloudWatch Logs answers it (JSON protocol):
``AccessDeniedException``, "User: ARN is not authorized to perform: logs:ACTION on resource:
ARN", not moto's XML ``AccessDenied`` body, which botocore cannot read.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

CONTEXT_KEY = "kms:encryptioncontext:aws:logs:arn"
_OPERATORS = {"arnlike", "arnequals", "stringlike", "stringequals"}


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def _conditions_hold(condition: dict[str, Any], arn: str) -> bool:
    for operator, tests in (condition or {}).items():
        if operator.lower() not in _OPERATORS:
            return False
        for key, patterns in (tests or {}).items():
            if key.lower() != CONTEXT_KEY:
                return False
            like = operator.lower().endswith("like")
            if not any(
                fnmatch.fnmatchcase(arn, p) if like else arn == p for p in _listed(patterns)
            ):
                return False
    return True


def allows_logs(policy: str, region: str, arn: str) -> bool:
    """Whether the key policy ``policy`` lets CloudWatch Logs in ``region`` encrypt ``arn``."""
    try:
        statements = json.loads(policy).get("Statement", [])
    except (ValueError, AttributeError):
        return False
    service = f"logs.{region}.amazonaws.com"
    for statement in [statements] if isinstance(statements, dict) else statements:
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal") or {}
        services = _listed(principal.get("Service")) if isinstance(principal, dict) else []
        if service not in services:
            continue
        actions = [a.lower() for a in _listed(statement.get("Action"))]
        if not any(fnmatch.fnmatchcase("kms:generatedatakey", a) for a in actions):
            continue
        if _conditions_hold(statement.get("Condition") or {}, arn):
            return True
    return False


def request_resource(region: str, account: str, params: dict[str, Any]) -> str:
    """The resource a CloudWatch Logs request acts on, for IAM (see the module docstring)."""
    group = params.get("logGroupName")
    identifier = str(params.get("logGroupIdentifier") or "")
    if not group and identifier:
        if identifier.startswith("arn:"):
            return identifier.removesuffix(":*")
        group = identifier
    if not group:
        return "*"
    arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    stream = params.get("logStreamName")
    return f"{arn}:log-stream:{stream}" if stream else arn


def apply() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.kms.models import kms_backends
    from moto.logs.responses import LogsResponse

    create_log_group = LogsResponse.create_log_group

    def create_log_group_as_aws(self: Any) -> str:
        key_id = self._get_param("kmsKeyId")
        if key_id:
            name = self._get_param("logGroupName")
            arn = f"arn:aws:logs:{self.region}:{self.current_account}:log-group:{name}"
            kms = kms_backends[self.current_account][self.region]
            key = None
            try:
                key = kms.keys.get(kms.any_id_to_key_id(key_id))
            except Exception:  # moto's own lookup errors: the key is not usable
                key = None
            if (
                key is None
                or key.key_state != "Enabled"
                or not allows_logs(key.policy, self.region, arn)
            ):
                raise JsonRESTError(
                    "AccessDeniedException",
                    "The specified KMS key does not exist or is not allowed to be used with "
                    f"Arn '{arn}'",
                )
        return create_log_group(self)

    LogsResponse.create_log_group = create_log_group_as_aws  # type: ignore[method-assign]

    def determine_resource(self: Any) -> str:
        try:
            params = json.loads(self.body or "{}")
        except ValueError:
            return "*"
        if not isinstance(params, dict):
            return "*"
        return request_resource(self.region, self.current_account, params)

    LogsResponse._determine_resource = determine_resource  # type: ignore[attr-defined]

    from moto.core.exceptions import AccessDeniedError

    authorize = LogsResponse._authenticate_and_authorize_normal_action

    def authorize_as_logs(self: Any, resource: str = "*") -> None:
        try:
            authorize(self, resource)
        except AccessDeniedError as exc:
            raise JsonRESTError(
                "AccessDeniedException", f"{exc.message} on resource: {resource}"
            ) from exc

    LogsResponse._authenticate_and_authorize_normal_action = authorize_as_logs  # type: ignore[method-assign]
