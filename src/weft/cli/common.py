"""What the commands share: fabric options, the banner-first connect, confirmation, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from weft.cli import machine, render
from weft.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_NOT_RUNNING, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def file_option(help: str = "The fabric file.") -> Callable[[F], F]:
    """``-f/--file``: the fabric file, ``fabric.yaml`` by default."""
    return click.option(
        "-f",
        "--file",
        "file",
        default="fabric.yaml",
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help,
    )


#: The help of ``--json``, the same on every command (the contract: :mod:`weft.cli.machine`).
JSON_HELP = (
    "JSON on standard output (one document, or one event per line for long commands, ending "
    "with a summary); errors as a JSON object with a stable code."
)
LOCAL_HELP = "Act on the embedded local cloud (started if needed), as provider: local does."


def json_option(func: F) -> F:
    """``--json``: machine-readable output (see :mod:`weft.cli.machine`)."""
    return click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(func)


def local_option(help: str = LOCAL_HELP) -> Callable[[F], F]:
    """``--local``: the embedded local cloud."""
    return click.option("--local", is_flag=True, help=help)


def fabric_options(func: F) -> F:
    func = file_option("The fabric file.")(func)
    func = local_option()(func)
    func = json_option(func)
    return func


#: ``--confirm NAME``, for the commands that may destroy (``up``, ``down``).
confirm_option = click.option(
    "--confirm",
    metavar="NAME",
    help="The fabric's name: required to go ahead on a protected fabric (protect: true).",
)
#: ``--delete-data``, for the commands that may delete data (``up``, ``down``).
delete_data_option = click.option(
    "--delete-data",
    is_flag=True,
    help="Empty buckets that hold objects (and delete volumes Kubernetes left) before deleting.",
)


def out(as_json: bool) -> Any:
    # In JSON mode stdout carries only JSON; everything for humans goes to stderr.
    return render.console(stderr=as_json)


def connect(
    file: Path, local: bool, as_json: bool, command: str, *, stdout_is_data: bool = False
) -> Any:
    """The fabric's target, its banner shown (on standard error with ``--json``, or when
    ``stdout_is_data``: the command writes what it makes, a graph, to standard output)."""
    from weft.fabricfile import load_fabric
    from weft.ops.target import connect

    fabric = load_fabric(file)
    target = connect(fabric, local=local)
    console = out(as_json or stdout_is_data)
    render.banner(console, target.banner(), command)
    start_local_kube(target, console)
    return target


def start_local_kube(target: Any, console: Any) -> None:
    """On the local cloud, a fabric with a cluster gets the local Kubernetes (its API server is
    every local cluster's), started here with progress; where it cannot run, a warning that says
    why and what to do (the AWS side works without it)."""
    from weft.ops.target import local_kube_running, local_kube_unavailable, needs_local_kube
    from weft.ops.target import start_local_kube as start

    if not needs_local_kube(target) or local_kube_running():
        return
    why = local_kube_unavailable()
    if why is None:
        console.print(
            "Starting the local Kubernetes for the cluster (about 10 s the first time)..."
        )
        with console.status("starting etcd, kube-apiserver and kube-controller-manager"):
            kube = start(target)
        why = kube.unavailable
    if why:
        console.print(
            f"[yellow]The local Kubernetes cannot run here: {render.escape(why)}. The AWS side"
            " of the fabric works without it; deploy, release, rollback, verify and kubectl"
            " need it.[/]"
        )
    else:
        console.print(f"Local Kubernetes {kube.version} running (started in {kube.seconds:.1f}s).")


def confirm(question: str, yes: bool, as_json: bool = False) -> None:
    """Ask ``question`` unless ``yes``; declined, the command ends with exit 1 and nothing done
    (as terraform apply does when the answer is not yes: a chain ``weft up && ...`` stops). In
    JSON mode the question goes to standard error and a declined one ends the stream with a
    ``declined`` summary."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to change the cloud without confirmation (standard input is not a terminal)",
            hint="pass --yes to confirm non-interactively",
        )
    if not click.confirm(question, default=False, err=as_json):
        out(as_json).print("Nothing done.")
        if as_json:
            machine.summary(False, "declined", code="declined")
        raise Exit(EXIT_ERROR)
