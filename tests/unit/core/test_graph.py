import pytest

from weft.core.graph import Graph
from weft.errors import CycleError


def test_topological_order_respects_edges_and_is_deterministic():
    g = Graph.from_dependencies(
        {"vpc": [], "subnet": ["vpc"], "nat": ["subnet", "igw"], "igw": ["vpc"]}
    )
    order = g.topological_order()
    assert order == ["vpc", "igw", "subnet", "nat"]
    assert order.index("vpc") < order.index("subnet") < order.index("nat")


def test_reverse_order_is_destroy_order():
    g = Graph.from_dependencies({"vpc": [], "subnet": ["vpc"], "nat": ["subnet"]})
    assert g.reversed().topological_order() == ["nat", "subnet", "vpc"]


def test_cycle_is_found_and_named():
    g = Graph.from_dependencies({"a": ["c"], "b": ["a"], "c": ["b"], "d": []})
    cycle = g.find_cycle()
    assert cycle is not None and set(cycle) == {"a", "b", "c"}
    with pytest.raises(CycleError) as err:
        g.topological_order()
    assert "->" in str(err.value)


def test_self_dependency_and_unknown_nodes_are_ignored():
    g = Graph.from_dependencies({"a": ["a", "zzz"], "b": ["a"]})
    assert g.edges == [("a", "b")]


def test_descendants_and_longest_path():
    g = Graph.from_dependencies({"vpc": [], "subnet": ["vpc"], "nat": ["subnet"], "sg": ["vpc"]})
    assert g.descendants("vpc") == {"subnet", "nat", "sg"}
    total, path = g.longest_path({"vpc": 1, "subnet": 1, "nat": 90, "sg": 1})
    assert total == 92 and path == ["vpc", "subnet", "nat"]


def test_large_chain_has_no_recursion_limit():
    n = 5000
    g = Graph.from_dependencies({f"n{i}": [f"n{i - 1}"] if i else [] for i in range(n)})
    assert g.find_cycle() is None
    assert len(g.topological_order()) == n
