"""The CLI's contract with its users: help on every flag, an example in every command's help,
``--json`` and ``--local`` on every command, and the one JSON shape (:mod:`weft.cli.machine`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import click
import pytest

from weft.cli import machine
from weft.cli.main import cli, main
from weft.core.events import Event
from weft.errors import (
    CloudError,
    ConfigError,
    CycleError,
    GuardError,
    KubeError,
    LocalCloudError,
    LockHeld,
    NotFound,
    PermanentError,
    RolloutFailed,
    StalePlan,
    TemporaryError,
    UsageError,
    WeftError,
)


def walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path), command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


EVERY = list(walk(cli, ("weft",)))
LEAVES = [(path, c) for path, c in EVERY if not isinstance(c, click.Group)]


def test_the_walk_finds_every_command() -> None:
    paths = {path for path, _ in EVERY}
    assert {"weft", "weft plan", "weft secrets get", "weft local status", "weft token"} <= paths
    assert len(LEAVES) >= 22


@pytest.mark.parametrize(("path", "command"), EVERY, ids=[p for p, _ in EVERY])
def test_every_flag_has_help(path: str, command: click.Command) -> None:
    missing = [
        p.opts[0] for p in command.params if isinstance(p, click.Option) and not (p.help or "")
    ]
    assert missing == [], f"{path}: options without help: {missing}"


@pytest.mark.parametrize(("path", "command"), EVERY, ids=[p for p, _ in EVERY])
def test_every_command_has_an_example_of_itself(path: str, command: click.Command) -> None:
    """The help shows the command at work: an indented line that runs it (perhaps fed by a
    pipe)."""
    ctx = click.Context(command, info_name=path)
    text = command.get_help(ctx)
    examples = [line.strip() for line in text.splitlines() if line.startswith("    ")]
    runs = [line.partition("| ")[2] if line.startswith("printf") else line for line in examples]
    assert any(line == path or line.startswith(path + " ") for line in runs), (
        f"{path}: no example in its help:\n{text}"
    )


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[p for p, _ in LEAVES])
def test_every_command_takes_json_and_local(path: str, command: click.Command) -> None:
    flags = {opt for p in command.params for opt in p.opts}
    assert {"--json", "--local"} <= flags, path


ERRORS = [
    (ConfigError("bad", problems=["a", "b"]), "config"),
    (UsageError("bad"), "usage"),
    (click.UsageError("no such option"), "usage"),
    (LockHeld("held"), "locked"),
    (StalePlan("moved"), "stale_plan"),
    (GuardError("no"), "refused"),
    (LocalCloudError("down"), "local_cloud"),
    (RolloutFailed("crash", problems=["pod x: CrashLoopBackOff"]), "rollout_failed"),
    (KubeError("403"), "kubernetes"),
    (CycleError(["a", "b"]), "cycle"),
    (TemporaryError("throttled"), "cloud_temporary"),
    (NotFound("gone"), "not_found"),
    (PermanentError("denied", address="vpc.main", request_id="r-1"), "cloud"),
    (CloudError("failed"), "cloud"),
    (WeftError("other"), "error"),
    (KeyboardInterrupt(), "interrupted"),
    (RuntimeError("bug"), "internal"),
]


@pytest.mark.parametrize(("exc", "code"), ERRORS, ids=[c for _, c in ERRORS])
def test_every_error_has_a_stable_code(exc: BaseException, code: str) -> None:
    obj = machine.error_object(exc)
    assert obj["event"] == "error" and obj["ok"] is False and obj["status"] == "error"
    assert obj["error"]["code"] == code
    assert isinstance(obj["error"]["message"], str) and obj["error"]["message"]
    json.dumps(obj)


def test_error_objects_carry_what_scripts_need() -> None:
    config = machine.error_object(ConfigError("f.yaml:1: bad", problems=["p1", "p2"]))
    assert config["error"]["problems"] == ["p1", "p2"]
    cloud = machine.error_object(
        PermanentError("denied", address="vpc.main", request_id="r-1", hint="ask for access")
    )
    assert cloud["error"].items() >= {"resource": "vpc.main", "request_id": "r-1"}.items()
    assert cloud["error"]["hint"] == "ask for access"
    assert machine.error_object(CycleError(["a", "b"]))["error"]["cycle"] == ["a", "b"]


def test_resource_events_have_the_one_schema(capsys: pytest.CaptureFixture[str]) -> None:
    machine.start()
    machine.resource(Event("started", "vpc.main", "create"))
    machine.resource(Event("retrying", "vpc.main", "create", "throttled", 1.5, 1, 2.0))
    machine.resource(Event("done", "vpc.main", "create", "", 3.25, 2))
    machine.resource(Event("phase", "sweep", "down", "finding"))
    machine.app("web", "applied", "Deployment demo/web")
    machine.summary(True, "ok", done=1)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for line in lines:
        assert line["status"] in machine.STATUSES[line["event"]]
        assert isinstance(line["elapsed"], float | int)
        if line["event"] in ("resource", "app", "phase"):
            assert line[line["event"]]
    assert [line["event"] for line in lines] == [
        "resource",
        "resource",
        "resource",
        "phase",
        "app",
        "summary",
    ]
    assert (
        lines[1].items() >= {"attempt": 1, "delay": 2.0, "seconds": 1.5, "action": "create"}.items()
    )
    assert lines[2]["seconds"] == 3.25
    assert lines[-1].items() >= {"ok": True, "status": "ok", "done": 1}.items()
    elapsed = [line["elapsed"] for line in lines]
    assert elapsed == sorted(elapsed)


def test_an_error_before_any_cloud_call_is_one_json_object(
    tmp_path: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(str(tmp_path))
    assert main(["plan", "--json"]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["error"]["code"] == "config" and "fabric.yaml" in doc["error"]["message"]
    assert "fabric.yaml" in captured.err  # and the human form on standard error
    assert main(["plan", "--json", "--no-such-flag"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "usage"


def test_json_is_asked_for_only_before_a_double_dash() -> None:
    assert machine.wanted(["plan", "--json"])
    assert not machine.wanted(["plan"])
    assert not machine.wanted(["render", "--", "--json"])


def test_the_readme_documents_every_code_and_event() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[3] / "README.md").read_text()
    section = readme.partition("### Scripting: `--json`")[2].partition("\n### ")[0]
    codes = {code for _, code in machine.ERROR_CODES} | set(machine.FAILURE_CODES)
    missing = sorted(
        c for c in codes | {machine.INTERNAL} | set(machine.STATUSES) if f"`{c}`" not in section
    )
    assert missing == [], f"README's --json section does not name: {missing}"
