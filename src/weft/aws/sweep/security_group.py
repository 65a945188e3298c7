"""Security groups tagged for the fabric or its cluster, in the fabric's VPCs.

The AWS Load Balancer Controller makes a frontend group per load balancer and a shared backend
group, and adds rules naming them to the nodes' groups; the in-tree cloud provider makes
``k8s-elb-<name>`` groups. Found with one describe filtered by VPC. Left alone: a VPC's default
group; the cluster security group EKS makes, while the cluster exists; and, until the instances
go, a group an instance's interface uses (the sweep after the fabric's deletion takes it).

Delete: first the rules of other groups in the VPC that name this group are revoked, by rule id
(AWS refuses to delete a group still named by another group's rule), then the group.
While a load balancer's interfaces are still going away, AWS answers DependencyViolation: the
executor retries, up to its deadline, then reports.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.drivers import pagination
from weft.aws.sweep.base import Sweeper, batches, raw_tags
from weft.aws.sweep.scope import EKS_CLUSTER_TAG, Scope, tag_filters
from weft.core.resource import KindSchema, Observed

KIND = "ec2_security_group"
#: group ids per DescribeSecurityGroupRules filter
RULE_BATCH = 200


def describe(
    ctx: AwsContext, scope: Scope, operation: str, result_key: str, id_key: str
) -> list[dict[str, Any]]:
    """EC2 items in the scope's VPCs (one filtered describe), or, when the scope is any VPC,
    those carrying the fabric's or the cluster's tags (one filtered describe per tag)."""
    client = ctx.client("ec2")
    if scope.vpc_ids is not None:
        if not scope.vpc_ids:
            return []
        vpc = [{"Name": "vpc-id", "Values": sorted(scope.vpc_ids)}]
        return list(pagination.items(client, operation, result_key, Filters=vpc))
    found: dict[str, dict[str, Any]] = {}
    for filters in tag_filters(scope):
        for item in pagination.items(client, operation, result_key, Filters=filters):
            found.setdefault(item[id_key], item)
    return list(found.values())


def _named_groups(group: dict[str, Any]) -> set[str]:
    named = set()
    for perm in [*group.get("IpPermissions", []), *group.get("IpPermissionsEgress", [])]:
        for pair in perm.get("UserIdGroupPairs", []) or []:
            if pair.get("GroupId"):
                named.add(str(pair["GroupId"]))
    return named


class SecurityGroupSweeper(Sweeper):
    schema = KindSchema(kind=KIND)
    noun = "security group"

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        scope = self.scope
        groups = describe(ctx, scope, "describe_security_groups", "SecurityGroups", "GroupId")
        on_instances: set[str] = set()
        if not everything and groups:
            for eni in describe(
                ctx, scope, "describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId"
            ):
                if (eni.get("Attachment") or {}).get("InstanceId"):
                    on_instances.update(g["GroupId"] for g in eni.get("Groups", []))
        found = []
        for group in groups:
            tags = raw_tags(group.get("Tags"))
            why = scope.claim(tags)
            if why is None or group.get("GroupName") == "default":
                continue
            if not scope.in_vpc(group.get("VpcId")):
                continue
            made_by_eks = scope.cluster is not None and tags.get(EKS_CLUSTER_TAG) == scope.cluster
            if not everything and made_by_eks and scope.cluster_running:
                continue  # EKS deletes it with the cluster
            if not everything and group["GroupId"] in on_instances:
                continue  # goes once the instances using it have gone
            found.append(
                Observed(
                    kind=KIND,
                    name=group["GroupId"],
                    id=group["GroupId"],
                    props={
                        "group_name": group.get("GroupName"),
                        "vpc_id": group.get("VpcId"),
                        "source_group_ids": sorted(_named_groups(group) - {group["GroupId"]}),
                        "why": why,
                    },
                )
            )
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ec2 = ctx.client("ec2")
        group_id = observed.id
        vpc = observed.props.get("vpc_id")
        others = [
            g["GroupId"]
            for g in pagination.items(
                ec2,
                "describe_security_groups",
                "SecurityGroups",
                Filters=[{"Name": "vpc-id", "Values": [vpc]}] if vpc else [],
            )
            if g["GroupId"] != group_id
        ]
        naming: dict[tuple[str, bool], list[str]] = {}
        for batch in batches(others, RULE_BATCH):
            for rule in pagination.items(
                ec2,
                "describe_security_group_rules",
                "SecurityGroupRules",
                Filters=[{"Name": "group-id", "Values": batch}],
            ):
                if (rule.get("ReferencedGroupInfo") or {}).get("GroupId") == group_id:
                    key = (rule["GroupId"], bool(rule.get("IsEgress")))
                    naming.setdefault(key, []).append(rule["SecurityGroupRuleId"])
        for (other, egress), rule_ids in sorted(naming.items()):
            revoke = (
                ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress
            )
            try:
                revoke(GroupId=other, SecurityGroupRuleIds=rule_ids)
            except ClientError as exc:
                if not errors.is_not_found(exc):  # revoked meanwhile, or its group is gone
                    raise
            ctx.report(f"revoked {len(rule_ids)} rules of {other} naming {group_id}")
        ec2.delete_security_group(GroupId=group_id)
