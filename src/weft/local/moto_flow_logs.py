"""The local cloud's CreateFlowLogs checks the delivery role, as AWS does.

moto 5.2.5 creates a flow log to CloudWatch Logs with any ``DeliverLogsPermissionArn``. AWS
assumes that role (as the service principal ``vpc-flow-logs.amazonaws.com``) when the flow log
is created, and refuses the call when it cannot: ``InvalidParameter`` "Unable to assume given IAM
role: 'ARN'" (the message AWS answers, as users of CreateFlowLogs have reported it). "IAM role
for publishing flow logs to CloudWatch Logs" (Amazon VPC User Guide,
https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html) gives the trust
policy: the service principal ``vpc-flow-logs.amazonaws.com`` allowed ``sts:AssumeRole``,
optionally scoped with ``aws:SourceAccount`` and ``aws:SourceArn`` (the flow log's ARN,
``arn:aws:ec2:REGION:ACCOUNT:vpc-flow-log/fl-...``).

The role's trust policy is read as AWS reads it for this question (:func:`service_may_assume`,
through :func:`weft.local.trust.trust_allows`): an ``Allow`` statement naming the service, whose
actions cover ``sts:AssumeRole`` and whose conditions hold for the request's
``aws:SourceAccount`` and ``aws:SourceArn``, and no ``Deny`` for it. Only
``StringEquals``/``StringLike``/``ArnEquals``/``ArnLike`` on those two keys are understood; any
other condition is taken as unmet, so the emulator never allows more than AWS. A role that does
not exist cannot be assumed.
"""

from __future__ import annotations

import json
from typing import Any

SERVICE = "vpc-flow-logs.amazonaws.com"


def service_may_assume(trust: dict[str, Any], context: dict[str, str]) -> bool:
    """Whether the trust policy ``trust`` lets the VPC Flow Logs service assume the role for a
    request whose ``aws:SourceAccount``/``aws:SourceArn`` are ``context``."""
    from weft.local import trust as trust_policy

    return trust_policy.trust_allows(
        trust, kind="Service", principal=SERVICE, actions=("sts:AssumeRole",), context=context
    )


def apply() -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.flow_logs import FlowLogsBackend
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    original = FlowLogsBackend.create_flow_logs

    def create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
        destination = kwargs.get("log_destination_type") or "cloud-watch-logs"
        role_arn = kwargs.get("deliver_logs_permission_arn")
        if destination == "cloud-watch-logs" and role_arn:
            region = self.region_name
            account = self.account_id
            context = {
                "aws:SourceAccount": account,
                "aws:SourceArn": f"arn:aws:ec2:{region}:{account}:vpc-flow-log/fl-new",
            }
            try:
                role = iam_backends[account][get_partition(region)].get_role_by_arn(role_arn)
                trust = json.loads(role.assume_role_policy_document)
            except Exception:  # moto's NotFound, or a document it cannot read
                trust = {}
            if not service_may_assume(trust, context):
                raise EC2ClientError(
                    "InvalidParameter", f"Unable to assume given IAM role: '{role_arn}'"
                )
        return original(self, *args, **kwargs)

    FlowLogsBackend.create_flow_logs = create_flow_logs  # type: ignore[method-assign]
