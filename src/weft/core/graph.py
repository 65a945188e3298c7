"""A generic directed acyclic graph of string nodes; knows nothing of clouds.

An edge ``a -> b`` means *a must finish before b starts*. Destroy order is create order reversed
(:meth:`Graph.reversed`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

from weft.errors import CycleError


class Graph:
    def __init__(self, nodes: Iterable[str] = (), edges: Iterable[tuple[str, str]] = ()) -> None:
        self._succ: dict[str, set[str]] = {}
        self._pred: dict[str, set[str]] = {}
        for n in nodes:
            self.add_node(n)
        for a, b in edges:
            self.add_edge(a, b)

    @classmethod
    def from_dependencies(cls, deps: Mapping[str, Iterable[str]]) -> Graph:
        """``deps[n]`` are the nodes ``n`` waits for; edges to unknown nodes are dropped."""
        g = cls(deps)
        for node, needs in deps.items():
            for need in needs:
                if need in deps and need != node:
                    g.add_edge(need, node)
        return g

    def add_node(self, node: str) -> None:
        self._succ.setdefault(node, set())
        self._pred.setdefault(node, set())

    def add_edge(self, before: str, after: str) -> None:
        self.add_node(before)
        self.add_node(after)
        self._succ[before].add(after)
        self._pred[after].add(before)

    @property
    def nodes(self) -> list[str]:
        return sorted(self._succ)

    @property
    def edges(self) -> list[tuple[str, str]]:
        return sorted((a, b) for a, succ in self._succ.items() for b in succ)

    def __contains__(self, node: object) -> bool:
        return node in self._succ

    def __len__(self) -> int:
        return len(self._succ)

    def successors(self, node: str) -> set[str]:
        return set(self._succ[node])

    def predecessors(self, node: str) -> set[str]:
        return set(self._pred[node])

    def reversed(self) -> Graph:
        return Graph(self._succ, ((b, a) for a, b in self.edges))

    def descendants(self, node: str) -> set[str]:
        seen: set[str] = set()
        stack = [node]
        while stack:
            for nxt in self._succ[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def find_cycle(self) -> list[str] | None:
        """One cycle as a list of nodes, or None. Iterative DFS (fabrics can be large)."""
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self._succ, white)
        parent: dict[str, str] = {}
        for root in sorted(self._succ):
            if color[root] != white:
                continue
            stack = [(root, iter(sorted(self._succ[root])))]
            color[root] = grey
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    color[node] = black
                    stack.pop()
                elif color[child] == white:
                    color[child] = grey
                    parent[child] = node
                    stack.append((child, iter(sorted(self._succ[child]))))
                elif color[child] == grey:
                    cycle = [node]
                    while cycle[-1] != child:
                        cycle.append(parent[cycle[-1]])
                    return list(reversed(cycle))
        return None

    def check_acyclic(self) -> None:
        cycle = self.find_cycle()
        if cycle:
            raise CycleError(cycle)

    def topological_order(self) -> list[str]:
        """Nodes with every node after all it waits for; ties broken by name (deterministic)."""
        self.check_acyclic()
        indegree = {n: len(p) for n, p in self._pred.items()}
        ready = [n for n, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            node = heapq.heappop(ready)
            order.append(node)
            for nxt in self._succ[node]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    heapq.heappush(ready, nxt)
        return order

    def longest_path(self, weight: Mapping[str, float]) -> tuple[float, list[str]]:
        """The heaviest chain through the graph (the critical path), with its total weight."""
        best: dict[str, tuple[float, str | None]] = {}
        for node in self.topological_order():
            preds = [(best[p][0], p) for p in self._pred[node]]
            base, via = max(preds, default=(0.0, None))
            best[node] = (base + weight.get(node, 0.0), via)
        if not best:
            return 0.0, []
        end = max(best, key=lambda n: best[n][0])
        path = [end]
        while (prev := best[path[-1]][1]) is not None:
            path.append(prev)
        return best[end][0], list(reversed(path))
