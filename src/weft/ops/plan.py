"""What a command would change: the fabric file (or nothing) against what the cloud holds.

- :func:`make_plan` (``weft plan``, ``weft up``): the file's resources against the inventory,
  refusing changes the cloud cannot make (:func:`check_plan`), with notes in its meta (the file's
  risky choices, :mod:`weft.model.notes`; a Kubernetes version in or near EKS extended support,
  :func:`support_warnings`); the cluster's Kubernetes version is settled by EKS's calendar
  first (:func:`with_cluster_version`: a version past support refused, none given → the
  newest in standard support, then the one the cluster runs); each add-on version the file
  pins is checked against EKS's list for that version (:func:`check_addon_pins`);
- :func:`destroy_plan` (``weft down``): everything the inventory holds for the fabric, deleted;
- :func:`teardown_plan`: what a teardown deletes, dependents first, whatever found it;
- :func:`moved`: whether two plans of the same command agree (the plan a user approved, and the
  one made again under the lock); :func:`read_saved`: a plan saved by ``weft plan --out``,
  checked to be this fabric's.

Reading the cloud (:func:`inventory`) is retried on temporary errors (:mod:`weft.ops.retrying`);
everything else here is pure.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from weft import __version__
from weft.aws import delegation, eks_upgrade, k8s_versions
from weft.aws.drivers import DRIVERS, db_instance
from weft.aws.drivers.kit import DriverBase
from weft.aws.inventory import Inventory, build, discover
from weft.aws.rds_classes import check as check_db_classes
from weft.core import planner
from weft.core.executor import execution_graph
from weft.core.plan import Action, Plan
from weft.core.resource import KindSchema, Observed, Ref, Resource
from weft.errors import CloudError, ConfigError, CycleError, GuardError, StalePlan, UsageError
from weft.fabricfile import Fabric, check_version_step, locate
from weft.fabricfile.data import FINAL_SNAPSHOT
from weft.fabricfile.loader import field_place
from weft.model import desired_resources
from weft.model.addresses import CERTIFICATE, CLUSTER, HOSTED_ZONE, KMS_KEY
from weft.model.notes import Note, plan_notes
from weft.ops import retrying
from weft.ops.target import Target


def schemas() -> dict[str, KindSchema]:
    return {kind: driver.schema for kind, driver in DRIVERS.items()}


def inventory(target: Target) -> Inventory:
    """Everything the cloud holds for the fabric (every driver's discovery; a reading that
    failed for a temporary reason is tried again: see :mod:`weft.ops.retrying`)."""
    return retrying.attempt(lambda: discover(target.context(), DRIVERS))


def meta(target: Target, kind: str) -> dict[str, Any]:
    """What a plan records about where and how it was made."""
    return {
        "kind": kind,
        "account": target.account_id,
        "region": target.region,
        "zones": list(target.zones),
        "file": target.fabric.source,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "weft": __version__,
    }


def make_plan(target: Target, inv: Inventory | None = None) -> Plan:
    """What ``up`` would change: the fabric file against the cloud."""
    inv = inv or inventory(target)
    fabric, version_notes = with_cluster_version(target, inv)
    version_notes += check_addon_pins(target, fabric, inv)
    desired, restore_notes = with_restores(
        target,
        name_moved_nodegroups(
            keep_cluster_zones(
                desired_resources(fabric, account_id=target.account_id, zones=list(target.zones)),
                inv,
            ),
            inv,
        ),
        inv,
    )
    kinds = schemas()
    # What `weft deploy` manages (the apps' DNS records) is not the fabric file's to plan away.
    mine = [o for o in inv.by_address.values() if kinds[o.kind].owner == "fabric"]
    the_plan = duplicates_named(
        planner.plan(target.name, desired, mine, kinds, meta=meta(target, "up")), inv
    )
    check_plan(target.fabric.source, the_plan)
    # The database classes against the versions RDS offers them on (none is created otherwise).
    version_notes += check_db_classes(target.context(), fabric, inv)
    notes = plan_notes(target.fabric) + version_notes + restore_notes
    notes += delegation_notes(target, the_plan)
    the_plan.meta["notes"] = [n.to_dict() for n in notes]
    return the_plan


def with_cluster_version(target: Target, inv: Inventory) -> tuple[Fabric, list[Note]]:
    """The fabric with its cluster's Kubernetes version settled by EKS's calendar
    (DescribeClusterVersions), and what the plan says of it.

    A version the file names is refused (a :class:`ConfigError` naming the file's line) when
    EKS would neither create a cluster on it nor update one to it, with the versions EKS offers;
    the version a cluster already runs is only warned about. No version in the file: the
    version the cluster runs (so a plan does not drift as the calendar's default moves), else,
    for a cluster to create, the newest version in standard support. A calendar that cannot be
    read is said, and fatal only when the version depends on it."""
    fabric, spec = target.fabric, target.fabric.cluster
    if spec is None:
        return fabric, []
    observed = inv.by_address.get(CLUSTER)
    running = str(observed.props.get("version") or "") or None if observed else None
    where = locate(fabric.source, "cluster", None, "version")
    try:
        versions = retrying.attempt(lambda: k8s_versions.calendar(target.session))
    except CloudError as exc:
        version = spec.version or running
        if version is None:
            raise CloudError(
                f"{where}: no version given, and EKS's Kubernetes versions could not be read "
                f"({exc.message}); nothing was changed",
                hint='retry, or name the version: cluster.version: "1.NN"',
            ) from exc
        notes = [Note("warning", f"Kubernetes support dates not checked: {exc.message}")]
        return _versioned(fabric, version), notes
    notes = []
    version = spec.version or running
    if version is None:
        version = k8s_versions.newest_standard(versions)
        if version is None:
            raise CloudError(
                f"{where}: no version given, and EKS lists no Kubernetes version in standard "
                "support; nothing was changed",
                hint='name the version: cluster.version: "1.NN"',
            )
        notes.append(
            Note(
                "note",
                f"cluster.version not set: the cluster is created on Kubernetes {version}, the "
                "newest version in EKS standard support, and keeps it until the file names "
                "another",
            )
        )
    if version != running:
        refused = k8s_versions.unavailable(version, versions)
        if refused:
            message = f"{where}: {refused}; nothing was changed"
            raise ConfigError(message, problems=[message])
    today = dt.datetime.now(dt.UTC).date()
    warnings = k8s_versions.support_warnings(version, versions, today, running=running is not None)
    return _versioned(fabric, version), notes + [Note("warning", w) for w in warnings]


def check_addon_pins(target: Target, fabric: Fabric, inv: Inventory) -> list[Note]:
    """Refuse, before anything is written, an add-on version the file pins
    (``cluster.addons.NAME.version``) that EKS does not run on the cluster's Kubernetes version
    (``fabric``'s, settled by :func:`with_cluster_version`): CreateAddon and UpdateAddon would
    refuse it half-way through ``up`` ("Addon version specified is not supported"). The
    :class:`ConfigError` names the file's line and field and the versions that do run there
    (DescribeAddonVersions). A pin the add-on already runs is not asked about again. A list
    that cannot be read is said in the plan, not fatal: EKS refuses a wrong pin at apply. One
    DescribeAddonVersions for the cluster's Kubernetes version answers every pin."""
    spec = fabric.cluster
    if spec is None or spec.version is None or not pins_to_check(fabric, inv):
        return []
    ctx = target.context()
    try:
        offered = retrying.attempt(partial(eks_upgrade.addon_versions, ctx, spec.version))
    except CloudError as exc:
        return [Note("warning", f"pinned add-on versions not checked: {exc.message}")]
    problems = addon_pin_problems(fabric, inv, offered)
    if problems:
        raise ConfigError("\n".join(problems), problems=problems)
    return []


def pins_to_check(fabric: Fabric, inv: Inventory) -> list[str]:
    """The add-ons whose pinned version :func:`check_addon_pins` asks EKS about: pinned, and
    not the version the add-on already runs."""
    spec = fabric.cluster
    if spec is None or spec.version is None:
        return []
    names = []
    for name, addon in spec.addons.items():
        observed = inv.by_address.get(f"eks_addon.{name}")
        pinned = addon.version
        if pinned is None or (observed and observed.props.get("addon_version") == pinned):
            continue
        names.append(name)
    return names


def addon_pin_problems(
    fabric: Fabric, inv: Inventory, offered: eks_upgrade.AddonVersions
) -> list[str]:
    """What :func:`check_addon_pins` refuses, given ``offered`` (what DescribeAddonVersions
    lists for the cluster's Kubernetes version, per add-on): one message per pin EKS does not
    run there, naming the file's line and field. Pure."""
    spec = fabric.cluster
    if spec is None:
        return []
    problems: list[str] = []
    for name in pins_to_check(fabric, inv):
        pinned = spec.addons[name].version
        runs, default = offered.get(name, ([], None))
        if pinned in runs:
            continue
        where = field_place(fabric.source, ("cluster", "addons", name, "version"))
        listed = ", ".join(f"{v} (the default)" if v == default else v for v in runs)
        problems.append(
            f"{where}: {name} {pinned} does not run on Kubernetes {spec.version}; EKS offers "
            + (f"{listed} there" if runs else "no version of it there")
            + "; set one of those, or version: null (EKS's default); nothing was changed"
        )
    return problems


def with_restores(
    target: Target, desired: list[Resource], inv: Inventory
) -> tuple[list[Resource], list[Note]]:
    """``desired`` with each database to create from a snapshot (``restore_from``) naming the
    snapshot it is restored from (DescribeDBSnapshots: ``final-snapshot`` is the newest final
    snapshot ``weft down`` took of it), and what the plan says of it; a database that exists
    restores nothing. A snapshot that is missing, or that RDS would not restore as the file
    asks (another engine or master user, more storage, another KMS key than the fabric's), is a
    :class:`ConfigError` naming the file's line."""
    source = target.fabric.source
    key = inv.by_address.get(KMS_KEY)
    key_arn = str(key.outputs.get("arn") or "") if key is not None else ""
    out: list[Resource] = []
    notes: list[Note] = []
    for resource in desired:
        wanted = resource.props.get("restore_from") if resource.kind == "db_instance" else None
        if not wanted:
            out.append(resource)
            continue
        if resource.address in inv.by_address:
            out.append(replace(resource, props={**resource.props, "restore_from": None}))
            continue
        props = resource.props
        identifier = str(props["identifier"])
        where = locate(source, "databases", resource.name, "restore_from")
        snapshot = retrying.attempt(partial(find_snapshot, target, identifier, str(wanted)))
        if snapshot is None:
            missing = (
                f"no final snapshot of database {identifier} was found (weft down takes one "
                "unless told --no-final-snapshot)"
                if wanted == FINAL_SNAPSHOT
                else f"no DB snapshot {wanted} was found in {target.region}"
            )
            problems = [
                f"{where}: {missing}; remove restore_from to create an empty database, or name "
                "a snapshot (aws rds describe-db-snapshots lists them)"
            ]
        else:
            problems = [
                f"{where}: {p}" for p in restore_problems(snapshot, props, key_arn, key is None)
            ]
        if problems:
            raise ConfigError("\n".join(problems), problems=problems)
        assert snapshot is not None
        name = str(snapshot["DBSnapshotIdentifier"])
        out.append(replace(resource, props={**props, "restore_from": name}))
        notes.append(
            Note(
                "note",
                f"database {resource.name} is restored from snapshot {name} (taken "
                f"{snapshot.get('SnapshotCreateTime', '?')}), with a new master password: the "
                "old one went with the fabric's bucket",
            )
        )
    return out, notes


def find_snapshot(target: Target, identifier: str, wanted: str) -> dict[str, Any] | None:
    return db_instance.snapshot_to_restore(target.context(), identifier, wanted)


def restore_problems(
    snapshot: dict[str, Any], props: Mapping[str, Any], key_arn: str, key_to_create: bool
) -> list[str]:
    """Why RDS would not restore ``snapshot`` as the database ``props`` asks (pure): the engine
    and master user are the snapshot's, storage never shrinks below it, and the instance keeps
    the snapshot's KMS key, which must be the fabric's (else weft would replace it)."""
    name = snapshot.get("DBSnapshotIdentifier")
    found = []
    if snapshot.get("Engine") and snapshot["Engine"] != props.get("engine"):
        found.append(f"snapshot {name} is of a {snapshot['Engine']} database, not PostgreSQL")
    user = snapshot.get("MasterUsername")
    if user and user != props.get("username"):
        found.append(
            f"snapshot {name} has the master user {user}, which a restored database keeps; "
            f"set username: {user}"
        )
    size = snapshot.get("AllocatedStorage")
    if isinstance(size, int) and size > int(props.get("storage_gb") or 0):
        found.append(
            f"snapshot {name} holds {size} GB, and a database restored from it has at least "
            f"that; set storage_gb: {size} or more"
        )
    key = str(snapshot.get("KmsKeyId") or "")
    if not snapshot.get("Encrypted") or (key and (key_to_create or key != key_arn)):
        found.append(
            f"snapshot {name} is not encrypted with the fabric's KMS key, which a restored "
            "database would keep: copy it with that key first (aws rds copy-db-snapshot "
            "--kms-key-id alias/...), then restore the copy"
        )
    return found


def _versioned(fabric: Fabric, version: str) -> Fabric:
    assert fabric.cluster is not None
    cluster = fabric.cluster.model_copy(update={"version": version})
    return fabric.model_copy(update={"cluster": cluster})


def dns_delegation(target: Target) -> delegation.Delegation | None:
    """Whether the fabric's domain is delegated to its hosted zone (None: no ``dns``, or no
    zone yet). Reading it again on a temporary error; see :mod:`weft.aws.delegation`."""
    if target.fabric.dns is None:
        return None
    domain, zone_id = target.fabric.dns.domain, target.fabric.dns.zone_id
    return retrying.attempt(lambda: delegation.check_domain(target.context(), domain, zone_id))


def delegation_notes(target: Target, the_plan: Plan) -> list[Note]:
    """A plan line when the certificate it creates will wait for the domain's delegation."""
    if target.fabric.dns is None:
        return []
    creates = {c.address for c in the_plan.actionable if c.action is Action.CREATE}
    if CERTIFICATE not in creates:
        return []
    domain = target.fabric.dns.domain
    if HOSTED_ZONE in creates:
        return [
            Note(
                "note",
                f"the hosted zone of {domain} is new: until {domain} is delegated to its name "
                f"servers (weft up shows them), {CERTIFICATE} and what needs it wait; the rest "
                "of the fabric does not",
            )
        ]
    found = dns_delegation(target)
    if found is None or found.delegated:
        return []
    if found.state == delegation.UNKNOWN:
        return [Note("note", f"the delegation of {domain} cannot be checked ({found.reason})")]
    return [
        Note(
            "warning",
            f"{CERTIFICATE} (and what needs it) will wait for the delegation of {domain}: "
            f"{found.reason} ({found.checked_with}); {found.instructions()}",
        )
    ]


def support_warnings(target: Target, version: str, *, running: bool) -> list[str]:
    """What EKS's Kubernetes calendar (DescribeClusterVersions) says of a cluster on ``version``
    (``running``: the cluster exists): extended support (and its price), the end of standard
    support within 60 days, the end of support; with what to set and run. A calendar that
    cannot be read is said, not fatal."""
    try:
        versions = retrying.attempt(lambda: k8s_versions.calendar(target.session))
    except CloudError as exc:
        return [f"Kubernetes support dates not checked: {exc.message}"]
    today = dt.datetime.now(dt.UTC).date()
    return k8s_versions.support_warnings(version, versions, today, running=running)


def keep_cluster_zones(desired: list[Resource], inv: Inventory) -> list[Resource]:
    """``desired`` with the EKS cluster keeping the subnets it has when the fabric only gained
    zones: EKS refuses control-plane subnets in zones the cluster was not created in, so a new
    zone's subnets serve node groups, load balancers and data, and the cluster is not replaced
    (Amazon EKS User Guide, "View Amazon EKS networking requirements for VPC and subnets",
    https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html: "All subnets that you add
    must be in the same set of AZs as originally provided when you created the cluster"). When
    the cluster lost a zone, ``desired`` is left as it is (the plan says the cluster is
    replaced)."""
    observed = inv.by_address.get(CLUSTER)
    if observed is None:
        return desired
    address_of_id = {o.id: a for a, o in inv.by_address.items() if o.kind == "subnet"}
    have = {address_of_id.get(str(i)) for i in observed.props.get("subnet_ids") or ()}
    out = []
    for resource in desired:
        wanted = resource.props.get("subnet_ids") if resource.address == CLUSTER else None
        if wanted:
            kept = [r for r in wanted if isinstance(r, Ref) and r.address in have]
            if None not in have and len(kept) == len(have) and len(kept) < len(wanted):
                resource = replace(resource, props={**resource.props, "subnet_ids": kept})
        out.append(resource)
    return out


#: What tells the two names of a node group apart (:func:`name_moved_nodegroups`).
MOVED_SUFFIX = "-2"


def name_moved_nodegroups(desired: list[Resource], inv: Inventory) -> list[Resource]:
    """``desired`` with each node group whose subnets change (a zone added or removed) named
    anew, so that its replacement is made before the old group is deleted and the nodes keep
    running: EKS cannot move a node group to other subnets, and its name must be free for the
    new group. A group's cloud name changes with its instance types, capacity and disk
    (:func:`weft.model.cluster.nodegroup_name`); for its subnets it takes turns between that
    name and the name with :data:`MOVED_SUFFIX`. A group already on its subnets keeps the name
    it has."""
    id_of = {a: o.id for a, o in inv.by_address.items()}
    out = []
    for resource in desired:
        observed = inv.by_address.get(resource.address)
        if resource.kind == "eks_nodegroup" and observed is not None:
            base = str(resource.props["nodegroup_name"])
            moved = base + MOVED_SUFFIX
            have = str(observed.props.get("nodegroup_name"))
            if have in (base, moved):
                wanted = {
                    id_of.get(r.address) if isinstance(r, Ref) else str(r)
                    for r in resource.props.get("subnet_ids") or ()
                }
                same = None not in wanted and wanted == {
                    str(i) for i in observed.props.get("subnet_ids") or ()
                }
                name = have if same else (base if have == moved else moved)
                resource = replace(resource, props={**resource.props, "nodegroup_name": name})
        out.append(resource)
    return out


def duplicates_named(plan: Plan, inv: Inventory) -> Plan:
    """Say why a duplicate (``name#2``, renamed by the inventory) is deleted.

    The inventory lists duplicates under their own address, so the planner deletes each of
    them as a resource the file does not name; passing them again as ``duplicates`` would
    delete each one twice.
    """
    extra = {d.address for d in inv.duplicates}
    plan.changes = [
        replace(c, reason=f"duplicate of {c.address.partition('#')[0]}")
        if c.address in extra and c.action is Action.DELETE
        else c
        for c in plan.changes
    ]
    return plan


#: The fabric file's list of each kind whose entries are named (for errors naming a field).
_SECTIONS = {"db_instance": "databases", "cache_replication_group": "caches"}


def check_plan(source: str, plan: Plan) -> None:
    """Refuse, before anything is written, changes the cloud cannot make (``source``: the
    fabric file, named in the error with the line and field): a cluster version step EKS does
    not take, and whatever a driver's :meth:`~weft.aws.drivers.kit.DriverBase.refusals` names
    (a database or cache engine downgrade, a database storage decrease); and a plan whose steps
    cannot be ordered (a dependency cycle): found here, when the plan is made, never after the
    user confirmed it."""
    try:
        execution_graph(plan)
    except CycleError as exc:
        raise GuardError(
            f"{source}: weft cannot order the steps of this change ({exc}); nothing was changed",
            hint="make the change in smaller steps, each applied with weft up (e.g. remove the "
            "node groups first, then change the cluster, then add them back)",
        ) from None
    problems: list[str] = []
    for change in plan.actionable:
        if change.action is not Action.UPDATE:
            continue
        if change.kind == "eks_cluster":
            for diff in change.diffs:
                if diff.field == "version":
                    problem = version_problem(str(diff.before), str(diff.after))
                    if problem:
                        problems.append(f"{source}: cluster.version: {problem}")
        driver = DRIVERS.get(change.kind)
        if not isinstance(driver, DriverBase) or change.desired is None or change.observed is None:
            continue
        changed = {d.field for d in change.diffs}
        for refusal in driver.refusals(change.desired.props, change.observed):
            if refusal.field not in changed:
                continue
            section = _SECTIONS.get(change.kind)
            where = (
                locate(source, section, change.desired.name, refusal.field)
                if section
                else f"{source}: {change.address}.{refusal.field}"
            )
            problems.append(f"{where}: {refusal.message}; {refusal.hint}")
    if problems:
        raise ConfigError("\n".join(problems), problems=problems)


def version_problem(running: str, wanted: str) -> str | None:
    """Why ``up`` does not move a cluster running ``running`` to the file's ``wanted``: an
    upgrade is ``weft upgrade``'s (control plane, add-ons, node groups, in order, watched),
    never a side effect of ``up``; a downgrade is impossible."""
    problem = check_version_step(running, wanted)
    path = k8s_versions.upgrade_path(running, wanted)
    if not path:
        return (
            f"{problem} (the cluster runs {running}); if a weft upgrade was interrupted, run "
            "weft upgrade to finish it"
            if problem
            else None
        )
    steps = " → ".join([running, *path])  # the upgrade path
    return (
        f"the file asks for Kubernetes {wanted} and the cluster runs {running}: weft up does not "
        f"upgrade a cluster. Upgrade path: {steps}. Run weft upgrade --to {wanted}: it "
        "upgrades the control plane, then the add-ons, then the node groups, one minor version "
        "at a time, watching the apps, and writes the new version into the file"
    )


def destroy_plan(target: Target, inv: Inventory | None = None) -> Plan:
    """What ``down`` would delete: everything the cloud holds for the fabric."""
    inv = inv or inventory(target)
    return duplicates_named(
        planner.plan(
            target.name, [], inv.by_address.values(), schemas(), meta=meta(target, "down")
        ),
        inv,
    )


def _with_deps(observed: list[Observed], extra: dict[str, set[str]]) -> list[Observed]:
    present = {o.address for o in observed}
    return [
        replace(o, deps=tuple(sorted(set(o.deps) | (extra.get(o.address, set()) & present))))
        for o in observed
    ]


def teardown_plan(
    fabric: str,
    observed: Iterable[Observed],
    plan_meta: dict[str, Any],
    extra_deps: dict[str, set[str]] | None = None,
) -> Plan:
    """Delete everything in ``observed``, dependents first: ordered by the ids they refer to,
    and by ``extra_deps`` (the fabric file's refs) unless those would make a cycle. A change
    found by tag says so (its ``why``)."""
    every = list(build(list(observed)).by_address.values())
    plan: Plan | None = None
    if extra_deps:
        try:
            plan = planner.plan(fabric, [], _with_deps(every, extra_deps), {}, meta=plan_meta)
            execution_graph(plan)
        except CycleError:
            plan = None
    if plan is None:
        plan = planner.plan(fabric, [], every, {}, meta=plan_meta)
    changes = []
    for change in plan.changes:
        why = change.observed.props.get("why") if change.observed else None
        changes.append(replace(change, reason=f"found by tag ({why})") if why else change)
    plan.changes = changes
    return plan


def subplan(plan: Plan, addresses: set[str]) -> Plan:
    """The part of ``plan`` that changes ``addresses``."""
    return Plan(
        plan.fabric,
        [c for c in plan.changes if c.address in addresses],
        plan.fingerprint,
        dict(plan.meta),
    )


def signature(plan: Plan, skip: Iterable[str] = ()) -> list[Any]:
    """What a plan would do, comparable across two readings of the cloud."""
    skipped = set(skip)
    return [
        (c.action.value, c.address, c.cloud_id, [d.to_dict() for d in c.diffs])
        for c in plan.actionable
        if c.address not in skipped
    ]


def moved(fresh: Plan, approved: Plan, skip: Iterable[str] = ()) -> list[str]:
    """Addresses whose change differs between ``fresh`` and ``approved`` (empty: the same plan).

    Any difference refuses the apply, even when the cloud moved towards the plan (a resource it
    would create now exists: a request still in flight when a previous run died): what was
    approved is exactly what is applied.
    """
    one = {json.dumps(entry, default=str): entry[1] for entry in signature(fresh, skip)}
    two = {json.dumps(entry, default=str): entry[1] for entry in signature(approved, skip)}
    return sorted({one[k] for k in one.keys() - two.keys()} | {two[k] for k in two.keys() - one})


def stale(changed: list[str], what: str) -> StalePlan:
    """The refusal of a plan the cloud moved away from (``what``: "applied", "deleted")."""
    listed = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return StalePlan(
        f"the cloud changed since this plan was made ({listed}); nothing was {what}",
        hint="run the command again and review the new plan",
    )


def read_saved(target: Target, path: Path) -> Plan:
    """The plan ``weft plan --out`` saved at ``path``, refused unless it is an ``up`` plan of
    this fabric, account and region."""
    try:
        saved = Plan.from_dict(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is not a weft plan: {exc}") from exc
    check_saved(target, saved, str(path))
    return saved


def check_saved(target: Target, saved: Plan, name: str) -> None:
    """Refuse a saved plan (named ``name``) made for another fabric, command, account or
    region than ``target``'s ``up``."""
    if saved.fabric != target.name or saved.meta.get("kind") != "up":
        raise GuardError(f"{name} is a plan for fabric {saved.fabric!r}, not {target.name!r}")
    if saved.meta.get("account") != target.account_id or saved.meta.get("region") != target.region:
        raise GuardError(
            f"{name} was made for account {saved.meta.get('account')} in "
            f"{saved.meta.get('region')}, not {target.account_id} in {target.region}"
        )
