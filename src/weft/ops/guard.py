"""Guard rails: what a plan destroys, who must confirm it, and data weft never deletes unasked.

- **Destructive changes** (:func:`destructive`): deleting or replacing a database, a cache, the
  cluster, or a bucket that holds objects. Plans list them apart (``destructive`` in ``--json``).
- **Protected fabrics** (``protect: true``, the default when the name contains ``prod``):
  ``down``, and any ``up`` with destructive changes, need ``--confirm <fabric name>``
  (:func:`require_confirmation`), checked before anything is changed, and again under the lock.
- **Replacing a cluster, a database or a cache** (:data:`DOWNTIME`) needs ``--confirm <fabric
  name>`` on every fabric, protected or not: ``--yes`` (or a saved plan) alone never replaces
  them. The plan says what each replacement costs: its downtime, and the data that goes.
- **Data** (:func:`refuse_data_loss`): a bucket that holds objects is not emptied, and volumes
  Kubernetes left are not deleted, without ``--delete-data``; a database or EKS cluster with
  deletion protection is not deleted at all (the refusal names the command that lifts it). All
  are checked before anything is deleted, so a refused command has touched nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from weft.aws.data_at_risk import object_count
from weft.aws.drivers.eks_cluster import protection_hint
from weft.core.plan import Action, Plan
from weft.errors import GuardError
from weft.ops.target import Target

DATABASE = "db_instance"
CLUSTER = "eks_cluster"
OBJECT_BUCKET = "bucket"

#: Kinds whose deletion or replacement loses something, and what to call them.
DESTRUCTIVE_KINDS = {
    "db_instance": "database",
    "cache_replication_group": "cache",
    "eks_cluster": "cluster",
    "bucket": "bucket",
}


#: What replacing each of these kinds costs (downtime, data): replacing one needs --confirm on
#: every fabric.
DOWNTIME = {
    "eks_cluster": "the apps stop until the new cluster (10-15 minutes) and its nodes are up, "
    "and must be deployed again",
    "db_instance": "its data goes (final snapshot kept) and it is unreachable until the new "
    "one is up (about 10 minutes)",
    "cache_replication_group": "its data goes and it is unreachable until the new one is up "
    "(about 10 minutes)",
}


@dataclass(frozen=True)
class Destructive:
    """One destructive change: its resource, what happens, and what is lost."""

    address: str
    kind: str
    action: str
    id: str | None
    what: str

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


#: How many objects a bucket (named by its id) holds.
ObjectCount = Callable[[str], int]


def _counter(target: Target, objects: ObjectCount | None) -> ObjectCount:
    """``objects``, or a count read from the cloud now (one listing per bucket asked about)."""
    return objects or (lambda bucket: object_count(target.context(), bucket))


def destructive(
    target: Target, plan: Plan, *, objects: ObjectCount | None = None
) -> list[Destructive]:
    """The plan's deletions and replacements of databases, caches, the cluster, and buckets that
    hold objects (counted now: one listing per such bucket, unless ``objects`` counts)."""
    count_of = _counter(target, objects)
    found = []
    for change in plan.actionable:
        noun = DESTRUCTIVE_KINDS.get(change.kind)
        if noun is None or change.action not in (Action.DELETE, Action.REPLACE):
            continue
        verb = "deleted" if change.action is Action.DELETE else "replaced"
        if change.kind == OBJECT_BUCKET:
            count = count_of(change.cloud_id) if change.cloud_id else 0
            if not count:
                continue
            what = f"bucket {change.cloud_id} {verb}: it holds {_counted(count, 'object')}"
        elif change.action is Action.REPLACE and change.kind in DOWNTIME:
            what = f"{noun} {change.cloud_id} replaced: {DOWNTIME[change.kind]}"
        elif change.kind == DATABASE:
            what = f"database {change.cloud_id} {verb}: its data goes (final snapshot kept)"
        else:
            what = f"{noun} {change.cloud_id} {verb}"
        found.append(
            Destructive(change.address, change.kind, change.action.value, change.cloud_id, what)
        )
    return found


def require_confirmation(
    target: Target, confirm: str | None, *, command: str, changes: list[Destructive] | None = None
) -> None:
    """Refuse ``command`` on a protected fabric unless ``--confirm`` names it.

    ``down`` always needs it on a protected fabric; ``up`` only with destructive ``changes``,
    and on every fabric when they replace a cluster, a database or a cache (:data:`DOWNTIME`).
    A ``--confirm`` naming another fabric is refused whether or not the fabric is protected.
    """
    name = target.name
    if confirm is not None and confirm != name:
        raise GuardError(
            f"--confirm {confirm} does not name this fabric ({name}); nothing was changed",
            hint=f"check the file (-f) and the credentials; to go ahead pass --confirm {name}",
        )
    replaced = [d for d in changes or [] if needs_name(d)]
    if replaced and confirm != name:
        listed = "; ".join(d.what for d in replaced)
        raise GuardError(
            f"this plan replaces: {listed}; --yes alone never replaces a cluster, a database "
            "or a cache; nothing was changed",
            hint=f"review the plan; to go ahead pass --confirm {name}",
        )
    if not target.fabric.protect or confirm == name:
        return
    if command == "down":
        raise GuardError(
            f"fabric {name} is protected (protect: true): weft down deletes all of it; "
            "nothing was changed",
            hint=f"if that is what you want, pass --confirm {name}",
        )
    if changes:
        listed = "; ".join(d.what for d in changes)
        raise GuardError(
            f"fabric {name} is protected (protect: true) and this plan destroys: {listed}; "
            "nothing was changed",
            hint=f"review the plan; to go ahead pass --confirm {name}",
        )


def needs_name(change: Destructive) -> bool:
    """Whether ``change`` replaces a cluster, a database or a cache: ``--confirm NAME`` on
    every fabric."""
    return change.action == Action.REPLACE.value and change.kind in DOWNTIME


def refuse_data_loss(
    target: Target,
    plan: Plan,
    *,
    delete_data: bool,
    volumes: list[str] | None = None,
    objects: ObjectCount | None = None,
) -> None:
    """Refuse, before anything is deleted, a plan that would delete data unasked.

    ``volumes``: ids of volumes the sweep found (Kubernetes' persistent volumes); ``objects``
    counts what a bucket holds (by default, read from the cloud now).
    """
    count_of = _counter(target, objects)
    problems: list[str] = []
    hints: list[str] = []
    for change in plan.actionable:
        if change.action not in (Action.DELETE, Action.REPLACE) or change.observed is None:
            continue
        if change.kind == DATABASE and change.observed.props.get("deletion_protection"):
            identifier = change.observed.id
            problems.append(f"database {identifier} has deletion protection")
            hints.append(
                f"aws rds modify-db-instance --db-instance-identifier {identifier} "
                "--no-deletion-protection --apply-immediately (or set protect: false and run "
                "weft up)"
            )
        if change.kind == CLUSTER and change.observed.props.get("deletion_protection"):
            name = change.observed.id
            problems.append(f"EKS cluster {name} has deletion protection")
            hints.append(protection_hint(name))
        if change.kind == OBJECT_BUCKET and not delete_data:
            count = count_of(change.observed.id)
            if count:
                problems.append(f"bucket {change.observed.id} holds {_counted(count, 'object')}")
                hints.append("pass --delete-data to empty it (weft does not delete data unasked)")
    if volumes and not delete_data:
        problems.append(
            f"{_counted(len(volumes), 'volume')} tagged for the fabric or its cluster remain "
            f"({', '.join(volumes)})"
        )
        hints.append("pass --delete-data to delete them (they may hold persistent volumes' data)")
    if problems:
        raise GuardError(
            "refusing to delete data: " + "; ".join(problems) + "; nothing was deleted",
            hint="; ".join(dict.fromkeys(hints)),
        )
