"""Security group rules, each its own resource with its own tags (ingress or egress).

A rule's source is a CIDR or another security group. Protocol ``-1`` (everything) has no ports:
AWS reports them as -1, and so does the desired side.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import TemporaryError

KIND = "security_group_rule"
_MUTABLE = frozenset({"description", "tags"})
_FIELDS = (
    "group_id",
    "direction",
    "protocol",
    "from_port",
    "to_port",
    "cidr",
    "source_group_id",
    "description",
)


def _ports(protocol: str, from_port: Any, to_port: Any) -> tuple[int, int]:
    if protocol == "-1":
        return -1, -1
    return int(from_port if from_port is not None else -1), int(
        to_port if to_port is not None else -1
    )


def _props_of(rule: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    protocol = str(rule.get("IpProtocol", "-1"))
    from_port, to_port = _ports(protocol, rule.get("FromPort"), rule.get("ToPort"))
    return {
        "group_id": rule["GroupId"],
        "direction": "egress" if rule.get("IsEgress") else "ingress",
        "protocol": protocol,
        "from_port": from_port,
        "to_port": to_port,
        "cidr": rule.get("CidrIpv4") or rule.get("CidrIpv6"),
        "source_group_id": (rule.get("ReferencedGroupInfo") or {}).get("GroupId"),
        "description": rule.get("Description", "") or "",
        "tags": tags,
    }


def _permission(props: dict[str, Any]) -> dict[str, Any]:
    """The rule as an ``IpPermissions`` entry."""
    from_port, to_port = _ports(props["protocol"], props["from_port"], props["to_port"])
    permission: dict[str, Any] = {
        "IpProtocol": props["protocol"],
        "FromPort": from_port,
        "ToPort": to_port,
    }
    source: dict[str, Any] = {}
    if props.get("description"):
        source["Description"] = props["description"]
    if props.get("source_group_id"):
        permission["UserIdGroupPairs"] = [{"GroupId": props["source_group_id"], **source}]
    elif ":" in (props.get("cidr") or ""):
        permission["Ipv6Ranges"] = [{"CidrIpv6": props["cidr"], **source}]
    else:
        permission["IpRanges"] = [{"CidrIp": props["cidr"], **source}]
    return permission


def _request(props: dict[str, Any]) -> dict[str, Any]:
    """The rule as a ``SecurityGroupRuleRequest`` (modify_security_group_rules)."""
    from_port, to_port = _ports(props["protocol"], props["from_port"], props["to_port"])
    request: dict[str, Any] = {
        "IpProtocol": props["protocol"],
        "FromPort": from_port,
        "ToPort": to_port,
        "Description": props.get("description") or "",
    }
    if props.get("source_group_id"):
        request["ReferencedGroupId"] = props["source_group_id"]
    elif ":" in (props.get("cidr") or ""):
        request["CidrIpv6"] = props["cidr"]
    else:
        request["CidrIpv4"] = props["cidr"]
    return request


class SecurityGroupRuleDriver:
    schema = KindSchema(kind=KIND, immutable=frozenset(_FIELDS) - _MUTABLE)

    def _find(
        self, ctx: AwsContext, address: str | None = None, group_id: str | None = None
    ) -> list[Observed]:
        extra = [{"Name": "group-id", "Values": [group_id]}] if group_id else []
        found = []
        for rule in ec2.describe_tagged(
            ctx,
            "describe_security_group_rules",
            "SecurityGroupRules",
            address=address,
            Filters=extra,
        ):
            tags = tagging.from_aws(rule.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is not None:
                found.append(
                    Observed(
                        kind=KIND,
                        name=name,
                        id=rule["SecurityGroupRuleId"],
                        props=_props_of(rule, tags),
                    )
                )
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        props = {**props}
        props["from_port"], props["to_port"] = _ports(
            props["protocol"], props["from_port"], props["to_port"]
        )
        adopted = adoption.adopt(
            self,
            ctx,
            resource,
            props,
            adoption.earlier_attempts(ctx, lambda: self._find(ctx, resource.address)),
        )
        if adopted is not None:
            return adopted
        client = ctx.client("ec2")
        authorize = (
            client.authorize_security_group_egress
            if props["direction"] == "egress"
            else client.authorize_security_group_ingress
        )
        answer = authorize(
            GroupId=props["group_id"],
            IpPermissions=[_permission(props)],
            TagSpecifications=tagging.tag_specifications("security-group-rule", props["tags"]),
        )
        rules = answer.get("SecurityGroupRules") or []
        if len(rules) == 1:
            rule_id = rules[0]["SecurityGroupRuleId"]
        else:
            # The answer did not single the rule out: find it by its group and address tag.
            matches = self._find(ctx, resource.address, group_id=props["group_id"])
            if not matches:
                # Eventual consistency: the executor retries, and the retry adopts the rule.
                raise TemporaryError("the new rule is not visible yet", address=resource.address)
            rule_id = matches[0].id
        return Observed(kind=KIND, name=resource.name, id=rule_id, props=props)

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        if "description" in changed:
            ctx.client("ec2").modify_security_group_rules(
                GroupId=observed.props["group_id"],
                SecurityGroupRules=[
                    {"SecurityGroupRuleId": observed.id, "SecurityGroupRule": _request(props)}
                ],
            )
        if "tags" in changed:
            ec2.update_tags(ctx, observed.id, observed.props.get("tags", {}), props["tags"])
        return Observed(kind=KIND, name=resource.name, id=observed.id, props=props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("ec2")
        revoke = (
            client.revoke_security_group_egress
            if observed.props.get("direction") == "egress"
            else client.revoke_security_group_ingress
        )
        revoke(GroupId=observed.props["group_id"], SecurityGroupRuleIds=[observed.id])


DRIVER = SecurityGroupRuleDriver()
