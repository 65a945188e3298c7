"""The local cloud's reading of a key policy for CloudWatch Logs (weft.local.moto_logs)."""

from __future__ import annotations

import json

from weft.local.moto_logs import allows_logs

ARN = "arn:aws:logs:us-east-2:123456789012:log-group:/aws/eks/demo/cluster"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


LOGS = {
    "Effect": "Allow",
    "Principal": {"Service": "logs.us-east-2.amazonaws.com"},
    "Action": ["kms:Encrypt*", "kms:GenerateDataKey*"],
    "Resource": "*",
}
ROOT = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def test_the_default_key_policy_does_not_let_cloudwatch_logs_use_the_key() -> None:
    assert not allows_logs(policy(ROOT), "us-east-2", ARN)


def test_the_logs_principal_of_the_region_with_the_actions_is_enough() -> None:
    assert allows_logs(policy(ROOT, LOGS), "us-east-2", ARN)
    assert not allows_logs(policy(LOGS), "eu-west-1", ARN.replace("us-east-2", "eu-west-1"))
    assert not allows_logs(policy({**LOGS, "Action": "kms:Decrypt*"}), "us-east-2", ARN)
    assert not allows_logs(policy({**LOGS, "Effect": "Deny"}), "us-east-2", ARN)


def test_the_encryption_context_condition_limits_the_log_groups() -> None:
    key = "kms:EncryptionContext:aws:logs:arn"
    scoped = {
        **LOGS,
        "Condition": {"ArnLike": {key: "arn:aws:logs:us-east-2:*:log-group:/aws/eks/*"}},
    }
    assert allows_logs(policy(scoped), "us-east-2", ARN)
    assert not allows_logs(policy(scoped), "us-east-2", ARN.replace("/aws/eks/", "/other/"))
    unknown = {**LOGS, "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}
    assert not allows_logs(policy(unknown), "us-east-2", ARN)
