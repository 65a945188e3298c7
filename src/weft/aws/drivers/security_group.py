"""Security groups (their rules are ``security_group_rule`` resources of their own).

AWS's default allow-all egress rule of a new group is left alone.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2
from weft.core.resource import KindSchema, Observed, Resource

KIND = "security_group"


def _observed(name: str, group_id: str, props: dict[str, Any], arn: str | None) -> Observed:
    return Observed(
        kind=KIND,
        name=name,
        id=group_id,
        props=props,
        outputs={"arn": arn} if arn else {},
    )


class SecurityGroupDriver:
    schema = KindSchema(kind=KIND, immutable=frozenset({"vpc_id", "group_name", "description"}))

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for group in ec2.describe_tagged(
            ctx, "describe_security_groups", "SecurityGroups", address=address
        ):
            tags = tagging.from_aws(group.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None:
                continue
            props = {
                "vpc_id": group.get("VpcId"),
                "group_name": group["GroupName"],
                "description": group.get("Description", ""),
                "tags": tags,
            }
            found.append(_observed(name, group["GroupId"], props, group.get("SecurityGroupArn")))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        adopted = adoption.adopt(
            self,
            ctx,
            resource,
            props,
            adoption.earlier_attempts(ctx, lambda: self._find(ctx, resource.address)),
        )
        if adopted is not None:
            return adopted
        answer = ctx.client("ec2").create_security_group(
            VpcId=props["vpc_id"],
            GroupName=props["group_name"],
            Description=props["description"],
            TagSpecifications=tagging.tag_specifications("security-group", props["tags"]),
        )
        return _observed(resource.name, answer["GroupId"], props, answer.get("SecurityGroupArn"))

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
        return _observed(resource.name, observed.id, props, observed.outputs.get("arn"))

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still referenced by another group's rule or used by an ENI: DependencyViolation (retry).
        ctx.client("ec2").delete_security_group(GroupId=observed.id)


DRIVER = SecurityGroupDriver()
