"""The local EKS's Pod Identity rules, pure: the names EKS takes, and the trust a Pod Identity
role needs (``pods.eks.amazonaws.com`` allowed ``sts:AssumeRole`` and ``sts:TagSession``)."""

from __future__ import annotations

from typing import Any

import pytest

from weft.local.moto_eks.pod_identity import names_problem, trust_allows_pods


@pytest.mark.parametrize(
    ("namespace", "service_account"),
    [("kube-system", "aws-load-balancer-controller"), ("web", "api.v1"), ("a" * 63, "b")],
)
def test_kubernetes_names_are_taken(namespace: str, service_account: str) -> None:
    assert names_problem(namespace, service_account) is None


@pytest.mark.parametrize(
    ("namespace", "service_account"),
    [
        ("Web", "api"),
        ("web-", "api"),
        ("a" * 64, "api"),
        ("", "api"),
        ("web", "api_v1"),
        ("web", ".api"),
        ("web", "a" * 254),
        ("web", ""),
    ],
)
def test_other_names_are_refused(namespace: str, service_account: str) -> None:
    assert names_problem(namespace, service_account)


def _trust(**statement: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                **statement,
            }
        ],
    }


def test_the_documented_trust_is_enough() -> None:
    assert trust_allows_pods(_trust())
    assert trust_allows_pods(_trust(Action="sts:*"))
    assert trust_allows_pods(
        _trust(Principal={"Service": ["ec2.amazonaws.com", "pods.eks.amazonaws.com"]})
    )


@pytest.mark.parametrize(
    "statement",
    [
        {"Action": "sts:AssumeRole"},  # no TagSession: EKS tags every session
        {"Action": ["sts:AssumeRoleWithWebIdentity"]},
        {"Principal": {"Service": "ec2.amazonaws.com"}},
        {"Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/x"}},
        {"Effect": "Deny"},
        {"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}},
    ],
)
def test_a_trust_without_both_actions_for_pods_eks_is_not(statement: dict[str, Any]) -> None:
    assert not trust_allows_pods(_trust(**statement))


def test_a_denial_wins_even_one_with_a_condition() -> None:
    trust = _trust()
    denial = {**trust["Statement"][0], "Effect": "Deny", "Action": "sts:TagSession"}
    assert not trust_allows_pods({**trust, "Statement": [*trust["Statement"], denial]})
    conditional = {**denial, "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}
    assert not trust_allows_pods({**trust, "Statement": [*trust["Statement"], conditional]})
