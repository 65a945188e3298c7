"""A plain ``pip install weft`` (no extras) runs every command that works on AWS.

The extras add the local cloud (``local``) and the tools of development (``dev``); nothing outside
``weft.local`` may need them. Two checks, both offline:

* statically, every third-party package imported by weft outside ``weft.local`` (lazy imports
  inside functions and ``TYPE_CHECKING`` imports included) is named in the base dependencies of
  ``pyproject.toml`` itself, not merely brought by another package;
* dynamically, a ``weft`` process in which an import hook hides every installed package that the
  base dependencies do not bring (moto, pytest and the like) prints its version, validates a
  file, and runs ``plan`` as far as the credentials, where it stops saying so. ``plan --local``
  there says which extra the local cloud needs.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "weft"


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def project() -> dict[str, object]:
    with open(REPO / "pyproject.toml", "rb") as fh:
        data: dict[str, object] = tomllib.load(fh)["project"]
    return data


def base_requirements() -> list[Requirement]:
    deps = project()["dependencies"]
    assert isinstance(deps, list)
    return [Requirement(line) for line in deps]


def base_closure() -> set[str]:
    """The distributions a plain install brings: the base dependencies and theirs, recursively."""
    env = {"extra": ""}
    seen: set[str] = set()
    todo = [r for r in base_requirements() if not r.marker or r.marker.evaluate(env)]
    while todo:
        req = todo.pop()
        name = canonical(req.name)
        extras = set(req.extras)
        if name in seen and not extras:
            continue
        seen.add(name)
        try:
            lines = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in lines:
            sub = Requirement(line)
            marker: Marker | None = sub.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras or {""}):
                todo.append(sub)
    return seen


def third_party_imports(root: Path) -> dict[str, list[str]]:
    """Top-level module imported -> the files importing it, for every ``.py`` under ``root``
    except ``weft/local`` (absolute imports only; relative ones are weft's own)."""
    found: dict[str, list[str]] = {}
    stdlib = sys.stdlib_module_names
    for path in sorted(root.rglob("*.py")):
        if (root / "local") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top not in ("weft", "__future__"):
                    found.setdefault(top, []).append(str(path.relative_to(REPO)))
    return found


def test_every_import_outside_the_local_cloud_is_a_base_dependency() -> None:
    declared = {canonical(r.name) for r in base_requirements()}
    providers = metadata.packages_distributions()
    imports = third_party_imports(SRC)
    assert "boto3" in imports and "lightkube" in imports  # the walk sees the tree
    wrong = {}
    for module, files in sorted(imports.items()):
        dists = {canonical(d) for d in providers.get(module, [])}
        if not dists & declared:
            wrong[module] = (sorted(dists) or ["not installed"], files[:3])
    assert not wrong, (
        "imported outside weft.local but not a base dependency in pyproject.toml "
        f"(module: (distributions, files)): {wrong}"
    )


def test_the_extras_add_nothing_the_production_path_imports() -> None:
    """What only an extra brings is named there, not needed by the base (moto, pytest, ...)."""
    extras = project()["optional-dependencies"]
    assert isinstance(extras, dict)
    base = base_closure()
    only_local = {canonical(Requirement(line).name) for line in extras["local"]} - base
    assert "moto" in only_local
    assert "cryptography" in base  # the secrets' encryption is on the production path


# The packages a plain install would not have: every installed top-level module none of whose
# distributions the base dependencies bring. The hook makes importing any of them fail as if
# it were absent.
HIDE = textwrap.dedent(
    """
    import sys
    from importlib.abc import MetaPathFinder

    HIDDEN = frozenset(sys.argv[1].split(","))

    class Absent(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Absent())
    from weft.cli.main import main

    sys.exit(main(sys.argv[2:]))
    """
)

FABRIC = textwrap.dedent(
    """\
    name: plain
    region: us-east-2
    network:
      cidr: 10.0.0.0/16
      zones: 2
      nat: single
    buckets:
      - name: assets
    """
)


def hidden_modules() -> set[str]:
    base = base_closure()
    hidden = set()
    for module, dists in metadata.packages_distributions().items():
        if module in ("weft", "_distutils_hack") or module.startswith("__editable__"):
            continue
        if not {canonical(d) for d in dists} & base:
            hidden.add(module)
    return hidden


def run_plain(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``weft ARGS`` as a plain install runs it, with no AWS configuration at all."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "WEFT_STATE_DIR": str(tmp_path / "state"),
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-c", HIDE, ",".join(sorted(hidden_modules())), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_plain_install_runs_the_commands_up_to_the_credentials(tmp_path: Path) -> None:
    hidden = hidden_modules()
    assert {"moto", "pytest"} <= hidden, hidden  # the hook really hides the extras
    (tmp_path / "fabric.yaml").write_text(FABRIC)

    version = run_plain(tmp_path, "--version")
    assert version.returncode == 0, version.stderr
    assert "weft, version" in version.stdout

    valid = run_plain(tmp_path, "validate")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "is valid" in valid.stdout

    plan = run_plain(tmp_path, "plan")
    out = plan.stdout + plan.stderr
    assert plan.returncode == 1, out
    assert "no AWS credentials found" in out, out
    assert "internal error" not in out and "ModuleNotFoundError" not in out, out
    assert "Traceback" not in out, out


def test_the_local_cloud_without_its_extra_says_which_to_install(tmp_path: Path) -> None:
    (tmp_path / "fabric.yaml").write_text(FABRIC)
    plan = run_plain(tmp_path, "plan", "--local")
    out = plan.stdout + plan.stderr
    assert plan.returncode == 1, out
    assert "pip install 'weft[local]'" in out, out
    assert "internal error" not in out, out
