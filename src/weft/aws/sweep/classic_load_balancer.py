"""Classic load balancers tagged for the fabric or its cluster (the in-tree cloud provider's).

Kubernetes' built-in AWS cloud provider makes one per Service of type LoadBalancer (when the AWS
Load Balancer Controller does not handle it), tagged ``kubernetes.io/cluster/<cluster>``, with a
security group ``k8s-elb-<name>`` of its own. Found with one paginated describe (kept when in the
fabric's VPCs), their tags read 20 at a time. Its id is its ARN (the API names it by name).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.drivers import pagination
from weft.aws.sweep.base import Sweeper, partition, raw_tags, tags_in_batches
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed

KIND = "elb_load_balancer"
TIMEOUT = 10 * 60.0


class ClassicLoadBalancerSweeper(Sweeper):
    schema = KindSchema(kind=KIND)
    noun = "classic load balancer"

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        client = ctx.client("elb")
        balancers = [
            lb
            for lb in pagination.items(
                client, "describe_load_balancers", "LoadBalancerDescriptions"
            )
            if self.scope.in_vpc(lb.get("VPCId"))
        ]

        def read(names: list[str]) -> list[tuple[str, dict[str, str]]]:
            answer = client.describe_tags(LoadBalancerNames=names)
            return [
                (d["LoadBalancerName"], raw_tags(d.get("Tags"))) for d in answer["TagDescriptions"]
            ]

        tags = tags_in_batches([lb["LoadBalancerName"] for lb in balancers], read)
        found = []
        for lb in balancers:
            name = lb["LoadBalancerName"]
            why = self.scope.claim(tags.get(name, {}))
            if why is None:
                continue
            found.append(
                Observed(
                    kind=KIND,
                    name=name,
                    id=(
                        f"arn:{partition(ctx.region)}:elasticloadbalancing:{ctx.region}:"
                        f"{ctx.account_id}:loadbalancer/{name}"
                    ),
                    props={
                        "vpc_id": lb.get("VPCId"),
                        "subnet_ids": sorted(lb.get("Subnets") or []),
                        "security_group_ids": sorted(lb.get("SecurityGroups") or []),
                        "why": why,
                    },
                    outputs={"dns_name": lb.get("DNSName")},
                )
            )
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("elb")
        client.delete_load_balancer(LoadBalancerName=observed.name)

        def gone() -> bool | str:
            try:
                client.describe_load_balancers(LoadBalancerNames=[observed.name])
            except ClientError as exc:
                if errors.is_not_found(exc):
                    return True
                raise
            return "deleting"

        wait_until(
            ctx, f"load balancer {observed.name} to be deleted", gone, timeout=TIMEOUT, interval=2.0
        )
