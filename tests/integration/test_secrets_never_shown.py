"""No secret value ever leaves weft through an output: a whole lifecycle of the full fabric runs
through the CLI with generated secrets (the database's master password, the cache's AUTH token)
and a user's secret (``weft secrets set``), and every output is searched for the values.

Searched: stdout and stderr of every command (text and ``--json``), the saved plan, the
kubeconfig weft writes, and every object version in the fabric bucket (journal entries, the lock,
the secrets' envelopes). Only ``weft secrets get`` prints a value: asked for it, by name."""

from __future__ import annotations

import io
import json
import secrets as random
from pathlib import Path

import pytest

from weft.aws import secrets as store
from weft.cli.main import main
from weft.fabricfile.secret_names import cache_auth_token, database_password
from weft.ops.target import Target

from .helpers import target_for
from .test_full_fabric import full_fabric

pytestmark = pytest.mark.integration


class Outputs:
    """Everything the user could see or keep, with where it came from."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, text: str) -> None:
        self.items.append((where, text))

    def containing(self, value: str) -> list[str]:
        return [where for where, text in self.items if value in text]


@pytest.fixture
def workdir(tmp_path: Path, clean_cloud: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def bucket_objects(target: Target) -> list[tuple[str, str]]:
    """Every version of every object in the fabric bucket: (key@version, text)."""
    s3 = target.session.client("s3")
    bucket = target.context().fabric_bucket
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
            text = body["Body"].read().decode("utf-8", errors="replace")
            found.append((f"s3://{bucket}/{version['Key']}@{version['VersionId']}", text))
    return found


def test_no_secret_value_appears_in_any_output(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = Outputs()

    def weft(*args: str, stdin: str | None = None, expect: int = 0) -> str:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        outputs.add(f"weft {' '.join(args)} (stdout)", out)
        outputs.add(f"weft {' '.join(args)} (stderr)", err)
        assert code == expect, f"weft {' '.join(args)} exited {code}:\n{out}\n{err}"
        return out

    text = full_fabric()
    (workdir / "fabric.yaml").write_text(text)
    weft("validate")
    weft("validate", "--json")
    weft("plan")
    weft("plan", "--json", "--out", "plan.json", "--detailed-exitcode", expect=2)
    weft("up", "plan.json", "--json")
    weft("plan", "--json")
    weft("plan")

    user_value = f"user-{random.token_urlsafe(24)}"
    weft("secrets", "set", "api-key", stdin=user_value + "\n")
    weft("secrets", "set", "api-key", "--json", stdin=user_value + "\n")
    weft("secrets", "list")
    weft("secrets", "list", "--json")
    weft("status")
    weft("status", "--json")
    weft("kubeconfig", "--kubeconfig", str(workdir / "kubeconfig"))
    weft("token", "full")

    # a change applied with the live (non-JSON) progress, then a saved plan refused as stale
    (workdir / "fabric.yaml").write_text(full_fabric(desired=4))
    weft("plan", "--out", "change.json", "--detailed-exitcode", expect=2)
    weft("up", "--yes")
    weft("up", "change.json", "--yes", expect=1)

    # the values: read from the store directly, never through the captured outputs
    target = target_for(text)
    ctx = target.context()
    values = {
        "database password": store.get_secret(ctx, database_password("main")),
        "cache auth token": store.get_secret(ctx, cache_auth_token("sessions")),
        "user secret": store.get_secret(ctx, "api-key"),
    }
    assert values["user secret"] == user_value
    assert all(len(v) >= 16 for v in values.values())
    # `weft secrets get` is the one way to see a value, and it prints exactly that
    code = main(["secrets", "get", "database/main/password"])
    assert code == 0 and capsys.readouterr().out == values["database password"] + "\n"

    for where, content in bucket_objects(target):
        outputs.add(where, content)
    assert any("/journal/" in where for where, _ in outputs.items)
    weft("down", "--yes")
    weft("down", "--yes", "--json")
    weft("status", "--json")
    for name in ("plan.json", "change.json", "kubeconfig"):
        outputs.add(name, (workdir / name).read_text())

    # the outputs are not empty, and they do name the secrets (never their values)
    everything = "\n".join(text for _, text in outputs.items)
    assert "database/main/password" in everything and "api-key" in everything
    assert json.loads((workdir / "plan.json").read_text())["changes"]
    leaks = {what: outputs.containing(value) for what, value in values.items()}
    assert leaks == {what: [] for what in values}
