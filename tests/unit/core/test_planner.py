import json

import pytest

from weft.core.plan import UNKNOWN, Action, Plan
from weft.core.planner import plan
from weft.core.resource import KindSchema, Observed, Ref, Resource

SCHEMAS = {
    "vpc": KindSchema("vpc", immutable=frozenset({"cidr"})),
    "subnet": KindSchema("subnet", immutable=frozenset({"vpc_id", "cidr"})),
    "route_table": KindSchema("route_table", unordered=frozenset({"subnets"})),
}


def desired(cidr="10.0.0.0/16", sub_cidr="10.0.0.0/19", tags=None):
    return [
        Resource("vpc", "main", {"cidr": cidr, "tags": tags or {"a": "1"}}),
        Resource("subnet", "a", {"vpc_id": Ref("vpc.main"), "cidr": sub_cidr}),
        Resource(
            "route_table",
            "private",
            {"vpc_id": Ref("vpc.main"), "subnets": [Ref("subnet.a"), Ref("subnet.b")]},
        ),
        Resource("subnet", "b", {"vpc_id": Ref("vpc.main"), "cidr": "10.0.32.0/19"}),
    ]


def observed():
    return [
        Observed("vpc", "main", "vpc-1", {"cidr": "10.0.0.0/16", "tags": {"a": "1"}}),
        Observed(
            "subnet",
            "a",
            "subnet-a",
            {"vpc_id": "vpc-1", "cidr": "10.0.0.0/19"},
            deps=("vpc.main",),
        ),
        Observed(
            "subnet",
            "b",
            "subnet-b",
            {"vpc_id": "vpc-1", "cidr": "10.0.32.0/19"},
            deps=("vpc.main",),
        ),
        Observed(
            "route_table",
            "private",
            "rtb-1",
            {"vpc_id": "vpc-1", "subnets": ["subnet-b", "subnet-a"]},
            deps=("vpc.main", "subnet.a", "subnet.b"),
        ),
    ]


def test_empty_cloud_creates_everything_in_dependency_order():
    p = plan("f", desired(), [], SCHEMAS)
    assert [c.action for c in p.changes] == [Action.CREATE] * 4
    order = [c.address for c in p.changes]
    assert order.index("vpc.main") < order.index("subnet.a") < order.index("route_table.private")
    assert p.has_changes and p.counts()["create"] == 4


def test_a_new_resource_is_shown_with_what_it_is():
    schemas = {
        **SCHEMAS,
        "subnet": KindSchema("subnet", shown=("cidr", "zone", "vpc_id")),
        "nodegroup": KindSchema("nodegroup", shown=("types", "scaling", "spot", "labels")),
    }
    group = Resource(
        "nodegroup",
        "general",
        {
            "types": ["m6i.large", "m6a.large"],
            "scaling": {"min": 1, "max": 3},
            "spot": False,
            "labels": {},
        },
    )
    p = plan("f", [*desired(), group], [], schemas)
    # a property not set (or empty) is left out; false is shown
    assert (
        p.change("subnet.a").reason == "new: cidr 10.0.0.0/19, vpc_id vpc.main"
    )  # a ref: its address
    assert p.change("nodegroup.general").reason == (
        "new: types [m6i.large, m6a.large], scaling {min=1, max=3}, spot no"
    )
    assert p.change("vpc.main").reason == "new"  # nothing shown for this kind
    saved = {c["address"]: c["reason"] for c in p.to_dict()["changes"]}
    assert saved["subnet.a"] == p.change("subnet.a").reason


def test_matching_cloud_is_all_noop_with_unordered_lists():
    p = plan("f", desired(), observed(), SCHEMAS)
    assert not p.has_changes, [(c.address, c.diffs) for c in p.changes]


def test_mutable_difference_is_an_update_naming_the_field():
    p = plan("f", desired(tags={"a": "2"}), observed(), SCHEMAS)
    change = p.change("vpc.main")
    assert change.action is Action.UPDATE
    assert [(d.field, d.before, d.after) for d in change.diffs] == [
        ("tags", {"a": "1"}, {"a": "2"})
    ]
    assert p.change("subnet.a").action is Action.NOOP


def test_immutable_difference_replaces_and_cascades_to_immutable_refs():
    p = plan("f", desired(cidr="10.1.0.0/16", sub_cidr="10.1.0.0/19"), observed(), SCHEMAS)
    assert p.change("vpc.main").action is Action.REPLACE
    assert "cidr cannot change in place" in p.change("vpc.main").reason
    sub = p.change("subnet.b")
    assert sub.action is Action.REPLACE
    assert {d.field: d.after for d in sub.diffs}["vpc_id"] is UNKNOWN
    # the route table's vpc_id is mutable in this schema, so it is updated, not replaced
    assert p.change("route_table.private").action is Action.UPDATE


def test_removed_resources_are_deleted_dependents_first():
    p = plan("f", [], observed(), SCHEMAS)
    order = [c.address for c in p.changes]
    assert all(c.action is Action.DELETE for c in p.changes)
    assert order.index("route_table.private") < order.index("subnet.a") < order.index("vpc.main")


def test_duplicates_are_deleted():
    dup = Observed("subnet", "a", "subnet-a2", {"vpc_id": "vpc-1", "cidr": "10.0.0.0/19"})
    p = plan("f", desired(), observed(), SCHEMAS, duplicates=[dup])
    (change,) = p.actionable
    assert change.action is Action.DELETE and change.cloud_id == "subnet-a2"
    assert change.address == "subnet.a#2"


def test_unknown_ref_is_a_programming_error():
    with pytest.raises(ValueError, match=r"unknown resources: vpc\.nope"):
        plan("f", [Resource("subnet", "a", {"vpc_id": Ref("vpc.nope")})], [], SCHEMAS)


def test_plan_round_trips_through_json():
    p = plan("f", desired(cidr="10.1.0.0/16"), observed(), SCHEMAS, meta={"region": "us-east-2"})
    again = Plan.from_dict(json.loads(p.to_json()))
    assert again.fingerprint == p.fingerprint
    assert [(c.action, c.address) for c in again.changes] == [
        (c.action, c.address) for c in p.changes
    ]
    assert again.change("subnet.a").desired == p.change("subnet.a").desired


def test_fingerprint_moves_when_the_cloud_moves():
    a = plan("f", desired(), observed(), SCHEMAS)
    moved = observed()
    moved[0] = Observed("vpc", "main", "vpc-1", {"cidr": "10.0.0.0/16", "tags": {"a": "x"}})
    b = plan("f", desired(), moved, SCHEMAS)
    assert a.fingerprint != b.fingerprint


def test_dotted_refs_and_formats_resolve_including_mapping_keys():
    from weft.core.planner import resolve
    from weft.core.resource import Fmt

    outputs = {"cert.w": {"validation": [{"name": "_x.example.com.", "value": "_y.acm."}]}}
    value = {
        "name": Ref("cert.w", "validation.0.name"),
        "missing": Ref("cert.w", "validation.3.name"),
        Fmt("{0}:sub", Ref("cert.w", "validation.0.value")): "system:serviceaccount:a:b",
    }
    assert resolve(value, outputs) == {
        "name": "_x.example.com.",
        "missing": UNKNOWN,
        "_y.acm.:sub": "system:serviceaccount:a:b",
    }
    res = Resource("role", "r", {"policy": {Fmt("{0}:aud", Ref("oidc.c", "host")): "sts"}})
    assert res.dependencies() == {"oidc.c"}


def test_plans_with_formats_round_trip_through_json():
    from weft.core.resource import Fmt

    desired = [
        Resource("oidc", "c", {"url": "x"}),
        Resource("role", "r", {"policy": {Fmt("{0}:aud", Ref("oidc.c", "url")): "sts"}}),
    ]
    p = plan("f", desired, [], {})
    again = Plan.from_dict(json.loads(p.to_json()))
    assert again.change("role.r").desired == p.change("role.r").desired


def test_an_output_the_update_renews_is_unknown_to_what_refers_to_it():
    schemas = {
        "template": KindSchema(
            "template", updatable=frozenset({"data"}), update_outputs=frozenset({"version"})
        ),
        "group": KindSchema("group", updatable=frozenset({"version"})),
    }
    want = [
        Resource("template", "t", {"data": "new"}),
        Resource("group", "g", {"version": Ref("template.t", "version")}),
    ]
    seen = [
        Observed("template", "t", "lt-1", {"data": "old"}, outputs={"version": "1"}),
        Observed("group", "g", "g-1", {"version": "1"}, deps=("template.t",)),
    ]
    p = plan("f", want, seen, schemas)
    assert p.change("template.t").action is Action.UPDATE
    group = p.change("group.g")
    assert group.action is Action.UPDATE
    assert {d.field: d.after for d in group.diffs}["version"] is UNKNOWN
    # unchanged, the version is known and nothing is to do
    unchanged = [Resource("template", "t", {"data": "old"}), want[1]]
    assert not plan("f", unchanged, seen, schemas).has_changes


def test_a_replaced_cluster_and_its_node_groups_are_ordered_not_a_cycle():
    """A cluster replaced (delete first: its name is unique) with its node groups (create
    before delete, when alone): the node groups go before the old cluster and come back after
    the new one, instead of a cycle (new group -> new cluster -> old cluster gone -> old group
    gone -> new group)."""
    from weft.core.executor import execution_graph

    schemas = {
        "cluster": KindSchema("cluster", immutable=frozenset({"subnets"})),
        "group": KindSchema("group", immutable=frozenset({"cluster"}), delete_before_create=False),
    }
    wanted = [
        Resource("cluster", "main", {"subnets": ["b", "c"]}),
        Resource("group", "general", {"cluster": Ref("cluster.main", "name")}),
    ]
    cloud = [
        Observed("cluster", "main", "c-1", {"subnets": ["a", "b"]}, outputs={"name": "c-1"}),
        Observed("group", "general", "g-1", {"cluster": "c-1"}, deps=("cluster.main",)),
    ]
    p = plan("f", wanted, cloud, schemas)
    group = p.change("group.general")
    assert group.action is Action.REPLACE and group.delete_first
    assert "cluster.main" in group.reason
    graph, _steps = execution_graph(p)
    order = graph.topological_order()
    assert order.index("group.general#delete") < order.index("cluster.main#delete")
    assert order.index("cluster.main#delete") < order.index("cluster.main")
    assert order.index("cluster.main") < order.index("group.general")
    # alone, a group still moves create-before-delete
    alone = plan("f", wanted, [cloud[0], cloud[1]], {**schemas, "cluster": KindSchema("cluster")})
    assert not alone.change("group.general").delete_first
