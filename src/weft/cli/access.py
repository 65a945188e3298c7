"""Cluster access: ``weft kubeconfig`` writes a context, ``weft token`` is its exec plugin.

The kubeconfig holds no credential: kubectl runs ``weft token FABRIC`` whenever it needs one,
which signs an STS request locally (as ``aws eks get-token`` does), so the file is safe to
commit and never goes stale (:mod:`weft.ops.access`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from weft.cli import render
from weft.cli.common import connect, fabric_options, file_option, out


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
    from weft.ops.access import write_kubeconfig

    target = connect(file, local, as_json, "kubeconfig")
    written = write_kubeconfig(target, file, path)
    if as_json:
        render.emit_json(
            {
                "kubeconfig": str(written.path),
                "context": written.context,
                "endpoint": written.endpoint,
            }
        )
    else:
        out(as_json).print(
            f"Wrote context [bold]{written.context}[/] to {written.path} (current context). It "
            "holds no credential: kubectl asks `weft token` for one each time."
        )


@click.command()
@click.argument("fabric_name", metavar="FABRIC")
@file_option()
@click.option("--local", is_flag=True)
def token(fabric_name: str, file: Path, local: bool) -> None:
    """Print an EKS token as a kubectl exec credential (used by the kubeconfig weft writes)."""
    from weft.fabricfile import load_fabric
    from weft.ops.access import token as exec_credential

    credential = exec_credential(load_fabric(file), fabric_name, local=local)
    sys.stdout.write(json.dumps(credential) + "\n")


COMMANDS = (kubeconfig, token)
