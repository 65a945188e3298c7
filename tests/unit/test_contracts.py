"""The import contracts hold, and they would catch the next import cycle.

``lint-imports`` checks the contracts of ``pyproject.toml`` (``make lint`` runs it): the package
chain, the layers inside ``weft.ops``, ``weft.ops.apps`` and ``weft.cli``, the forbidden
imports. Here it runs on the real tree (kept), and on copies of the package, each with one import
added that closes a cycle (broken). A separate check finds any import cycle among the modules of
``weft``, lazy imports inside functions and ``TYPE_CHECKING`` imports included: the contracts
compare packages and layers, which misses a cycle between a package and one of its modules.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

CHAIN = "The layers: cli -> ops -> local -> kube | aws -> model -> fabricfile -> core -> errors"
OPS_LAYERS = "ops in layers: commands -> apps -> run | plan | sweep | guard -> target -> retrying"
ACYCLIC = "No import cycle among the modules of any weft package"


def lint_imports(root: Path, src: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the configuration in ``root``, on the package found in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "400"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def verdicts(output: str) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from lint-imports' summary."""
    found = {}
    for line in output.splitlines():
        name, _, verdict = line.rstrip().rpartition(" ")
        if verdict in ("KEPT", "BROKEN") and name:
            found[name] = verdict
    return found


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the project's configuration and of the weft package, to break."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        REPO / "src" / "weft",
        tmp_path / "src" / "weft",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path


def add_import(copy: Path, module: str, line: str) -> None:
    path = copy / "src" / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    path.write_text(path.read_text() + f"\n\n{line}\n")


def test_the_contracts_hold_on_the_tree() -> None:
    done = lint_imports(REPO, REPO / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    found = verdicts(done.stdout)
    assert found[CHAIN] == found[OPS_LAYERS] == found[ACYCLIC] == "KEPT"
    assert set(found.values()) == {"KEPT"}


def test_the_engine_importing_ops_breaks_the_chain(copy: Path) -> None:
    # ops imports the engine everywhere: the engine importing ops closes a cycle
    add_import(copy, "weft.core.graph", "from weft.ops import plan  # noqa: E402,F401")
    done = lint_imports(copy, copy / "src")
    assert done.returncode != 0
    assert verdicts(done.stdout)[CHAIN] == "BROKEN", done.stdout


def test_a_run_importing_the_teardown_breaks_the_ops_layers(copy: Path) -> None:
    # what lifecycle and teardown once did to each other: the shared module reaching back up,
    # lazily, inside a function
    add_import(
        copy,
        "weft.ops.run",
        "def _teardown() -> None:\n    from weft.ops import teardown  # noqa: F401",
    )
    done = lint_imports(copy, copy / "src")
    assert done.returncode != 0
    found = verdicts(done.stdout)
    assert found[OPS_LAYERS] == found[ACYCLIC] == "BROKEN", done.stdout
    assert found[CHAIN] == "KEPT"


def strongly_connected(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The import cycles of a graph: its strongly connected components of more than one module
    (or of one module importing itself), each sorted (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(root: str) -> None:
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def import_cycles(src: Path) -> list[list[str]]:
    """Every import cycle among the modules of the weft package found in ``src`` (the import
    graph as grimp, which lint-imports uses, builds it)."""
    code = (
        "import json, grimp\n"
        "g = grimp.build_graph('weft', cache_dir=None)\n"
        "print(json.dumps({m: sorted(i for i in g.find_modules_directly_imported_by(m)"
        " if i.split('.')[0] == 'weft') for m in g.modules if m.split('.')[0] == 'weft'}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    graph: dict[str, list[str]] = json.loads(done.stdout)
    return strongly_connected({m: set(i) for m, i in graph.items()})


def test_finding_cycles() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert strongly_connected({"a": {"a"}}) == [["a"]]
    assert strongly_connected(
        {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}}
    ) == [
        ["d", "e"],
        ["a", "b", "c"],
    ]


def test_no_module_of_weft_is_in_an_import_cycle() -> None:
    assert import_cycles(REPO / "src") == []


def test_a_lazy_import_of_a_package_by_its_module_is_a_cycle(copy: Path) -> None:
    # the sweep package imports its sweepers; one of them importing the package back, even
    # inside a function, closes a cycle the sibling contract cannot see
    add_import(
        copy,
        "weft.aws.sweep.scope",
        "def _every() -> None:\n    from weft.aws.sweep import sweepers  # noqa: F401",
    )
    cycles = import_cycles(copy / "src")
    assert len(cycles) == 1
    assert {"weft.aws.sweep", "weft.aws.sweep.scope"} <= set(cycles[0])
