"""Security groups (their rules are ``security_group_rule`` resources of their own).

AWS's default allow-all egress rule of a new group is left alone.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit
from weft.core.resource import KindSchema, Observed, Resource

KIND = "security_group"


class SecurityGroupDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_security_groups", "SecurityGroups", "GroupIds")
    setters = (ec2.TAGS,)
    schema = KindSchema(
        KIND,
        immutable=frozenset({"vpc_id", "group_name", "description"}),
        updatable=kit.covered(setters),
    )

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        props = {
            "vpc_id": item.get("VpcId"),
            "group_name": item["GroupName"],
            "description": item.get("Description", ""),
            "tags": tags,
        }
        return self._observed(name, item["GroupId"], props, item.get("SecurityGroupArn"))

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        answer = ctx.client("ec2").create_security_group(
            VpcId=props["vpc_id"],
            GroupName=props["group_name"],
            Description=props["description"],
            TagSpecifications=tagging.tag_specifications("security-group", props["tags"]),
        )
        return self._observed(
            resource.name, answer["GroupId"], props, answer.get("SecurityGroupArn")
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still referenced by another group's rule or used by an ENI: DependencyViolation (retry).
        ctx.client("ec2").delete_security_group(GroupId=observed.id)

    def _observed(
        self, name: str, group_id: str, props: dict[str, Any], arn: str | None
    ) -> Observed:
        return self.observed(name, group_id, props, {"arn": arn} if arn else {})


DRIVER = SecurityGroupDriver()
