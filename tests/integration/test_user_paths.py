"""The paths a new user walks, walked as a user walks them: ``weft`` run as a separate process
(in a terminal where it asks questions), on the local cloud.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from weft.cli.main import EXIT_CODES, cli

from .user import in_terminal, weft

pytestmark = pytest.mark.integration


@pytest.fixture
def workdir(tmp_path: Path, clean_cloud: str) -> Path:
    return tmp_path


# --------------------------------------------------------------- the quick start and exit codes
def test_the_quick_start_in_the_help_runs_to_the_end(workdir: Path) -> None:
    """`weft --help`'s quick start, typed as it stands into a shell, answering y to the
    questions: every command runs (plan exits 0 when it made a plan, as terraform plan does)."""
    help_text = weft("--help", cwd=workdir).out
    lines = [line.strip() for line in help_text.splitlines()]
    start = lines.index("Quick start (offline, on the embedded local cloud):")
    init_line, chain = lines[start + 1], lines[start + 2]
    assert init_line.startswith("weft init ") and chain.startswith("weft plan && weft up")

    ran = in_terminal(f"{init_line} && {chain}", cwd=workdir)
    assert ran.code == 0, ran.out
    assert "Apply complete" in ran.out  # up ran after plan ...
    assert "Fabric demo" in ran.out  # ... then status ...
    assert "Nothing tagged with the fabric remains" in ran.out  # ... then down


def test_plan_exit_codes_follow_terraform(workdir: Path) -> None:
    (workdir / "fabric.yaml").write_text(
        "name: codes\nregion: us-east-2\nprovider: local\n"
        "network: {cidr: 10.30.0.0/16, zones: 2, nat: none, layout: public}\n"
    )
    assert weft("plan", cwd=workdir).code == 0
    assert weft("plan", "--detailed-exitcode", cwd=workdir).code == 2
    assert weft("up", "--yes", cwd=workdir).code == 0
    assert weft("plan", "--detailed-exitcode", cwd=workdir).code == 0
    (workdir / "fabric.yaml").write_text("name: codes\nregion: nowhere-9\n")
    assert weft("plan", "--detailed-exitcode", cwd=workdir).code == 1
    (workdir / "fabric.yaml").write_text(
        "name: codes\nregion: us-east-2\nprovider: local\n"
        "network: {cidr: 10.30.0.0/16, zones: 2, nat: none, layout: public}\n"
    )
    # a declined question stops a chain, as terraform apply's does
    ran = in_terminal("weft down && echo went-on", cwd=workdir, answer="n")
    assert ran.code == 1 and "Nothing done" in ran.out and "went-on" not in ran.out
    assert weft("down", "--yes", cwd=workdir).code == 0


def test_every_exit_code_is_in_the_help_and_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    help_text = cli.help or ""
    for code, meaning in EXIT_CODES:
        assert f"| {code} |" in readme, code
        assert f"  {code} " in help_text and meaning.split(":")[0] in help_text
