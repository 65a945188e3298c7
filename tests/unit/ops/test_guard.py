"""Guard rails decided from a plan: what is destructive, who must confirm, what data stays."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from weft.core.plan import Action, Change, Plan
from weft.core.resource import Observed
from weft.errors import GuardError
from weft.ops.guard import destructive, refuse_data_loss, require_confirmation
from weft.ops.target import Target

Targets = Callable[..., Target]


def deleted(
    kind: str, name: str, cloud_id: str, action: Action = Action.DELETE, **props: object
) -> Change:
    return Change(action, f"{kind}.{name}", kind, observed=Observed(kind, name, cloud_id, props))


def plan_of(*changes: Change) -> Plan:
    return Plan("demo", list(changes), "fp")


class Counts:
    """Objects held per bucket, and which buckets were asked about."""

    def __init__(self, **held: int) -> None:
        self.held = held
        self.asked: list[str] = []

    def __call__(self, bucket: str) -> int:
        self.asked.append(bucket)
        return self.held.get(bucket, 0)


def test_destructive_changes_are_databases_caches_the_cluster_and_buckets_with_objects(
    target_of: Targets,
) -> None:
    plan = plan_of(
        deleted("db_instance", "main", "db-1"),
        deleted("cache_replication_group", "sessions", "cache-1", Action.REPLACE),
        deleted("eks_cluster", "main", "demo"),
        deleted("bucket", "uploads", "full-bucket"),
        deleted("bucket", "logs", "empty-bucket"),
        deleted("vpc", "main", "vpc-1"),
        Change(
            Action.UPDATE,
            "db_instance.other",
            "db_instance",
            observed=Observed("db_instance", "other", "db-2"),
        ),
    )
    objects = Counts(**{"full-bucket": 3})
    found = destructive(target_of(), plan, objects=objects)
    assert [d.what for d in found] == [
        "database db-1 deleted: its data goes (final snapshot kept)",
        "cache cache-1 replaced: its data goes and it is unreachable until the new one is up "
        "(about 10 minutes)",
        "cluster demo deleted",
        "bucket full-bucket deleted: it holds 3 objects",
    ]
    assert objects.asked == ["full-bucket", "empty-bucket"]
    assert found[0].to_dict() == {
        "address": "db_instance.main",
        "kind": "db_instance",
        "action": "delete",
        "id": "db-1",
        "what": "database db-1 deleted: its data goes (final snapshot kept)",
    }


def test_a_bucket_holding_one_object_says_so_in_the_singular(target_of: Targets) -> None:
    found = destructive(
        target_of(), plan_of(deleted("bucket", "b", "b-1")), objects=Counts(**{"b-1": 1})
    )
    assert found[0].what == "bucket b-1 deleted: it holds 1 object"


def test_confirm_naming_another_fabric_is_refused_even_unprotected(target_of: Targets) -> None:
    with pytest.raises(GuardError, match=r"--confirm prod does not name this fabric \(demo\)"):
        require_confirmation(target_of("demo"), "prod", command="up")


def test_a_protected_fabric_needs_its_name_to_go_down(target_of: Targets) -> None:
    protected = target_of("shop", protect=True)
    with pytest.raises(GuardError, match="weft down deletes all of it") as info:
        require_confirmation(protected, None, command="down")
    assert "pass --confirm shop" in str(info.value)
    require_confirmation(protected, "shop", command="down")
    require_confirmation(target_of("demo"), None, command="down")


def test_a_protected_fabric_needs_its_name_only_for_a_destructive_up(
    target_of: Targets,
) -> None:
    protected = target_of("shop", protect=True)
    require_confirmation(protected, None, command="up", changes=[])
    changes = destructive(
        protected, plan_of(deleted("eks_cluster", "main", "shop")), objects=Counts()
    )
    with pytest.raises(GuardError, match="this plan destroys: cluster shop deleted"):
        require_confirmation(protected, None, command="up", changes=changes)
    require_confirmation(protected, "shop", command="up", changes=changes)


def test_data_is_not_deleted_unasked(target_of: Targets) -> None:
    plan = plan_of(
        deleted("db_instance", "main", "db-1", deletion_protection=True),
        deleted("bucket", "uploads", "full-bucket"),
        deleted("bucket", "logs", "empty-bucket"),
    )
    objects = Counts(**{"full-bucket": 2})
    with pytest.raises(GuardError) as info:
        refuse_data_loss(target_of(), plan, delete_data=False, volumes=["vol-1"], objects=objects)
    error = info.value
    assert error.message == (
        "refusing to delete data: database db-1 has deletion protection; bucket full-bucket "
        "holds 2 objects; 1 volume tagged for the fabric or its cluster remain (vol-1); "
        "nothing was deleted"
    )
    assert error.hint is not None
    assert "--no-deletion-protection" in error.hint
    assert "pass --delete-data to empty it" in error.hint
    assert "pass --delete-data to delete them" in error.hint


def test_delete_data_lets_buckets_and_volumes_go_but_not_a_protected_database(
    target_of: Targets,
) -> None:
    objects = Counts(**{"full-bucket": 2})
    buckets = plan_of(deleted("bucket", "uploads", "full-bucket"))
    refuse_data_loss(target_of(), buckets, delete_data=True, volumes=["vol-1"], objects=objects)
    assert objects.asked == []  # not even counted
    protected = plan_of(deleted("db_instance", "main", "db-1", deletion_protection=True))
    with pytest.raises(GuardError, match="deletion protection"):
        refuse_data_loss(target_of(), protected, delete_data=True, objects=objects)
    unprotected = plan_of(deleted("db_instance", "main", "db-1", deletion_protection=False))
    refuse_data_loss(target_of(), unprotected, delete_data=False, objects=objects)


def test_a_database_with_deletion_protection_is_not_replaced_even_with_delete_data(
    target_of: Targets,
) -> None:
    replaced = plan_of(
        deleted("db_instance", "main", "db-1", Action.REPLACE, deletion_protection=True)
    )
    with pytest.raises(GuardError, match="database db-1 has deletion protection"):
        refuse_data_loss(target_of(), replaced, delete_data=True, objects=Counts())


def test_a_cluster_with_deletion_protection_is_not_deleted(target_of: Targets) -> None:
    protected = plan_of(deleted("eks_cluster", "main", "shop", deletion_protection=True))
    with pytest.raises(GuardError) as info:
        refuse_data_loss(target_of(), protected, delete_data=True, objects=Counts())
    assert "EKS cluster shop has deletion protection" in info.value.message
    assert info.value.hint is not None
    assert "aws eks update-cluster-config --name shop --no-deletion-protection" in info.value.hint
    unprotected = plan_of(deleted("eks_cluster", "main", "shop", deletion_protection=False))
    refuse_data_loss(target_of(), unprotected, delete_data=False, objects=Counts())


def test_one_hint_per_kind_of_problem(target_of: Targets) -> None:
    plan = plan_of(deleted("bucket", "a", "a-1"), deleted("bucket", "b", "b-1"))
    with pytest.raises(GuardError) as info:
        refuse_data_loss(
            target_of(), plan, delete_data=False, objects=Counts(**{"a-1": 1, "b-1": 5})
        )
    assert info.value.hint == "pass --delete-data to empty it (weft does not delete data unasked)"


@pytest.mark.parametrize("kind", ["eks_cluster", "db_instance", "cache_replication_group"])
def test_replacing_a_cluster_database_or_cache_needs_the_name_on_every_fabric(
    target_of: Targets, kind: str
) -> None:
    unprotected = target_of("demo")
    changes = destructive(
        unprotected, plan_of(deleted(kind, "main", "x-1", Action.REPLACE)), objects=Counts()
    )
    assert "replaced: " in changes[0].what and "until the new" in changes[0].what
    with pytest.raises(GuardError, match="--yes alone never replaces") as info:
        require_confirmation(unprotected, None, command="up", changes=changes)
    assert "pass --confirm demo" in str(info.value)
    require_confirmation(unprotected, "demo", command="up", changes=changes)
    # deleting one on an unprotected fabric needs no name, as before
    gone = destructive(unprotected, plan_of(deleted(kind, "main", "x-1")), objects=Counts())
    require_confirmation(unprotected, None, command="up", changes=gone)
