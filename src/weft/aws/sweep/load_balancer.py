"""ELBv2 load balancers (application and network) tagged for the fabric or its cluster.

The AWS Load Balancer Controller tags each one ``elbv2.k8s.aws/cluster``, ``service.k8s.aws/stack``
(or ``ingress.k8s.aws/stack``) and ``kubernetes.io/cluster/<cluster>``. Found with one paginated
describe (kept when in the fabric's VPCs) and their tags read 20 at a time. Deleting one deletes
its listeners; the delete waits until it is gone, so its target groups and security groups can go
(it refers to both, so the executor deletes it before them).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.drivers import pagination
from weft.aws.sweep.base import Sweeper, elbv2_tags
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed

KIND = "elbv2_load_balancer"
TIMEOUT = 10 * 60.0


class LoadBalancerSweeper(Sweeper):
    schema = KindSchema(kind=KIND)
    noun = "load balancer"

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        client = ctx.client("elbv2")
        balancers = [
            lb
            for lb in pagination.items(client, "describe_load_balancers", "LoadBalancers")
            if self.scope.in_vpc(lb.get("VpcId"))
        ]

        tags = elbv2_tags(client, [lb["LoadBalancerArn"] for lb in balancers])
        # A load balancer's listeners use its target groups: it goes first (it refers to them).
        groups: dict[str, list[str]] = {}
        if balancers:
            for tg in pagination.items(client, "describe_target_groups", "TargetGroups"):
                for arn in tg.get("LoadBalancerArns") or []:
                    groups.setdefault(arn, []).append(tg["TargetGroupArn"])
        found = []
        for lb in balancers:
            arn = lb["LoadBalancerArn"]
            why = self.scope.claim(tags.get(arn, {}))
            if why is None:
                continue
            found.append(
                Observed(
                    kind=KIND,
                    name=lb["LoadBalancerName"],
                    id=arn,
                    props={
                        "type": lb.get("Type"),
                        "vpc_id": lb.get("VpcId"),
                        "subnet_ids": sorted(
                            z["SubnetId"]
                            for z in lb.get("AvailabilityZones", [])
                            if "SubnetId" in z
                        ),
                        "security_group_ids": sorted(lb.get("SecurityGroups") or []),
                        "target_group_arns": sorted(groups.get(arn, [])),
                        "why": why,
                    },
                    outputs={"dns_name": lb.get("DNSName")},
                    state=str((lb.get("State") or {}).get("Code", "active")),
                )
            )
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("elbv2")
        client.delete_load_balancer(LoadBalancerArn=observed.id)

        def gone() -> bool | str:
            try:
                found = client.describe_load_balancers(LoadBalancerArns=[observed.id])
            except ClientError as exc:
                if errors.is_not_found(exc):
                    return True
                raise
            balancers: list[dict[str, Any]] = found.get("LoadBalancers") or []
            return True if not balancers else str(balancers[0].get("State", {}).get("Code"))

        wait_until(
            ctx, f"load balancer {observed.name} to be deleted", gone, timeout=TIMEOUT, interval=2.0
        )
