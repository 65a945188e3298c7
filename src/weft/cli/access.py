"""Cluster access: ``weft kubeconfig`` writes a context, ``weft token`` is its exec plugin.

The kubeconfig holds no credential: kubectl runs ``weft token FABRIC`` whenever it needs one,
which signs an STS request locally (as ``aws eks get-token`` does), so the file is safe to
commit and never goes stale.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
from ruamel.yaml import YAML

from weft.cli import render
from weft.cli.common import connect, fabric_options, out
from weft.errors import GuardError, UsageError
from weft.model.addresses import CLUSTER


def default_kubeconfig() -> Path:
    first = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"


def _read_yaml(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = YAML(typ="safe").load(path.read_text())
    except Exception as exc:
        raise UsageError(f"{path} is not a readable kubeconfig: {exc}") from exc
    if data is not None and not isinstance(data, dict):
        raise UsageError(f"{path} is not a kubeconfig (its top level is not a mapping)")
    return data


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".weft-tmp")
    yaml = YAML()
    yaml.default_flow_style = False
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        yaml.dump(data, fh)
    os.replace(tmp, path)


@click.command()
@fabric_options
@click.option(
    "--kubeconfig",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write or merge into (default: $KUBECONFIG, else ~/.kube/config).",
)
def kubeconfig(file: Path, local: bool, as_json: bool, path: Path | None) -> None:
    """Write (or merge) the context weft-FABRIC for the fabric's cluster."""
    from weft.aws.drivers import DRIVERS
    from weft.aws.inventory import discover
    from weft.kube.kubeconfig import entry_name, merge, render_context

    target = connect(file, local, as_json, "kubeconfig")
    found = discover(target.context(), {"eks_cluster": DRIVERS["eks_cluster"]})
    cluster = found.by_address.get(CLUSTER)
    if cluster is None:
        raise GuardError(f"fabric {target.name} has no cluster yet", hint="create it with: weft up")
    endpoint, ca_data = cluster.outputs.get("endpoint"), cluster.outputs.get("ca_data")
    new = render_context(
        target.name,
        cluster.id,
        str(endpoint),
        str(ca_data),
        target.region,
        fabric_file=str(file.resolve()),
        local=target.local_url is not None,
    )
    path = path or default_kubeconfig()
    _write_yaml(path, merge(_read_yaml(path), new))
    name = entry_name(target.name)
    if as_json:
        render.emit_json({"kubeconfig": str(path), "context": name, "endpoint": endpoint})
    else:
        out(as_json).print(
            f"Wrote context [bold]{name}[/] to {path} (current context). It holds no "
            "credential: kubectl asks `weft token` for one each time."
        )


@click.command()
@click.argument("fabric_name", metavar="FABRIC")
@click.option(
    "-f",
    "--file",
    "file",
    default="fabric.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option("--local", is_flag=True)
def token(fabric_name: str, file: Path, local: bool) -> None:
    """Print an EKS token as a kubectl exec credential (used by the kubeconfig weft writes)."""
    from weft.aws.eks_token import get_token
    from weft.fabricfile import load_fabric
    from weft.ops.target import open_session

    fabric = load_fabric(file)
    if fabric.name != fabric_name:
        raise GuardError(
            f"{file} describes fabric {fabric.name!r}, not {fabric_name!r}: no token issued",
            hint="the kubeconfig entry points at the wrong file; run weft kubeconfig again",
        )
    session, _ = open_session(fabric.region, local=local or fabric.provider == "local")
    sys.stdout.write(json.dumps(get_token(session, fabric.name)) + "\n")
