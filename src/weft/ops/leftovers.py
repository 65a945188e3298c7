"""What is still in the cloud for a fabric: the proof that a teardown is complete.

Independent readings, each catching what another may miss:

1. weft's own per-kind discovery (everything it manages, ``weft:fabric`` + ``weft:id``);
2. the Resource Groups Tagging API, for anything carrying the fabric's tag or its cluster's tags
   (``kubernetes.io/cluster/<name>``, ``elbv2.k8s.aws/cluster``), whatever made it;
3. per-service scans for what that API misses or is slow to forget: ELB and ELBv2 load balancers,
   target groups, security groups, network interfaces and volumes tagged for the fabric or its
   cluster, in any VPC (:mod:`weft.aws.sweep`), EC2 instances and Elastic IPs so tagged, and the
   log group EKS keeps for the cluster's control-plane logs (:mod:`weft.aws.remains`).

Each leftover says why it is there. Some are there by design (``intended``): a database's final
snapshot; a KMS key, which waits at least 7 days in PendingDeletion, or which is kept (tagged
``weft:retained``) because kept final snapshots are encrypted with it; the fabric bucket kept by
``weft down --keep-journal``; the control-plane logs EKS keeps. Everything else is unintended,
and ``weft leftovers`` (and ``weft down``, which ends with this report) exits non-zero.

Reading is :func:`find`; what each reading means is pure (:func:`discovered`, :func:`scanned`,
:func:`tagged`, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from weft.aws import remains
from weft.aws.journal import read_journal
from weft.aws.sweep import scan_everything
from weft.core.resource import Observed
from weft.model.addresses import FABRIC_BUCKET
from weft.model.tags import RETAINED_TAG
from weft.ops import retrying
from weft.ops.plan import inventory
from weft.ops.sweep import sweep_scope
from weft.ops.target import Target


@dataclass(frozen=True)
class Leftover:
    kind: str
    id: str
    why: str
    intended: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def find(target: Target, *, include_intended: bool = False) -> list[Leftover]:
    """Everything still in the cloud for the fabric; with ``include_intended``, also what is
    kept by design (each marked ``intended``). Read again when a reading fails for a temporary
    reason (:mod:`weft.ops.retrying`)."""
    found = retrying.attempt(lambda: _find(target))
    if include_intended:
        return found
    return [item for item in found if not item.intended]


def _find(target: Target) -> list[Leftover]:
    inv = inventory(target)
    scope = sweep_scope(target, inv, any_vpc=True)
    ctx = target.context()
    found = discovered(
        inv.by_address.values(),
        lambda: kept_journal(read_journal(ctx, 1)),
    )
    found.extend(scanned(scan_everything(ctx, scope)))
    found.extend(instances(remains.instances(ctx, scope)))
    found.extend(elastic_ips(remains.elastic_ips(ctx, scope)))
    found.extend(log_groups(remains.log_groups(ctx, scope)))
    known = {item.id for item in found}
    for arn in remains.tagged_arns(ctx, scope):
        item = tagged(
            arn,
            known,
            kms_pending=lambda key: remains.kms_pending_deletion(ctx, key),
            nat_gone=lambda nat: remains.nat_gone(ctx, nat),
        )
        if item is not None:
            found.append(item)
    return found


def kept_journal(entries: list[dict[str, Any]]) -> bool:
    """The newest journal entry is a successful ``down``: the bucket was kept on purpose."""
    return bool(entries) and entries[0].get("command") == "down" and bool(entries[0].get("ok"))


def discovered(observed: Iterable[Observed], journal_kept: Callable[[], bool]) -> list[Leftover]:
    """What weft's discovery still finds (duplicates, ``name#2``, included). The fabric bucket
    is kept by design when ``journal_kept()`` says so (asked only when the bucket is there)."""
    found: list[Leftover] = []
    for obs in observed:
        if obs.address == FABRIC_BUCKET and journal_kept():
            found.append(
                Leftover(
                    obs.kind, obs.id, "the fabric's journal, kept by down --keep-journal", True
                )
            )
            continue
        retained = (obs.props.get("tags") or {}).get(RETAINED_TAG)
        if obs.kind == "kms_key" and retained:
            found.append(
                Leftover(obs.kind, obs.id, f"kept: the final snapshots {retained} need it", True)
            )
            continue
        found.append(Leftover(obs.kind, obs.id, "still present (weft discovery)"))
    return found


def scanned(observed: Iterable[Observed]) -> list[Leftover]:
    """What the sweepers' scans find, with why each is the fabric's and its state."""
    found: list[Leftover] = []
    for obs in observed:
        why = str(obs.props.get("why", "tagged for the fabric"))
        state = f"{obs.state}, " if obs.state not in ("ok", "") else ""
        found.append(Leftover(obs.kind, obs.id, f"{state}{why} (scan)"))
    return found


def instances(found: Iterable[remains.Instance]) -> list[Leftover]:
    """EC2 instances (nodes) still there for the fabric or its cluster."""
    return [
        Leftover("ec2 instance", i.id, f"{i.state}, tagged for the fabric or its cluster")
        for i in found
    ]


def elastic_ips(allocation_ids: Iterable[str]) -> list[Leftover]:
    return [
        Leftover("elastic ip", a, "still allocated, tagged for the fabric") for a in allocation_ids
    ]


def log_groups(names: Iterable[str]) -> list[Leftover]:
    """The cluster's control-plane logs: kept by EKS, so intended, with how to delete them."""
    return [
        Leftover(
            "log group",
            name,
            "the cluster's control-plane logs, which EKS keeps; delete them with: aws logs "
            f"delete-log-group --log-group-name {name}",
            True,
        )
        for name in names
    ]


def mentions(arn: str, ids: set[str]) -> bool:
    """``arn`` names one of ``ids`` (a leftover another reading already found)."""
    return any(arn == i or arn.endswith(f"/{i}") or arn.endswith(f":{i}") for i in ids)


def tagged(
    arn: str,
    known: set[str],
    *,
    kms_pending: Callable[[str], bool],
    nat_gone: Callable[[str], bool],
) -> Leftover | None:
    """What an ARN the tagging API lists is; None when another reading already found it, or
    when it is a NAT gateway already gone or a terminated instance (the API is slow to forget).
    ``kms_pending`` and ``nat_gone`` look the key or gateway up, and are asked only about those."""
    if mentions(arn, known):
        return None
    service = arn.split(":")[2] if arn.count(":") >= 5 else "?"
    resource = arn.split(":", 5)[-1]
    if service == "rds" and resource.startswith("snapshot:"):
        return Leftover("rds snapshot", arn, "final snapshot of a database, kept", True)
    if service == "kms" and kms_pending(arn):
        return Leftover("kms key", arn, "scheduled for deletion (KMS waits 7+ days)", True)
    if resource.startswith("natgateway/") and nat_gone(resource.split("/", 1)[1]):
        return None
    if resource.startswith("instance/"):
        # every instance not terminated was read already (``remains.instances``): this one is
        # terminated, which EC2 keeps listing for about an hour (a node group's old nodes)
        return None
    return Leftover(service, arn, "still tagged for the fabric or its cluster (tagging API)")
