"""What is still in the cloud for a fabric: the proof that a teardown is complete.

Independent readings, each catching what another may miss:

1. weft's own per-kind discovery (everything it manages, ``weft:fabric`` + ``weft:id``);
2. the Resource Groups Tagging API, for anything carrying the fabric's tag or its cluster's tags
   (``kubernetes.io/cluster/<name>``, ``elbv2.k8s.aws/cluster``), whatever made it;
3. per-service scans for what that API misses or is slow to forget: ELB and ELBv2 load balancers,
   target groups, security groups, network interfaces and volumes tagged for the fabric or its
   cluster, in any VPC (:mod:`weft.aws.sweep`), EC2 instances and Elastic IPs so tagged, and the
   log group EKS keeps for the cluster's control-plane logs.

Each leftover says why it is there. Some are there by design (``intended``): a database's final
snapshot; a KMS key, which waits at least 7 days in PendingDeletion; the fabric bucket kept by
``weft down --keep-journal``; the control-plane logs EKS keeps. Everything else is unintended,
and ``weft leftovers`` (and ``weft down``, which ends with this report) exits non-zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.journal import read_journal
from weft.aws.sweep import CLUSTER_TAG_PREFIX, ELBV2_CLUSTER_TAG, Scope, sweepers
from weft.aws.sweep.security_group import tag_filters
from weft.model.tags import FABRIC_TAG
from weft.ops import retrying
from weft.ops.target import Target

_LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]


@dataclass(frozen=True)
class Leftover:
    kind: str
    id: str
    why: str
    intended: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _read(what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise errors.translate(exc, address=None, action="read", subject=what) from exc


def _tag_filters(scope: Scope) -> list[list[dict[str, Any]]]:
    """Tagging API filters, one call each (its filters are ANDed)."""
    filters: list[list[dict[str, Any]]] = [[{"Key": FABRIC_TAG, "Values": [scope.fabric]}]]
    if scope.cluster:
        filters.append([{"Key": CLUSTER_TAG_PREFIX + scope.cluster}])
        filters.append([{"Key": ELBV2_CLUSTER_TAG, "Values": [scope.cluster]}])
    return filters


def _tagged_arns(target: Target, scope: Scope) -> list[str]:
    client = target.session.client("resourcegroupstaggingapi")
    arns: dict[str, None] = {}
    for filters in _tag_filters(scope):
        pages = _read("tagging API", lambda f=filters: list(_pages(client, f)))
        for page in pages:
            arns.update((m["ResourceARN"], None) for m in page.get("ResourceTagMappingList", []))
    return list(arns)


def _pages(client: Any, filters: list[dict[str, Any]]) -> Any:
    return client.get_paginator("get_resources").paginate(TagFilters=filters)


def _kms_pending(target: Target, arn: str) -> bool:
    try:
        meta = target.session.client("kms").describe_key(KeyId=arn)["KeyMetadata"]
    except ClientError:
        return False
    return bool(meta.get("KeyState") == "PendingDeletion")


def _nat_gone(target: Target, nat_id: str) -> bool:
    try:
        resp = target.session.client("ec2").describe_nat_gateways(NatGatewayIds=[nat_id])
    except ClientError:
        return True
    states = {n["State"] for n in resp.get("NatGateways", [])}
    return not states or states <= {"deleted", "deleting"}


def _instances(target: Target, scope: Scope) -> list[Leftover]:
    """EC2 instances (nodes) still running for the fabric or its cluster."""
    ec2 = target.session.client("ec2")
    found: dict[str, Leftover] = {}
    state = {"Name": "instance-state-name", "Values": _LIVE_INSTANCE_STATES}
    for filters in tag_filters(scope):
        pages = _read(
            "instances",
            lambda f=filters: list(
                ec2.get_paginator("describe_instances").paginate(Filters=[*f, state])
            ),
        )
        for page in pages:
            for reservation in page.get("Reservations", []):
                for inst in reservation.get("Instances", []):
                    state_name = inst.get("State", {}).get("Name")
                    found[inst["InstanceId"]] = Leftover(
                        "ec2 instance",
                        inst["InstanceId"],
                        f"{state_name}, tagged for the fabric or its cluster",
                    )
    return list(found.values())


def _addresses(target: Target, scope: Scope) -> list[Leftover]:
    ec2 = target.session.client("ec2")
    flt = [{"Name": f"tag:{FABRIC_TAG}", "Values": [scope.fabric]}]
    answer = _read("elastic IPs", ec2.describe_addresses, Filters=flt)
    return [
        Leftover("elastic ip", a["AllocationId"], "still allocated, tagged for the fabric")
        for a in answer.get("Addresses", [])
    ]


def _log_groups(target: Target, scope: Scope) -> list[Leftover]:
    if not scope.cluster:
        return []
    logs = target.session.client("logs")
    prefix = f"/aws/eks/{scope.cluster}/"
    pages = _read(
        "log groups",
        lambda: list(logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix)),
    )
    return [
        Leftover(
            "log group",
            group["logGroupName"],
            "the cluster's control-plane logs, which EKS keeps; delete them with: aws logs "
            f"delete-log-group --log-group-name {group['logGroupName']}",
            True,
        )
        for page in pages
        for group in page.get("logGroups", [])
    ]


def _mentions(arn: str, ids: set[str]) -> bool:
    return any(arn == i or arn.endswith(f"/{i}") or arn.endswith(f":{i}") for i in ids)


def find(target: Target, *, include_intended: bool = False) -> list[Leftover]:
    """Everything still in the cloud for the fabric; with ``include_intended``, also what is
    kept by design (each marked ``intended``). Read again when a reading fails for a temporary
    reason (:mod:`weft.ops.retrying`)."""
    found = retrying.attempt(lambda: _find(target))
    if include_intended:
        return found
    return [item for item in found if not item.intended]


def _find(target: Target) -> list[Leftover]:
    from weft.ops.lifecycle import BUCKET, inventory
    from weft.ops.teardown import kept_journal, sweep_scope

    inv = inventory(target)
    scope = sweep_scope(target, inv, any_vpc=True)
    found: list[Leftover] = []
    for obs in inv.by_address.values():  # duplicates (name#2) included
        if obs.address == BUCKET and kept_journal(read_journal(target.context(), 1)):
            found.append(
                Leftover(
                    obs.kind, obs.id, "the fabric's journal, kept by down --keep-journal", True
                )
            )
            continue
        found.append(Leftover(obs.kind, obs.id, "still present (weft discovery)"))
    for kind, sweeper in sweepers(scope).items():
        scanned = _read(f"{kind} resources", sweeper.scan, target.context(), everything=True)
        for obs in scanned:
            why = str(obs.props.get("why", "tagged for the fabric"))
            state = f"{obs.state}, " if obs.state not in ("ok", "") else ""
            found.append(Leftover(kind, obs.id, f"{state}{why} (scan)"))
    found.extend(_instances(target, scope))
    found.extend(_addresses(target, scope))
    found.extend(_log_groups(target, scope))
    known = {item.id for item in found}
    for arn in _tagged_arns(target, scope):
        if _mentions(arn, known):
            continue
        service = arn.split(":")[2] if arn.count(":") >= 5 else "?"
        resource = arn.split(":", 5)[-1]
        if service == "rds" and resource.startswith("snapshot:"):
            found.append(Leftover("rds snapshot", arn, "final snapshot of a database, kept", True))
            continue
        if service == "kms" and _kms_pending(target, arn):
            found.append(
                Leftover("kms key", arn, "scheduled for deletion (KMS waits 7+ days)", True)
            )
            continue
        if resource.startswith("natgateway/") and _nat_gone(target, resource.split("/", 1)[1]):
            continue
        found.append(
            Leftover(service, arn, "still tagged for the fabric or its cluster (tagging API)")
        )
    return found
