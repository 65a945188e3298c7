"""Cluster access: ``weft kubeconfig`` writes a context, ``weft token`` is its exec plugin.

The kubeconfig holds no credential: kubectl runs ``weft token FABRIC`` whenever it needs one,
which signs an STS request locally (as ``aws eks get-token`` does), so the file never goes
stale; for AWS it names nothing of this machine, so it is safe to commit (:mod:`weft.ops.access`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from weft.cli import machine
from weft.cli.common import connect, fabric_options, out


@click.command()
@fabric_options
@click.option(
    "--kubeconfig",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write or merge into (default: $KUBECONFIG, else ~/.kube/config).",
)
@click.option(
    "--token-from",
    type=click.Choice(["weft", "aws"]),
    default="weft",
    show_default=True,
    help="On AWS, what kubectl runs for a token: `weft token` (weft from the PATH) or the AWS "
    "CLI's `aws eks get-token`, as eksctl writes it.",
)
@click.option(
    "--role-arn",
    help="Act as this IAM role (one that cluster.access lists): the context is "
    "weft-FABRIC@ROLE and its tokens are the role's, assumed with your credentials.",
)
def kubeconfig(
    file: Path,
    local: bool,
    as_json: bool,
    path: Path | None,
    token_from: str,
    role_arn: str | None,
) -> None:
    """Write (or merge) the context weft-FABRIC for the fabric's cluster.

    On AWS the entry names nothing of this machine (weft from the PATH, or `aws eks get-token`
    with --token-from aws): safe to commit, it works for every teammate. On the local cloud it
    names this weft by its absolute path and the local cloud's state directory, so kubectl
    reaches that local cloud from any shell.

    \b
    Example:
      weft kubeconfig && kubectl get nodes
    """
    from weft.ops.access import write_kubeconfig

    target = connect(file, local, as_json, "kubeconfig")
    written = write_kubeconfig(
        target,
        file,
        path,
        token_from="aws" if token_from == "aws" else "weft",
        role_arn=role_arn,
    )
    if as_json:
        machine.document(
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
@fabric_options
@click.option(
    "--region",
    help="The fabric's region: a token for its cluster on AWS, without reading a fabric file.",
)
@click.option("--role-arn", help="A token of this IAM role, assumed with your credentials.")
def token(
    fabric_name: str,
    file: Path,
    local: bool,
    as_json: bool,
    region: str | None,
    role_arn: str | None,
) -> None:
    """Print an EKS token for FABRIC's cluster as a kubectl exec credential.

    The kubeconfig weft writes runs this for kubectl on each connection; its output is the
    ExecCredential kubectl reads (--json: {"fabric", "credential"}, with errors as JSON).
    Never starts the local cloud: with --local it must be running (in $WEFT_STATE_DIR).

    \b
    Example:
      weft token demo -f fabric.yaml
    """
    from weft.ops.access import region_token
    from weft.ops.access import token as exec_credential

    if region and not local:
        credential = region_token(fabric_name, region, role_arn)
    else:
        from weft.fabricfile import load_fabric

        credential = exec_credential(load_fabric(file), fabric_name, local=local, role_arn=role_arn)
    if as_json:
        machine.document({"fabric": fabric_name, "credential": credential})
    else:
        sys.stdout.write(json.dumps(credential) + "\n")


COMMANDS = (kubeconfig, token)
