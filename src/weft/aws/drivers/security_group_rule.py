"""Security group rules, each its own resource with its own tags (ingress or egress).

A rule's source is a CIDR or another security group. Protocol ``-1`` (everything) has no ports:
AWS reports them as -1, and so does the desired side.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import TemporaryError

KIND = "security_group_rule"
#: What makes a rule this rule: changing any of these is another rule.
_IDENTITY = frozenset(
    {"group_id", "direction", "protocol", "from_port", "to_port", "cidr", "source_group_id"}
)


def _ports(protocol: str, from_port: Any, to_port: Any) -> tuple[int, int]:
    if protocol == "-1":
        return -1, -1
    return int(-1 if from_port is None else from_port), int(-1 if to_port is None else to_port)


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


def _source(props: dict[str, Any]) -> tuple[tuple[str, str, str], str]:
    """Where the rule's source goes, ``(IpPermissions list, its key, the request's key)``, and
    the source itself: another group, an IPv6 CIDR or an IPv4 one."""
    if props.get("source_group_id"):
        return ("UserIdGroupPairs", "GroupId", "ReferencedGroupId"), props["source_group_id"]
    if ":" in (props.get("cidr") or ""):
        return ("Ipv6Ranges", "CidrIpv6", "CidrIpv6"), props["cidr"]
    return ("IpRanges", "CidrIp", "CidrIpv4"), props["cidr"]


def _protocol(props: dict[str, Any]) -> dict[str, Any]:
    from_port, to_port = _ports(props["protocol"], props["from_port"], props["to_port"])
    return {"IpProtocol": props["protocol"], "FromPort": from_port, "ToPort": to_port}


def _permission(props: dict[str, Any]) -> dict[str, Any]:
    """The rule as an ``IpPermissions`` entry."""
    (entries, key, _), value = _source(props)
    source = {key: value}
    if props.get("description"):
        source["Description"] = props["description"]
    return {**_protocol(props), entries: [source]}


def _request(props: dict[str, Any]) -> dict[str, Any]:
    """The rule as a ``SecurityGroupRuleRequest`` (modify_security_group_rules)."""
    (_, _, key), value = _source(props)
    return {**_protocol(props), "Description": props.get("description") or "", key: value}


@kit.setter("description")
def _set_description(edit: kit.Edit) -> None:
    edit.ctx.client("ec2").modify_security_group_rules(
        GroupId=edit.old("group_id"),
        SecurityGroupRules=[
            {"SecurityGroupRuleId": edit.id, "SecurityGroupRule": _request(edit.props)}
        ],
    )


class SecurityGroupRuleDriver(ec2.Ec2Driver):
    describe = ec2.Describe(
        "describe_security_group_rules", "SecurityGroupRules", "SecurityGroupRuleIds"
    )
    setters = (_set_description, ec2.TAGS)
    schema = KindSchema(
        KIND,
        immutable=_IDENTITY,
        updatable=kit.covered(setters),
        shown=("direction", "protocol", "from_port", "to_port", "cidr", "source_group_id"),
    )

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        return self.observed(name, item["SecurityGroupRuleId"], _props_of(item, tags))

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        ports = _ports(props["protocol"], props["from_port"], props["to_port"])
        return super().create(ctx, resource, {**props, "from_port": ports[0], "to_port": ports[1]})

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
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
            group = [{"Name": "group-id", "Values": [props["group_id"]]}]
            matches = self.find_filtered(ctx, resource.address, group)
            if not matches:
                # Eventual consistency: the executor retries, and the retry adopts the rule.
                raise TemporaryError("the new rule is not visible yet", address=resource.address)
            rule_id = matches[0].id
        return self.observed(resource.name, rule_id, props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("ec2")
        revoke = (
            client.revoke_security_group_egress
            if observed.props.get("direction") == "egress"
            else client.revoke_security_group_ingress
        )
        revoke(GroupId=observed.props["group_id"], SecurityGroupRuleIds=[observed.id])


DRIVER = SecurityGroupRuleDriver()
