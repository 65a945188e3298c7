"""Plans compared, cut, checked and ordered for a teardown: the pure parts of weft.ops.plan."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.integration.helpers import CLUSTER_VERSION
from weft.aws.inventory import build
from weft.core import planner
from weft.core.executor import execution_graph
from weft.core.plan import Action, Change, FieldDiff, Plan
from weft.core.resource import Observed, Ref, Resource
from weft.errors import ConfigError, GuardError, StalePlan, UsageError
from weft.ops.plan import (
    check_plan,
    check_saved,
    duplicates_named,
    moved,
    read_saved,
    restore_problems,
    schemas,
    signature,
    stale,
    subplan,
    teardown_plan,
)
from weft.ops.target import Target


def change(
    action: Action,
    address: str,
    cloud_id: str | None = None,
    diffs: tuple[FieldDiff, ...] = (),
) -> Change:
    kind, _, name = address.partition(".")
    observed = Observed(kind, name, cloud_id) if cloud_id else None
    desired = Resource(kind, name, {}) if action is not Action.DELETE else None
    return Change(action, address, kind, desired=desired, observed=observed, diffs=diffs)


def plan_of(*changes: Change, meta: dict[str, object] | None = None) -> Plan:
    return Plan("demo", list(changes), "fp", dict(meta or {"kind": "up"}))


TAGS = FieldDiff("tags", {"a": "1"}, {"a": "2"})


def test_the_same_plan_read_twice_has_not_moved() -> None:
    one = plan_of(
        change(Action.CREATE, "vpc.main"), change(Action.UPDATE, "subnet.a", "s-1", (TAGS,))
    )
    two = plan_of(
        change(Action.CREATE, "vpc.main"), change(Action.UPDATE, "subnet.a", "s-1", (TAGS,))
    )
    assert moved(one, two) == []


def test_no_ops_do_not_count() -> None:
    fresh = plan_of(change(Action.CREATE, "vpc.main"), change(Action.NOOP, "subnet.a", "s-1"))
    approved = plan_of(change(Action.CREATE, "vpc.main"))
    assert moved(fresh, approved) == []
    assert signature(fresh) == signature(approved)


def test_a_different_diff_an_id_or_an_action_moves_the_plan() -> None:
    approved = plan_of(
        change(Action.UPDATE, "subnet.a", "s-1", (TAGS,)),
        change(Action.DELETE, "subnet.b", "s-2"),
        change(Action.CREATE, "vpc.main"),
    )
    other_tags = FieldDiff("tags", {"a": "1"}, {"a": "3"})
    fresh = plan_of(
        change(Action.UPDATE, "subnet.a", "s-1", (other_tags,)),
        change(Action.DELETE, "subnet.b", "s-9"),
        change(Action.CREATE, "vpc.main"),
    )
    assert moved(fresh, approved) == ["subnet.a", "subnet.b"]


def test_the_cloud_moving_towards_the_plan_still_moves_it() -> None:
    # a create still in flight when a run died: the resource exists now, nothing to create
    approved = plan_of(change(Action.CREATE, "vpc.main"), change(Action.CREATE, "subnet.a"))
    fresh = plan_of(change(Action.NOOP, "vpc.main", "vpc-1"), change(Action.CREATE, "subnet.a"))
    assert moved(fresh, approved) == ["vpc.main"]


def test_skipped_addresses_are_not_compared() -> None:
    approved = plan_of(
        change(Action.CREATE, "fabric_bucket.fabric"), change(Action.CREATE, "vpc.main")
    )
    fresh = plan_of(change(Action.CREATE, "vpc.main"))
    assert moved(fresh, approved) == ["fabric_bucket.fabric"]
    assert moved(fresh, approved, skip={"fabric_bucket.fabric"}) == []


def test_stale_names_at_most_five_addresses() -> None:
    error = stale([f"subnet.{n}" for n in "abcdefg"], "applied")
    assert isinstance(error, StalePlan)
    assert "(subnet.a, subnet.b, subnet.c, subnet.d, subnet.e and 2 more)" in error.message
    assert error.message.endswith("nothing was applied")
    assert "review the new plan" in str(error)


def test_a_subplan_keeps_the_plan_s_identity_and_only_the_addresses_asked_for() -> None:
    whole = plan_of(
        change(Action.CREATE, "fabric_bucket.fabric"),
        change(Action.CREATE, "vpc.main"),
        meta={"kind": "up", "region": "us-east-2"},
    )
    part = subplan(whole, {"fabric_bucket.fabric"})
    assert [c.address for c in part.changes] == ["fabric_bucket.fabric"]
    assert (part.fabric, part.fingerprint, part.meta) == (
        whole.fabric,
        whole.fingerprint,
        whole.meta,
    )
    part.meta["kind"] = "changed"
    assert whole.meta["kind"] == "up"  # a copy, not the same dict
    assert subplan(whole, set()).changes == []


def test_duplicates_are_deleted_as_duplicates() -> None:
    inv = build([Observed("vpc", "main", "vpc-1"), Observed("vpc", "main", "vpc-2")])
    assert [d.address for d in inv.duplicates] == ["vpc.main#2"]
    plan = plan_of(
        change(Action.NOOP, "vpc.main", "vpc-1"), change(Action.DELETE, "vpc.main#2", "vpc-2")
    )
    named = duplicates_named(plan, inv)
    assert named.change("vpc.main#2").reason == "duplicate of vpc.main"
    assert named.change("vpc.main").reason == ""


def test_up_refuses_a_cluster_version_changed_by_hand_and_shows_the_upgrade_path() -> None:
    minor = 40
    running, one, two = (f"1.{minor + i}" for i in range(3))
    for wanted, path in ((one, f"{running} → {one}"), (two, f"{running} → {one} → {two}")):
        diff = FieldDiff("version", running, wanted)
        with pytest.raises(ConfigError) as refused:
            check_plan(
                "fabric.yaml", plan_of(change(Action.UPDATE, "eks_cluster.main", "c", (diff,)))
            )
        message = str(refused.value)
        assert message.startswith("fabric.yaml: cluster.version: ")
        assert f"Upgrade path: {path}." in message
        assert f"weft upgrade --to {wanted}" in message
    down = FieldDiff("version", one, running)
    with pytest.raises(ConfigError, match=r"downgrades are not possible.*weft upgrade to finish"):
        check_plan("fabric.yaml", plan_of(change(Action.UPDATE, "eks_cluster.main", "c", (down,))))
    # only the cluster's version is checked
    skip = FieldDiff("version", running, two)
    check_plan("fabric.yaml", plan_of(change(Action.UPDATE, "eks_addon.vpc_cni", "a", (skip,))))


def test_a_cluster_and_its_node_groups_replaced_together_are_ordered() -> None:
    """A cluster and its node group both replaced: the node group goes before the old cluster
    and comes back after the new one (it was a dependency cycle, refused). A plan whose steps
    cannot be ordered (here: the same plan with the node group made before the old one goes)
    is still refused when made, before anyone is asked to confirm, never after."""
    cluster = {
        **{"name": "cyc", "version": CLUSTER_VERSION, "role_arn": "r", "security_group_ids": []},
        **{"endpoint_public": True, "endpoint_private": False, "public_access_cidrs": []},
        **{"logging": [], "encryption_key_arn": None},
    }
    group = {
        **{"nodegroup_name": "general-1", "node_role_arn": "n", "instance_types": ["m"]},
        **{"capacity_type": "ON_DEMAND", "disk_size": 20, "scaling": {}, "labels": {}},
        "taints": [],
    }
    desired = [
        # a new role: EKS cannot change it in place (its subnets it can, within its zones)
        Resource(
            "eks_cluster", "main", {**cluster, "role_arn": "r2", "subnet_ids": ["subnet-new"]}
        ),
        Resource(
            "eks_nodegroup",
            "general",
            {**group, "cluster_name": Ref("eks_cluster.main"), "subnet_ids": ["subnet-new"]},
        ),
    ]
    observed = [
        Observed("eks_cluster", "main", "cyc", {**cluster, "subnet_ids": ["subnet-old"]}),
        Observed(
            "eks_nodegroup",
            "general",
            "general-1",
            {**group, "cluster_name": "cyc", "subnet_ids": ["subnet-old"]},
            deps=("eks_cluster.main",),
        ),
    ]
    plan = planner.plan("cyc", desired, observed, schemas(), meta={})
    check_plan("fabric.yaml", plan)
    group_change = plan.change("eks_nodegroup.general")
    assert group_change.action is Action.REPLACE and group_change.delete_first
    graph, _steps = execution_graph(plan)
    steps = graph.topological_order()
    assert steps.index("eks_nodegroup.general#delete") < steps.index("eks_cluster.main#delete")
    assert steps.index("eks_cluster.main") < steps.index("eks_nodegroup.general")

    tangled = Plan(
        plan.fabric,
        [replace(c, delete_first=False) if c.kind == "eks_nodegroup" else c for c in plan.changes],
        plan.fingerprint,
    )
    with pytest.raises(GuardError, match=r"fabric.yaml: weft cannot order .*dependency cycle"):
        check_plan("fabric.yaml", tangled)


def observed_network() -> list[Observed]:
    return [
        Observed("vpc", "main", "vpc-1"),
        Observed("subnet", "a", "subnet-1", {"vpc_id": "vpc-1"}),
        Observed(
            "ec2_network_interface", "eni-1", "eni-1", {"subnet": "subnet-1", "why": "tagged x"}
        ),
        Observed("kms_key", "fabric", "key-1"),
        Observed(
            "db_instance", "main", "db-1", {"kms_key_id": "arn:aws:kms:us-east-2:1:key/key-1"}
        ),
    ]


def order(plan: Plan) -> list[str]:
    return [c.address for c in plan.changes]


def test_a_teardown_deletes_dependents_first() -> None:
    plan = teardown_plan("demo", observed_network(), {"kind": "down"})
    assert all(c.action is Action.DELETE for c in plan.changes)
    found = order(plan)
    assert (
        found.index("ec2_network_interface.eni-1")
        < found.index("subnet.a")
        < found.index("vpc.main")
    )
    assert plan.meta == {"kind": "down"}


def test_what_was_found_by_tag_says_why() -> None:
    plan = teardown_plan("demo", observed_network(), {"kind": "sweep"})
    assert plan.change("ec2_network_interface.eni-1").reason == "found by tag (tagged x)"
    assert plan.change("subnet.a").reason == "not in the fabric"  # the planner's own


def test_the_file_s_refs_order_what_ids_cannot() -> None:
    # the database names its key by ARN, which is not the key's id: only the file's refs know
    without = order(teardown_plan("demo", observed_network(), {}))
    with_refs = order(
        teardown_plan("demo", observed_network(), {}, {"db_instance.main": {"kms_key.fabric"}})
    )
    assert with_refs.index("db_instance.main") < with_refs.index("kms_key.fabric")
    assert set(without) == set(with_refs)


def test_refs_that_would_make_a_cycle_are_left_out() -> None:
    cycle = {"vpc.main": {"subnet.a"}}  # the subnet depends on the VPC by id already
    plan = teardown_plan("demo", observed_network(), {}, cycle)
    found = order(plan)
    assert found.index("subnet.a") < found.index("vpc.main")
    # refs to what is not there are ignored
    assert order(teardown_plan("demo", observed_network(), {}, {"vpc.main": {"gone.x"}})) == order(
        teardown_plan("demo", observed_network(), {})
    )


def test_a_saved_plan_of_another_fabric_account_or_region_is_refused(
    target_of: Callable[..., Target], tmp_path: Path
) -> None:
    target = target_of("demo")
    meta = {"kind": "up", "account": "123456789012", "region": "us-east-2"}
    check_saved(target, Plan("demo", [], "fp", dict(meta)), "p.json")
    with pytest.raises(GuardError, match=r"p\.json is a plan for fabric 'other', not 'demo'"):
        check_saved(target, Plan("other", [], "fp", dict(meta)), "p.json")
    with pytest.raises(GuardError, match="not 'demo'"):
        check_saved(target, Plan("demo", [], "fp", {**meta, "kind": "down"}), "p.json")
    with pytest.raises(GuardError, match="made for account 999 in us-east-2, not 123456789012"):
        check_saved(target, Plan("demo", [], "fp", {**meta, "account": "999"}), "p.json")
    with pytest.raises(GuardError, match="in eu-west-1, not 123456789012 in us-east-2"):
        check_saved(target, Plan("demo", [], "fp", {**meta, "region": "eu-west-1"}), "p.json")
    saved = tmp_path / "plan.json"
    saved.write_text(Plan("demo", [change(Action.CREATE, "vpc.main")], "fp", meta).to_json())
    assert order(read_saved(target, saved)) == ["vpc.main"]
    saved.write_text(json.dumps({"not": "a plan"}))
    with pytest.raises(UsageError, match="is not a weft plan"):
        read_saved(target, saved)


FABRIC_WITH_DATA = """\
name: demo
region: us-east-2
network: {cidr: 10.0.0.0/16, zones: 2}
databases:
  - name: other
    engine_version: "16.3"
    instance_class: db.t4g.medium
  - name: main
    engine_version: "16.3"
    instance_class: db.t4g.medium
    storage_gb: 30
caches:
  - {name: sessions, engine_version: "7.0", node_type: cache.t4g.small}
"""


def data_change(kind: str, name: str, have: dict[str, object], want: dict[str, object]) -> Change:
    observed = Observed(
        kind, name, f"weft-demo-{name}", have, outputs={"engine_version_running": "16.3"}
    )
    diffs = tuple(FieldDiff(k, have[k], want[k]) for k in want if want[k] != have.get(k))
    return Change(
        Action.UPDATE,
        f"{kind}.{name}",
        kind,
        desired=Resource(kind, name, {**have, **want}),
        observed=observed,
        diffs=diffs,
    )


def test_changes_the_cloud_refuses_are_refused_at_plan_naming_line_and_field(
    tmp_path: Path,
) -> None:
    source = tmp_path / "fabric.yaml"
    source.write_text(FABRIC_WITH_DATA)
    db = {"engine_version": "16.3", "storage_gb": 50}
    plan = plan_of(
        data_change("db_instance", "main", db, {"storage_gb": 30, "engine_version": "16.1"}),
        data_change(
            "cache_replication_group",
            "sessions",
            {"engine_version": "7.1"},
            {"engine_version": "7.0"},
        ),
    )
    with pytest.raises(ConfigError) as refused:
        check_plan(str(source), plan)
    problems = refused.value.problems
    assert len(problems) == 3, problems
    storage, version, cache = problems
    assert storage.startswith(f"{source}:11: databases[1].storage_gb: ")
    assert "can only grow, not shrink to 30 GB" in storage and "set storage_gb to 50" in storage
    assert version.startswith(f"{source}:9: databases[1].engine_version: ")
    assert "RDS cannot downgrade" in version and '"16.3"' in version
    assert cache.startswith(f"{source}:13: caches[0].engine_version: ")
    assert "ElastiCache cannot downgrade" in cache


def test_storage_grows_by_ten_percent_or_more(tmp_path: Path) -> None:
    source = tmp_path / "fabric.yaml"
    source.write_text(FABRIC_WITH_DATA)
    have = {"engine_version": "16.3", "storage_gb": 50}
    with pytest.raises(ConfigError, match=r"at least 10%.*set storage_gb to 50 or to 55 or more"):
        check_plan(
            str(source), plan_of(data_change("db_instance", "main", have, {"storage_gb": 54}))
        )
    # growing enough, or a newer version, or the major version of what runs: accepted
    for want in ({"storage_gb": 55}, {"engine_version": "16.4"}, {"engine_version": "16"}):
        check_plan(str(source), plan_of(data_change("db_instance", "main", have, want)))


def test_a_snapshot_rds_would_not_restore_as_the_file_asks_is_refused() -> None:
    key = "arn:aws:kms:us-east-2:123456789012:key/k1"
    props = {"engine": "postgres", "username": "weft_admin", "storage_gb": 20}
    snapshot = {
        "DBSnapshotIdentifier": "s1",
        "Engine": "postgres",
        "MasterUsername": "weft_admin",
        "AllocatedStorage": 20,
        "Encrypted": True,
        "KmsKeyId": key,
    }
    assert restore_problems(snapshot, props, key, False) == []
    other = {**snapshot, "MasterUsername": "root", "AllocatedStorage": 50, "KmsKeyId": "k2"}
    found = restore_problems(other, props, key, False)
    assert "snapshot s1 has the master user root, which a restored database keeps" in found[0]
    assert "set storage_gb: 50 or more" in found[1]
    assert "not encrypted with the fabric's KMS key" in found[2]
    assert len(restore_problems(snapshot, props, "", True)) == 1  # the fabric's key is new
