"""Kubeconfig entries for a fabric's cluster, and merging them into an existing kubeconfig."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML

from weft.kube.kubeconfig import (
    aws_token_command,
    local_token_command,
    merge,
    render_context,
)

LOCAL = local_token_command(
    "demo", weft="/opt/weft/bin/weft", fabric_file="/src/envs/prod.yaml", state_dir="/st/weft"
)


def ours(**kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "token": aws_token_command("demo", "demo", "us-east-2"),
        "local": False,
        **kw,
    }
    return render_context(
        "demo",
        "demo",
        "https://ABC.gr7.us-east-2.eks.amazonaws.com",
        "Q0EK",
        "us-east-2",
        **args,
    )


def other() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kind-dev", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "kind-dev", "user": {"token": "abc"}}],
        "contexts": [{"name": "kind-dev", "context": {"cluster": "kind-dev", "user": "kind-dev"}}],
        "current-context": "kind-dev",
    }


def test_render_names_everything_after_the_fabric_and_uses_an_exec_plugin() -> None:
    config = ours()
    assert [c["name"] for c in config["clusters"]] == ["weft-demo"]
    assert [u["name"] for u in config["users"]] == ["weft-demo"]
    assert config["contexts"] == [
        {"name": "weft-demo", "context": {"cluster": "weft-demo", "user": "weft-demo"}}
    ]
    assert config["current-context"] == "weft-demo"
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == "https://ABC.gr7.us-east-2.eks.amazonaws.com"
    assert cluster["certificate-authority-data"] == "Q0EK"
    plugin = config["users"][0]["user"]["exec"]
    assert plugin["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert plugin["command"] == "weft"
    assert plugin["args"] == ["token", "demo", "--region", "us-east-2"]
    assert plugin["interactiveMode"] == "Never"


def test_on_aws_the_entry_names_nothing_of_this_machine() -> None:
    """weft from the PATH with the region (no fabric file, no directory): safe to commit, and
    every teammate's kubectl runs it."""
    plugin = ours()["users"][0]["user"]["exec"]
    assert plugin["command"] == "weft"
    assert plugin["args"] == ["token", "demo", "--region", "us-east-2"]
    assert "env" not in plugin


def test_on_aws_the_entry_may_run_aws_eks_get_token_as_eksctl_writes_it() -> None:
    config = ours(token=aws_token_command("demo", "demo", "us-east-2", "aws"))
    plugin = config["users"][0]["user"]["exec"]
    assert plugin["command"] == "aws"
    assert plugin["args"] == [
        *("eks", "get-token", "--output", "json"),
        *("--cluster-name", "demo", "--region", "us-east-2"),
    ]


def test_on_the_local_cloud_the_entry_runs_this_weft_with_its_state_directory() -> None:
    plugin = ours(token=LOCAL, local=True)["users"][0]["user"]["exec"]
    assert plugin["command"] == "/opt/weft/bin/weft"
    assert plugin["args"] == ["token", "demo", "-f", "/src/envs/prod.yaml", "--local"]
    assert plugin["env"] == [{"name": "WEFT_STATE_DIR", "value": "/st/weft"}]


def test_merge_into_nothing() -> None:
    merged = merge(None, ours())
    assert merged["current-context"] == "weft-demo"
    assert [c["name"] for c in merged["contexts"]] == ["weft-demo"]


def test_merge_keeps_other_entries_and_replaces_ours() -> None:
    existing = merge(other(), ours())
    stale = render_context(
        "demo",
        "demo",
        "https://OLD",
        "T0xE",
        "us-east-2",
        token=aws_token_command("demo", "demo", "us-east-2"),
        local=False,
    )
    existing = merge(existing, stale)
    existing["current-context"] = "kind-dev"
    before = [c["name"] for c in existing["clusters"]]

    merged = merge(existing, ours())
    assert [c["name"] for c in merged["clusters"]] == before == ["kind-dev", "weft-demo"]
    assert [u["name"] for u in merged["users"]] == ["kind-dev", "weft-demo"]
    assert [c["name"] for c in merged["contexts"]] == ["kind-dev", "weft-demo"]
    servers = {c["name"]: c["cluster"]["server"] for c in merged["clusters"]}
    assert servers == {
        "kind-dev": "https://127.0.0.1:6443",
        "weft-demo": "https://ABC.gr7.us-east-2.eks.amazonaws.com",
    }
    assert merged["users"][0] == other()["users"][0]  # untouched, credential and all
    assert merged["current-context"] == "weft-demo"
    assert existing["current-context"] == "kind-dev"  # inputs are not changed


def test_rendered_yaml_holds_no_credential() -> None:
    text = io.StringIO()
    YAML().dump(ours(token=LOCAL, local=True), text)
    dumped = text.getvalue()
    for word in ("token:", "password", "client-key", "client-certificate", "secret", "AKIA"):
        assert word not in dumped
    assert "weft-demo" in dumped


def test_an_entry_per_role_runs_the_token_command_as_that_role() -> None:
    """``weft kubeconfig --role-arn``: a teammate listed in cluster.access gets a context of
    its own, whose token is the role's (weft token or aws eks get-token, both --role-arn)."""
    role = "arn:aws:iam::123456789012:role/team/developers"
    for token_from, command in [("weft", "weft"), ("aws", "aws")]:
        config = ours(
            token=aws_token_command("demo", "demo", "us-east-2", token_from, role), role_arn=role
        )
        assert config["current-context"] == "weft-demo@developers"
        plugin = config["users"][0]["user"]["exec"]
        assert plugin["command"] == command
        assert plugin["args"][-2:] == ["--role-arn", role]
