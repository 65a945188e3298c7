"""NAT gateways: one per zone, each in a public subnet with its own Elastic IP."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "nat_gateway"
TIMEOUT = 600.0
_LIVE_STATES = ["pending", "available"]


def _observed(name: str, nat: dict[str, Any], tags: dict[str, str]) -> Observed:
    addresses = nat.get("NatGatewayAddresses") or [{}]
    props = {
        "subnet_id": nat["SubnetId"],
        "allocation_id": addresses[0].get("AllocationId"),
        "tags": tags,
    }
    return Observed(
        kind=KIND,
        name=name,
        id=nat["NatGatewayId"],
        props=props,
        outputs={"public_ip": addresses[0].get("PublicIp")},
        state=nat.get("State", "pending"),
    )


class NatGatewayDriver:
    schema = KindSchema(kind=KIND, immutable=frozenset({"subnet_id", "allocation_id"}))

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for nat in ec2.describe_tagged(
            ctx,
            "describe_nat_gateways",
            "NatGateways",
            address=address,
            Filters=[{"Name": "state", "Values": _LIVE_STATES}],
        ):
            tags = tagging.from_aws(nat.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is not None:
                found.append(_observed(name, nat, tags))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        existing = adoption.adoptable(
            self.schema,
            adoption.earlier_attempts(ctx, lambda: self._find(ctx, resource.address)),
            props,
        )
        if existing is not None:
            nat_id = existing.id
            ec2.update_tags(ctx, nat_id, existing.props.get("tags", {}), props["tags"])
        else:
            nat_id = ctx.client("ec2").create_nat_gateway(
                SubnetId=props["subnet_id"],
                AllocationId=props["allocation_id"],
                ClientToken=ctx.token(resource.address),
                TagSpecifications=tagging.tag_specifications("natgateway", props["tags"]),
            )["NatGateway"]["NatGatewayId"]
        nat = self._wait(ctx, resource.address, nat_id, want="available") or {
            "NatGatewayId": nat_id,
            "SubnetId": props["subnet_id"],
            "NatGatewayAddresses": [{"AllocationId": props["allocation_id"]}],
            "State": "available",
        }
        return _observed(resource.name, nat, props["tags"])

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        if "tags" in changed:
            ec2.update_tags(ctx, observed.id, observed.props.get("tags", {}), props["tags"])
        return Observed(
            kind=KIND,
            name=resource.name,
            id=observed.id,
            props=props,
            outputs={"public_ip": observed.outputs.get("public_ip")},
            state=observed.state,
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_nat_gateway(NatGatewayId=observed.id)
        self._wait(ctx, observed.address, observed.id, want="deleted")

    @staticmethod
    def _wait(ctx: AwsContext, address: str, nat_id: str, *, want: str) -> dict[str, Any] | None:
        """Wait for the NAT gateway to be ``want``; its last description (None once gone)."""
        last: dict[str, Any] = {}

        def check() -> bool | str:
            try:
                nats = ctx.client("ec2").describe_nat_gateways(NatGatewayIds=[nat_id])[
                    "NatGateways"
                ]
            except ClientError as exc:
                if not errors.is_not_found(exc):
                    raise
                nats = []
            if not nats:
                return True if want == "deleted" else "not visible yet"
            last.clear()
            last.update(nats[0])
            state = str(nats[0].get("State", "pending"))
            if state == want:
                return True
            if state == "failed" and want == "available":
                reason = nats[0].get("FailureMessage", "no reason given")
                raise PermanentError(
                    f"NAT gateway {nat_id} failed: {reason}",
                    address=address,
                    code=nats[0].get("FailureCode"),
                    hint="fix the cause, then re-run (the failed gateway is removed by AWS)",
                )
            return state

        wait_until(ctx, f"NAT gateway {nat_id} to be {want}", check, timeout=TIMEOUT, interval=5.0)
        return dict(last) if last else None


DRIVER = NatGatewayDriver()
