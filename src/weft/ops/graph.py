"""``weft graph``: the fabric's dependency graph, each resource coloured by what ``weft up`` would
do to it, so a user can see what a change touches.

The graph is the plan's (:func:`weft.ops.plan.make_plan`): one node per resource the file wants
or the cloud holds, an edge from each resource to every resource it waits for (its references
and ``depends_on``; for a resource only the cloud holds, the dependencies discovery read). Three
renderings, all text made here, an arrow going from what is needed to what needs it: Graphviz
DOT, Mermaid (``flowchart``), and SVG, which is DOT laid out by Graphviz's ``dot`` when it is
installed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from weft.core.plan import Action, Plan
from weft.errors import UsageError
from weft.ops.plan import make_plan
from weft.ops.target import Target

#: Fill colours by plan action (the terminal's colours for the same markers).
COLOURS = {
    Action.CREATE: "#b7e4c7",
    Action.UPDATE: "#ffe8a3",
    Action.REPLACE: "#e0b0ff",
    Action.DELETE: "#f4a6a6",
    Action.NOOP: "#eeeeee",
}
FORMATS = ("auto", "svg", "dot", "mermaid")


@dataclass
class FabricGraph:
    fabric: str
    #: address -> (kind, action)
    nodes: dict[str, tuple[str, Action]] = field(default_factory=dict)
    #: (resource, what it waits for)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fabric": self.fabric,
            "nodes": [
                {"address": a, "kind": k, "action": act.value}
                for a, (k, act) in sorted(self.nodes.items())
            ],
            "edges": [{"resource": a, "needs": b} for a, b in self.edges],
        }


def graph_of(plan: Plan) -> FabricGraph:
    """The dependency graph of ``plan``'s resources."""
    out = FabricGraph(plan.fabric)
    for change in plan.changes:
        out.nodes[change.address] = (change.kind, change.action)
    for change in plan.changes:
        if change.desired is not None:
            deps = change.desired.dependencies()
        elif change.observed is not None:
            deps = set(change.observed.deps)
        else:
            deps = set()
        out.edges.extend((change.address, d) for d in sorted(deps) if d in out.nodes)
    return out


def fabric_graph(target: Target) -> FabricGraph:
    """The fabric's graph, from a plan made now against the cloud."""
    return graph_of(make_plan(target))


def _label(address: str, action: Action) -> str:
    return address if action is Action.NOOP else f"{address} ({action.value})"


def to_dot(graph: FabricGraph) -> str:
    """Graphviz DOT text: each resource after what it needs (left to right), filled with its
    action's colour."""
    lines = [
        f'digraph "{graph.fabric}" {{',
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    ]
    for address, (_kind, action) in sorted(graph.nodes.items()):
        lines.append(
            f'  "{address}" [label="{_label(address, action)}", fillcolor="{COLOURS[action]}"];'
        )
    lines += [f'  "{b}" -> "{a}";' for a, b in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(graph: FabricGraph) -> str:
    """A Mermaid flowchart (GitHub and most Markdown viewers draw it)."""
    ids = {address: f"n{i}" for i, address in enumerate(sorted(graph.nodes))}
    lines = ["flowchart LR"]
    for address, (_kind, action) in sorted(graph.nodes.items()):
        lines.append(f'  {ids[address]}["{_label(address, action)}"]:::{action.name.lower()}')
    lines += [f"  {ids[b]} --> {ids[a]}" for a, b in graph.edges]
    for action, colour in COLOURS.items():
        lines.append(f"  classDef {action.name.lower()} fill:{colour},stroke:#555")
    return "\n".join(lines) + "\n"


def dot_program() -> str | None:
    """Graphviz's ``dot`` on the PATH, or None."""
    return shutil.which("dot")


def to_svg(graph: FabricGraph) -> str:
    """The graph laid out by Graphviz (UsageError, saying what to do, when it is missing)."""
    program = dot_program()
    if program is None:
        raise UsageError(
            "SVG needs Graphviz's dot, which is not installed",
            hint="install Graphviz (apt install graphviz, brew install graphviz), or use "
            "--format mermaid or --format dot",
        )
    done = subprocess.run(
        [program, "-Tsvg"],
        input=to_dot(graph),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise UsageError(
            f"Graphviz's dot failed ({done.returncode}): {done.stderr.strip()[:500]}",
            hint="use --format dot to see the text it was given",
        )
    return done.stdout


def render(graph: FabricGraph, fmt: str) -> tuple[str, str]:
    """The graph in ``fmt`` (:data:`FORMATS`; ``auto``: SVG when ``dot`` is installed, else
    Mermaid), and the format it is in."""
    if fmt == "auto":
        fmt = "svg" if dot_program() else "mermaid"
    if fmt == "svg":
        return to_svg(graph), fmt
    if fmt == "dot":
        return to_dot(graph), fmt
    if fmt == "mermaid":
        return to_mermaid(graph), fmt
    raise UsageError(f"unknown graph format {fmt!r}; one of {', '.join(FORMATS)}")
