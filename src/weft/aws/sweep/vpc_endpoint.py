"""VPC endpoints in the fabric's VPCs that weft did not make, and GuardDuty's security group.

On an account with GuardDuty Runtime Monitoring, GuardDuty adds to every VPC an interface
endpoint for ``guardduty-data`` and a security group ``GuardDutyManagedSecurityGroup-<vpc>``,
both tagged ``GuardDutyManaged: true`` and nothing of weft's; anyone may add other endpoints.
While they exist, the VPC's subnets (the endpoint's interfaces are in them) and the VPC itself
cannot be deleted: AWS answers ``DependencyViolation`` until the teardown gives up. They belong
to the VPC weft made, so the sweep takes them:

- every VPC endpoint in one of the fabric's VPCs that is not weft's own (no ``weft:id``; weft's
  own endpoints go with the fabric's teardown), and that is not on its way out;
- the group named ``GuardDutyManagedSecurityGroup-<vpc>`` of each of the fabric's VPCs, once no
  endpoint uses it (for the leftover report: always).

An endpoint's props name its subnets and groups, so the teardown deletes it before them; its
deletion is waited on (an interface endpoint takes its network interfaces with it, which takes a
while on AWS). For the leftover report (any VPC), the fabric's VPCs are the ones tagged
``weft:fabric`` with its name. Everything here goes through the EC2 API.
"""

from __future__ import annotations

from typing import Any

from weft.aws.context import AwsContext
from weft.aws.drivers import pagination
from weft.aws.sweep.base import Sweeper, raw_tags
from weft.aws.sweep.scope import Scope
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed
from weft.errors import PermanentError
from weft.model.tags import FABRIC_TAG, ID_TAG

KIND = "ec2_vpc_endpoint"
GUARDDUTY_GROUP_KIND = "ec2_guardduty_security_group"
GUARDDUTY_TAG = "GuardDutyManaged"
GUARDDUTY_GROUP_PREFIX = "GuardDutyManagedSecurityGroup-"
#: Endpoint states on the way out (or never in).
GONE = frozenset({"deleting", "deleted", "rejected", "failed", "expired"})
DELETE_TIMEOUT = 600.0


def fabric_vpcs(ctx: AwsContext, scope: Scope) -> list[str]:
    """The fabric's VPCs: the scope's, or (any VPC: the leftover report) those tagged for it."""
    if scope.vpc_ids is not None:
        return sorted(scope.vpc_ids)
    vpcs = pagination.items(
        ctx.client("ec2"),
        "describe_vpcs",
        "Vpcs",
        Filters=[{"Name": f"tag:{FABRIC_TAG}", "Values": [scope.fabric]}],
    )
    return sorted(str(v["VpcId"]) for v in vpcs)


def endpoints_in(ctx: AwsContext, vpcs: list[str]) -> list[dict[str, Any]]:
    if not vpcs:
        return []
    return list(
        pagination.items(
            ctx.client("ec2"),
            "describe_vpc_endpoints",
            "VpcEndpoints",
            Filters=[{"Name": "vpc-id", "Values": vpcs}],
        )
    )


def _why(endpoint: dict[str, Any], tags: dict[str, str]) -> str:
    maker = "GuardDuty" if tags.get(GUARDDUTY_TAG) == "true" else "not weft"
    return f"in the fabric's VPC {endpoint.get('VpcId')}, made by {maker}"


class VpcEndpointSweeper(Sweeper):
    schema = KindSchema(kind=KIND)
    noun = "VPC endpoint"

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        found = []
        for endpoint in endpoints_in(ctx, fabric_vpcs(ctx, self.scope)):
            tags = raw_tags(endpoint.get("Tags"))
            owner = tags.get(FABRIC_TAG)
            if ID_TAG in tags or (owner is not None and owner != self.scope.fabric):
                continue  # weft's own (the fabric teardown has it), or another fabric's
            state = str(endpoint.get("State", "available")).lower()
            if state in GONE:
                continue
            found.append(
                Observed(
                    kind=KIND,
                    name=endpoint["VpcEndpointId"],
                    id=endpoint["VpcEndpointId"],
                    props={
                        "service_name": endpoint.get("ServiceName"),
                        "vpc_id": endpoint.get("VpcId"),
                        "subnet_ids": sorted(endpoint.get("SubnetIds") or []),
                        "security_group_ids": sorted(
                            g["GroupId"] for g in endpoint.get("Groups") or []
                        ),
                        "route_table_ids": sorted(endpoint.get("RouteTableIds") or []),
                        "why": _why(endpoint, tags),
                    },
                    state=state,
                )
            )
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ec2 = ctx.client("ec2")
        answer = ec2.delete_vpc_endpoints(VpcEndpointIds=[observed.id])
        for failure in answer.get("Unsuccessful") or []:
            error = failure.get("Error") or {}
            if "NotFound" not in str(error.get("Code")):
                raise PermanentError(
                    f"AWS did not delete VPC endpoint {observed.id} "
                    f"({observed.props.get('service_name')}): {error.get('Message')}",
                    address=observed.address,
                    hint="delete it in the VPC console (or aws ec2 delete-vpc-endpoints), "
                    "then run weft down again",
                )

        def gone() -> bool | str:
            left = [
                e
                for e in endpoints_in(ctx, [str(observed.props.get("vpc_id"))])
                if e["VpcEndpointId"] == observed.id
            ]
            state = str(left[0].get("State", "")).lower() if left else "deleted"
            return True if state in ("deleted", "") else state

        wait_until(ctx, f"VPC endpoint {observed.id} to go", gone, timeout=DELETE_TIMEOUT)


class GuardDutyGroupSweeper(Sweeper):
    schema = KindSchema(kind=GUARDDUTY_GROUP_KIND)
    noun = "GuardDuty security group"

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        vpcs = fabric_vpcs(ctx, self.scope)
        if not vpcs:
            return []
        names = [GUARDDUTY_GROUP_PREFIX + vpc for vpc in vpcs]
        groups = pagination.items(
            ctx.client("ec2"),
            "describe_security_groups",
            "SecurityGroups",
            Filters=[
                {"Name": "vpc-id", "Values": vpcs},
                {"Name": "group-name", "Values": names},
            ],
        )
        found = []
        for group in groups:
            if group.get("GroupName") != GUARDDUTY_GROUP_PREFIX + str(group.get("VpcId")):
                continue
            if ID_TAG in raw_tags(group.get("Tags")):
                continue
            found.append(
                Observed(
                    kind=GUARDDUTY_GROUP_KIND,
                    name=group["GroupId"],
                    id=group["GroupId"],
                    props={
                        "group_name": group.get("GroupName"),
                        "vpc_id": group.get("VpcId"),
                        "why": f"GuardDuty's group in the fabric's VPC {group.get('VpcId')}",
                    },
                )
            )
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_security_group(GroupId=observed.id)
