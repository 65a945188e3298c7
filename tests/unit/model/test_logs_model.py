"""The containers' logs in the model: a log group of the fabric, the fluent-bit add-on and its
least-privilege role; off with ``observability.logs: false`` or without a cluster."""

from __future__ import annotations

import json

import pytest

from weft.errors import ConfigError
from weft.fabricfile import parse_fabric
from weft.model import desired_resources
from weft.model.fabric import key_policy

BASE = "name: shop\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 2\n"
CLUSTER = (
    "cluster: {endpoint: private}\n"
    "nodegroups:\n  - {name: general, instance_types: [m6i.large], min: 1, max: 3}\n"
)
ACCOUNT = "123456789012"
GROUP_ARN = f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:/aws/eks/shop/containers"


def resources(extra: str = "") -> dict[str, dict]:
    fabric = parse_fabric(BASE + extra, "f.yaml")
    found = desired_resources(fabric, account_id=ACCOUNT, zones=["us-east-2a", "us-east-2b"])
    return {r.address: dict(r.props) for r in found}


def test_a_cluster_ships_its_containers_logs_by_default() -> None:
    found = resources(CLUSTER)
    group = found["log_group.containers"]
    assert group["group_name"] == "/aws/eks/shop/containers"
    assert group["retention_days"] == 30
    assert group["kms_key_arn"] is not None
    addon = found["eks_addon.fluent-bit"]
    assert addon["addon_name"] == "fluent-bit"
    outputs = addon["configuration"]["config"]["outputs"]
    assert "Name cloudwatch_logs" in outputs
    assert "log_group_name /aws/eks/shop/containers" in outputs
    assert "auto_create_group Off" in outputs
    # not the CloudWatch Observability add-on (Container Insights, paid per observation)
    assert not [a for a in found if "amazon-cloudwatch-observability" in a]


def test_fluent_bits_role_may_only_write_to_the_fabrics_group() -> None:
    role = resources(CLUSTER)["iam_role.fluent-bit"]
    assert not role["managed_policies"]
    (statement,) = role["inline_policies"]["weft-fluent-bit"]["Statement"]
    assert sorted(statement["Action"]) == [
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    assert list(statement["Resource"]) == [GROUP_ARN, f"{GROUP_ARN}:log-stream:*"]
    (trust,) = role["assume_role_policy"]["Statement"]
    assert "system:serviceaccount:fluent-bit:fluent-bit" in json.dumps(trust, default=str)


def test_the_fabric_key_lets_cloudwatch_logs_encrypt_the_containers_group() -> None:
    fabric = parse_fabric(BASE + CLUSTER, "f.yaml")
    (_, logs) = key_policy(fabric, ACCOUNT)["Statement"]
    assert GROUP_ARN in logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]


@pytest.mark.parametrize("off", ["false", "null"])
def test_logs_can_be_turned_off(off: str) -> None:
    found = resources(CLUSTER + f"observability: {{logs: {off}}}\n")
    assert "log_group.containers" not in found and "eks_addon.fluent-bit" not in found
    fabric = parse_fabric(BASE + CLUSTER + f"observability: {{logs: {off}}}\n", "f.yaml")
    (_, logs) = key_policy(fabric, ACCOUNT)["Statement"]
    assert GROUP_ARN not in str(logs["Condition"])


def test_no_cluster_no_container_logs() -> None:
    assert "log_group.containers" not in resources()


def test_the_retention_is_the_files() -> None:
    found = resources(CLUSTER + "observability: {logs: {retention_days: 7}}\n")
    assert found["log_group.containers"]["retention_days"] == 7
    with pytest.raises(ConfigError, match="31 days is not a retention CloudWatch Logs offers"):
        parse_fabric(BASE + CLUSTER + "observability: {logs: {retention_days: 31}}\n", "f.yaml")
