"""ElastiCache Redis replication groups (cluster mode off): a primary and its read replicas.

Encrypted at rest (the fabric key) and in transit, with an AUTH token weft generates and keeps in
the secrets store (``cache/<name>/auth-token``); the token goes to AWS in the create call only.

A replication group's description lacks its engine version, subnet group and security groups:
they are read from its member clusters. Discovery is one paginated describe of the groups, one
of the cache clusters, and a tag read per group named with the fabric's prefix (:mod:`.rds`).
Every change is waited on until the group is available again.

Daily snapshots are kept ``backup_days`` days (``SnapshotRetentionLimit``), and deleting a group
takes a final snapshot (``FinalSnapshotIdentifier``; ``CacheReplicationGroupDriver(
final_snapshot=False)`` for ``weft down --no-final-snapshot``), as for databases.

Engine versions are compared as major.minor (the file says "7.1"; AWS runs and reports "7.1.0"),
Redis 6.0 as "6.x", the name ElastiCache gives it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from weft.aws import secrets
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, presence, rds, tagger
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError
from weft.fabricfile.secret_names import cache_auth_token

KIND = "cache_replication_group"
MAX_ID_LENGTH = 40
_ID_RE = re.compile(r"[a-z][a-z0-9-]*")
#: ElastiCache AUTH tokens: 16-128 printable characters without @, " or /.
TOKEN_ALPHABET = string.ascii_letters + string.digits
_GONE_STATES = frozenset({"deleting"})
_FAILED_STATES = frozenset({"create-failed"})
#: The props ModifyReplicationGroup changes, and how it spells them.
_MODIFIED = {
    "description": ("ReplicationGroupDescription", str),
    "node_type": ("CacheNodeType", str),
    "engine_version": ("EngineVersion", str),
    "automatic_failover": ("AutomaticFailoverEnabled", bool),
    "multi_az": ("MultiAZEnabled", bool),
    "security_group_ids": ("SecurityGroupIds", list),
    "backup_days": ("SnapshotRetentionLimit", int),
}


def check_id(group_id: str, address: str) -> str:
    """``group_id`` if ElastiCache accepts it as a replication group id."""
    if (
        len(group_id) > MAX_ID_LENGTH
        or not _ID_RE.fullmatch(group_id)
        or "--" in group_id
        or group_id.endswith("-")
    ):
        raise PermanentError(
            f"{group_id!r} is not a valid ElastiCache replication group id",
            address=address,
            hint=(
                f"at most {MAX_ID_LENGTH} characters: lowercase letters, digits and single "
                "hyphens, starting with a letter and not ending with a hyphen"
            ),
        )
    return group_id


def _major_minor(version: str | None) -> str | None:
    if not version:
        return None
    major_minor = ".".join(version.split(".")[:2])
    # ElastiCache names Redis 6.0 "6.x": that is what the file says and what a change sends.
    return "6.x" if major_minor == "6.0" else major_minor


def _observed(
    name: str, group: dict[str, Any], member: dict[str, Any] | None, tags: dict[str, str]
) -> Observed:
    member = member or {}
    node_groups = group.get("NodeGroups") or [{}]
    endpoint = node_groups[0].get("PrimaryEndpoint") or group.get("ConfigurationEndpoint") or {}
    props = {
        "id": group["ReplicationGroupId"],
        "description": group.get("Description", ""),
        "engine": group.get("Engine") or member.get("Engine") or "redis",
        "engine_version": _major_minor(member.get("EngineVersion")),
        "node_type": group.get("CacheNodeType") or member.get("CacheNodeType"),
        "num_cache_clusters": len(group.get("MemberClusters") or []),
        "automatic_failover": group.get("AutomaticFailover") in ("enabled", "enabling"),
        "multi_az": group.get("MultiAZ") == "enabled",
        "subnet_group": member.get("CacheSubnetGroupName"),
        "security_group_ids": sorted(
            g["SecurityGroupId"] for g in member.get("SecurityGroups") or []
        ),
        "at_rest_encryption": bool(group.get("AtRestEncryptionEnabled")),
        "transit_encryption": bool(group.get("TransitEncryptionEnabled")),
        "kms_key_arn": group.get("KmsKeyId"),
        "backup_days": int(group.get("SnapshotRetentionLimit") or 0),
        "tags": tags,
    }
    return Observed(
        kind=KIND,
        name=name,
        id=group["ReplicationGroupId"],
        props=props,
        outputs={
            "arn": group.get("ARN"),
            "endpoint": endpoint.get("Address"),
            "port": endpoint.get("Port"),
            "auth_secret": cache_auth_token(name),
        },
        state=str(group.get("Status", "creating")),
    )


def _describe(ctx: AwsContext, group_id: str) -> dict[str, Any] | None:
    return rds.describe_one(
        lambda: ctx.client("elasticache").describe_replication_groups(ReplicationGroupId=group_id),
        "ReplicationGroups",
    )


def _member(ctx: AwsContext, cluster_id: str | None) -> dict[str, Any]:
    if not cluster_id:
        return {}
    found = presence.if_found(
        ctx.client("elasticache").describe_cache_clusters, CacheClusterId=cluster_id
    )
    return dict(((found or {}).get("CacheClusters") or [{}])[0])


def _wait_available(
    ctx: AwsContext, resource: Resource, group_id: str, tags: dict[str, str]
) -> Observed:
    group = rds.wait_available(
        ctx,
        f"cache {group_id}",
        lambda: _describe(ctx, group_id),
        status_key="Status",
        usable=frozenset({"available"}),
        failed=_FAILED_STATES,
        address=resource.address,
        hint="see the ElastiCache console's events for the replication group",
    )
    first = (group.get("MemberClusters") or [None])[0]
    return _observed(resource.name, group, _member(ctx, first), tags)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def refused_changes(props: Mapping[str, Any], observed: Observed) -> list[kit.Refusal]:
    """What ElastiCache refuses to change in place (pure): the engine version only goes up.

    AWS: "You can upgrade to a newer engine version, but you cannot downgrade to an earlier
    engine version. If you want to use an earlier engine version, you must delete the existing
    replication group and create it anew" (ElastiCache API Reference, ModifyReplicationGroup,
    EngineVersion).
    """
    have = str(observed.props.get("engine_version") or "")
    want = str(props.get("engine_version") or "")
    if have and want and _version_key(want) < _version_key(have):
        return [
            kit.Refusal(
                "engine_version",
                f"cache {observed.id} runs Redis {have}, newer than {want}: ElastiCache cannot "
                "downgrade",
                f'set engine_version to "{have}" or later (an older version needs a new cache: '
                "remove it from the file, run weft up, then add it back)",
            )
        ]
    return []


def _replicas(edit: kit.Edit) -> tuple[int, int]:
    """The number of cache clusters there are and wanted."""
    return int(edit.old("num_cache_clusters") or 1), int(edit.props["num_cache_clusters"])


@kit.setter("num_cache_clusters")
def _add_replicas(edit: kit.Edit) -> None:
    have, want = _replicas(edit)
    if want > have:
        edit.ctx.client("elasticache").increase_replica_count(
            ReplicationGroupId=edit.id, NewReplicaCount=want - 1, ApplyImmediately=True
        )
        _wait_available(edit.ctx, edit.resource, edit.id, edit.props["tags"])


@kit.setter(*_MODIFIED)
def _modify(edit: kit.Edit) -> None:
    changes = {
        aws: spell(edit.props[f]) for f, (aws, spell) in _MODIFIED.items() if f in edit.changed
    }
    edit.ctx.client("elasticache").modify_replication_group(
        ReplicationGroupId=edit.id, ApplyImmediately=True, **changes
    )
    _wait_available(edit.ctx, edit.resource, edit.id, edit.props["tags"])


@kit.setter("num_cache_clusters")
def _remove_replicas(edit: kit.Edit) -> None:
    have, want = _replicas(edit)
    if want < have:
        edit.ctx.client("elasticache").decrease_replica_count(
            ReplicationGroupId=edit.id, NewReplicaCount=want - 1, ApplyImmediately=True
        )


class CacheReplicationGroupDriver(kit.TaggedDriver):
    # Fewer clusters: failover off first (it needs a replica); more: replicas first.
    setters = (_add_replicas, _modify, _remove_replicas, kit.tags(tagger.ELASTICACHE, kit.by_arn))
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset(
            {
                "id",
                "engine",
                "subnet_group",
                "at_rest_encryption",
                "transit_encryption",
                "kms_key_arn",
            }
        ),
        unordered=frozenset({"security_group_ids"}),
        updatable=kit.covered(setters),
        shown=("engine", "engine_version", "node_type", "num_cache_clusters"),
    )
    adoption_look = "always"

    def __init__(self, *, final_snapshot: bool = True) -> None:
        #: take a final snapshot when deleting (``weft down --no-final-snapshot``: False)
        self.final_snapshot = final_snapshot

    def refusals(self, props: Mapping[str, Any], observed: Observed) -> list[kit.Refusal]:
        return refused_changes(props, observed)

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        client = ctx.client("elasticache")
        prefix = rds.name_prefix(ctx, MAX_ID_LENGTH)
        candidates = []
        for group in pagination.items(client, "describe_replication_groups", "ReplicationGroups"):
            if not str(group["ReplicationGroupId"]).startswith(prefix):
                continue
            if group.get("Status") in _GONE_STATES:
                continue
            tags = rds.read_tags(client, group["ARN"])
            name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND, address=address)
            if name is not None:
                candidates.append((name, group, tags))
        if not candidates:
            return []
        # The group's description lacks what its member clusters know (one paginated describe).
        members = {
            c["CacheClusterId"]: c
            for c in pagination.items(client, "describe_cache_clusters", "CacheClusters")
        }
        found = []
        for name, group, tags in candidates:
            ids = [i for i in group.get("MemberClusters") or [] if i in members]
            found.append(_observed(name, group, members[ids[0]] if ids else {}, tags))
        return found

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        check_id(props["id"], resource.address)
        return super().create(ctx, resource, props)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        token = secrets.ensure_generated(
            ctx, cache_auth_token(resource.name), alphabet=TOKEN_ALPHABET
        )
        ctx.client("elasticache").create_replication_group(
            ReplicationGroupId=props["id"],
            ReplicationGroupDescription=props["description"],
            Engine=props["engine"],
            EngineVersion=props["engine_version"],
            CacheNodeType=props["node_type"],
            NumCacheClusters=int(props["num_cache_clusters"]),
            AutomaticFailoverEnabled=bool(props["automatic_failover"]),
            MultiAZEnabled=bool(props["multi_az"]),
            CacheSubnetGroupName=props["subnet_group"],
            SecurityGroupIds=list(props["security_group_ids"]),
            AtRestEncryptionEnabled=bool(props["at_rest_encryption"]),
            TransitEncryptionEnabled=bool(props["transit_encryption"]),
            KmsKeyId=props["kms_key_arn"],
            SnapshotRetentionLimit=int(props.get("backup_days") or 0),
            AuthToken=token,
            Tags=tagging.to_aws(props["tags"]),
        )
        return _wait_available(ctx, resource, props["id"], props["tags"])

    def updated(self, edit: kit.Edit) -> Observed:
        return _wait_available(edit.ctx, edit.resource, edit.id, edit.props["tags"])

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        group = _describe(ctx, observed.id)
        if group is None:
            return
        if group.get("Status") not in _GONE_STATES:
            final: dict[str, str] = {}
            if self.final_snapshot:
                stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
                final["FinalSnapshotIdentifier"] = f"{observed.id}-final-{stamp}"
            ctx.client("elasticache").delete_replication_group(
                ReplicationGroupId=observed.id, RetainPrimaryCluster=False, **final
            )
            if final:
                ctx.report(f"final snapshot of {observed.id}: {final['FinalSnapshotIdentifier']}")
        rds.wait_gone(ctx, f"cache {observed.id}", lambda: _describe(ctx, observed.id), "Status")


DRIVER = CacheReplicationGroupDriver()
