"""Network interfaces tagged for the fabric or its cluster, in the fabric's VPCs.

The VPC CNI tags the interfaces it makes ``cluster.k8s.amazonaws.com/name``; when its node goes
before it can clean up, they stay ``available`` and keep their subnet from being deleted. Only
detached (``available``) interfaces are swept: an attached one goes with what holds it.
"""

from __future__ import annotations

from weft.aws.context import AwsContext
from weft.aws.sweep.base import Sweeper, raw_tags
from weft.aws.sweep.security_group import describe
from weft.core.resource import KindSchema, Observed

KIND = "ec2_network_interface"
INTERFACE_ID = "NetworkInterfaceId"


class NetworkInterfaceSweeper(Sweeper):
    schema = KindSchema(kind=KIND)
    noun = "network interface"

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        found = []
        interfaces = describe(
            ctx, self.scope, "describe_network_interfaces", "NetworkInterfaces", INTERFACE_ID
        )
        for eni in interfaces:
            why = self.scope.claim(raw_tags(eni.get("TagSet")))
            if why is None or not self.scope.in_vpc(eni.get("VpcId")):
                continue
            status = str(eni.get("Status", "in-use"))
            if not everything and status != "available":
                continue
            found.append(
                Observed(
                    kind=KIND,
                    name=eni["NetworkInterfaceId"],
                    id=eni["NetworkInterfaceId"],
                    props={
                        "vpc_id": eni.get("VpcId"),
                        "subnet_id": eni.get("SubnetId"),
                        "security_group_ids": sorted(g["GroupId"] for g in eni.get("Groups", [])),
                        "why": why,
                    },
                    state=status,
                )
            )
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_network_interface(NetworkInterfaceId=observed.id)
