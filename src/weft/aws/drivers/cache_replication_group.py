"""ElastiCache Redis replication groups (cluster mode off): a primary and its read replicas.

Encrypted at rest (the fabric key) and in transit, with an AUTH token weft generates and keeps in
the secrets store (``cache/<name>/auth-token``); the token goes to AWS in the create call only.

A replication group's description lacks its engine version, subnet group and security groups:
they are read from its member clusters. Discovery is one paginated describe of the groups, one
of the cache clusters, and a tag read per group named with the fabric's prefix.

Engine versions are compared as major.minor (the file says "7.1"; AWS runs and reports "7.1.0").
"""

from __future__ import annotations

import re
import string
from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors, secrets
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, pagination
from weft.aws.drivers.subnet_group import is_ours, name_prefix, read_tags, update_tags
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError
from weft.fabricfile.secret_names import cache_auth_token

KIND = "cache_replication_group"
TIMEOUT = 40 * 60.0
MAX_ID_LENGTH = 40
_ID_RE = re.compile(r"[a-z][a-z0-9-]*")
#: ElastiCache AUTH tokens: 16-128 printable characters without @, " or /.
TOKEN_ALPHABET = string.ascii_letters + string.digits
_GONE_STATES = frozenset({"deleting"})
_FAILED_STATES = frozenset({"create-failed"})


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
    return ".".join(version.split(".")[:2])


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


class CacheReplicationGroupDriver:
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
    )

    def _members(self, ctx: AwsContext) -> dict[str, dict[str, Any]]:
        """Cache cluster id -> its description (one paginated describe)."""
        return {
            c["CacheClusterId"]: c
            for c in pagination.items(
                ctx.client("elasticache"), "describe_cache_clusters", "CacheClusters"
            )
        }

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        client = ctx.client("elasticache")
        prefix = name_prefix(ctx, MAX_ID_LENGTH)
        candidates = []
        for group in pagination.items(client, "describe_replication_groups", "ReplicationGroups"):
            if not str(group["ReplicationGroupId"]).startswith(prefix):
                continue
            if group.get("Status") in _GONE_STATES:
                continue
            tags = read_tags(client, group["ARN"])
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None or not is_ours(ctx, tags, address):
                continue
            candidates.append((name, group, tags))
        if not candidates:
            return []
        members = self._members(ctx)
        return [
            _observed(name, group, self._member_of(group, members), tags)
            for name, group, tags in candidates
        ]

    @staticmethod
    def _member_of(group: dict[str, Any], members: dict[str, dict[str, Any]]) -> dict[str, Any]:
        for cluster_id in group.get("MemberClusters") or []:
            if cluster_id in members:
                return members[cluster_id]
        return {}

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        group_id = check_id(props["id"], resource.address)
        adopted = adoption.adopt(self, ctx, resource, props, self._find(ctx, resource.address))
        if adopted is not None:
            return adopted
        token = secrets.ensure_generated(
            ctx, cache_auth_token(resource.name), alphabet=TOKEN_ALPHABET
        )
        ctx.client("elasticache").create_replication_group(
            ReplicationGroupId=group_id,
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
            AuthToken=token,
            Tags=tagging.to_aws(props["tags"]),
        )
        return self._wait_available(ctx, resource, group_id, props["tags"])

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        client = ctx.client("elasticache")
        group_id = observed.id
        changes: dict[str, Any] = {}
        if "description" in changed:
            changes["ReplicationGroupDescription"] = props["description"]
        if "node_type" in changed:
            changes["CacheNodeType"] = props["node_type"]
        if "engine_version" in changed:
            changes["EngineVersion"] = props["engine_version"]
        if "automatic_failover" in changed:
            changes["AutomaticFailoverEnabled"] = bool(props["automatic_failover"])
        if "multi_az" in changed:
            changes["MultiAZEnabled"] = bool(props["multi_az"])
        if "security_group_ids" in changed:
            changes["SecurityGroupIds"] = list(props["security_group_ids"])
        have = int(observed.props.get("num_cache_clusters") or 1)
        want = int(props["num_cache_clusters"])
        # Fewer clusters: failover off first (it needs a replica); more: replicas first.
        if "num_cache_clusters" in changed and want > have:
            client.increase_replica_count(
                ReplicationGroupId=group_id, NewReplicaCount=want - 1, ApplyImmediately=True
            )
            self._wait_available(ctx, resource, group_id, props["tags"])
        if changes:
            client.modify_replication_group(
                ReplicationGroupId=group_id, ApplyImmediately=True, **changes
            )
            self._wait_available(ctx, resource, group_id, props["tags"])
        if "num_cache_clusters" in changed and want < have:
            client.decrease_replica_count(
                ReplicationGroupId=group_id, NewReplicaCount=want - 1, ApplyImmediately=True
            )
        if "tags" in changed:
            update_tags(
                client, observed.outputs["arn"], observed.props.get("tags", {}), props["tags"]
            )
        return self._wait_available(ctx, resource, group_id, props["tags"])

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        group = self._describe(ctx, observed.id)
        if group is None:
            return
        if group.get("Status") not in _GONE_STATES:
            ctx.client("elasticache").delete_replication_group(
                ReplicationGroupId=observed.id, RetainPrimaryCluster=False
            )

        def check() -> bool | str:
            found = self._describe(ctx, observed.id)
            return True if found is None else str(found.get("Status", "deleting"))

        wait_until(
            ctx,
            f"cache {observed.id} to be deleted",
            check,
            timeout=TIMEOUT,
            interval=5.0,
            max_interval=30.0,
        )

    # -- waiting

    @staticmethod
    def _describe(ctx: AwsContext, group_id: str) -> dict[str, Any] | None:
        try:
            found = ctx.client("elasticache").describe_replication_groups(
                ReplicationGroupId=group_id
            )
        except ClientError as exc:
            if errors.is_not_found(exc):
                return None
            raise
        groups = found.get("ReplicationGroups") or []
        return groups[0] if groups else None

    def _wait_available(
        self, ctx: AwsContext, resource: Resource, group_id: str, tags: dict[str, str]
    ) -> Observed:
        last: dict[str, Any] = {}

        def check() -> bool | str:
            group = self._describe(ctx, group_id)
            if group is None:
                return "not visible yet"
            last.clear()
            last.update(group)
            state = str(group.get("Status", "creating"))
            if state in _FAILED_STATES:
                raise PermanentError(
                    f"cache {group_id} is {state}",
                    address=resource.address,
                    hint="see the ElastiCache console's events for the replication group",
                )
            return True if state == "available" else state

        wait_until(
            ctx, f"cache {group_id}", check, timeout=TIMEOUT, interval=5.0, max_interval=30.0
        )
        first = (last.get("MemberClusters") or [None])[0]
        return _observed(resource.name, last, self._cluster(ctx, first), tags)

    @staticmethod
    def _cluster(ctx: AwsContext, cluster_id: str | None) -> dict[str, Any]:
        if not cluster_id:
            return {}
        try:
            found = ctx.client("elasticache").describe_cache_clusters(CacheClusterId=cluster_id)
        except ClientError as exc:
            if errors.is_not_found(exc):
                return {}
            raise
        clusters = found.get("CacheClusters") or [{}]
        return dict(clusters[0])


DRIVER = CacheReplicationGroupDriver()
