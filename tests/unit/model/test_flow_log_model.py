"""VPC flow logs in the model: off by default; on, a flow log, its group and delivery role."""

from __future__ import annotations

import pytest

from weft.errors import ConfigError
from weft.fabricfile import parse_fabric
from weft.model import desired_resources
from weft.model.fabric import key_policy

BASE = "name: shop\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 2\n"
ACCOUNT = "123456789012"


def resources(extra: str = "") -> dict[str, dict]:
    fabric = parse_fabric(BASE + extra, "f.yaml")
    found = desired_resources(fabric, account_id=ACCOUNT, zones=["us-east-2a", "us-east-2b"])
    return {r.address: dict(r.props) for r in found}


def test_flow_logs_are_off_by_default() -> None:
    assert not [a for a in resources() if "flow" in a]


def test_flow_logs_make_a_flow_log_a_group_and_a_role_scoped_to_the_service() -> None:
    found = resources("  flow_logs: {retention_days: 90}\n")
    flow = found["flow_log.vpc"]
    assert flow["traffic_type"] == "ALL"
    assert flow["log_group_name"] == "/aws/eks/shop/vpc-flow-logs"
    group = found["log_group.flow-logs"]
    assert group["retention_days"] == 90 and group["group_name"] == flow["log_group_name"]
    (statement,) = found["iam_role.flow-logs"]["assume_role_policy"]["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-east-2:{ACCOUNT}:vpc-flow-log/*"},
    }
    (write,) = found["iam_role.flow-logs"]["inline_policies"]["weft-flow-logs"]["Statement"]
    group_arn = f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/aws/eks/shop/vpc-flow-logs"
    assert list(write["Resource"]) == [group_arn, f"{group_arn}:*"]
    assert not found["iam_role.flow-logs"]["managed_policies"]
    # the fabric key lets CloudWatch Logs encrypt the flow logs' group too
    fabric = parse_fabric(BASE + "  flow_logs: {}\n", "f.yaml")
    assert fabric.network.flow_logs is not None
    assert fabric.network.flow_logs.retention_days == 30
    (_, logs) = key_policy(fabric, ACCOUNT)["Statement"]
    assert group_arn in logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]


def test_a_retention_cloudwatch_logs_does_not_offer_is_refused() -> None:
    with pytest.raises(ConfigError, match="31 days is not a retention CloudWatch Logs offers"):
        parse_fabric(BASE + "  flow_logs: {retention_days: 31}\n", "f.yaml")
