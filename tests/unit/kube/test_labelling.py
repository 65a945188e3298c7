"""The label and annotation keys weft writes are defined once: in weft.kube.manifests.labelling."""

from __future__ import annotations

import ast
from pathlib import Path

import weft
from weft.kube.manifests import labelling

SRC = Path(weft.__file__).parent
#: The packages that must take the keys from the labelling module (the local cloud keeps a copy of
#: its own on purpose).
USERS = ("kube", "fabricfile")


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _literals(path: Path, text: str) -> list[tuple[int, str]]:
    """The string literals of ``path`` (docstrings left out) that contain ``text``."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and text in node.value
    ]


def test_weft_dev_keys_are_written_only_in_the_labels_module() -> None:
    home = Path(labelling.__file__)
    assert _literals(home, "weft.dev/"), "the labelling module defines the keys"
    written = [
        f"{path.relative_to(SRC)}:{line}: {value!r}"
        for package in USERS
        for path in sorted((SRC / package).rglob("*.py"))
        if path != home
        for line, value in _literals(path, "weft.dev/")
    ]
    assert written == []


def test_the_check_sees_a_key_written_elsewhere(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""Uses ``weft.dev/fabric`` in its docstring only."""\nKEY = "weft.dev/x"\n')
    assert _literals(module, "weft.dev/") == [(2, "weft.dev/x")]
