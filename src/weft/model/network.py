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
#: The interface endpoints ``network.endpoints`` makes: what a node in a private subnet without
#: NAT needs (ECR's API and registry, STS for IRSA, EC2 for the VPC CNI, CloudWatch Logs);
#: with the S3 gateway endpoint, where ECR keeps image layers.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "ec2", "logs")


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


def used_security_groups(fabric: Fabric) -> set[str]:
    """The security groups (:data:`SECURITY_GROUPS`) the fabric uses: the cluster's, its nodes'
    and its load balancers' only with a cluster, the data group only with a database or a cache
    or a cluster (whose nodes it admits). A network-only fabric gets none, nor their rules;
    adding a cluster later adds them."""
    roles: set[str] = set()
    if fabric.cluster is not None:
        roles |= {"cluster", "nodes", "lb", "data"}
    if fabric.databases or fabric.caches:
        roles.add("data")
    return roles


def endpoints(
    b: Builder, fabric: Fabric, vpc: Ref, private_subnets: list[Ref], private_tables: list[Ref]
) -> None:
    """``network.endpoints``: an interface endpoint per :data:`INTERFACE_ENDPOINTS` in the
    private subnets (private DNS on, behind a group admitting HTTPS from the VPC), and the S3
    gateway endpoint in the private route tables. See :mod:`weft.aws.drivers.vpc_endpoint`."""
    group = b.add(
        "security_group",
        "endpoints",
        {
            "vpc_id": vpc,
            "group_name": f"weft-{fabric.name}-endpoints",
            "description": f"weft {fabric.name}: VPC endpoints, HTTPS from the VPC",
        },
    )
    b.add(
        "security_group_rule",
        "endpoints-https",
        {
            "group_id": group,
            "direction": "ingress",
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "cidr": fabric.network.cidr,
            "source_group_id": None,
            "description": "HTTPS from the VPC to the VPC endpoints",
        },
    )
    for service in INTERFACE_ENDPOINTS:
        b.add(
            "interface_endpoint",
            service.replace(".", "-"),
            {
                "vpc_id": vpc,
                "service": f"com.amazonaws.{fabric.region}.{service}",
                "subnet_ids": list(private_subnets),
                "security_group_ids": [group],
                "private_dns": True,
            },
        )
    b.add(
        "gateway_endpoint",
        "s3",
        {
            "vpc_id": vpc,
            "service": f"com.amazonaws.{fabric.region}.s3",
            "route_table_ids": list(private_tables),
        },
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
        private_tables: list[Ref] = []
        for s in suffixes:
            nat = nats.get(s) or (nats[nat_zones[0]] if nat_zones else None)
            routes = (
                [{"destination": ANYWHERE, "gateway_id": None, "nat_gateway_id": nat}]
                if nat
                else []
            )
            private_tables.append(
                b.add(
                    "route_table",
                    f"private-{s}",
                    {"vpc_id": vpc, "routes": routes, "subnets": [subnets[("private", s)]]},
                )
            )
        if net.endpoints:
            endpoints(b, fabric, vpc, [subnets[("private", s)] for s in suffixes], private_tables)

    roles = used_security_groups(fabric)
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
        if role in roles
    }
    for rule in RULES:
        if rule.group not in roles or (rule.source_group and rule.source_group not in roles):
            continue
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
