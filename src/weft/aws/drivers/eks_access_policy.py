"""EKS access policy associations: what an access entry's principal may do in the cluster.

One association is one EKS access policy (``policy_arn``, e.g.
``arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy``) over the whole cluster
(``namespaces`` empty) or over the listed namespaces. AssociateAccessPolicy of a policy already
associated replaces its scope, so ``namespaces`` change in place; another policy is another
association.

Not a driver of the kit's tagged kind: associations have no tags. They are found on this
fabric's access entries (:func:`.eks_access_entry.fabric_entries`), each named after its entry
and its policy (:func:`association_name`), which is the name the model gives them: an
association that someone else added to one of weft's entries is reported too, and goes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from weft.aws.context import AwsContext
from weft.aws.drivers import eks_access_entry, kit, pagination, presence
from weft.core.resource import KindSchema, Observed, Resource

KIND = "eks_access_policy"
POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"


def policy_arn(name: str) -> str:
    """The ARN of the EKS access policy ``name`` (AmazonEKSViewPolicy...)."""
    return POLICY_PREFIX + name


def association_name(entry_name: str, policy: str) -> str:
    """The logical name of the association of ``policy`` (its ARN) to the entry
    ``entry_name``: ``dev-1a2b3c-view`` for AmazonEKSViewPolicy."""
    short = policy.rsplit("/", 1)[-1].removeprefix("AmazonEKS").removesuffix("Policy")
    return f"{entry_name}-{re.sub(r'(?<!^)(?=[A-Z])', '-', short).lower()}"


def _scope(namespaces: list[str]) -> dict[str, Any]:
    if namespaces:
        return {"type": "namespace", "namespaces": list(namespaces)}
    return {"type": "cluster"}


class EksAccessPolicyDriver(kit.DriverBase):
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"cluster_name", "principal_arn", "policy_arn"}),
        updatable=frozenset({"namespaces"}),
        unordered=frozenset({"namespaces"}),
        # not taggable in AWS: owned through its access entry
        ignored=frozenset({"tags"}),
        shown=("principal_arn", "policy_arn", "namespaces"),
    )

    def _observe(
        self, name: str, cluster: str, principal: str, item: Mapping[str, Any]
    ) -> Observed:
        scope = item.get("accessScope") or {}
        policy = str(item["policyArn"])
        props = {
            "cluster_name": cluster,
            "principal_arn": principal,
            "policy_arn": policy,
            "namespaces": list(scope.get("namespaces") or [])
            if scope.get("type") == "namespace"
            else [],
        }
        return self.observed(name, f"{principal}#{policy}", props, {"policy_arn": policy})

    def discover(self, ctx: AwsContext) -> list[Observed]:
        found = []
        for entry_name, entry in eks_access_entry.fabric_entries(ctx):
            cluster, principal = entry["clusterName"], entry["principalArn"]
            for item in pagination.items(
                ctx.client("eks"),
                "list_associated_access_policies",
                "associatedAccessPolicies",
                clusterName=cluster,
                principalArn=principal,
            ):
                name = association_name(entry_name, str(item["policyArn"]))
                found.append(self._observe(name, cluster, principal, item))
        return found

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        answer = ctx.client("eks").associate_access_policy(
            clusterName=props["cluster_name"],
            principalArn=props["principal_arn"],
            policyArn=props["policy_arn"],
            accessScope=_scope(list(props["namespaces"])),
        )
        return self._observe(
            resource.name,
            props["cluster_name"],
            props["principal_arn"],
            answer["associatedAccessPolicy"],
        )

    def change(self, edit: kit.Edit) -> Observed:
        # associating the policy again replaces its scope
        return self.create(edit.ctx, edit.resource, edit.props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        presence.if_found(
            ctx.client("eks").disassociate_access_policy,
            clusterName=observed.props["cluster_name"],
            principalArn=observed.props["principal_arn"],
            policyArn=observed.props["policy_arn"],
        )


DRIVER = EksAccessPolicyDriver()
