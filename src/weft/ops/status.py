"""``weft status``: every resource of the fabric, its id and state, the lock and the last run.

The rows (:func:`rows`) are pure: the fabric file's resources against an inventory, each desired
one present or missing, then what the cloud holds that the file does not name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from weft.aws.inventory import Inventory
from weft.aws.lock import LockInfo
from weft.core.resource import Observed, Resource
from weft.model import desired_resources
from weft.model.addresses import CLUSTER, FABRIC_BUCKET, HOSTED_ZONE
from weft.ops.plan import dns_delegation, inventory, support_warnings
from weft.ops.run import current_lock, last_entry
from weft.ops.target import Target


@dataclass(frozen=True)
class StatusRow:
    address: str
    kind: str
    id: str | None
    state: str
    note: str = ""
    endpoint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "id": self.id,
            "state": self.state,
            "endpoint": self.endpoint,
            "note": self.note,
        }


@dataclass(frozen=True)
class Status:
    """What ``weft status`` shows: the rows, who holds the lock, the journal's newest entry."""

    rows: list[StatusRow]
    lock: LockInfo | None
    last: dict[str, Any] | None
    #: e.g. the cluster's Kubernetes version in (or near) EKS extended support
    warnings: list[str] = field(default_factory=list)
    #: the hosted zone's name servers and whether the domain is delegated to them
    dns: dict[str, Any] | None = None


def endpoint(obs: Observed) -> str | None:
    """Where to reach a resource that serves something (cluster API, database, cache)."""
    found = obs.outputs.get("endpoint")
    if not found:
        return None
    port = obs.outputs.get("port")
    return f"{found}:{port}" if port and f":{port}" not in str(found) else str(found)


def row_note(obs: Observed) -> str:
    """What a present resource's row says besides its state: the alarm topic's addresses
    whose owners have not yet confirmed the e-mail AWS sent them (nothing reaches them until
    they do); where the Prometheus workspace is queried and written to."""
    if obs.kind == "amp_workspace" and obs.outputs.get("endpoint"):
        base = str(obs.outputs["endpoint"]).rstrip("/")
        return (
            f"query: {base}/api/v1/query, remote write: {base}/api/v1/remote_write "
            "(requests signed with SigV4, service aps)"
        )
    waiting = list(obs.outputs.get("pending") or []) if obs.kind == "sns_topic" else []
    if not waiting:
        return ""
    return (
        f"{len(waiting)} e-mail subscription(s) pending confirmation: {', '.join(waiting)} "
        "(each must follow the link in the e-mail AWS sent; AWS drops it unconfirmed after "
        "48 hours, and `weft up` subscribes the address again)"
    )


def rows(desired: list[Resource], inv: Inventory) -> list[StatusRow]:
    """Every resource of the fabric: desired ones (present or missing) and strays."""
    found: list[StatusRow] = []
    seen: set[str] = set()
    for res in desired:
        obs = inv.by_address.get(res.address)
        seen.add(res.address)
        if obs is None:
            found.append(StatusRow(res.address, res.kind, None, "absent", "not created yet"))
        else:
            found.append(
                StatusRow(res.address, res.kind, obs.id, obs.state, row_note(obs), endpoint(obs))
            )
    extra: list[Observed] = [o for a, o in inv.by_address.items() if a not in seen]
    duplicates = {d.address for d in inv.duplicates}
    for obs in extra:  # duplicates (``name#2``) included
        note = "a duplicate" if obs.address in duplicates else "not in the fabric file"
        found.append(StatusRow(obs.address, obs.kind, obs.id, obs.state, note))
    return found


def status_rows(target: Target, inv: Inventory | None = None) -> list[StatusRow]:
    """The fabric's rows, from the cloud as it is now (or ``inv``)."""
    desired = desired_resources(
        target.fabric, account_id=target.account_id, zones=list(target.zones)
    )
    return rows(desired, inv or inventory(target))


def status(target: Target) -> Status:
    """The rows, and, while the fabric bucket exists, its lock and the last run it recorded;
    warnings on the Kubernetes version the cluster runs; the hosted zone's name servers and
    whether the domain is delegated to them."""
    inv = inventory(target)
    found = status_rows(target, inv)
    present = any(r.address == FABRIC_BUCKET and r.id for r in found)
    lock = current_lock(target) if present else None
    last = last_entry(target) if present else None
    cluster = inv.by_address.get(CLUSTER)
    warnings = []
    if cluster is not None and cluster.props.get("version"):
        warnings = support_warnings(target, str(cluster.props["version"]), running=True)
    dns = dns_delegation(target) if HOSTED_ZONE in inv.by_address else None
    return Status(found, lock, last, warnings, dns.to_dict() if dns is not None else None)
