"""What is still in the cloud for a fabric: the proof that a teardown is complete.

Two independent readings: weft's own per-kind discovery (everything it manages), and the Resource
Groups Tagging API (anything else carrying the fabric's tag, whatever made it). What is kept or
on its way out by design (a database's final snapshot; a KMS key, which waits at least 7 days in
PendingDeletion) is listed as intended.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.errors import translate
from weft.model.tags import FABRIC_TAG
from weft.ops.target import Target


@dataclass(frozen=True)
class Leftover:
    kind: str
    id: str
    why: str
    intended: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _tagged_arns(target: Target) -> list[str]:
    client = target.session.client("resourcegroupstaggingapi")
    arns: list[str] = []
    try:
        for page in client.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": FABRIC_TAG, "Values": [target.name]}]
        ):
            arns.extend(m["ResourceARN"] for m in page.get("ResourceTagMappingList", []))
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="tagging API", action="read") from exc
    return arns


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


def find(target: Target, *, include_intended: bool = False) -> list[Leftover]:
    from weft.ops.lifecycle import inventory

    inv = inventory(target)
    found = [
        Leftover(o.kind, o.id, "still present (weft discovery)")
        for o in [*inv.by_address.values(), *inv.duplicates]
    ]
    known = {item.id for item in found}
    for arn in _tagged_arns(target):
        if any(arn.endswith(i) or f"/{i}" in arn or f":{i}" in arn for i in known):
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
        found.append(Leftover(service, arn, "still tagged for the fabric (tagging API)"))
    if include_intended:
        return found
    return [item for item in found if not item.intended]
