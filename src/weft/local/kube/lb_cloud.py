"""The load-balancer controller simulator's side in the local AWS (moto): where an object's
load balancer belongs (:class:`Locator`), and the ELBv2 calls that make, complete and delete it.

**Where.** The cluster of an object labelled with a fabric (several fabrics share the local API
server) is the EKS cluster tagged with that fabric. Otherwise the cluster name and region come
from ``<state dir>/local/kube-cluster.json`` (``{"cluster": ..., "region": ...}``, written by
weft when it maps an EKS cluster of the local AWS onto this API server); without it, from the
first EKS cluster found in the local AWS; else ``weft-local`` in ``$AWS_DEFAULT_REGION``
(``us-east-1``). The VPC is that EKS cluster's, else the VPC tagged
``kubernetes.io/cluster/<cluster>``. Answers are kept 10 s.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.kube.load_balancer import (
    FABRIC_TAG,
    Where,
    choose_subnets,
    lb_name,
    missing_listeners,
    owns,
    tg_name,
    tg_tags,
)

log = logging.getLogger("weft.local.kube.lb")

#: Seconds an answer of :class:`Locator` is kept.
WHERE_TTL = 10


def aws_client(endpoint: str, service: str, region: str) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
    )


class Locator:
    """Finds (and keeps for a while) the cluster, region and VPC of a load balancer."""

    def __init__(
        self, state_dir: Path, endpoint: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.state_dir = state_dir
        self.endpoint = endpoint
        self.clock = clock
        self._where: tuple[float, float, Where] | None = None
        self._by_fabric: dict[str, tuple[float, Where | None]] = {}

    def _aws(self, service: str, region: str) -> Any:
        return aws_client(self.endpoint, service, region)

    def where(self, fabric: str | None) -> Where:
        """The EKS cluster of ``fabric`` when there is one, else the configured or first."""
        if fabric:
            found = self._fabric_where(fabric)
            if found is not None:
                return found
        return self._default_where()

    def _fabric_where(self, fabric: str) -> Where | None:
        cached = self._by_fabric.get(fabric)
        if cached and self.clock() - cached[0] < WHERE_TTL:
            return cached[1]
        default_region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        try:
            described = self._aws("ec2", default_region).describe_regions()["Regions"]
            regions = [r["RegionName"] for r in described]
        except (ClientError, BotoCoreError):
            regions = [default_region]
        result = None
        for region in regions:
            eks = self._aws("eks", region)
            try:
                names = eks.list_clusters().get("clusters") or []
            except (ClientError, BotoCoreError):
                continue
            for name in names:
                try:
                    desc = eks.describe_cluster(name=name)["cluster"]
                except (ClientError, BotoCoreError):
                    continue
                if (desc.get("tags") or {}).get(FABRIC_TAG) == fabric:
                    vpc = (desc.get("resourcesVpcConfig") or {}).get("vpcId")
                    result = Where(cluster=name, region=region, vpc_id=vpc)
                    break
            if result:
                break
        self._by_fabric[fabric] = (self.clock(), result)
        return result

    def _default_where(self) -> Where:
        path = self.state_dir / "kube-cluster.json"
        try:
            stamp = path.stat().st_mtime
        except OSError:
            stamp = 0.0
        cached = self._where
        if cached and cached[0] == stamp and self.clock() - cached[1] < WHERE_TTL:
            return cached[2]
        cfg: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            cfg = json.loads(path.read_text())
        default_region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        cluster, region = cfg.get("cluster"), cfg.get("region")
        if not cluster:
            found = self._find_eks_cluster([region] if region else None, default_region)
            if found:
                cluster, region = found
        cluster = cluster or "weft-local"
        region = region or default_region
        vpc_id: str | None = None
        try:
            desc = self._aws("eks", region).describe_cluster(name=cluster)["cluster"]
            vpc_id = (desc.get("resourcesVpcConfig") or {}).get("vpcId")
        except (ClientError, BotoCoreError):
            pass
        if not vpc_id:
            try:
                vpcs = self._aws("ec2", region).describe_vpcs(
                    Filters=[{"Name": "tag-key", "Values": [f"kubernetes.io/cluster/{cluster}"]}]
                )["Vpcs"]
                vpc_id = vpcs[0]["VpcId"] if vpcs else None
            except (ClientError, BotoCoreError):
                pass
        result = Where(cluster=cluster, region=region, vpc_id=vpc_id)
        self._where = (stamp, self.clock(), result)
        return result

    def _find_eks_cluster(
        self, regions: list[str] | None, default_region: str
    ) -> tuple[str, str] | None:
        if regions is None:
            try:
                described = self._aws("ec2", default_region).describe_regions()["Regions"]
                names = [r["RegionName"] for r in described]
            except (ClientError, BotoCoreError):
                names = []
            regions = [default_region] + [r for r in names if r != default_region]
        for region in regions:
            try:
                clusters = self._aws("eks", region).list_clusters().get("clusters") or []
            except (ClientError, BotoCoreError):
                continue
            if clusters:
                return sorted(clusters)[0], region
        return None


def subnets(ec2: Any, where: Where, scheme: str) -> list[str]:
    """The subnets of a new load balancer (:func:`.load_balancer.choose_subnets`) among those of
    the cluster's VPC, else of the first VPC that has subnets."""
    filters = [{"Name": "vpc-id", "Values": [where.vpc_id]}] if where.vpc_id else []
    found = ec2.describe_subnets(Filters=filters)["Subnets"] if filters else []
    if not found:
        found = ec2.describe_subnets()["Subnets"]
        if found:
            vpc = found[0]["VpcId"]
            found = [s for s in found if s["VpcId"] == vpc]
    return choose_subnets(found, scheme)


def find_lb(elbv2: Any, name: str) -> dict[str, Any] | None:
    try:
        lbs = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in (
            "LoadBalancerNotFound",
            "LoadBalancerNotFoundException",
        ):
            return None
        raise
    return lbs[0] if lbs else None


def create_lb(
    elbv2: Any, *, name: str, subnets: list[str], scheme: str, kind: str, tags: dict[str, str]
) -> dict[str, Any]:
    """A network load balancer for a Service, an application one for an Ingress."""
    lb: dict[str, Any] = elbv2.create_load_balancer(
        Name=name,
        Subnets=subnets,
        Scheme=scheme,
        Type="network" if kind == "Service" else "application",
        IpAddressType="ipv4",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )["LoadBalancers"][0]
    return lb


def ensure_listeners(
    elbv2: Any,
    where: Where,
    lb: dict[str, Any],
    *,
    kind: str,
    stack: str,
    ports: list[dict[str, Any]],
    tags: dict[str, str],
) -> None:
    """An Ingress's ALB: one HTTP:80 listener answering 404. A Service's NLB: per port, a target
    group and a listener forwarding to it."""
    arn = lb["LoadBalancerArn"]
    existing = {
        listener["Port"] for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    }
    if kind != "Service":
        if 80 not in existing:
            elbv2.create_listener(
                LoadBalancerArn=arn,
                Protocol="HTTP",
                Port=80,
                DefaultActions=[
                    {
                        "Type": "fixed-response",
                        "FixedResponseConfig": {
                            "StatusCode": "404",
                            "ContentType": "text/plain",
                            "MessageBody": "",
                        },
                    }
                ],
            )
        return
    for listener in missing_listeners(ports, existing):
        tg = elbv2.create_target_group(
            Name=tg_name(where.cluster, stack, listener.port),
            Protocol=listener.protocol,
            Port=listener.target_port,
            VpcId=lb.get("VpcId"),
            TargetType="instance",
            Tags=[{"Key": k, "Value": v} for k, v in tg_tags(tags, stack, listener.port).items()],
        )["TargetGroups"][0]
        elbv2.create_listener(
            LoadBalancerArn=arn,
            Protocol=listener.protocol,
            Port=listener.port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
        )


def delete_lb(elbv2: Any, where: Where, stack: str, scheme: str, kind: str) -> None:
    """Delete the stack's load balancer and its target groups, if it is the stack's."""
    name = lb_name(where.cluster, stack, scheme)
    lb = find_lb(elbv2, name)
    if lb is None:
        return
    arn = lb["LoadBalancerArn"]
    tags = {
        t["Key"]: t["Value"]
        for t in elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    }
    if not owns(tags, where.cluster, kind, stack):
        log.warning("not deleting %s: its tags %s are not those of %s", name, tags, stack)
        return
    groups = elbv2.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    for tg in groups:
        try:
            elbv2.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
        except ClientError as exc:
            log.warning("target group %s not deleted: %s", tg["TargetGroupName"], exc)
    log.info("%s %s: deleted load balancer %s", kind, stack, name)
