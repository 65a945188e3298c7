"""``weft secrets``: the fabric's secrets store (KMS envelope encryption in the fabric bucket).

A value is read from standard input or a hidden prompt, never from the command line (which would
leave it in shell history and process lists); ``list`` shows names and dates only.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from weft.cli import machine, render
from weft.cli.common import confirm, connect, fabric_options, out
from weft.errors import GuardError, UsageError


@click.group()
def secrets() -> None:
    """Store, read, list and remove the fabric's secrets.

    \b
    Example:
      printf %s "$KEY" | weft secrets set stripe/api-key
    """


def _read_value(name: str) -> str:
    if not sys.stdin.isatty():
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
    else:
        value = getpass.getpass(f"value for {name}: ")
        if getpass.getpass("again: ") != value:
            raise UsageError("the two values differ; nothing stored")
    if not value:
        raise UsageError(f"empty value for {name}; nothing stored")
    return value


@secrets.command("set")
@click.argument("name")
@fabric_options
def set_(name: str, file: Path, local: bool, as_json: bool) -> None:
    """Store NAME; the value comes from standard input or a hidden prompt.

    \b
    Example:
      printf %s "$KEY" | weft secrets set stripe/api-key
    """
    from weft.ops import secrets as store

    store.check_name(name)
    target = connect(file, local, as_json, "secrets set")
    store.put(target, name, _read_value(name))
    if as_json:
        machine.document({"stored": name})
    else:
        out(as_json).print(f"Stored secret [bold]{name}[/].")


@secrets.command("get")
@click.argument("name")
@fabric_options
def get(name: str, file: Path, local: bool, as_json: bool) -> None:
    """Print the value of NAME (alone on standard output; --json: {"name", "value"}).

    \b
    Example:
      weft secrets get stripe/api-key > key.txt
    """
    from weft.ops import secrets as store

    # the banner goes to standard error: standard output is the value alone
    target = connect(file, local, True, "secrets get")
    value = store.get(target, name)
    if as_json:
        machine.document({"name": name, "value": value})
    else:
        sys.stdout.write(value + "\n")


@secrets.command("list")
@fabric_options
def list_(file: Path, local: bool, as_json: bool) -> None:
    """Names and dates of the stored secrets (never their values).

    \b
    Example:
      weft secrets list
    """
    from weft.ops import secrets as store

    target = connect(file, local, as_json, "secrets list")
    rows = [{"name": s.name, "updated": s.updated} for s in store.listing(target)]
    if as_json:
        machine.document({"secrets": rows})
    elif rows:
        render.rows_table(out(as_json), rows, ["name", "updated"], "Secrets")
    else:
        out(as_json).print("No secrets stored.")


@secrets.command("rm")
@click.argument("name")
@fabric_options
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@click.option(
    "--force", is_flag=True, help="Delete it even though apps deployed in the cluster use it."
)
def rm(name: str, file: Path, local: bool, as_json: bool, yes: bool, force: bool) -> None:
    """Delete NAME, every stored version of it.

    Refused, without --force, when an app or cron job deployed in the cluster uses it.

    \b
    Example:
      weft secrets rm stripe/api-key --yes
    """
    from weft.ops import secrets as store

    store.check_name(name)
    target = connect(file, local, as_json, "secrets rm")
    using = store.deployed_users(target, name)
    if using:
        listed = ", ".join(using)
        what = (
            f"secret {name} is used by {listed}, deployed in the cluster: without it their "
            "next deploy, release or rollback is refused until it is set again"
        )
        if not force:
            raise GuardError(
                f"{what}; nothing was deleted",
                hint=f"remove it from {listed} in {file} and run weft deploy first, "
                "or pass --force to delete it anyway",
            )
        out(as_json).print(f"[yellow]Warning: {render.escape(what)}.[/]")
    confirm(f"Delete secret {name} of fabric {target.name}?", yes, as_json)
    removed = store.delete(target, name)
    if as_json:
        machine.document({"removed": name if removed else None})
    else:
        out(as_json).print(f"Deleted {name}." if removed else f"No secret {name}.")
