"""EKS Fargate profiles: which pods (namespace and labels) run on Fargate, in which subnets.

Nothing but the tags can change in place. EKS creates or deletes one profile at a time per
cluster and answers ResourceInUseException meanwhile ("Fargate Profile creation or deletion is
already in progress"; see the EKS API reference for CreateFargateProfile). So a create or a
delete first waits, reporting progress, until no other profile of the cluster is CREATING or
DELETING: a healthy wait, which the executor's retry deadline does not count, so five profiles
in a row take as long as EKS needs. Two profiles that start at the same moment may still collide;
ResourceInUseException is temporary (:mod:`weft.aws.errors`) and the executor retries the loser,
whose next attempt waits its turn. How profiles are found and waited on: :mod:`.eks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.aws.context import AwsContext
from weft.aws.drivers import eks, kit, pagination
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed, Resource

KIND = "eks_fargate_profile"
#: The states in which a profile keeps EKS from creating or deleting another in its cluster.
BUSY = frozenset({"CREATING", "DELETING"})


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
    #: Seconds between two looks at the other profiles while one of them is busy.
    turn_interval = 10.0

    def busy_sibling(self, ctx: AwsContext, cluster: str, name: str) -> str | None:
        """Another profile of ``cluster`` that EKS is creating or deleting, as "NAME STATUS"."""
        for other in pagination.items(
            ctx.client("eks"), self.api.op("list"), self.api.list_key, clusterName=cluster
        ):
            if other == name:
                continue
            item = self.describe_child(ctx, cluster, other)
            if item is not None and item.get("status") in BUSY:
                return f"{other} {item['status']}"
        return None

    def wait_turn(self, ctx: AwsContext, props: Mapping[str, Any]) -> None:
        """Wait until EKS can take this profile: no other in its cluster creating or deleting."""
        cluster, name = str(props["cluster_name"]), self.name_of(props)

        def check() -> bool | str:
            busy = self.busy_sibling(ctx, cluster, name)
            return True if busy is None else f"Fargate profile {busy}"

        wait_until(
            ctx,
            f"cluster {cluster} to finish its other Fargate profile (EKS does one at a time)",
            check,
            timeout=self.timeout,
            interval=self.turn_interval,
            max_interval=self.turn_interval,
        )

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

    def remove(self, ctx: AwsContext, props: Mapping[str, Any]) -> None:
        self.wait_turn(ctx, props)
        super().remove(ctx, props)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        self.wait_turn(ctx, props)
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
