"""Corrections to moto's RDS and ElastiCache, applied inside the local server (data stores).

Like :mod:`weft.local.moto_fixes` (which lists :func:`apply_all` in its ``FIXES``): weft's drivers
are the code users run against AWS, so where moto 5.2.5 lacks or mis-implements a call the data
drivers make, the emulator is fixed here, in the local cloud's own process, never the driver.
Each fix names the AWS behaviour it restores.
"""

from __future__ import annotations

from typing import Any


def _rds_modify_db_subnet_group() -> None:
    """AWS ModifyDBSubnetGroup changes the subnets (and description) of the group in place.

    moto 5.2.5 pops the group out of its registry and never puts it back: the group vanishes.
    """
    from moto.rds.exceptions import DBSubnetGroupNotFoundError
    from moto.rds.models import RDSBackend

    def modify_db_subnet_group(
        self: Any, subnet_name: str, description: str | None, subnets: list[Any]
    ) -> Any:
        group = self.subnet_groups.get(subnet_name)
        if group is None:
            raise DBSubnetGroupNotFoundError(subnet_name)
        if subnets:
            group.subnets = subnets
            group.vpc_id = subnets[0].vpc_id
        if description is not None:
            group.description = description
        return group

    RDSBackend.modify_db_subnet_group = modify_db_subnet_group  # type: ignore[method-assign]


def _version_key(version: str) -> tuple[int, ...]:
    """``7.1.0`` -> ``(7, 1)``: versions compared by number, trailing zeros aside."""
    key = [int(p) if p.isdigit() else 0 for p in str(version).split(".")]
    while len(key) > 1 and key[-1] == 0:
        key.pop()
    return tuple(key)


def _older(version: str, running: str) -> bool:
    """Whether ``version`` names an older engine than ``running``. ElastiCache's "6.x" names the
    newest 6: only the part before the "x" is compared (running 6.0.5, "6.x" is no downgrade)."""
    parts = str(version).split(".")
    if "x" in parts:
        n = parts.index("x")
        mine = ".".join(parts[:n])
        theirs = ".".join(str(running).split(".")[:n])
        return _version_key(mine) < _version_key(theirs)
    return _version_key(version) < _version_key(running)


def _param(params: Any, *names: str) -> Any:
    """A request parameter, by its AWS name or moto's snake_case one."""
    for name in names:
        value = params.get(name)
        if value is not None:
            return value
    return None


def _rds_modify_refusals() -> None:
    """AWS ModifyDBInstance refuses what moto 5.2.5 accepts: less storage, a storage increase
    of less than 10%, and an older engine version.

    AWS: "You can't reduce the amount of storage for a DB instance after storage has been
    allocated. When you increase the allocated storage, it must be by at least 10 percent. If
    you try to increase the value by less than 10 percent, you get an error" (RDS User Guide,
    Increasing DB instance storage capacity, USER_PIOPS.ModifyingExisting); an engine is
    upgraded, never downgraded (RDS User Guide, Upgrading a DB instance engine version).
    Both are ``InvalidParameterCombination``, and nothing of the request is applied.
    """
    from moto.rds.exceptions import InvalidParameterCombination
    from moto.rds.models import RDSBackend

    original = RDSBackend.modify_db_instance

    def modify_db_instance(self: Any, db_instance_identifier: str, db_kwargs: Any) -> Any:
        database = self.describe_db_instances(db_instance_identifier)[0]
        storage = _param(db_kwargs, "AllocatedStorage", "allocated_storage")
        have = int(database.allocated_storage or 0)
        if storage is not None and have and int(storage) != have:
            if int(storage) < have:
                raise InvalidParameterCombination(
                    f"Invalid storage size for engine name {database.engine}: {storage}. "
                    f"Allocated storage cannot be decreased from {have} GiB."
                )
            if int(storage) * 10 < have * 11:
                raise InvalidParameterCombination(
                    f"The storage size must be increased by at least 10 percent (from {have} GiB)."
                )
        version = _param(db_kwargs, "EngineVersion", "engine_version")
        running = str(database.engine_version or "")
        if version is not None and running and _version_key(version) < _version_key(running):
            raise InvalidParameterCombination(
                f"Cannot upgrade {database.engine} from {running} to {version}"
            )
        return original(self, db_instance_identifier, db_kwargs)

    RDSBackend.modify_db_instance = modify_db_instance  # type: ignore[method-assign]


def _cache_subnet_group_calls() -> None:
    """AWS has DeleteCacheSubnetGroup and ModifyCacheSubnetGroup; moto 5.2.5 has neither.

    A group still used by a replication group cannot be deleted (``CacheSubnetGroupInUse``).
    """
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
    from moto.elasticache.models import CacheSubnetGroup
    from moto.elasticache.responses import ElastiCacheResponse

    class CacheSubnetGroupInUse(ElastiCacheException):
        code = "CacheSubnetGroupInUse"

    def delete_cache_subnet_group(self: Any) -> Any:
        name = self._get_param("CacheSubnetGroupName")
        backend = self.elasticache_backend
        if name not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(name)
        users = [
            g.replication_group_id
            for g in backend.replication_groups.values()
            if g.cache_subnet_group_name == name
        ]
        if users:
            raise CacheSubnetGroupInUse(f"Cache subnet group {name} is in use by {users[0]}.")
        group = backend.cache_subnet_groups.pop(name)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    def modify_cache_subnet_group(self: Any) -> Any:
        name = self._get_param("CacheSubnetGroupName")
        backend = self.elasticache_backend
        old = backend.cache_subnet_groups.get(name)
        if old is None:
            raise CacheSubnetGroupNotFound(name)
        description = self._get_param("CacheSubnetGroupDescription")
        subnet_ids = self._get_param("SubnetIds") or old.subnet_ids
        group = CacheSubnetGroup(
            account_id=backend.account_id,
            region_name=backend.region_name,
            cache_subnet_group_name=name,
            cache_subnet_group_description=(
                old.cache_subnet_group_description if description is None else description
            ),
            subnet_ids=subnet_ids,
            tags=old.tags,
        )
        backend.cache_subnet_groups[name] = group
        return ActionResult({"CacheSubnetGroup": group})

    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group  # type: ignore[attr-defined]
    ElastiCacheResponse.modify_cache_subnet_group = modify_cache_subnet_group  # type: ignore[attr-defined]


#: The Redis 6.0 patch release ElastiCache runs for engine version "6.x".
REDIS_6X = "6.0.5"


def _full_redis_version(version: str | None) -> str | None:
    """AWS reports the patch version a replication group runs ("7.1" is described as "7.1.0";
    "6.x", ElastiCache's name for Redis 6.0, as "6.0.5")."""
    if version == "6.x":
        return REDIS_6X
    if version and version.count(".") == 1 and version.replace(".", "").isdigit():
        return f"{version}.0"
    return version


def refused_redis_version(version: str | None) -> bool:
    """Whether ElastiCache refuses ``version`` for Redis: "6.0" is not one of its versions, it
    names that release "6.x" ("Supported engines and versions", ElastiCache User Guide,
    https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html: "ElastiCache
    (Redis OSS) version 6.0 ... specify the engine version as 6.x")."""
    return version == "6.0"


def _sync_members(backend: Any, group: Any, count: int) -> None:
    """Make a (cluster mode disabled) group have ``count`` member clusters, as AWS does.

    Each member is also a cache cluster of its own (DescribeCacheClusters lists it with the
    group's subnet group, security groups and engine version).
    """
    from moto.elasticache.models import CacheCluster

    node_group = group.node_groups[0]
    domain = node_group["primary_endpoint_address"].removeprefix("master.")
    members: list[dict[str, Any]] = []
    for i in range(1, count + 1):
        cluster_id = f"{group.replication_group_id}-{i:03d}"
        members.append(
            {
                "cache_cluster_id": cluster_id,
                "cache_node_id": "0001",
                "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
                "preferred_availability_zone": f"{backend.region_name}{'abc'[(i - 1) % 3]}",
                "current_role": "primary" if i == 1 else "replica",
            }
        )
        if cluster_id not in backend.cache_clusters:
            backend.cache_clusters[cluster_id] = CacheCluster(
                account_id=backend.account_id,
                region_name=backend.region_name,
                cache_cluster_id=cluster_id,
                cache_node_type=group.cache_node_type,
                replication_group_id=group.replication_group_id,
                az_mode=None,
                preferred_availability_zone=members[-1]["preferred_availability_zone"],
                num_cache_nodes=1,
                engine="redis",
                engine_version=_full_redis_version(group.engine_version),
                cache_parameter_group_name=group.cache_parameter_group_name,
                cache_subnet_group_name=group.cache_subnet_group_name,
                transit_encryption_enabled=group.transit_encryption_enabled,
                network_type=group.network_type,
                ip_discovery=group.ip_discovery,
                snapshot_name=None,
                preferred_maintenance_window=group.preferred_maintenance_window,
                port=group.port,
                notification_topic_arn=group.notification_topic_arn,
                auto_minor_version_upgrade=group.auto_minor_version_upgrade,
                snapshot_retention_limit=group.snapshot_retention_limit,
                snapshot_window=group.snapshot_window,
                auth_token=None,
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=None,
                security_group_ids=list(group.security_group_ids or []),
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
    keep = {m["cache_cluster_id"] for m in members}
    for cluster_id in list(group.member_clusters):
        if cluster_id not in keep:
            backend.cache_clusters.pop(cluster_id, None)
    node_group["node_group_members"] = members
    group.member_clusters = [m["cache_cluster_id"] for m in members]
    group.primary_cluster_id = members[0]["cache_cluster_id"]


def _replication_groups() -> None:
    """AWS replication groups as the cache driver uses them.

    moto 5.2.5: creates one member whatever ``NumCacheClusters`` says and no cache clusters
    for the members; describes cache clusters without their ``SecurityGroups``; ignores
    ``EngineVersion`` and ``SecurityGroupIds`` in ModifyReplicationGroup (and so does not refuse
    an older engine version, as AWS does); accepts Redis "6.0", which ElastiCache refuses
    (:func:`refused_redis_version`); lacks
    IncreaseReplicaCount and DecreaseReplicaCount; ignores ``FinalSnapshotIdentifier`` in
    DeleteReplicationGroup (AWS takes that snapshot before deleting: "DeleteReplicationGroup",
    ElastiCache API Reference); and keeps a deleted group ``deleting``
    forever (AWS removes it once deleted: here it is gone on the next describe).
    """
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import (
        InvalidParameterCombinationException,
        InvalidParameterValueException,
        ReplicationGroupNotFound,
    )
    from moto.elasticache.models import CacheCluster, ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    def security_groups(self: Any) -> list[dict[str, str]]:
        return [{"SecurityGroupId": g, "Status": "active"} for g in self.security_group_ids]

    CacheCluster.security_groups = property(security_groups)  # type: ignore[attr-defined]

    original_create = ElastiCacheBackend.create_replication_group

    def create_replication_group(self: Any, **kwargs: Any) -> Any:
        version = kwargs.get("engine_version")
        if refused_redis_version(version):
            raise InvalidParameterValueException(f"Cannot find version {version} for redis")
        group = original_create(self, **kwargs)
        if group.cluster_mode != "enabled":
            _sync_members(self, group, int(kwargs.get("num_cache_clusters") or 1))
        return group

    ElastiCacheBackend.create_replication_group = create_replication_group  # type: ignore[method-assign,assignment]

    original_delete = ElastiCacheBackend.delete_replication_group

    def delete_replication_group(
        self: Any, replication_group_id: str, retain_primary_cluster: bool | None
    ) -> Any:
        # moto drops the primary from the member list when it is not retained: read it first.
        before = self.replication_groups.get(replication_group_id)
        members = list(before.member_clusters) if before is not None else []
        primary = before.primary_cluster_id if before is not None else None
        group = original_delete(self, replication_group_id, retain_primary_cluster)
        self.replication_groups.pop(replication_group_id, None)
        for cluster_id in members:
            if not (retain_primary_cluster and cluster_id == primary):
                self.cache_clusters.pop(cluster_id, None)
        self.tagging_service.delete_all_tags_for_resource(group.arn)
        return group

    ElastiCacheBackend.delete_replication_group = delete_replication_group  # type: ignore[method-assign]

    original_delete_response = ElastiCacheResponse.delete_replication_group

    def delete_replication_group_with_final_snapshot(self: Any) -> Any:
        final = self._get_param("FinalSnapshotIdentifier")
        if final:
            group = group_of(self)
            self.elasticache_backend.create_snapshot(
                snapshot_name=final,
                replication_group_id=group.replication_group_id,
                cache_cluster_id=None,
                kms_key_id=getattr(group, "kms_key_id", None),
                tags=None,
            )
        return original_delete_response(self)

    ElastiCacheResponse.delete_replication_group = delete_replication_group_with_final_snapshot  # type: ignore[method-assign]

    def group_of(response: Any) -> Any:
        group_id = response._get_param("ReplicationGroupId")
        group = response.elasticache_backend.replication_groups.get(group_id)
        if group is None:
            raise ReplicationGroupNotFound(group_id)
        return group

    original_modify = ElastiCacheResponse.modify_replication_group

    def modify_replication_group(self: Any) -> Any:
        group = group_of(self)
        version = self._get_param("EngineVersion")
        if refused_redis_version(version):
            raise InvalidParameterValueException(f"Cannot find version {version} for redis")
        running = str(group.engine_version or "")
        if version is not None and running and _older(version, running):
            # AWS: "You can upgrade to a newer engine version, but you cannot downgrade to an
            # earlier engine version" (ElastiCache API Reference, ModifyReplicationGroup).
            raise InvalidParameterCombinationException(
                f"Cannot downgrade the engine of replication group {group.replication_group_id} "
                f"from {running} to {version}: create a new replication group instead."
            )
        result = original_modify(self)
        groups = self._get_param("SecurityGroupIds")
        node_type = self._get_param("CacheNodeType")
        if version is not None:
            group.engine_version = version
        if groups is not None:
            group.security_group_ids = list(groups)
        for cluster_id in group.member_clusters:
            cluster = self.elasticache_backend.cache_clusters.get(cluster_id)
            if cluster is None:
                continue
            if version is not None:
                cluster.engine_version = _full_redis_version(version)
            if groups is not None:
                cluster.security_group_ids = list(groups)
            if node_type is not None:
                cluster.cache_node_type = node_type
        return result

    ElastiCacheResponse.modify_replication_group = modify_replication_group  # type: ignore[method-assign]

    def change_replicas(self: Any, *, increase: bool) -> Any:
        group = group_of(self)
        replicas = self._get_int_param("NewReplicaCount")
        if replicas is None:
            raise InvalidParameterValueException("NewReplicaCount is required.")
        current = len(group.member_clusters) - 1
        if increase and replicas <= current:
            raise InvalidParameterValueException(
                f"The new replica count {replicas} must be more than the current {current}."
            )
        if not increase and replicas >= current:
            raise InvalidParameterValueException(
                f"The new replica count {replicas} must be less than the current {current}."
            )
        if not increase and replicas < 1 and group.automatic_failover == "enabled":
            raise InvalidParameterValueException(
                "Automatic failover needs at least one replica: disable it first."
            )
        _sync_members(self.elasticache_backend, group, replicas + 1)
        return ActionResult({"ReplicationGroup": group})

    def increase_replica_count(self: Any) -> Any:
        return change_replicas(self, increase=True)

    def decrease_replica_count(self: Any) -> Any:
        return change_replicas(self, increase=False)

    ElastiCacheResponse.increase_replica_count = increase_replica_count  # type: ignore[attr-defined]
    ElastiCacheResponse.decrease_replica_count = decrease_replica_count  # type: ignore[attr-defined]


def _rds_restore_needs_its_key() -> None:
    """AWS restores an encrypted DB snapshot only while its KMS key is usable.

    moto 5.2.5 restores it whatever became of the key. RDS decrypts the snapshot with the key it
    was encrypted with: a key that is gone, disabled or pending deletion makes
    RestoreDBInstanceFromDBSnapshot fail with ``KMSKeyNotAccessibleFault`` ("Specified KMS key
    [...] does not exist, is not enabled or you do not have permissions to access it"; RDS API
    Reference, RestoreDBInstanceFromDBSnapshot, Errors; and "Deleting AWS KMS keys", AWS KMS
    Developer Guide: "you can no longer decrypt the data that was encrypted under that KMS key"
    once it is deleted, and a key pending deletion cannot be used in any cryptographic
    operation).
    """
    from moto.kms.models import kms_backends
    from moto.rds.exceptions import KMSKeyNotAccessibleFault
    from moto.rds.models import RDSBackend

    original = RDSBackend.restore_db_instance_from_db_snapshot

    def restore(self: Any, from_snapshot_id: str, overrides: dict[str, Any]) -> Any:
        name = from_snapshot_id
        if name.startswith("arn:aws:rds:"):
            name = self.extract_snapshot_name_from_arn(name)
        snapshot = self.describe_db_snapshots(
            db_instance_identifier=None, db_snapshot_identifier=name
        )[0]
        key_id = getattr(snapshot, "kms_key_id", None)
        if getattr(snapshot, "encrypted", False) and key_id:
            kms = kms_backends[self.account_id][self.region_name]
            try:
                key = kms.keys.get(kms.any_id_to_key_id(key_id))
            except Exception:  # moto's own lookup errors: the key is not usable
                key = None
            if key is None or key.key_state != "Enabled":
                raise KMSKeyNotAccessibleFault(key_id)
        return original(self, from_snapshot_id, overrides)

    RDSBackend.restore_db_instance_from_db_snapshot = restore  # type: ignore[method-assign]


def _rds_restore_is_an_event() -> None:
    """A DB instance restored from a snapshot says so in its events, as on AWS.

    RDS records event RDS-EVENT-0043 (category ``restoration``, "Restored from snapshot
    snapshot_name") for a DB instance made by RestoreDBInstanceFromDBSnapshot (Amazon RDS User
    Guide, "Amazon RDS event categories and event messages"); DescribeEvents lists it for the
    instance. moto 5.2.5 records only "DB instance created", so nothing tells a restored
    instance from an empty one.
    """
    from moto.rds.models import Event, RDSBackend

    original = RDSBackend.restore_db_instance_from_db_snapshot

    def restore(self: Any, from_snapshot_id: str, overrides: dict[str, Any]) -> Any:
        database = original(self, from_snapshot_id, overrides)
        name = from_snapshot_id
        if name.startswith("arn:aws:rds:"):
            name = self.extract_snapshot_name_from_arn(name)
        event = Event("DB_INSTANCE_CREATE", database)
        event.message = f"Restored from snapshot {name}"
        event.event_categories = ["restoration"]
        self.events.append(event)
        return database

    RDSBackend.restore_db_instance_from_db_snapshot = restore  # type: ignore[method-assign]


def _rds_instance_classes() -> None:
    """The DB instance classes each PostgreSQL version offers (:mod:`.moto_rds_classes`)."""
    from weft.local import moto_rds_classes

    moto_rds_classes.apply()


FIXES = (
    _rds_modify_db_subnet_group,
    _rds_modify_refusals,
    _cache_subnet_group_calls,
    _replication_groups,
    _rds_restore_needs_its_key,
    _rds_restore_is_an_event,
    _rds_instance_classes,
)


def apply_all() -> None:
    """Every data-store fix (listed in :data:`weft.local.moto_fixes.FIXES`)."""
    for fix in FIXES:
        fix()
