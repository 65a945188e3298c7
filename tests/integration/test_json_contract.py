"""Every command's ``--json`` output, parsed, as a script would read it: the ``weft`` command
run in a subprocess on the local cloud.

Short commands print one document with ``ok``; long commands stream events of one schema and
end with one summary; errors, from any command, are one JSON object with a stable code
(:mod:`weft.cli.machine`). Standard output holds JSON only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest

from weft.cli.machine import ERROR_CODES, FAILURE_CODES, INTERNAL, STATUSES
from weft.cli.main import cli
from weft.local.kube.control_plane import KubeEndpoint

from .helpers import CLUSTER_VERSION

pytestmark = pytest.mark.integration

WEFT = shutil.which("weft", path=str(Path(sys.executable).parent)) or "weft"
CODES = {code for _, code in ERROR_CODES} | set(FAILURE_CODES) | {INTERNAL}
LONG = {"up", "down", "deploy", "release", "rollback", "verify"}

NETWORK = """\
name: jsonfab
region: us-east-2
provider: local
network: {cidr: 10.30.0.0/16, zones: 2, nat: none, layout: public}
"""


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    objects: list[dict[str, Any]]
    stderr: str

    @property
    def last(self) -> dict[str, Any]:
        return self.objects[-1]

    @property
    def failure(self) -> str | None:
        """The code of a failure: an error object's, or a failed summary's or document's."""
        last = self.last
        if last.get("event") == "error":
            return str(last["error"]["code"])
        return None if last["ok"] else str(last["code"])


def weft(cwd: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> Run:
    """Run ``weft ARGS --json`` as a user would, and check the contract on what it printed."""
    proc = subprocess.run(
        [WEFT, *args, "--json"],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=900,
        check=False,
    )
    where = f"weft {' '.join(args)} --json (exit {proc.returncode})"
    assert proc.stdout.strip(), f"{where}: nothing on standard output\n{proc.stderr}"
    try:
        objects = [json.loads(line) for line in proc.stdout.splitlines()]
    except json.JSONDecodeError as exc:
        raise AssertionError(f"{where}: not JSON lines: {exc}\n{proc.stdout}") from exc
    assert all(isinstance(o, dict) for o in objects), where
    assert "Traceback" not in proc.stderr, f"{where}\n{proc.stderr}"
    run = Run(args, proc.returncode, objects, proc.stderr)
    check_contract(run, where)
    return run


def check_contract(run: Run, where: str) -> None:
    last = run.last
    assert isinstance(last.get("ok"), bool), f"{where}: the last object has no ok: {last}"
    # exit 2 is plan's "there are changes" (with --detailed-exitcode): a success
    assert last["ok"] == (run.code in (0, 2)), f"{where}: ok {last['ok']} but exit {run.code}"
    if not last["ok"]:
        assert run.failure in CODES, f"{where}: failure without a known code: {last}"
    if last.get("event") == "error":
        assert last["status"] == "error" and last["error"]["message"], where
    command = run.args[0]
    if command in LONG or last.get("event") == "error":
        # a stream: every line an event of the one schema, on one clock, ending once
        elapsed = -1.0
        for obj in run.objects:
            assert obj.get("event") in STATUSES, f"{where}: not an event: {obj}"
            assert obj["status"] in STATUSES[obj["event"]], f"{where}: {obj}"
            if obj["event"] in ("resource", "app", "phase", "step"):
                assert isinstance(obj[obj["event"]], str), f"{where}: no subject: {obj}"
            assert obj["elapsed"] >= elapsed, f"{where}: the clock went back: {obj}"
            elapsed = obj["elapsed"]
        finals = [o for o in run.objects if o["event"] in ("summary", "error")]
        assert finals == [last], f"{where}: the stream must end with one summary or error"
    else:
        assert len(run.objects) == 1, f"{where}: a short command prints one document"


@pytest.fixture
def workdir(tmp_path: Path, clean_cloud: str) -> Path:
    (tmp_path / "fabric.yaml").write_text(NETWORK)
    return tmp_path


def test_the_fabric_commands_speak_the_one_contract(workdir: Path) -> None:
    init = weft(workdir, "init", "other", "--region", "us-east-2", "--local", "-f", "new.yaml")
    assert init.code == 0 and init.last["zones"] == ["us-east-2a", "us-east-2b", "us-east-2c"]
    assert weft(workdir, "validate").last["valid"] is True
    assert weft(workdir, "validate", "--local").last["fabric"] == "jsonfab"

    plan = weft(workdir, "plan", "--out", "plan.json")
    assert plan.last["summary"]["create"] > 5
    up = weft(workdir, "up", "plan.json")
    assert up.code == 0, up.stderr
    events = [o["event"] for o in up.objects]
    assert events[0] == "plan" and events[-1] == "summary" and "resource" in events
    done = [o for o in up.objects if o["event"] == "resource" and o["status"] == "done"]
    assert len(done) >= up.last["done"] > 5
    assert all(o["seconds"] >= 0 and o["action"] for o in done)
    again = weft(workdir, "up", "--yes")
    assert again.last["status"] == "nothing to do"

    status = weft(workdir, "status")
    assert all(r["id"] for r in status.last["resources"])
    assert weft(workdir, "unlock").last["broken"] is None
    # everything is still there: the leftover report fails, with its code
    left = weft(workdir, "leftovers")
    assert left.code == 1 and left.last["code"] == "leftovers" and left.last["unintended"] > 0

    assert weft(workdir, "secrets", "set", "api/key", stdin="v4lue\n").last["stored"] == "api/key"
    got = weft(workdir, "secrets", "get", "api/key")
    assert got.last == {"ok": True, "name": "api/key", "value": "v4lue"}
    assert [s["name"] for s in weft(workdir, "secrets", "list").last["secrets"]] == ["api/key"]
    assert weft(workdir, "secrets", "rm", "api/key", "--yes").last["removed"] == "api/key"
    missing = weft(workdir, "secrets", "get", "api/key")
    assert missing.code == 1 and missing.last["error"]["code"] in ("not_found", "usage")

    token = weft(workdir, "token", "jsonfab")
    assert token.last["credential"]["kind"] == "ExecCredential"
    wrong = weft(workdir, "token", "another")
    assert wrong.code == 1 and wrong.last["error"]["code"] == "refused"

    # the application commands on a fabric without a cluster: refused, as JSON
    for args in (
        ["kubeconfig", "--kubeconfig", "kc"],
        ["deploy"],
        ["release", "web", "1.0.0"],
        ["rollback", "web"],
        ["history", "web"],
        ["verify"],
    ):
        refused = weft(workdir, *args)
        assert refused.code == 1, args
        assert refused.failure in ("refused", "usage", "verify_failed"), (args, refused.last)
    # a fabric without apps renders nothing, and says so in one document
    assert weft(workdir, "render").last == {"ok": True, "objects": []}

    down = weft(workdir, "down", "--yes")
    assert down.code == 0, down.stderr
    kinds = [o["event"] for o in down.objects]
    assert kinds[0] == "plan" and kinds[-2:] == ["leftovers", "summary"] and "phase" in kinds
    assert down.last["ok"] is True and down.last["done"] > 5
    nothing = weft(workdir, "down", "--yes")
    assert nothing.last["status"] == "nothing to do"


def test_the_local_cloud_commands_speak_the_one_contract(tmp_path: Path) -> None:
    env = {"WEFT_STATE_DIR": str(tmp_path / "state")}  # a local cloud of this test's own
    stopped = weft(tmp_path, "local", "status", env=env)
    assert stopped.code == 3 and stopped.last["code"] == "not_running"
    try:
        started = weft(tmp_path, "local", "up", "--no-kube", "--local", env=env)
        assert started.last["aws_endpoint"].startswith("http://127.0.0.1:")
        assert weft(tmp_path, "local", "status", env=env).last["running"] is True
    finally:
        assert weft(tmp_path, "local", "down", env=env).last["stopped"] is True


def leaves(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from leaves(sub, (*path, name))
    else:
        yield path


#: Arguments for the commands that need some.
ARGUMENTS = {
    ("init",): ["Not_A_Name", "--region", "us-east-2"],
    ("release",): ["web", "1.0.0"],
    ("rollback",): ["web"],
    ("history",): ["web"],
    ("logs",): ["web"],
    ("token",): ["jsonfab"],
    ("secrets", "set"): ["x"],
    ("secrets", "get"): ["x"],
    ("secrets", "rm"): ["x"],
}


@pytest.mark.parametrize("path", [p for p in leaves(cli) if p[0] != "local"], ids=" ".join)
def test_every_command_reports_an_error_as_one_json_object(tmp_path: Path, path: tuple[str, ...]):
    """A file that is not there (or, for init, a bad name): one error object, code config."""
    args = [*path, *ARGUMENTS.get(path, []), "-f", str(tmp_path / "missing.yaml")]
    run = weft(tmp_path, *args, env={"WEFT_STATE_DIR": str(tmp_path / "state")})
    assert run.code == 1 and run.last["event"] == "error", run.objects
    assert run.last["error"]["code"] == "config", run.last
    assert len(run.objects) == 1
    assert not (tmp_path / "state").exists()  # refused before any local cloud started


FABRIC_WITH_APPS = (
    """\
name: jsonapps
region: us-east-2
provider: local
network: {cidr: 10.31.0.0/16, zones: 2, nat: single, layout: private}
"""
    + f'cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}\n'
    + """nodegroups:
  - {name: general, instance_types: [m6i.large], min: 1, max: 3, desired: 2}
apps:
  - name: web
    image: registry.example.com/acme/web
    version: "1.0.0"
    replicas: 2
    port: 8080
"""
)


@pytest.mark.k8s
def test_the_application_commands_speak_the_one_contract(
    tmp_path: Path, clean_cloud: str, kube_api: KubeEndpoint
) -> None:
    (tmp_path / "fabric.yaml").write_text(FABRIC_WITH_APPS)
    try:
        assert weft(tmp_path, "up", "--yes").code == 0
        config = weft(tmp_path, "kubeconfig", "--kubeconfig", "kc")
        assert config.last["context"] == "weft-jsonapps"

        deploy = weft(tmp_path, "deploy", "--timeout", "180")
        assert deploy.code == 0, deploy.stderr
        apps = [o for o in deploy.objects if o["event"] == "app"]
        assert {o["status"] for o in apps} >= {"applied", "done"}
        assert deploy.last["apps"][0]["outcome"] == "deployed"

        release = weft(tmp_path, "release", "web", "1.1.0", "--timeout", "180")
        assert release.code == 0 and release.last["apps"][0]["version"] == "1.1.0"
        failing = weft(tmp_path, "release", "web", "1.2.0-fail", "--timeout", "180")
        assert failing.code == 1 and failing.last["code"] == "rollout_failed"
        history = weft(tmp_path, "history", "web")
        assert [r["version"] for r in history.last["releases"]][:2] == ["1.0.0", "1.1.0"]
        back = weft(tmp_path, "rollback", "web", "--timeout", "180")
        assert back.code == 0 and back.last["rolled_back_to"]
        rendered = weft(tmp_path, "render")
        assert {o["kind"] for o in rendered.last["objects"]} >= {"Deployment", "Service"}
        verify = weft(tmp_path, "verify", "--timeout", "180")
        assert verify.code == 0, "\n".join(
            f"{o.get('step')} {o['status']}: {o.get('message')}"
            for o in verify.objects
            if o["event"] == "step"
        )
        steps = [o["step"] for o in verify.objects if o["event"] == "step"]
        assert steps == ["data reachable", "deploy", "reachable", "rolling upgrade", "delete"]
    finally:
        down = weft(tmp_path, "down", "--yes")
    assert down.code == 0 and down.last["ok"] is True
