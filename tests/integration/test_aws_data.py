"""Data-store drivers against the local cloud: RDS and ElastiCache subnet groups, PostgreSQL
instances, Redis replication groups, application buckets. Also the grep test: no generated
secret value appears in anything observable."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from weft.aws import secrets
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.aws.drivers.bucket import BucketDriver
from weft.aws.drivers.db_instance import DbInstanceDriver
from weft.aws.session import AwsSession
from weft.core.resource import Observed, Resource, thaw
from weft.errors import PermanentError, WeftError

pytestmark = pytest.mark.integration

REGION = "us-east-2"
ACCOUNT = "123456789012"


# -------------------------------------------------------------------------------------- helpers


def make_ctx(url: str, fabric: str | None = None, run_id: str = "r1") -> AwsContext:
    session = AwsSession(REGION, endpoint_url=url, credentials=("weft-local", "weft-local-secret"))
    return AwsContext(
        session, fabric=fabric or f"t{uuid.uuid4().hex[:10]}", account_id=ACCOUNT, run_id=run_id
    )


def tags_for(ctx: AwsContext, address: str, **extra: str) -> dict[str, str]:
    name = address.partition(".")[2]
    return {"weft:fabric": ctx.fabric, "weft:id": address, "Name": f"{ctx.fabric}-{name}", **extra}


def desired(
    ctx: AwsContext, kind: str, name: str, /, **props: Any
) -> tuple[Resource, dict[str, Any]]:
    address = f"{kind}.{name}"
    full = {**props, "tags": tags_for(ctx, address)}
    return Resource(kind, name, full), full


def discovered(ctx: AwsContext, kind: str) -> dict[str, Observed]:
    return {o.name: o for o in DRIVERS[kind].discover(ctx)}


def create(ctx: AwsContext, kind: str, name: str, /, **props: Any) -> Observed:
    return DRIVERS[kind].create(ctx, *desired(ctx, kind, name, **props))


def update(
    ctx: AwsContext, kind: str, observed: Observed, /, **new: Any
) -> tuple[Observed, dict[str, Any]]:
    """Update ``observed`` to its props with ``new`` applied; discovery must then equal them."""
    old = thaw(observed.props)
    props = {**old, **new}
    if "tags" in new:
        props["tags"] = {**old["tags"], **new["tags"]}
    changed = {k for k in props if props[k] != old.get(k)}
    result = DRIVERS[kind].update(
        ctx, Resource(kind, observed.name, props), props, observed, changed
    )
    return result, props


@dataclass
class Net:
    vpc: Observed
    subnets: list[Observed]
    group: Observed
    other_group: Observed
    kms_arn: str


@dataclass
class Recorder:
    """Everything weft lets out: progress messages, observed resources, error texts."""

    messages: list[str] = field(default_factory=list)
    observed: list[Observed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def seen(self, *items: Observed) -> None:
        self.observed.extend(items)

    def text(self) -> str:
        return "\n".join(
            [
                *self.messages,
                *(json.dumps(o.to_dict(), default=str) for o in self.observed),
                *(repr(o) for o in self.observed),
                *self.errors,
            ]
        )


def make_fabric(ctx: AwsContext) -> str:
    """The fabric's KMS key (alias/weft/<fabric>) and bucket; the key's ARN."""
    key = create(
        ctx,
        "kms_key",
        "fabric",
        description="weft test",
        alias=f"alias/weft/{ctx.fabric}",
        rotation=False,
    )
    create(
        ctx,
        "fabric_bucket",
        "fabric",
        bucket=ctx.fabric_bucket,
        versioning=True,
        encryption="AES256",
        public_access_block=True,
    )
    return str(key.outputs["arn"])


def make_net(ctx: AwsContext) -> Net:
    kms_arn = make_fabric(ctx)
    vpc = create(ctx, "vpc", "main", cidr="10.40.0.0/16", dns_support=True, dns_hostnames=True)
    subnets = [
        create(
            ctx,
            "subnet",
            f"private-{z}",
            vpc_id=vpc.id,
            cidr=f"10.40.{i}.0/24",
            zone=f"{REGION}{z}",
            map_public_ip=False,
        )
        for i, z in enumerate("abc", start=1)
    ]
    groups = [
        create(
            ctx,
            "security_group",
            name,
            vpc_id=vpc.id,
            group_name=f"{ctx.fabric}-{name}",
            description=f"weft {name}",
        )
        for name in ("data", "extra")
    ]
    return Net(vpc, subnets, groups[0], groups[1], kms_arn)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def ctx(moto_url: str, rec: Recorder) -> AwsContext:
    return make_ctx(moto_url).with_reporter(rec.messages.append)


@pytest.fixture
def net(ctx: AwsContext) -> Net:
    return make_net(ctx)


def subnet_group_props(ctx: AwsContext, net: Net, n: int = 2) -> dict[str, Any]:
    return {
        "name": f"weft-{ctx.fabric}-data",
        "description": f"weft {ctx.fabric}: data",
        "subnet_ids": [s.id for s in net.subnets[:n]],
    }


def db_props(ctx: AwsContext, net: Net, group: str, **over: Any) -> dict[str, Any]:
    return {
        "identifier": f"weft-{ctx.fabric}-main",
        "engine": "postgres",
        "engine_version": "16.3",
        "instance_class": "db.t4g.medium",
        "storage_gb": 20,
        "multi_az": True,
        "backup_days": 7,
        "db_name": "main",
        "username": "weft_admin",
        "subnet_group": group,
        "security_group_ids": [net.group.id],
        "kms_key_arn": net.kms_arn,
        "deletion_protection": False,
        **over,
    }


def cache_props(ctx: AwsContext, net: Net, group: str, **over: Any) -> dict[str, Any]:
    return {
        "id": f"weft-{ctx.fabric}-sessions",
        "description": f"weft {ctx.fabric}: cache sessions",
        "engine": "redis",
        "engine_version": "7.1",
        "node_type": "cache.t4g.small",
        "num_cache_clusters": 2,
        "automatic_failover": True,
        "multi_az": True,
        "subnet_group": group,
        "security_group_ids": [net.group.id],
        "at_rest_encryption": True,
        "transit_encryption": True,
        "kms_key_arn": net.kms_arn,
        "backup_days": 7,
        **over,
    }


def assert_equal_props(observed: Observed, props: dict[str, Any], unordered: set[str]) -> None:
    have = thaw(observed.props)
    for key in unordered:
        have[key] = sorted(have[key])
        props = {**props, key: sorted(props[key])}
    assert have == props


# ------------------------------------------------------------------------------- subnet groups


@pytest.mark.parametrize("kind", ["db_subnet_group", "cache_subnet_group"])
def test_subnet_group_lifecycle(ctx: AwsContext, net: Net, kind: str) -> None:
    resource, props = desired(ctx, kind, "data", **subnet_group_props(ctx, net))
    created = DRIVERS[kind].create(ctx, resource, props)
    assert created.id == props["name"]
    found = discovered(ctx, kind)
    assert set(found) == {"data"}
    assert_equal_props(found["data"], props, {"subnet_ids"})

    # the subnets change in place (moto's ModifyDBSubnetGroup is fixed in the local cloud)
    new_subnets = [net.subnets[2].id, net.subnets[0].id]
    _, new = update(ctx, kind, found["data"], subnet_ids=new_subnets, tags={"tier": "data"})
    found = discovered(ctx, kind)
    assert_equal_props(found["data"], new, {"subnet_ids"})

    DRIVERS[kind].delete(ctx, found["data"])
    assert discovered(ctx, kind) == {}


@pytest.mark.parametrize("kind", ["db_subnet_group", "cache_subnet_group"])
def test_subnet_group_create_retried_adopts(ctx: AwsContext, net: Net, kind: str) -> None:
    first = create(ctx, kind, "data", **subnet_group_props(ctx, net))
    second = create(ctx, kind, "data", **subnet_group_props(ctx, net))
    assert first.id == second.id
    assert len(discovered(ctx, kind)) == 1


def test_other_fabrics_groups_are_not_reported(moto_url: str, net: Net, ctx: AwsContext) -> None:
    create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    other = make_ctx(moto_url, fabric=f"{ctx.fabric}x")  # shares the name prefix
    assert discovered(other, "db_subnet_group") == {}


# -------------------------------------------------------------------------------------- RDS


def test_db_instance_lifecycle(ctx: AwsContext, net: Net, rec: Recorder) -> None:
    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    resource, props = desired(ctx, "db_instance", "main", **db_props(ctx, net, group.id))
    created = DRIVERS["db_instance"].create(ctx, resource, props)
    rec.seen(created)
    assert created.outputs["endpoint"]
    assert created.outputs["port"] == 5432
    assert created.outputs["password_secret"] == "database/main/password"
    assert secrets.find_secret(ctx, "database/main/password")

    found = discovered(ctx, "db_instance")
    rec.seen(*found.values())
    assert set(found) == {"main"}
    assert_equal_props(found["main"], props, {"security_group_ids"})
    assert_equal_props(created, props, {"security_group_ids"})

    updated, new = update(
        ctx,
        "db_instance",
        found["main"],
        instance_class="db.t4g.large",
        storage_gb=40,
        backup_days=14,
        security_group_ids=[net.group.id, net.other_group.id],
        tags={"team": "data"},
    )
    rec.seen(updated)
    found = discovered(ctx, "db_instance")
    assert_equal_props(found["main"], new, {"security_group_ids"})

    DRIVERS["db_instance"].delete(ctx, found["main"])
    assert discovered(ctx, "db_instance") == {}
    snapshots = ctx.client("rds").describe_db_snapshots(
        DBInstanceIdentifier=props["identifier"], SnapshotType="manual"
    )["DBSnapshots"]
    assert len(snapshots) == 1
    snapshot = snapshots[0]
    assert snapshot["DBSnapshotIdentifier"].startswith(f"{props['identifier']}-final-")
    snap_tags = {
        t["Key"]: t["Value"]
        for t in ctx.client("rds").list_tags_for_resource(ResourceName=snapshot["DBSnapshotArn"])[
            "TagList"
        ]
    }
    assert snap_tags["weft:fabric"] == ctx.fabric
    assert snap_tags["weft:id"] == "db_instance.main"
    assert any(snapshot["DBSnapshotIdentifier"] in m for m in rec.messages)

    DRIVERS["db_subnet_group"].delete(ctx, group)  # no longer used
    assert discovered(ctx, "db_subnet_group") == {}


def test_db_instance_without_final_snapshot(ctx: AwsContext, net: Net) -> None:
    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    db = create(ctx, "db_instance", "main", **db_props(ctx, net, group.id))
    DbInstanceDriver(final_snapshot=False).delete(ctx, db)
    assert discovered(ctx, "db_instance") == {}
    snapshots = ctx.client("rds").describe_db_snapshots(
        DBInstanceIdentifier=db.id, SnapshotType="manual"
    )["DBSnapshots"]
    assert snapshots == []


def test_local_cloud_restores_a_snapshot_only_while_its_key_is_usable(
    ctx: AwsContext, net: Net
) -> None:
    """As on AWS: the final snapshot is encrypted with the fabric key; once that key is pending
    deletion, RestoreDBInstanceFromDBSnapshot fails with KMSKeyNotAccessibleFault."""
    from botocore.exceptions import ClientError

    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    db = create(ctx, "db_instance", "main", **db_props(ctx, net, group.id))
    DRIVERS["db_instance"].delete(ctx, db)
    rds = ctx.client("rds")
    (snapshot,) = rds.describe_db_snapshots(DBInstanceIdentifier=db.id, SnapshotType="manual")[
        "DBSnapshots"
    ]
    assert snapshot["Encrypted"] and snapshot["KmsKeyId"]
    name = snapshot["DBSnapshotIdentifier"]
    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier=f"{db.id}-back", DBSnapshotIdentifier=name, DBSubnetGroupName=group.id
    )["DBInstance"]
    rds.delete_db_instance(
        DBInstanceIdentifier=restored["DBInstanceIdentifier"], SkipFinalSnapshot=True
    )
    ctx.client("kms").schedule_key_deletion(
        KeyId=net.kms_arn.rsplit("/", 1)[-1], PendingWindowInDays=7
    )
    with pytest.raises(ClientError) as refused:
        rds.restore_db_instance_from_db_snapshot(
            DBInstanceIdentifier=f"{db.id}-late",
            DBSnapshotIdentifier=name,
            DBSubnetGroupName=group.id,
        )
    assert refused.value.response["Error"]["Code"] == "KMSKeyNotAccessibleFault"


def test_the_key_a_kept_final_snapshot_needs_is_kept_and_tagged(
    ctx: AwsContext, net: Net, rec: Recorder
) -> None:
    """down's final snapshot is encrypted with the fabric key: deleting the key keeps it (tagged
    with the snapshots it protects) instead of scheduling it for deletion; without snapshots it
    is scheduled as before."""
    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    db = create(ctx, "db_instance", "main", **db_props(ctx, net, group.id))
    DRIVERS["db_instance"].delete(ctx, db)
    (key,) = discovered(ctx, "kms_key").values()
    DRIVERS["kms_key"].delete(ctx, key)
    kms = ctx.client("kms")
    meta = kms.describe_key(KeyId=key.id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key.id)["Tags"]}
    assert tags["weft:retained"].startswith(f"rds:{db.id}-final-")
    assert any("kept KMS key" in m for m in rec.messages)
    again = discovered(ctx, "kms_key")["fabric"]  # a later up finds it again
    assert again.id == key.id

    rds = ctx.client("rds")
    for snap in rds.describe_db_snapshots(DBInstanceIdentifier=db.id, SnapshotType="manual")[
        "DBSnapshots"
    ]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snap["DBSnapshotIdentifier"])
    DRIVERS["kms_key"].delete(ctx, again)
    assert kms.describe_key(KeyId=key.id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_db_instance_deletion_protection_refused(ctx: AwsContext, net: Net, rec: Recorder) -> None:
    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    db = create(
        ctx, "db_instance", "main", **db_props(ctx, net, group.id, deletion_protection=True)
    )
    with pytest.raises(PermanentError) as refused:
        DRIVERS["db_instance"].delete(ctx, db)
    rec.errors.append(str(refused.value))
    assert "has deletion protection" in str(refused.value)
    assert refused.value.hint is not None
    assert f"--db-instance-identifier {db.id} --no-deletion-protection" in refused.value.hint
    assert "set protect: false and run weft up" in refused.value.hint
    assert set(discovered(ctx, "db_instance")) == {"main"}

    unprotected, _ = update(ctx, "db_instance", db, deletion_protection=False)
    DRIVERS["db_instance"].delete(ctx, unprotected)
    assert discovered(ctx, "db_instance") == {}


def test_db_instance_storage_cannot_shrink(ctx: AwsContext, net: Net, rec: Recorder) -> None:
    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    db = create(ctx, "db_instance", "main", **db_props(ctx, net, group.id, storage_gb=50))
    with pytest.raises(PermanentError, match="can only grow") as refused:
        update(ctx, "db_instance", db, storage_gb=30)
    rec.errors.append(str(refused.value))
    assert discovered(ctx, "db_instance")["main"].props["storage_gb"] == 50


def test_the_local_cloud_refuses_what_rds_refuses(ctx: AwsContext, net: Net) -> None:
    """AWS ModifyDBInstance: storage never shrinks, grows by 10% or more, and the engine is
    never downgraded (the driver refuses these first; the emulator is as strict as AWS)."""
    from botocore.exceptions import ClientError

    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    db = create(ctx, "db_instance", "main", **db_props(ctx, net, group.id, storage_gb=50))
    rds = ctx.client("rds")
    for change in ({"AllocatedStorage": 40}, {"AllocatedStorage": 54}, {"EngineVersion": "16.1"}):
        with pytest.raises(ClientError) as refused:
            rds.modify_db_instance(DBInstanceIdentifier=db.id, ApplyImmediately=True, **change)
        assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination", change
    found = rds.describe_db_instances(DBInstanceIdentifier=db.id)["DBInstances"][0]
    assert (found["AllocatedStorage"], found["EngineVersion"]) == (50, "16.3")
    rds.modify_db_instance(DBInstanceIdentifier=db.id, ApplyImmediately=True, AllocatedStorage=55)
    # the driver refuses the same before any call
    with pytest.raises(PermanentError, match="at least 10%"):
        update(ctx, "db_instance", discovered(ctx, "db_instance")["main"], storage_gb=57)


def test_the_local_cloud_offers_each_postgres_version_on_the_classes_rds_does(
    ctx: AwsContext, net: Net
) -> None:
    """AWS: an engine version runs on some DB instance classes only (RDS User Guide, "Supported
    DB engines for DB instance classes"); DescribeOrderableDBInstanceOptions lists them, and
    CreateDBInstance or ModifyDBInstance with another is InvalidParameterCombination. The
    driver that asks for one gets AWS's refusal, and nothing is made."""
    from botocore.exceptions import ClientError

    rds = ctx.client("rds")

    def classes(**filters: str) -> set[tuple[str, str]]:
        pages = rds.get_paginator("describe_orderable_db_instance_options").paginate(
            Engine="postgres", **filters
        )
        return {
            (o["EngineVersion"], o["DBInstanceClass"])
            for page in pages
            for o in page["OrderableDBInstanceOptions"]
        }

    offered = {c for _v, c in classes(EngineVersion="16.3")}
    assert {"db.t4g.medium", "db.m7g.large", "db.m6i.large", "db.t3.micro"} <= offered
    assert not offered & {"db.t2.micro", "db.m4.large", "db.r4.large"}
    graviton3 = {v for v, _c in classes(DBInstanceClass="db.m7g.large")}
    assert "13.8" in graviton3 and "13.7" not in graviton3 and "16.1" in graviton3
    assert classes(EngineVersion="16.3", DBInstanceClass="db.t2.micro") == set()

    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    for version, instance_class in (("16.3", "db.t2.micro"), ("13.7", "db.m7g.large")):
        over = {"engine_version": version, "instance_class": instance_class}
        with pytest.raises(ClientError) as refused:
            create(ctx, "db_instance", "main", **db_props(ctx, net, group.id, **over))
        assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
        text = refused.value.response["Error"]["Message"]
        assert "RDS does not support creating a DB instance with the following combination" in text
        assert f"DBInstanceClass={instance_class}" in text and f"EngineVersion={version}" in text
    assert discovered(ctx, "db_instance") == {}
    db = create(ctx, "db_instance", "main", **db_props(ctx, net, group.id))
    with pytest.raises(ClientError) as denied:
        rds.modify_db_instance(
            DBInstanceIdentifier=db.id, ApplyImmediately=True, DBInstanceClass="db.r4.large"
        )
    assert denied.value.response["Error"]["Code"] == "InvalidParameterCombination"
    rds.modify_db_instance(
        DBInstanceIdentifier=db.id, ApplyImmediately=True, DBInstanceClass="db.m5.large"
    )
    found = rds.describe_db_instances(DBInstanceIdentifier=db.id)["DBInstances"][0]
    assert found["DBInstanceClass"] == "db.m5.large"
    DRIVERS["db_instance"].delete(ctx, discovered(ctx, "db_instance")["main"])


def test_db_instance_major_version_is_reported_as_requested(ctx: AwsContext, net: Net) -> None:
    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    resource, props = desired(
        ctx, "db_instance", "main", **db_props(ctx, net, group.id, engine_version="16")
    )
    DRIVERS["db_instance"].create(ctx, resource, props)
    rds = ctx.client("rds")
    # as AWS does: "16" runs as some 16.x
    rds.modify_db_instance(
        DBInstanceIdentifier=props["identifier"], EngineVersion="16.4", ApplyImmediately=True
    )
    found = discovered(ctx, "db_instance")["main"]
    assert found.props["engine_version"] == "16"
    assert found.outputs["engine_version_running"] == "16.4"
    assert "weft:engine-version" not in found.props["tags"]
    # asking for an older version than the one running is refused, not attempted
    with pytest.raises(PermanentError, match="cannot downgrade"):
        update(ctx, "db_instance", found, engine_version="16.2")


def test_db_instance_create_retried_adopts(ctx: AwsContext, net: Net) -> None:
    group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    first = create(ctx, "db_instance", "main", **db_props(ctx, net, group.id))
    second = create(ctx, "db_instance", "main", **db_props(ctx, net, group.id))
    assert first.id == second.id
    assert len(discovered(ctx, "db_instance")) == 1


# ------------------------------------------------------------------------------- ElastiCache


def test_cache_replication_group_lifecycle(ctx: AwsContext, net: Net, rec: Recorder) -> None:
    group = create(ctx, "cache_subnet_group", "data", **subnet_group_props(ctx, net))
    kind = "cache_replication_group"
    resource, props = desired(ctx, kind, "sessions", **cache_props(ctx, net, group.id))
    created = DRIVERS[kind].create(ctx, resource, props)
    rec.seen(created)
    assert created.outputs["endpoint"]
    assert created.outputs["port"] == 6379
    assert created.outputs["auth_secret"] == "cache/sessions/auth-token"
    token = secrets.get_secret(ctx, "cache/sessions/auth-token")
    assert 16 <= len(token) <= 128 and not set(token) & set('@"/')
    assert_equal_props(created, props, {"security_group_ids"})
    found = discovered(ctx, kind)
    rec.seen(*found.values())
    assert set(found) == {"sessions"}
    assert_equal_props(found["sessions"], props, {"security_group_ids"})

    # grow: one more replica, a bigger node type, a newer version, another group
    updated, new = update(
        ctx,
        kind,
        found["sessions"],
        num_cache_clusters=3,
        node_type="cache.r7g.large",
        engine_version="7.2",
        security_group_ids=[net.group.id, net.other_group.id],
        tags={"team": "web"},
    )
    rec.seen(updated)
    found = discovered(ctx, kind)
    assert_equal_props(found["sessions"], new, {"security_group_ids"})
    assert_equal_props(updated, new, {"security_group_ids"})

    # shrink to a single node: failover off first, then the replicas go
    _, last = update(
        ctx, kind, found["sessions"], num_cache_clusters=1, automatic_failover=False, multi_az=False
    )
    found = discovered(ctx, kind)
    assert_equal_props(found["sessions"], last, {"security_group_ids"})

    DRIVERS[kind].delete(ctx, found["sessions"])
    assert discovered(ctx, kind) == {}
    (snapshot,) = [
        s
        for s in ctx.client("elasticache").describe_snapshots()["Snapshots"]
        if s.get("ReplicationGroupId") == props["id"]
    ]
    assert snapshot["SnapshotName"].startswith(f"{props['id']}-final-")
    # moto keeps deleted groups "deleting" forever; the local cloud removes them like AWS
    assert ctx.client("elasticache").describe_replication_groups()["ReplicationGroups"] == []
    DRIVERS["cache_subnet_group"].delete(ctx, group)
    assert discovered(ctx, "cache_subnet_group") == {}


def test_a_cache_engine_is_never_downgraded(ctx: AwsContext, net: Net, rec: Recorder) -> None:
    """AWS ModifyReplicationGroup refuses an older engine version; so do the driver (before any
    call) and the local cloud."""
    from botocore.exceptions import ClientError

    group = create(ctx, "cache_subnet_group", "data", **subnet_group_props(ctx, net))
    kind = "cache_replication_group"
    cache = create(ctx, kind, "sessions", **cache_props(ctx, net, group.id, engine_version="7.1"))
    with pytest.raises(PermanentError, match="cannot downgrade") as refused:
        update(ctx, kind, cache, engine_version="7.0")
    rec.errors.append(str(refused.value))
    assert refused.value.hint and '"7.1"' in refused.value.hint
    with pytest.raises(ClientError) as raw:
        ctx.client("elasticache").modify_replication_group(
            ReplicationGroupId=cache.id, EngineVersion="7.0", ApplyImmediately=True
        )
    assert raw.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert discovered(ctx, kind)["sessions"].props["engine_version"] == "7.1"


def test_redis_6_is_6x_for_elasticache(ctx: AwsContext, net: Net) -> None:
    """ElastiCache has no Redis "6.0" (the local cloud refuses it, as AWS does); "6.x" runs
    6.0.x and is read back as "6.x", so a plan of it has nothing to do."""
    from botocore.exceptions import ClientError

    group = create(ctx, "cache_subnet_group", "data", **subnet_group_props(ctx, net))
    with pytest.raises(ClientError) as refused:
        ctx.client("elasticache").create_replication_group(
            ReplicationGroupId=f"weft-{ctx.fabric}-six",
            ReplicationGroupDescription="six",
            Engine="redis",
            EngineVersion="6.0",
            CacheNodeType="cache.t4g.small",
            NumCacheClusters=1,
            CacheSubnetGroupName=group.id,
        )
    assert "Cannot find version 6.0 for redis" in str(refused.value)
    kind = "cache_replication_group"
    props = cache_props(ctx, net, group.id, engine_version="6.x")
    resource, full = desired(ctx, kind, "sessions", **props)
    DRIVERS[kind].create(ctx, resource, full)
    found = discovered(ctx, kind)["sessions"]
    assert found.props["engine_version"] == "6.x"
    DRIVERS[kind].delete(ctx, found)


def test_cache_subnet_group_in_use_is_temporary(ctx: AwsContext, net: Net) -> None:
    from weft.aws.applier import AwsApplier
    from weft.errors import TemporaryError

    group = create(ctx, "cache_subnet_group", "data", **subnet_group_props(ctx, net))
    create(ctx, "cache_replication_group", "sessions", **cache_props(ctx, net, group.id))
    with pytest.raises(TemporaryError):
        AwsApplier(ctx).delete(group, lambda _: None)


def test_cache_id_is_validated(ctx: AwsContext, net: Net) -> None:
    long_id = "weft-" + "x" * 40
    with pytest.raises(PermanentError, match="not a valid ElastiCache replication group id"):
        create(ctx, "cache_replication_group", "c", **cache_props(ctx, net, "g", id=long_id))
    with pytest.raises(PermanentError, match="not a valid"):
        create(ctx, "cache_replication_group", "c", **cache_props(ctx, net, "g", id="Weft-UP"))


# ------------------------------------------------------------------------------------- buckets


def bucket_props(ctx: AwsContext, kms_arn: str, name: str = "uploads") -> dict[str, Any]:
    return {
        "bucket": f"weft-{ctx.fabric}-{name}-{ACCOUNT}",
        "versioning": True,
        "encryption": "aws:kms",
        "kms_key_arn": kms_arn,
        "public_access_block": True,
    }


def test_bucket_lifecycle(ctx: AwsContext) -> None:
    kms_arn = make_fabric(ctx)
    resource, props = desired(ctx, "bucket", "uploads", **bucket_props(ctx, kms_arn))
    created = DRIVERS["bucket"].create(ctx, resource, props)
    assert created.outputs["arn"] == f"arn:aws:s3:::{props['bucket']}"
    found = discovered(ctx, "bucket")
    assert set(found) == {"uploads"}  # the fabric bucket is not an application bucket
    assert thaw(found["uploads"].props) == props

    _, new = update(ctx, "bucket", found["uploads"], versioning=False, tags={"team": "web"})
    found = discovered(ctx, "bucket")
    assert thaw(found["uploads"].props) == new

    DRIVERS["bucket"].delete(ctx, found["uploads"])
    assert discovered(ctx, "bucket") == {}
    assert discovered(ctx, "fabric_bucket")  # untouched


def test_bucket_with_objects_is_not_deleted(ctx: AwsContext, rec: Recorder) -> None:
    kms_arn = make_fabric(ctx)
    bucket = create(ctx, "bucket", "uploads", **bucket_props(ctx, kms_arn))
    s3 = ctx.client("s3")
    for i in range(3):
        s3.put_object(Bucket=bucket.id, Key=f"file-{i}", Body=b"data")
    with pytest.raises(PermanentError) as refused:
        DRIVERS["bucket"].delete(ctx, bucket)
    rec.errors.append(str(refused.value))
    assert refused.value.hint == "it holds 3 objects; empty it first, or pass --delete-data"
    assert set(discovered(ctx, "bucket")) == {"uploads"}
    assert s3.get_object(Bucket=bucket.id, Key="file-0")["Body"].read() == b"data"

    BucketDriver(delete_data=True).delete(ctx, bucket)
    assert discovered(ctx, "bucket") == {}


def test_bucket_objects_are_encrypted_with_the_fabric_key(ctx: AwsContext) -> None:
    kms_arn = make_fabric(ctx)
    bucket = create(ctx, "bucket", "uploads", **bucket_props(ctx, kms_arn))
    answer = ctx.client("s3").put_object(Bucket=bucket.id, Key="k", Body=b"x")
    assert answer["ServerSideEncryption"] == "aws:kms"
    assert answer["SSEKMSKeyId"] == kms_arn


def test_bucket_of_another_fabric_is_not_taken_over(moto_url: str, ctx: AwsContext) -> None:
    kms_arn = make_fabric(ctx)
    props = bucket_props(ctx, kms_arn)
    create(ctx, "bucket", "uploads", **props)
    other = make_ctx(moto_url)
    with pytest.raises(PermanentError, match=f"belongs to fabric {ctx.fabric}"):
        DRIVERS["bucket"].create(other, *desired(other, "bucket", "uploads", **props))


# ------------------------------------------------------------------------------- secret leaks


def _everything_in(ctx: AwsContext, kinds: list[str]) -> Iterator[Observed]:
    for kind in kinds:
        yield from DRIVERS[kind].discover(ctx)


def test_no_generated_secret_is_observable(ctx: AwsContext, net: Net, rec: Recorder) -> None:
    """The database password and cache token never appear in Observed props or outputs, plan
    data, progress messages or error texts."""
    from weft.core.planner import plan

    db_group = create(ctx, "db_subnet_group", "data", **subnet_group_props(ctx, net))
    cache_group = create(ctx, "cache_subnet_group", "data", **subnet_group_props(ctx, net))
    db_res, db_p = desired(ctx, "db_instance", "main", **db_props(ctx, net, db_group.id))
    cache_res, cache_p = desired(
        ctx, "cache_replication_group", "sessions", **cache_props(ctx, net, cache_group.id)
    )
    rec.seen(DRIVERS["db_instance"].create(ctx, db_res, db_p))
    rec.seen(DRIVERS["cache_replication_group"].create(ctx, cache_res, cache_p))
    kinds = ["db_instance", "cache_replication_group", "db_subnet_group", "cache_subnet_group"]
    observed = list(_everything_in(ctx, kinds))
    rec.seen(*observed)

    # a plan against a changed desired state, as data
    changed_db = Resource("db_instance", "main", {**db_p, "backup_days": 3})
    the_plan = plan(
        ctx.fabric,
        [changed_db, cache_res],
        [o for o in observed if o.kind in ("db_instance", "cache_replication_group")],
        {k: DRIVERS[k].schema for k in kinds},
    )
    plan_text = json.dumps(the_plan.to_dict(), default=str)

    found = {o.name: o for o in observed}
    rec.seen(update(ctx, "db_instance", found["main"], backup_days=3)[0])
    with pytest.raises(WeftError) as err:
        update(ctx, "db_instance", found["main"], storage_gb=5)
    rec.errors.append(str(err.value))
    with pytest.raises(WeftError) as err:
        secrets.get_secret(ctx, "database/none/password")
    rec.errors.append(str(err.value))
    DRIVERS["db_instance"].delete(ctx, discovered(ctx, "db_instance")["main"])
    DRIVERS["cache_replication_group"].delete(
        ctx, discovered(ctx, "cache_replication_group")["sessions"]
    )
    listing = repr(secrets.list_secrets(ctx))

    values = [
        secrets.get_secret(ctx, "database/main/password"),
        secrets.get_secret(ctx, "cache/sessions/auth-token"),
    ]
    everything = "\n".join([rec.text(), plan_text, listing])
    assert rec.messages  # progress was reported
    for value in values:
        assert len(value) >= 16
        assert value not in everything
    # and no object in the fabric bucket holds one in clear
    s3 = ctx.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ctx.fabric_bucket):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=ctx.fabric_bucket, Key=obj["Key"])["Body"].read()
            for value in values:
                assert value.encode() not in body
