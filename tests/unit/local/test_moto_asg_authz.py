"""Whether a role's policies let it resize an Auto Scaling group, its tag conditions deciding
(weft.local.moto_asg_authz.allowed, pure)."""

from __future__ import annotations

from typing import Any

from weft.local.moto_asg_authz import allowed
from weft.model.cluster_autoscaler import autoscaler_policy

ARN = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/eks-g"
SET = "autoscaling:SetDesiredCapacity"
OURS = {"k8s.io/cluster-autoscaler/shop": "owned", "eks:cluster-name": "shop"}
OTHERS = {"k8s.io/cluster-autoscaler/other": "owned", "eks:cluster-name": "other"}


def statement(**extra: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **extra}]}


def test_weft_s_policy_resizes_only_the_cluster_s_own_groups() -> None:
    policy = autoscaler_policy("shop")
    assert allowed([policy], SET, ARN, OURS)
    assert allowed([policy], "autoscaling:TerminateInstanceInAutoScalingGroup", ARN, OURS)
    assert not allowed([policy], SET, ARN, OTHERS)
    assert not allowed([policy], SET, ARN, {})


def test_actions_and_resources_match_as_iam_matches_them() -> None:
    assert allowed([statement(Action="autoscaling:Set*", Resource="*")], SET, ARN, {})
    assert allowed(
        [statement(Action=["AUTOSCALING:setdesiredcapacity"], Resource=ARN)], SET, ARN, {}
    )
    assert not allowed([statement(Action="autoscaling:Describe*", Resource="*")], SET, ARN, {})
    assert not allowed(
        [statement(Action=SET, Resource="arn:aws:autoscaling:*:*:other")], SET, ARN, {}
    )
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    assert not allowed([deny], SET, ARN, {})


def test_a_condition_the_emulator_cannot_judge_grants_nothing() -> None:
    like = statement(
        Action=SET,
        Resource="*",
        Condition={"StringLike": {"autoscaling:ResourceTag/eks:cluster-name": "sh*"}},
    )
    assert allowed([like], SET, ARN, OURS)
    other_key = statement(
        Action=SET, Resource="*", Condition={"StringEquals": {"aws:PrincipalTag/team": "a"}}
    )
    assert not allowed([other_key], SET, ARN, OURS)
    other_operator = statement(
        Action=SET,
        Resource="*",
        Condition={"StringNotEquals": {"aws:ResourceTag/eks:cluster-name": "other"}},
    )
    assert not allowed([other_operator], SET, ARN, OURS)
