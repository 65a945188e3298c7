"""The network of a fabric: VPC, subnets per zone and tier, gateways, routes, security groups.

Names are stable so that changes stay minimal: a subnet is ``<tier>-<zone suffix>`` (the zone
suffix is the letter of the AZ, e.g. ``private-a``), a NAT gateway and its address are named for
their zone, and every private subnet has its own route table (``private-<zone>``), so switching
``nat: single`` to ``per-zone`` only adds gateways and re-points routes.

Security groups hold the rules later parts of the fabric need:

=========  ==========================================================================
lb         HTTP/HTTPS from anywhere (load balancers made for ingresses and services)
nodes      everything from other nodes; 1025-65535 and 443 from the control plane;
           1024-65535 from the load balancers (node ports, pod targets)
cluster    443 (the Kubernetes API) from the nodes
data       PostgreSQL (5432) and Redis (6379) from the nodes only
=========  ==========================================================================

With ``network.flow_logs``, the VPC's flow logs (all traffic) go to a CloudWatch Logs group
weft makes (:func:`flow_log_group`: kept ``retention_days``, encrypted with the fabric key,
deleted on ``down``), delivered through an IAM role that only the VPC Flow Logs service may
assume, for this account's flow logs only (``aws:SourceAccount`` and ``aws:SourceArn``, the
confused deputy guard of "IAM role for publishing flow logs to CloudWatch Logs", Amazon VPC
User Guide), allowed to write to that group and nothing else (:func:`flow_log_resources`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric, plan_subnets
from weft.fabricfile.subnets import zone_suffix
from weft.model import addresses
from weft.model.builder import Builder
from weft.model.cluster import iam_role

ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class RuleSpec:
    name: str
    group: str
    protocol: str
    from_port: int
    to_port: int
    description: str
    source_group: str | None = None
    cidr: str | None = None


SECURITY_GROUPS: Mapping[str, str] = {
    "cluster": "EKS control plane",
    "nodes": "Kubernetes worker nodes",
    "data": "databases and caches, reachable from the nodes only",
    "lb": "load balancers made for the cluster's ingresses and services",
}

RULES: tuple[RuleSpec, ...] = (
    RuleSpec("lb-http", "lb", "tcp", 80, 80, "HTTP from anywhere", cidr=ANYWHERE),
    RuleSpec("lb-https", "lb", "tcp", 443, 443, "HTTPS from anywhere", cidr=ANYWHERE),
    RuleSpec("nodes-from-nodes", "nodes", "-1", -1, -1, "node to node", source_group="nodes"),
    RuleSpec(
        "nodes-from-cluster",
        "nodes",
        "tcp",
        1025,
        65535,
        "control plane to kubelets and pods",
        source_group="cluster",
    ),
    RuleSpec(
        "nodes-from-cluster-https",
        "nodes",
        "tcp",
        443,
        443,
        "control plane to webhooks",
        source_group="cluster",
    ),
    RuleSpec(
        "nodes-from-lb",
        "nodes",
        "tcp",
        1024,
        65535,
        "load balancers to node ports and pods",
        source_group="lb",
    ),
    RuleSpec(
        "cluster-from-nodes",
        "cluster",
        "tcp",
        443,
        443,
        "nodes to the Kubernetes API",
        source_group="nodes",
    ),
    RuleSpec(
        "data-postgres-from-nodes",
        "data",
        "tcp",
        5432,
        5432,
        "PostgreSQL from the nodes",
        source_group="nodes",
    ),
    RuleSpec(
        "data-redis-from-nodes",
        "data",
        "tcp",
        6379,
        6379,
        "Redis from the nodes",
        source_group="nodes",
    ),
)


def network_resources(fabric: Fabric, zones: list[str]) -> list[Resource]:
    """The network for ``zones`` (the region's AZ names the fabric uses, in order)."""
    net = fabric.network
    b = Builder(fabric)
    # The default security group's allow-all rules are stripped (see weft.aws.drivers.vpc).
    vpc = b.add(
        "vpc",
        "main",
        {"cidr": net.cidr, "dns_support": True, "dns_hostnames": True, "default_sg_open": False},
    )
    igw = b.add("internet_gateway", "main", {"vpc_id": vpc})

    cluster_tag = {f"kubernetes.io/cluster/{fabric.name}": "shared"}
    subnets: dict[tuple[str, str], Ref] = {}
    for sub in plan_subnets(net.cidr, zones, net.layout, net.subnet_size):
        suffix = zone_suffix(sub.zone, fabric.region)
        public = sub.tier == "public"
        role = "kubernetes.io/role/elb" if public else "kubernetes.io/role/internal-elb"
        subnets[(sub.tier, suffix)] = b.add(
            "subnet",
            f"{sub.tier}-{suffix}",
            {
                "vpc_id": vpc,
                "cidr": sub.cidr,
                "zone": sub.zone,
                "map_public_ip": public,
            },
            extra_tags={**cluster_tag, role: "1", "weft:tier": sub.tier},
        )
    suffixes = [zone_suffix(z, fabric.region) for z in zones]

    b.add(
        "route_table",
        "public",
        {
            "vpc_id": vpc,
            "routes": [{"destination": ANYWHERE, "gateway_id": igw, "nat_gateway_id": None}],
            "subnets": [subnets[("public", s)] for s in suffixes],
        },
    )

    if net.layout == "private":
        nat_zones = {"none": [], "single": suffixes[:1], "per-zone": suffixes}[net.nat]
        nats: dict[str, Ref] = {}
        for s in nat_zones:
            eip = b.add("eip", f"nat-{s}", {})
            nats[s] = b.add(
                "nat_gateway",
                s,
                {"subnet_id": subnets[("public", s)], "allocation_id": eip},
                depends_on=("internet_gateway.main",),
            )
        for s in suffixes:
            nat = nats.get(s) or (nats[nat_zones[0]] if nat_zones else None)
            routes = (
                [{"destination": ANYWHERE, "gateway_id": None, "nat_gateway_id": nat}]
                if nat
                else []
            )
            b.add(
                "route_table",
                f"private-{s}",
                {"vpc_id": vpc, "routes": routes, "subnets": [subnets[("private", s)]]},
            )

    groups = {
        role: b.add(
            "security_group",
            role,
            {
                "vpc_id": vpc,
                "group_name": f"weft-{fabric.name}-{role}",
                "description": f"weft {fabric.name}: {text}",
            },
        )
        for role, text in SECURITY_GROUPS.items()
    }
    for rule in RULES:
        b.add(
            "security_group_rule",
            rule.name,
            {
                "group_id": groups[rule.group],
                "direction": "ingress",
                "protocol": rule.protocol,
                "from_port": rule.from_port,
                "to_port": rule.to_port,
                "cidr": rule.cidr,
                "source_group_id": groups[rule.source_group] if rule.source_group else None,
                "description": rule.description,
            },
        )
    return b.resources


def flow_log_group(fabric: str) -> str:
    """The CloudWatch Logs group of the fabric's VPC flow logs (next to the cluster's, under
    the prefix weft finds the fabric's log groups by)."""
    return f"/aws/eks/{fabric}/vpc-flow-logs"


def flow_log_trust(fabric: Fabric, account_id: str) -> dict[str, Any]:
    """Who may assume the flow log delivery role: the VPC Flow Logs service, for this account's
    flow logs only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": (
                            f"arn:aws:ec2:{fabric.region}:{account_id}:vpc-flow-log/*"
                        )
                    },
                },
            }
        ],
    }


def flow_log_resources(fabric: Fabric, account_id: str) -> list[Resource]:
    """The VPC's flow log, its log group and its delivery role (none without ``flow_logs``)."""
    spec = fabric.network.flow_logs
    if spec is None:
        return []
    b = Builder(fabric)
    group = flow_log_group(fabric.name)
    arn = f"arn:aws:logs:{fabric.region}:{account_id}:log-group:{group}"
    b.add(
        "log_group",
        "flow-logs",
        {
            "group_name": group,
            "retention_days": spec.retention_days,
            "kms_key_arn": Ref(addresses.KMS_KEY, "arn"),
        },
    )
    write = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [arn, f"{arn}:*"],
            }
        ],
    }
    role = iam_role(
        b, "flow-logs", flow_log_trust(fabric, account_id), [], {"weft-flow-logs": write}
    )
    b.add(
        "flow_log",
        "vpc",
        {
            "resource_id": Ref("vpc.main"),
            "traffic_type": "ALL",
            "log_group_name": group,
            "deliver_logs_permission_arn": Ref(role.address, "arn"),
            "max_aggregation_interval": 600,
        },
        ("log_group.flow-logs",),
    )
    return b.resources
