"""Role trust policies read as AWS reads them (:mod:`weft.local.trust`): an explicit ``Deny``
overrides every allow, with or without a condition, and an ``Allow`` counts only when its
conditions hold. moto's own engine takes a ``Deny`` without a ``Resource`` for an allow."""

from __future__ import annotations

from typing import Any

import pytest

from weft.local.moto_eks.pod_identity import trust_allows_pods
from weft.local.moto_flow_logs import service_may_assume
from weft.local.moto_irsa import trust_allows as irsa_trust_allows
from weft.local.trust import trust_allows

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-2.amazonaws.com/id/ABC"
HOST = "oidc.eks.us-east-2.amazonaws.com/id/ABC"
VALUES = {f"{HOST}:sub": "system:serviceaccount:shop:web", f"{HOST}:aud": "sts.amazonaws.com"}


def _allow(**extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": dict(VALUES)},
        **extra,
    }


def _trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_the_irsa_trust_allows_its_service_account() -> None:
    assert irsa_trust_allows(_trust(_allow()), PROVIDER, VALUES)
    other = {**VALUES, f"{HOST}:sub": "system:serviceaccount:shop:api"}
    assert not irsa_trust_allows(_trust(_allow()), PROVIDER, other)


@pytest.mark.parametrize(
    "deny",
    [
        {"Principal": {"Federated": PROVIDER}},
        {"Principal": {"Federated": [PROVIDER]}, "Action": "sts:*"},
        {"Principal": "*"},
        {"Principal": {"AWS": "*"}},
        {"NotPrincipal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/other"}},
        {"Principal": {"Federated": PROVIDER}, "Action": "STS:assumerolewithwebidentity"},
        # a conditional Deny is refused whatever its condition: never allow what AWS might not
        {
            "Principal": {"Federated": PROVIDER},
            "Condition": {"StringEquals": {f"{HOST}:sub": "system:serviceaccount:x:y"}},
        },
        {
            "Principal": {"Federated": PROVIDER},
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        },
    ],
)
def test_an_explicit_deny_overrides_the_allow(deny: dict[str, Any]) -> None:
    statement = {"Effect": "Deny", "Action": "sts:AssumeRoleWithWebIdentity", **deny}
    assert not irsa_trust_allows(_trust(_allow(), statement), PROVIDER, VALUES)


def test_a_deny_for_another_principal_or_action_does_not() -> None:
    others = [
        {
            "Effect": "Deny",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/other"},
            "Action": "sts:AssumeRoleWithWebIdentity",
        },
        {"Effect": "Deny", "Principal": {"Federated": PROVIDER}, "Action": "sts:TagSession"},
    ]
    assert irsa_trust_allows(_trust(_allow(), *others), PROVIDER, VALUES)


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEqualsIfExists": dict(VALUES)},
        {"ForAnyValue:StringEquals": dict(VALUES)},
        {"StringEquals": {"aws:SourceIp": "10.0.0.1"}},  # a key the request does not carry
        {"NumericEquals": {f"{HOST}:sub": "1"}},
    ],
)
def test_a_condition_that_is_not_evaluated_is_unmet(condition: dict[str, Any]) -> None:
    assert not irsa_trust_allows(_trust(_allow(Condition=condition)), PROVIDER, VALUES)


def test_one_unmet_allow_does_not_hide_another_that_holds() -> None:
    unmet = _allow(Condition={"StringEquals": {f"{HOST}:sub": "system:serviceaccount:x:y"}})
    assert irsa_trust_allows(_trust(unmet, _allow()), PROVIDER, VALUES)


def test_string_like_takes_iam_wildcards_only() -> None:
    like = {"StringLike": {f"{HOST}:sub": "system:serviceaccount:shop:*"}}
    assert irsa_trust_allows(_trust(_allow(Condition=like)), PROVIDER, VALUES)
    brackets = {"StringLike": {f"{HOST}:sub": "system:serviceaccount:[s]hop:web"}}
    assert not irsa_trust_allows(_trust(_allow(Condition=brackets)), PROVIDER, VALUES)


def test_every_trust_check_refuses_a_deny() -> None:
    pods = {
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    assert trust_allows_pods(_trust(pods))
    assert not trust_allows_pods(
        _trust(pods, {**pods, "Effect": "Deny", "Action": "sts:TagSession"})
    )
    logs = {
        "Effect": "Allow",
        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    context = {"aws:SourceAccount": "123456789012"}
    assert service_may_assume(_trust(logs), context)
    assert not service_may_assume(_trust(logs, {**logs, "Effect": "Deny"}), context)


def test_nothing_is_allowed_without_an_allow() -> None:
    assert not trust_allows({}, kind="Service", principal="x", actions=["sts:AssumeRole"])
    assert not trust_allows(_trust(_allow()), kind="Federated", principal=PROVIDER, actions=[])
