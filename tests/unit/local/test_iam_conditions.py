"""Identity policies evaluated as AWS does ("Policy evaluation logic", "Condition operators",
IAM User Guide): deny wins, an Allow needs every condition, each operator, missing keys."""

from __future__ import annotations

from typing import Any

import pytest

from weft.local.iam_conditions import (
    Decision,
    autoscaling_checks,
    condition_holds,
    ec2_checks,
    elbv2_checks,
    evaluate,
    tag_context,
)
from weft.model.cluster_autoscaler import autoscaler_policy

ARN = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/web/1"


def _allow(condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    statement.update(extra)
    return {"Version": "2012-10-17", "Statement": [statement]}


def _decide(policy: dict[str, Any], context: dict[str, list[str]] | None = None) -> Decision:
    return evaluate([policy], "ec2:CreateTags", "arn:aws:ec2:r:1:volume/vol-1", context or {})


@pytest.mark.parametrize(
    ("operator", "wanted", "values", "holds"),
    [
        ("StringEquals", "owned", ["owned"], True),
        ("StringEquals", "owned", ["Owned"], False),
        ("StringEquals", ["a", "owned"], ["owned"], True),
        ("StringNotEquals", "owned", ["shared"], True),
        ("StringNotEquals", ["a", "b"], ["b"], False),
        ("StringEqualsIgnoreCase", "owned", ["OWNED"], True),
        ("StringNotEqualsIgnoreCase", "owned", ["OWNED"], False),
        ("StringLike", "tr*e", ["true"], True),
        ("StringLike", "t?ue", ["true"], True),
        ("StringLike", "*", ["anything"], True),
        ("StringLike", "true", ["True"], False),
        ("StringNotLike", "prod-*", ["dev-1"], True),
        ("StringNotLike", "prod-*", ["prod-1"], False),
        ("ArnLike", "arn:aws:iam::*:role/x*", ["arn:aws:iam::1:role/xy"], True),
        ("ArnEquals", "arn:aws:iam::1:role/x", ["arn:aws:iam::1:role/y"], False),
        ("ArnNotLike", "arn:aws:iam::*:role/x*", ["arn:aws:iam::1:role/y"], True),
        ("Bool", "true", ["true"], True),
        ("Bool", True, ["false"], False),
        ("NumericLessThan", "10", ["3"], True),
        ("NumericGreaterThanEquals", "10", ["3"], False),
        ("NumericEquals", "3", ["x"], False),
    ],
)
def test_each_operator(operator: str, wanted: Any, values: list[str], holds: bool) -> None:
    assert condition_holds(operator, "k", wanted, {"k": values}) is holds


def test_a_missing_key_fails_a_condition_but_a_negated_one_holds() -> None:
    assert not condition_holds("StringEquals", "k", "v", {})
    assert not condition_holds("StringLike", "k", "*", {})
    assert not condition_holds("Bool", "k", "true", {})
    assert condition_holds("StringNotEquals", "k", "v", {})
    assert condition_holds("StringNotLike", "k", "v*", {})


def test_if_exists_holds_when_the_key_is_missing_and_tests_it_when_present() -> None:
    assert condition_holds("StringEqualsIfExists", "k", "v", {})
    assert condition_holds("StringEqualsIfExists", "k", "v", {"k": ["v"]})
    assert not condition_holds("StringEqualsIfExists", "k", "v", {"k": ["w"]})


def test_null_tests_presence() -> None:
    assert condition_holds("Null", "k", "true", {})
    assert not condition_holds("Null", "k", "true", {"k": ["v"]})
    assert condition_holds("Null", "k", "false", {"k": ["v"]})
    assert not condition_holds("Null", "k", "false", {})


def test_set_qualifiers() -> None:
    keys = {"aws:TagKeys": ["a", "b"]}
    assert condition_holds("ForAnyValue:StringEquals", "aws:TagKeys", ["b", "z"], keys)
    assert not condition_holds("ForAnyValue:StringEquals", "aws:TagKeys", ["z"], keys)
    assert not condition_holds("ForAllValues:StringEquals", "aws:TagKeys", ["a"], keys)
    assert condition_holds("ForAllValues:StringLike", "aws:TagKeys", ["*"], keys)
    # ForAllValues holds for a missing key, ForAnyValue does not
    assert condition_holds("ForAllValues:StringEquals", "aws:TagKeys", ["a"], {})
    assert not condition_holds("ForAnyValue:StringEquals", "aws:TagKeys", ["a"], {})


def test_condition_key_names_are_case_insensitive_values_are_not() -> None:
    assert condition_holds(
        "StringEquals", "AWS:RequestTag/Team", "x", {"aws:requesttag/team": ["x"]}
    )
    assert not condition_holds("StringEquals", "k", "X", {"k": ["x"]})


def test_an_allow_needs_every_condition_and_a_failed_one_is_not_a_deny() -> None:
    policy = _allow({"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}})
    assert _decide(policy, {"a": ["1"], "b": ["xy"]}) is Decision.ALLOW
    assert _decide(policy, {"a": ["1"], "b": ["y"]}) is Decision.IMPLICIT_DENY
    # a second policy's Allow still allows when the first one's condition fails
    other = _allow()
    assert evaluate([policy, other], "ec2:CreateTags", "x", {}) is Decision.ALLOW


def test_an_explicit_deny_wins() -> None:
    deny = {"Statement": {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}}
    assert evaluate([_allow(), deny], "ec2:CreateTags", "x", {}) is Decision.EXPLICIT_DENY
    scoped = {
        "Statement": {
            "Effect": "Deny",
            "Action": "ec2:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
        }
    }
    assert evaluate([_allow(), scoped], "ec2:CreateTags", "x", {}) is Decision.ALLOW
    prod = {"aws:ResourceTag/env": ["prod"]}
    assert evaluate([_allow(), scoped], "ec2:CreateTags", "x", prod) is Decision.EXPLICIT_DENY


def test_action_and_resource_matching() -> None:
    policy = _allow(Resource="arn:aws:ec2:*:*:volume/*", Action="EC2:Create*")
    assert _decide(policy) is Decision.ALLOW
    assert evaluate([policy], "ec2:CreateTags", "arn:aws:ec2:r:1:instance/i-1", {}) is (
        Decision.IMPLICIT_DENY
    )
    assert evaluate([policy], "ec2:DeleteTags", "arn:aws:ec2:r:1:volume/v", {}) is (
        Decision.IMPLICIT_DENY
    )
    not_action = {"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}
    assert _decide(not_action) is Decision.ALLOW
    assert evaluate([not_action], "iam:PassRole", "*", {}) is Decision.IMPLICIT_DENY
    not_resource = {"Statement": {"Effect": "Allow", "Action": "*", "NotResource": "*:volume/*"}}
    assert _decide(not_resource) is Decision.IMPLICIT_DENY


def test_an_unknown_operator_never_allows_and_always_denies() -> None:
    odd = {"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}
    assert _decide(_allow(odd), {"aws:CurrentTime": ["x"]}) is Decision.IMPLICIT_DENY
    deny = {"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": odd}}
    assert evaluate([_allow(), deny], "ec2:CreateTags", "x", {}) is Decision.EXPLICIT_DENY


def test_ec2_checks_name_the_volume_and_its_tags_and_tag_on_create() -> None:
    def arn(kind: str, ident: str | None) -> str:
        return f"arn:aws:ec2:r:1:{kind}/{ident or '*'}"

    def tags(ident: str) -> dict[str, str]:
        return {"ebs.csi.aws.com/cluster": "true"} if ident == "vol-1" else {}

    (delete,) = ec2_checks("DeleteVolume", {"VolumeId": ["vol-1"]}, arn, tags) or []
    assert delete.resource == "arn:aws:ec2:r:1:volume/vol-1"
    assert delete.context["ec2:ResourceTag/ebs.csi.aws.com/cluster"] == ["true"]
    params = {
        "TagSpecification.1.ResourceType": ["volume"],
        "TagSpecification.1.Tag.1.Key": ["CSIVolumeName"],
        "TagSpecification.1.Tag.1.Value": ["pvc-1"],
    }
    create, tag = ec2_checks("CreateVolume", params, arn, tags) or []
    assert create.context["aws:RequestTag/CSIVolumeName"] == ["pvc-1"]
    assert create.context["aws:TagKeys"] == ["CSIVolumeName"]
    assert (tag.action, tag.context["ec2:CreateAction"]) == ("ec2:CreateTags", ["CreateVolume"])
    (untagged,) = ec2_checks("CreateVolume", {}, arn, tags) or []
    assert "aws:TagKeys" not in untagged.context


def test_elbv2_checks_add_tags_per_resource_with_its_tags() -> None:
    params = {
        "ResourceArns.member.1": [ARN],
        "Tags.member.1.Key": ["team"],
        "Tags.member.1.Value": ["a"],
    }
    (check,) = (
        elbv2_checks(
            "AddTags",
            params,
            "arn:aws:elasticloadbalancing:r:1:",
            lambda a: {"elbv2.k8s.aws/cluster": "demo"},
        )
        or []
    )
    assert check.resource == ARN
    assert check.context["aws:RequestTag/team"] == ["a"]
    assert check.context["elasticloadbalancing:ResourceTag/elbv2.k8s.aws/cluster"] == ["demo"]
    create = (
        elbv2_checks(
            "CreateLoadBalancer",
            {"Name": ["web"], "Tags.member.1.Key": ["k"], "Tags.member.1.Value": ["v"]},
            "arn:aws:elasticloadbalancing:r:1:",
            lambda a: {},
        )
        or []
    )
    assert [c.action for c in create] == [
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:AddTags",
    ]
    assert create[0].resource == "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/web/*"


def test_autoscaling_checks_name_the_group_and_its_tags() -> None:
    class Group:
        arn = "arn:aws:autoscaling:r:1:autoScalingGroup:u:autoScalingGroupName/ng"
        tags = [{"Key": "k8s.io/cluster-autoscaler/demo", "Value": "owned"}]

    (check,) = (
        autoscaling_checks(
            "SetDesiredCapacity", {"AutoScalingGroupName": ["ng"]}, lambda **_: Group()
        )
        or []
    )
    assert check.resource == Group.arn
    assert check.context["autoscaling:ResourceTag/k8s.io/cluster-autoscaler/demo"] == ["owned"]


def test_ec2_create_tags_is_checked_on_each_resource_named() -> None:
    def arn(kind: str, ident: str | None) -> str:
        return f"arn:aws:ec2:r:1:{kind}/{ident or '*'}"

    params = {
        "ResourceId.1": ["sg-1"],
        "ResourceId.2": ["vol-2"],
        "Tag.1.Key": ["elbv2.k8s.aws/cluster"],
        "Tag.1.Value": ["demo"],
    }
    checks = ec2_checks("CreateTags", params, arn, lambda ident: {"owner": ident}) or []
    assert [c.resource for c in checks] == [
        "arn:aws:ec2:r:1:security-group/sg-1",
        "arn:aws:ec2:r:1:volume/vol-2",
    ]
    assert checks[1].context["ec2:ResourceTag/owner"] == ["vol-2"]
    assert checks[0].context["aws:RequestTag/elbv2.k8s.aws/cluster"] == ["demo"]
    # a resource kind it does not know leaves the request to moto's resource
    assert ec2_checks("CreateTags", {"ResourceId.1": ["igw-1"]}, arn, dict) is None


def test_weft_s_autoscaler_policy_resizes_only_the_cluster_s_own_groups() -> None:
    group = "arn:aws:autoscaling:r:1:autoScalingGroup:u:autoScalingGroupName/eks-g"
    policy = autoscaler_policy("shop")

    def decide(action: str, tags: dict[str, str]) -> Decision:
        return evaluate([policy], action, group, tag_context(None, tags, "autoscaling"))

    ours = {"k8s.io/cluster-autoscaler/shop": "owned"}
    for action in ("SetDesiredCapacity", "TerminateInstanceInAutoScalingGroup"):
        assert decide(f"autoscaling:{action}", ours) == Decision.ALLOW
    assert decide("autoscaling:SetDesiredCapacity", {"k8s.io/cluster-autoscaler/o": "owned"}) == (
        Decision.IMPLICIT_DENY
    )
    assert decide("autoscaling:SetDesiredCapacity", {}) == Decision.IMPLICIT_DENY
