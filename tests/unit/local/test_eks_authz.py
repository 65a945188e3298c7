"""The local EKS authorizer's rules (weft.local.eks_authz): what each access policy allows,
where its scope reaches."""

from __future__ import annotations

from typing import Any

from weft.local import eks_auth, eks_authz


def spec(groups: list[str], verb: str, resource: str, namespace: str = "", **kw: Any) -> Any:
    return {
        "user": "arn:aws:sts::123456789012:assumed-role/dev/s",
        "groups": groups,
        "resourceAttributes": {"verb": verb, "resource": resource, "namespace": namespace, **kw},
    }


def test_a_namespace_scope_reaches_its_namespaces_only() -> None:
    view = [eks_authz.policy_group("AmazonEKSViewPolicy", "web")]
    assert eks_authz.decide(spec(view, "list", "pods", "web"))[0]
    assert not eks_authz.decide(spec(view, "list", "pods", "jobs"))[0]
    assert not eks_authz.decide(spec(view, "list", "pods"))[0]  # every namespace
    assert eks_authz.decide(spec(view, "get", "namespaces", name="web"))[0]
    assert not eks_authz.decide(spec(view, "list", "namespaces"))[0]


def test_view_reads_no_secrets_and_writes_nothing_edit_writes_admin_binds() -> None:
    view = [eks_authz.policy_group("AmazonEKSViewPolicy")]
    assert not eks_authz.decide(spec(view, "get", "secrets", "web"))[0]
    assert not eks_authz.decide(spec(view, "create", "configmaps", "web"))[0]
    assert not eks_authz.decide(spec(view, "list", "nodes"))[0]
    edit = [eks_authz.policy_group("AmazonEKSEditPolicy")]
    assert eks_authz.decide(spec(edit, "create", "deployments", "web", group="apps"))[0]
    assert eks_authz.decide(spec(edit, "get", "secrets", "web"))[0]
    assert not eks_authz.decide(
        spec(edit, "create", "rolebindings", "web", group="rbac.authorization.k8s.io")
    )[0]
    admin = [eks_authz.policy_group("AmazonEKSAdminPolicy", "web")]
    assert eks_authz.decide(
        spec(admin, "create", "rolebindings", "web", group="rbac.authorization.k8s.io")
    )[0]


def test_groups_come_only_from_associations_and_the_entry() -> None:
    """A user-chosen group cannot pose as a policy: EKS refuses system: groups in entries."""
    assert not eks_authz.decide(spec(["eks-access:AmazonEKSEditPolicy"], "list", "pods", "web"))[0]
    entry = {
        "kubernetesGroups": ["devs"],
        "associatedAccessPolicies": [
            {
                "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                "accessScope": {"type": "namespace", "namespaces": ["web", "jobs"]},
            }
        ],
    }
    assert eks_auth.groups_of([entry]) == [
        "devs",
        eks_authz.policy_group("AmazonEKSViewPolicy", "jobs"),
        eks_authz.policy_group("AmazonEKSViewPolicy", "web"),
        "system:authenticated",
    ]
    admin = {
        "associatedAccessPolicies": [
            {
                "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                "accessScope": {"type": "cluster"},
            }
        ]
    }
    assert "system:masters" in eks_auth.groups_of([admin])
