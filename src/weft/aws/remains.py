"""What the cloud still holds for a fabric beyond weft's discovery and the sweepers' scans.

The readings of the leftover report that only it makes: whatever the Resource Groups Tagging API
lists under the fabric's tag or its cluster's tags, EC2 instances and Elastic IPs so tagged, the
log groups EKS keeps for the cluster's control-plane logs, and the state of a KMS key or a NAT
gateway the tagging API still lists (it is slow to forget them). Each failed reading is raised as
a weft error naming what was read; telling what a leftover is stays with the report
(:mod:`weft.ops.leftovers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.sweep.scope import Scope, tag_filters, tagging_filters
from weft.model.tags import FABRIC_TAG

T = TypeVar("T")

_LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]


@dataclass(frozen=True)
class Instance:
    """An EC2 instance tagged for the fabric or its cluster, and its state."""

    id: str
    state: str | None


def _read(what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except (ClientError, BotoCoreError) as exc:
        raise errors.translate(exc, address=None, action="read", subject=what) from exc


def _pages(what: str, client: Any, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
    return _read(what, lambda: list(client.get_paginator(operation).paginate(**kwargs)))


def tagged_arns(ctx: AwsContext, scope: Scope) -> list[str]:
    """The ARNs the tagging API lists under the fabric's tag or its cluster's tags, in the
    order first listed."""
    client = ctx.client("resourcegroupstaggingapi")
    arns: dict[str, None] = {}
    for filters in tagging_filters(scope):
        for page in _pages("tagging API", client, "get_resources", TagFilters=filters):
            arns.update((m["ResourceARN"], None) for m in page.get("ResourceTagMappingList", []))
    return list(arns)


def kms_pending_deletion(ctx: AwsContext, arn: str) -> bool:
    """The KMS key waits for its deletion (False when it cannot be read)."""
    try:
        meta = ctx.client("kms").describe_key(KeyId=arn)["KeyMetadata"]
    except ClientError:
        return False
    return bool(meta.get("KeyState") == "PendingDeletion")


def nat_gone(ctx: AwsContext, nat_id: str) -> bool:
    """The NAT gateway is deleted or being deleted (or cannot be read)."""
    try:
        resp = ctx.client("ec2").describe_nat_gateways(NatGatewayIds=[nat_id])
    except ClientError:
        return True
    states = {n["State"] for n in resp.get("NatGateways", [])}
    return not states or states <= {"deleted", "deleting"}


def instances(ctx: AwsContext, scope: Scope) -> list[Instance]:
    """EC2 instances (nodes) not yet terminated, tagged for the fabric or its cluster."""
    ec2 = ctx.client("ec2")
    found: dict[str, Instance] = {}
    state = {"Name": "instance-state-name", "Values": _LIVE_INSTANCE_STATES}
    for filters in tag_filters(scope):
        for page in _pages("instances", ec2, "describe_instances", Filters=[*filters, state]):
            for reservation in page.get("Reservations", []):
                for inst in reservation.get("Instances", []):
                    found[inst["InstanceId"]] = Instance(
                        inst["InstanceId"], inst.get("State", {}).get("Name")
                    )
    return list(found.values())


def elastic_ips(ctx: AwsContext, scope: Scope) -> list[str]:
    """Allocation ids of the Elastic IPs tagged for the fabric."""
    ec2 = ctx.client("ec2")
    flt = [{"Name": f"tag:{FABRIC_TAG}", "Values": [scope.fabric]}]
    answer: dict[str, Any] = _read("elastic IPs", lambda: ec2.describe_addresses(Filters=flt))
    return [a["AllocationId"] for a in answer.get("Addresses", [])]


def log_groups(ctx: AwsContext, scope: Scope) -> list[str]:
    """The names of the log groups EKS keeps for the cluster's control-plane logs."""
    if not scope.cluster:
        return []
    prefix = f"/aws/eks/{scope.cluster}/"
    pages = _pages(
        "log groups", ctx.client("logs"), "describe_log_groups", logGroupNamePrefix=prefix
    )
    return [group["logGroupName"] for page in pages for group in page.get("logGroups", [])]
