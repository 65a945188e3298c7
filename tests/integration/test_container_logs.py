"""The containers' logs on the local cloud: the fabric's log group (retention, the fabric key),
the fluent-bit add-on and its least-privilege role, all gone after ``down``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from weft.model.logs import container_log_group
from weft.ops.plan import inventory

from .helpers import CLUSTER_VERSION, down, fabric_text, target_for, up

pytestmark = pytest.mark.integration

FABRIC = "logs"


def logs_fabric(extra: str = "") -> str:
    return fabric_text(FABRIC, zones=2, nat="none", layout="public") + (
        f'cluster:\n  version: "{CLUSTER_VERSION}"\n  endpoint: private\n'
        "  addons: {vpc-cni: {}, coredns: {}, kube-proxy: {}}\n"
        "nodegroups:\n  - {name: general, instance_types: [m6i.large], min: 1, max: 2}\n"
        f"{extra}"
    )


def groups(logs: Any, name: str) -> list[dict[str, Any]]:
    found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return [g for g in found if g["logGroupName"] == name]


def test_the_containers_log_group_addon_and_role_come_and_go(clean_cloud: str) -> None:
    target = target_for(logs_fabric("observability: {logs: {retention_days: 14}}\n"))
    outcome = up(target)
    assert outcome.ok, outcome
    session = target.session
    logs, eks, iam = (session.client(s) for s in ("logs", "eks", "iam"))
    name = container_log_group(FABRIC)
    (group,) = groups(logs, name)
    assert group["retentionInDays"] == 14
    key = session.client("kms").describe_key(KeyId=f"alias/weft/{FABRIC}")
    assert group["kmsKeyId"] == key["KeyMetadata"]["Arn"]

    addon = eks.describe_addon(clusterName=FABRIC, addonName="fluent-bit")["addon"]
    assert addon["status"] == "ACTIVE"
    outputs = json.loads(addon["configurationValues"])["config"]["outputs"]
    assert f"log_group_name {name}" in outputs
    role_name = addon["serviceAccountRoleArn"].rsplit("/", 1)[1]
    role = iam.get_role(RoleName=role_name)["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert "system:serviceaccount:fluent-bit:fluent-bit" in json.dumps(trust["Condition"])
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    (statement,) = document["Statement"]
    assert sorted(statement["Action"]) == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    arn = group["arn"].removesuffix(":*")
    assert statement["Resource"] == [arn, f"{arn}:log-stream:*"]
    assert not iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    # planned like the rest: nothing left to do
    assert inventory(target).by_address["log_group.containers"].props["retention_days"] == 14

    assert down(target).ok
    assert groups(logs, name) == []
    assert eks.list_clusters()["clusters"] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"] == role_name] == []


def test_logs_false_ships_nothing_and_turning_them_on_later_works(clean_cloud: str) -> None:
    target = target_for(logs_fabric("observability: {logs: false}\n"))
    outcome = up(target)
    assert outcome.ok, outcome
    session = target.session
    assert groups(session.client("logs"), container_log_group(FABRIC)) == []
    addons = session.client("eks").list_addons(clusterName=FABRIC)["addons"]
    assert "fluent-bit" not in addons
    # a fabric made before: the key's policy admits the new group before CloudWatch Logs
    # is asked to use the key for it (else CreateLogGroup is refused, as on AWS)
    target = target_for(logs_fabric())
    outcome = up(target)
    assert outcome.ok, outcome
    assert len(groups(session.client("logs"), container_log_group(FABRIC))) == 1
    assert "fluent-bit" in session.client("eks").list_addons(clusterName=FABRIC)["addons"]
    assert down(target).ok
