"""Read the account's service quotas and its current usage of them (the quota preflight's I/O).

- :func:`limits`: each quota's applied value (Service Quotas ``GetServiceQuota``), falling back
  to AWS's default (``GetAWSDefaultServiceQuota``) where the account has no applied value; the
  RDS instance quota from RDS's own ``DescribeAccountAttributes`` (``Max``);
- :func:`usage`: what the account uses now, counted: DescribeVpcs, DescribeInternetGateways,
  DescribeNatGateways (pending or available, by the zone of their subnet), DescribeAddresses,
  running and pending instances' vCPUs by family (DescribeInstances, DescribeInstanceTypes),
  EKS ListClusters / ListNodegroups / ListFargateProfiles of the fabric's cluster, RDS
  DescribeAccountAttributes (``Used``), ELBv2 DescribeLoadBalancers (Application ones);
- :func:`vcpus`: the default vCPUs of instance types (DescribeInstanceTypes).

A call the credentials may not make is not an error: the quota (or usage) is left out and a
warning says what was not checked and which permission would check it. What the numbers mean is
:mod:`weft.model.quotas`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.errors import _CREDENTIALS, code_of, translate
from weft.aws.session import AwsSession
from weft.model.quotas import QUOTAS, VCPU_QUOTAS, Usage, vcpu_class

RDS_INSTANCES = "L-7B6409FD"


def _denied(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and code_of(exc) in _CREDENTIALS


def _not_found(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and code_of(exc) == "NoSuchResourceException"


def limits(session: AwsSession, codes: Iterable[str]) -> tuple[dict[str, float], list[str]]:
    """The applied value of each quota in ``codes``, and warnings for those not read."""
    out: dict[str, float] = {}
    warnings: list[str] = []
    wanted = sorted(set(codes))
    if RDS_INSTANCES in wanted:
        try:
            for q in session.client("rds").describe_account_attributes()["AccountQuotas"]:
                if q.get("AccountQuotaName") == "DBInstances":
                    out[RDS_INSTANCES] = float(q["Max"])
        except (ClientError, BotoCoreError) as exc:
            if not _denied(exc):
                raise translate(exc, address=None, action="read", subject="RDS quotas") from exc
    sq = session.client("service-quotas")
    for code in wanted:
        if code in out:
            continue
        service = QUOTAS[code].service
        try:
            try:
                quota = sq.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]
            except ClientError as exc:
                if not _not_found(exc):
                    raise
                quota = sq.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)[
                    "Quota"
                ]
            out[code] = float(quota["Value"])
        except (ClientError, BotoCoreError) as exc:
            if _denied(exc):
                warnings.append(
                    f"quota {QUOTAS[code].name} ({service}/{code}) not checked: the credentials "
                    "may not read it (allow servicequotas:GetServiceQuota and "
                    "servicequotas:GetAWSDefaultServiceQuota)"
                )
            elif _not_found(exc):
                warnings.append(
                    f"quota {service}/{code} not checked: Service Quotas has no such quota"
                )
            else:
                raise translate(exc, address=None, action="read", subject="service quotas") from exc
    return out, warnings


def vcpus(session: AwsSession, types: Iterable[str]) -> dict[str, int]:
    """Default vCPUs of each instance type in ``types`` (those EC2 knows)."""
    wanted = sorted(set(types))
    out: dict[str, int] = {}
    ec2 = session.client("ec2")
    for start in range(0, len(wanted), 100):
        page = ec2.describe_instance_types(InstanceTypes=wanted[start : start + 100])
        for item in page.get("InstanceTypes", []):
            out[item["InstanceType"]] = int(item["VCpuInfo"]["DefaultVCpus"])
    return out


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    found: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        found.extend(page.get(key, []))
    return found


def usage(
    session: AwsSession, codes: Iterable[str], *, cluster: str | None
) -> tuple[Usage, list[str]]:
    """The account's usage of the quotas in ``codes`` (``cluster``: the fabric's EKS cluster,
    for the per-cluster quotas, when it exists), and warnings for what could not be read."""
    wanted = set(codes)
    counts: Counter[tuple[str, str]] = Counter()
    warnings: list[str] = []
    ec2 = session.client("ec2")

    def count(what: str, permission: str, read: Any) -> None:
        try:
            read()
        except (ClientError, BotoCoreError) as exc:
            if not _denied(exc):
                raise translate(exc, address=None, action="read", subject=what) from exc
            warnings.append(
                f"usage of {what} not read (allow {permission}): its quota is checked as if "
                "nothing else used it"
            )

    if "L-F678F1CE" in wanted:
        count(
            "VPCs",
            "ec2:DescribeVpcs",
            lambda: counts.update({("L-F678F1CE", ""): len(_pages(ec2, "describe_vpcs", "Vpcs"))}),
        )
    if "L-A4707A72" in wanted:
        count(
            "internet gateways",
            "ec2:DescribeInternetGateways",
            lambda: counts.update(
                {
                    ("L-A4707A72", ""): len(
                        _pages(ec2, "describe_internet_gateways", "InternetGateways")
                    )
                }
            ),
        )
    if "L-FE5A380F" in wanted:

        def nat() -> None:
            gateways = _pages(
                ec2,
                "describe_nat_gateways",
                "NatGateways",
                Filters=[{"Name": "state", "Values": ["pending", "available"]}],
            )
            subnets = sorted({g["SubnetId"] for g in gateways if g.get("SubnetId")})
            zone = {}
            if subnets:
                for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]:
                    zone[s["SubnetId"]] = s["AvailabilityZone"]
            for g in gateways:
                counts[("L-FE5A380F", zone.get(g.get("SubnetId", ""), "?"))] += 1

        count("NAT gateways", "ec2:DescribeNatGateways", nat)
    if "L-0263D0A3" in wanted:
        count(
            "Elastic IPs",
            "ec2:DescribeAddresses",
            lambda: counts.update(
                {("L-0263D0A3", ""): len(ec2.describe_addresses().get("Addresses", []))}
            ),
        )
    if wanted & set(VCPU_QUOTAS.values()):

        def instances() -> None:
            running = [
                i
                for r in _pages(
                    ec2,
                    "describe_instances",
                    "Reservations",
                    Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}],
                )
                for i in r.get("Instances", [])
            ]
            sizes = vcpus(session, {i["InstanceType"] for i in running})
            for i in running:
                cls = vcpu_class(i["InstanceType"])
                if cls is None:
                    continue
                spot = i.get("InstanceLifecycle") == "spot"
                cpu = (i.get("CpuOptions") or {}).get("CoreCount")
                threads = (i.get("CpuOptions") or {}).get("ThreadsPerCore")
                n = cpu * threads if cpu and threads else sizes.get(i["InstanceType"], 0)
                counts[(VCPU_QUOTAS[(cls, spot)], "")] += int(n)

        count("running instances", "ec2:DescribeInstances", instances)
    eks = session.client("eks")
    if "L-1194D53C" in wanted:
        count(
            "EKS clusters",
            "eks:ListClusters",
            lambda: counts.update(
                {("L-1194D53C", ""): len(_pages(eks, "list_clusters", "clusters"))}
            ),
        )
    if cluster and "L-6D54EA21" in wanted:
        count(
            "the cluster's node groups",
            "eks:ListNodegroups",
            lambda: counts.update(
                {
                    ("L-6D54EA21", "cluster"): len(
                        _pages(eks, "list_nodegroups", "nodegroups", clusterName=cluster)
                    )
                }
            ),
        )
    if cluster and "L-33415657" in wanted:
        count(
            "the cluster's Fargate profiles",
            "eks:ListFargateProfiles",
            lambda: counts.update(
                {
                    ("L-33415657", "cluster"): len(
                        _pages(
                            eks, "list_fargate_profiles", "fargateProfileNames", clusterName=cluster
                        )
                    )
                }
            ),
        )
    if RDS_INSTANCES in wanted:

        def rds() -> None:
            for q in session.client("rds").describe_account_attributes()["AccountQuotas"]:
                if q.get("AccountQuotaName") == "DBInstances":
                    counts[(RDS_INSTANCES, "")] = int(q["Used"])

        count("RDS instances", "rds:DescribeAccountAttributes", rds)
    if "L-53DA6B97" in wanted:

        def albs() -> None:
            found = _pages(session.client("elbv2"), "describe_load_balancers", "LoadBalancers")
            counts[("L-53DA6B97", "")] = sum(1 for lb in found if lb.get("Type") == "application")

        count("load balancers", "elasticloadbalancing:DescribeLoadBalancers", albs)
    return Usage(dict(counts)), warnings


def fabric_albs(session: AwsSession, group: str) -> int:
    """How many ALBs the AWS Load Balancer Controller made for the ingress group ``group``
    (tag ``ingress.k8s.aws/stack``)."""
    elbv2 = session.client("elbv2")
    arns = [
        lb["LoadBalancerArn"]
        for lb in _pages(elbv2, "describe_load_balancers", "LoadBalancers")
        if lb.get("Type") == "application"
    ]
    found = 0
    for start in range(0, len(arns), 20):
        for d in elbv2.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
            tags = {t["Key"]: t["Value"] for t in d.get("Tags", [])}
            if tags.get("ingress.k8s.aws/stack") == group:
                found += 1
    return found
