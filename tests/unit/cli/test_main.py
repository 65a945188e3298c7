"""The CLI's surface: every command in its place, and a start-up that loads no cloud library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from weft.cli.main import cli, main

COMMANDS = {
    "init",
    "validate",
    "plan",
    "graph",
    "up",
    "cost",
    "status",
    "dashboard",
    "down",
    "leftovers",
    "unlock",
    "secrets",
    "kubeconfig",
    "token",
    "deploy",
    "release",
    "rollback",
    "history",
    "render",
    "logs",
    "verify",
    "upgrade",
    "rotate-nodes",
    "local",
}


def test_every_command_is_there_once() -> None:
    assert set(cli.commands) == COMMANDS
    secrets = cli.commands["secrets"]
    local = cli.commands["local"]
    assert set(secrets.commands) == {"set", "get", "list", "rm"}  # type: ignore[attr-defined]
    assert set(local.commands) == {"up", "down", "status", "quota", "delegate"}  # type: ignore[attr-defined]


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    for name in COMMANDS:
        assert f"  {name} " in listed


def test_starting_the_cli_loads_no_cloud_library() -> None:
    # kubectl runs `weft token` for every connection: what only commands need loads with them
    code = (
        "import json, sys\n"
        "import weft.cli.main\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'lightkube', 'pydantic') or m.startswith(('weft.ops', "
        "'weft.aws', 'weft.kube', 'weft.model', 'weft.fabricfile', 'weft.local')))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
