"""EKS Fargate profiles: which pods (namespace and labels) run on Fargate, in which subnets.

Nothing but the tags can change in place. EKS creates or deletes one profile at a time per
cluster and answers ResourceInUseException meanwhile, which :mod:`weft.aws.errors` treats as
temporary (the executor retries). How profiles are found and waited on: :mod:`.eks`.
"""

from __future__ import annotations

from typing import Any

from weft.aws.context import AwsContext
from weft.aws.drivers import eks, kit
from weft.core.resource import KindSchema, Observed, Resource

KIND = "eks_fargate_profile"


class EksFargateProfileDriver(eks.EksChildDriver):
    setters = (eks.TAGS,)
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset(
            {"cluster_name", "profile_name", "pod_execution_role_arn", "subnet_ids", "selectors"}
        ),
        unordered=frozenset({"subnet_ids", "selectors"}),
        updatable=kit.covered(setters),
        shown=("selectors",),
    )
    noun = "Fargate profile"
    api = eks.ChildApi("fargate_profile", "fargateProfileNames", "fargateProfileName")
    name_prop = "profile_name"

    def observe(self, ctx: AwsContext, name: str, item: eks.Item) -> Observed:
        props = {
            "cluster_name": item["clusterName"],
            "profile_name": item["fargateProfileName"],
            "pod_execution_role_arn": item.get("podExecutionRoleArn"),
            "subnet_ids": list(item.get("subnets") or []),
            "selectors": [
                {"namespace": s.get("namespace"), "labels": dict(s.get("labels") or {})}
                for s in item.get("selectors") or []
            ],
            "tags": eks.tags_of(item),
        }
        outputs = {"arn": item.get("fargateProfileArn")}
        state = str(item.get("status", "ACTIVE")).lower()
        return self.observed(name, item["fargateProfileName"], props, outputs, state=state)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        ctx.client("eks").create_fargate_profile(
            clusterName=props["cluster_name"],
            fargateProfileName=props["profile_name"],
            podExecutionRoleArn=props["pod_execution_role_arn"],
            subnets=list(props["subnet_ids"]),
            selectors=[
                {
                    "namespace": s["namespace"],
                    **({"labels": dict(s["labels"])} if s["labels"] else {}),
                }
                for s in props["selectors"]
            ],
            tags=eks.eks_tags(props["tags"]),
            clientRequestToken=ctx.token(resource.address),
        )
        return self.observe(ctx, resource.name, self.wait_for(ctx, resource.address, props))


DRIVER = EksFargateProfileDriver()
