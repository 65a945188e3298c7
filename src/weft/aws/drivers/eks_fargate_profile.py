"""EKS Fargate profiles: which pods (namespace and labels) run on Fargate, in which subnets.

Nothing but the tags can change in place. EKS creates or deletes one profile at a time per
cluster and answers ResourceInUseException meanwhile, which :mod:`weft.aws.errors` treats as
temporary (the executor retries).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, eks_cluster, pagination
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError, TemporaryError

KIND = "eks_fargate_profile"
CREATE_TIMEOUT = 1200.0
DELETE_TIMEOUT = 1200.0
_GONE = frozenset({"DELETING"})


def _describe(ctx: AwsContext, cluster: str, profile: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = ctx.client("eks").describe_fargate_profile(
            clusterName=cluster, fargateProfileName=profile
        )["fargateProfile"]
    except ClientError as exc:
        if errors.is_not_found(exc):
            return None
        raise
    return found


def _observed(name: str, profile: Mapping[str, Any]) -> Observed:
    status = str(profile.get("status", "ACTIVE"))
    props = {
        "cluster_name": profile["clusterName"],
        "profile_name": profile["fargateProfileName"],
        "pod_execution_role_arn": profile.get("podExecutionRoleArn"),
        "subnet_ids": list(profile.get("subnets") or []),
        "selectors": [
            {"namespace": s.get("namespace"), "labels": dict(s.get("labels") or {})}
            for s in profile.get("selectors") or []
        ],
        "tags": eks_cluster.tags_of(profile),
    }
    return Observed(
        kind=KIND,
        name=name,
        id=profile["fargateProfileName"],
        props=props,
        outputs={"arn": profile.get("fargateProfileArn")},
        state=status.lower(),
    )


class EksFargateProfileDriver:
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset(
            {"cluster_name", "profile_name", "pod_execution_role_arn", "subnet_ids", "selectors"}
        ),
        unordered=frozenset({"subnet_ids", "selectors"}),
    )

    def discover(self, ctx: AwsContext) -> list[Observed]:
        eks = ctx.client("eks")
        found = []
        for cluster in eks_cluster.fabric_clusters(ctx):
            for profile_name in pagination.items(
                eks, "list_fargate_profiles", "fargateProfileNames", clusterName=cluster["name"]
            ):
                profile = _describe(ctx, cluster["name"], profile_name)
                if profile is None or profile.get("status") in _GONE:
                    continue
                tags = eks_cluster.tags_of(profile)
                name = tagging.name_from_id_tag(tags, KIND)
                if name is not None and eks_cluster.is_ours(ctx, tags):
                    found.append(_observed(name, profile))
        return found

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        cluster, profile_name = props["cluster_name"], props["profile_name"]
        existing = _describe(ctx, cluster, profile_name)
        if existing is not None:
            return self._adopt(ctx, resource, props, existing)
        ctx.client("eks").create_fargate_profile(
            clusterName=cluster,
            fargateProfileName=profile_name,
            podExecutionRoleArn=props["pod_execution_role_arn"],
            subnets=list(props["subnet_ids"]),
            selectors=[
                {
                    "namespace": s["namespace"],
                    **({"labels": dict(s["labels"])} if s["labels"] else {}),
                }
                for s in props["selectors"]
            ],
            tags=eks_cluster.eks_tags(props["tags"]),
            clientRequestToken=ctx.token(resource.address),
        )
        profile = self._wait_active(ctx, resource.address, cluster, profile_name)
        return _observed(resource.name, profile)

    def _adopt(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        existing: dict[str, Any],
    ) -> Observed:
        tags = eks_cluster.tags_of(existing)
        profile_name = props["profile_name"]
        if not eks_cluster.is_ours(ctx, tags) or tags.get(tagging.ID_TAG) != resource.address:
            raise PermanentError(
                f"a Fargate profile named {profile_name} already exists in cluster "
                f"{props['cluster_name']} and is not this one",
                address=resource.address,
                hint="delete that profile, or rename this one in the fabric file",
            )
        if existing.get("status") in _GONE:
            raise TemporaryError(
                f"the previous Fargate profile {profile_name} is still being deleted",
                address=resource.address,
            )
        profile = self._wait_active(ctx, resource.address, props["cluster_name"], profile_name)
        adopted = adoption.adopt(self, ctx, resource, props, [_observed(resource.name, profile)])
        if adopted is None:
            raise PermanentError(
                f"the Fargate profile {profile_name} exists with other settings, and EKS "
                "cannot change a profile in place",
                address=resource.address,
            )
        return adopted

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        if "tags" in changed:
            eks_cluster.update_tags(
                ctx, observed.outputs["arn"], observed.props.get("tags", {}), props["tags"]
            )
        return Observed(
            kind=KIND,
            name=resource.name,
            id=observed.id,
            props=props,
            outputs={"arn": observed.outputs.get("arn")},
            state=observed.state,
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        cluster, profile_name = observed.props["cluster_name"], observed.id
        ctx.client("eks").delete_fargate_profile(
            clusterName=cluster, fargateProfileName=profile_name
        )
        eks_cluster.wait_status(
            ctx,
            observed.address,
            f"Fargate profile {profile_name}",
            lambda: _describe(ctx, cluster, profile_name),
            want=None,
            failed=frozenset({"DELETE_FAILED"}),
            timeout=DELETE_TIMEOUT,
        )

    @staticmethod
    def _wait_active(
        ctx: AwsContext, address: str, cluster: str, profile_name: str
    ) -> dict[str, Any]:
        profile = eks_cluster.wait_status(
            ctx,
            address,
            f"Fargate profile {profile_name}",
            lambda: _describe(ctx, cluster, profile_name),
            want="ACTIVE",
            failed=frozenset({"CREATE_FAILED", "DELETING", "DELETE_FAILED"}),
            timeout=CREATE_TIMEOUT,
        )
        assert profile is not None
        return profile


DRIVER = EksFargateProfileDriver()
