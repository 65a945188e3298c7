"""The fabric's VPC: its CIDR (immutable), DNS settings, and its default security group's rules.

Every new VPC comes with a security group named ``default`` that admits all traffic from its own
members and lets everything out; anything launched without a group (an ENI, an instance a user
starts by hand) lands in it. Like terraform-aws-vpc's ``manage_default_security_group`` and the
CIS AWS Foundations Benchmark (control 5.4, "Ensure the default security group of every VPC
restricts all traffic"), weft strips its rules: ``default_sg_open`` is False once the group has
none. The group itself cannot be deleted (it goes with the VPC). True puts back the rules AWS
creates it with.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import TemporaryError

KIND = "vpc"
_ATTRIBUTES = (
    ("dns_support", "enableDnsSupport", "EnableDnsSupport"),
    ("dns_hostnames", "enableDnsHostnames", "EnableDnsHostnames"),
)


@kit.setter("dns_support", "dns_hostnames")
def _set_dns(edit: kit.Edit) -> None:
    # AWS takes one attribute per call, and refuses DNS hostnames without DNS support:
    # turn support on first, or hostnames off first.
    client = edit.ctx.client("ec2")
    order = _ATTRIBUTES if edit.props["dns_support"] else tuple(reversed(_ATTRIBUTES))
    for prop, _attribute, key in order:
        client.modify_vpc_attribute(VpcId=edit.id, **{key: {"Value": bool(edit.props[prop])}})


def _default_group(client: Any, vpc_id: str) -> str:
    groups = client.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    if not groups:
        raise TemporaryError(f"the default security group of VPC {vpc_id} is not visible yet")
    return str(groups[0]["GroupId"])


def _default_rules(client: Any, group_id: str) -> list[dict[str, Any]]:
    return list(
        client.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
            "SecurityGroupRules"
        ]
    )


@kit.setter("default_sg_open")
def _set_default_sg(edit: kit.Edit) -> None:
    client = edit.ctx.client("ec2")
    group_id = _default_group(client, edit.id)
    rules = _default_rules(client, group_id)
    if edit.props["default_sg_open"]:
        # The rules a new VPC's default group has: its members reach one another, all may go out.
        if not any(not rule.get("IsEgress") for rule in rules):
            client.authorize_security_group_ingress(
                GroupId=group_id,
                IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}]}],
            )
        if not any(rule.get("IsEgress") for rule in rules):
            client.authorize_security_group_egress(
                GroupId=group_id,
                IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            )
        return
    ingress = [r["SecurityGroupRuleId"] for r in rules if not r.get("IsEgress")]
    egress = [r["SecurityGroupRuleId"] for r in rules if r.get("IsEgress")]
    if ingress:
        client.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=ingress)
    if egress:
        client.revoke_security_group_egress(GroupId=group_id, SecurityGroupRuleIds=egress)


class VpcDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_vpcs", "Vpcs", "VpcIds")
    setters = (_set_dns, _set_default_sg, ec2.TAGS)
    schema = KindSchema(
        KIND, immutable=frozenset({"cidr"}), updatable=kit.covered(setters), shown=("cidr",)
    )
    # The DNS settings of a new VPC are not read: both are set. Its default group has rules.
    set_after_create = _set_dns.fields | _set_default_sg.fields
    settled_state = "available"

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        props: dict[str, Any] = {"cidr": item["CidrBlock"]}
        for prop, attribute, key in _ATTRIBUTES:
            answer = ctx.client("ec2").describe_vpc_attribute(
                VpcId=item["VpcId"], Attribute=attribute
            )
            props[prop] = bool(answer[key]["Value"])
        client = ctx.client("ec2")
        props["default_sg_open"] = bool(
            _default_rules(client, _default_group(client, item["VpcId"]))
        )
        props["tags"] = tags
        return self.observed(name, item["VpcId"], props, state=item.get("State", "available"))

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        vpc = ctx.client("ec2").create_vpc(
            CidrBlock=props["cidr"],
            TagSpecifications=tagging.tag_specifications("vpc", props["tags"]),
        )["Vpc"]
        if vpc.get("State") != "available":
            self.wait_state(ctx, f"VPC {vpc['VpcId']}", vpc["VpcId"])
        unknown: dict[str, Any] = dict.fromkeys(_set_dns.fields)
        unknown["default_sg_open"] = True
        return self.observed(resource.name, vpc["VpcId"], {**props, **unknown}, state="available")

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_vpc(VpcId=observed.id)


DRIVER = VpcDriver()
