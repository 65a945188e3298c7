"""NAT gateways: one per zone, each in a public subnet with its own Elastic IP.

A gateway is waited on until ``available`` whether it is new or left by an earlier attempt.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "nat_gateway"
_WAIT = {"timeout": 600.0, "interval": 5.0}
_LIVE = {"Name": "state", "Values": ["pending", "available"]}


class NatGatewayDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_nat_gateways", "NatGateways", "NatGatewayIds", (_LIVE,))
    setters = (ec2.TAGS,)
    schema = KindSchema(
        KIND,
        immutable=frozenset({"subnet_id", "allocation_id"}),
        updatable=kit.covered(setters),
        shown=("subnet_id",),
    )

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        address = (item.get("NatGatewayAddresses") or [{}])[0]
        props = {"subnet_id": item["SubnetId"], "allocation_id": address.get("AllocationId")}
        outputs = {"public_ip": address.get("PublicIp")}
        state = item.get("State", "pending")
        return self.observed(
            name, item["NatGatewayId"], {**props, "tags": tags}, outputs, state=state
        )

    def adopt(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any], existing: Observed
    ) -> Observed:
        super().adopt(ctx, resource, props, existing)
        return self._available(ctx, resource, props, existing.id)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        nat_id = ctx.client("ec2").create_nat_gateway(
            SubnetId=props["subnet_id"],
            AllocationId=props["allocation_id"],
            ClientToken=ctx.token(resource.address),
            TagSpecifications=tagging.tag_specifications("natgateway", props["tags"]),
        )["NatGateway"]["NatGatewayId"]
        return self._available(ctx, resource, props, nat_id)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_nat_gateway(NatGatewayId=observed.id)
        what = f"NAT gateway {observed.id} to be deleted"
        self.wait_state(ctx, what, observed.id, want="deleted", **_WAIT)

    def _available(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any], nat_id: str
    ) -> Observed:
        def failed(nat: ec2.Item) -> PermanentError:
            return PermanentError(
                f"NAT gateway {nat_id} failed: {nat.get('FailureMessage', 'no reason given')}",
                address=resource.address,
                code=nat.get("FailureCode"),
                hint="fix the cause, then re-run (the failed gateway is removed by AWS)",
            )

        what = f"NAT gateway {nat_id} to be available"
        nat = self.wait_state(ctx, what, nat_id, failed=failed, **_WAIT)
        assert nat is not None  # it is available, so it was described
        return self.observe(ctx, resource.name, nat, props["tags"])


DRIVER = NatGatewayDriver()
