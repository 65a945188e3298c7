"""VPC flow logs (``network.flow_logs``) on the local cloud: weft's flow log, log group and
delivery role; and the local CreateFlowLogs refusing a role the service cannot assume."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from weft.model.network import flow_log_group

from .helpers import down, fabric_text, target_for, up

pytestmark = pytest.mark.integration

REGION = "us-east-2"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


def trusting(service: str, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_create_flow_logs_refuses_a_role_the_service_cannot_assume(clean_cloud: str) -> None:
    """Amazon VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs": the role
    must trust vpc-flow-logs.amazonaws.com; AWS answers InvalidParameter "Unable to assume given
    IAM role" otherwise."""
    ec2, iam, logs = (client(clean_cloud, s) for s in ("ec2", "iam", "logs"))
    vpc = ec2.create_vpc(CidrBlock="10.88.0.0/16")["Vpc"]["VpcId"]
    logs.create_log_group(logGroupName="flows")
    account = "123456789012"
    roles = {
        "ec2-only": trusting("ec2.amazonaws.com"),
        "other-account": trusting(
            "vpc-flow-logs.amazonaws.com", StringEquals={"aws:SourceAccount": "210987654321"}
        ),
        "scoped": trusting(
            "vpc-flow-logs.amazonaws.com",
            StringEquals={"aws:SourceAccount": account},
            ArnLike={"aws:SourceArn": f"arn:aws:ec2:{REGION}:{account}:vpc-flow-log/*"},
        ),
    }
    arns = {
        name: iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)["Role"]["Arn"]
        for name, doc in roles.items()
    }
    missing = f"arn:aws:iam::{account}:role/nobody"
    for arn in (arns["ec2-only"], arns["other-account"], missing):
        with pytest.raises(ClientError) as refused:
            ec2.create_flow_logs(
                ResourceType="VPC",
                ResourceIds=[vpc],
                TrafficType="ALL",
                LogGroupName="flows",
                DeliverLogsPermissionArn=arn,
            )
        error = refused.value.response["Error"]
        assert error["Code"] == "InvalidParameter"
        assert error["Message"] == f"Unable to assume given IAM role: '{arn}'"
    assert ec2.describe_flow_logs()["FlowLogs"] == []
    made = ec2.create_flow_logs(
        ResourceType="VPC",
        ResourceIds=[vpc],
        TrafficType="ALL",
        LogGroupName="flows",
        DeliverLogsPermissionArn=arns["scoped"],
    )
    assert len(made["FlowLogIds"]) == 1 and not made.get("Unsuccessful")


def test_flow_logs_are_made_with_their_group_and_role_and_go_on_down(clean_cloud: str) -> None:
    text = fabric_text("flows", zones=2, nat="none", layout="public").replace(
        "  layout: public\n", "  layout: public\n  flow_logs: {retention_days: 14}\n"
    )
    target = target_for(text)
    assert up(target).ok
    ec2, logs, iam = (target.session.client(s) for s in ("ec2", "logs", "iam"))
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:weft:fabric", "Values": ["flows"]}])["Vpcs"]
    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "tag:weft:fabric", "Values": ["flows"]}])[
        "FlowLogs"
    ]
    assert flow["ResourceId"] == vpc[0]["VpcId"] and flow["TrafficType"] == "ALL"
    group_name = flow_log_group("flows")
    assert flow["LogGroupName"] == group_name
    (group,) = [
        g
        for g in logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
        if g["logGroupName"] == group_name
    ]
    assert group["retentionInDays"] == 14
    key = target.session.client("kms").describe_key(KeyId="alias/weft/flows")
    assert group["kmsKeyId"] == key["KeyMetadata"]["Arn"]
    role_name = flow["DeliverLogsPermissionArn"].rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":vpc-flow-log/*")

    assert down(target).ok
    assert ec2.describe_flow_logs()["FlowLogs"] == []
    assert [
        g for g in logs.describe_log_groups()["logGroups"] if g["logGroupName"] == group_name
    ] == []
