"""ELBv2 target groups tagged for the fabric or its cluster, in the fabric's VPCs.

The load balancers whose listeners use a target group refer to it (their ``target_group_arns``),
so it is deleted after them; its own list of load balancers is an output, not a reference.
"""

from __future__ import annotations

from weft.aws.context import AwsContext
from weft.aws.drivers import pagination
from weft.aws.sweep.base import Sweeper, elbv2_tags
from weft.core.resource import KindSchema, Observed

KIND = "elbv2_target_group"


class TargetGroupSweeper(Sweeper):
    schema = KindSchema(kind=KIND)
    noun = "target group"

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        client = ctx.client("elbv2")
        groups = [
            tg
            for tg in pagination.items(client, "describe_target_groups", "TargetGroups")
            if self.scope.in_vpc(tg.get("VpcId"))
        ]

        tags = elbv2_tags(client, [tg["TargetGroupArn"] for tg in groups])
        found = []
        for tg in groups:
            arn = tg["TargetGroupArn"]
            why = self.scope.claim(tags.get(arn, {}))
            if why is None:
                continue
            found.append(
                Observed(
                    kind=KIND,
                    name=tg["TargetGroupName"],
                    id=arn,
                    props={"vpc_id": tg.get("VpcId"), "why": why},
                    outputs={"load_balancer_arns": sorted(tg.get("LoadBalancerArns") or [])},
                )
            )
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("elbv2").delete_target_group(TargetGroupArn=observed.id)
