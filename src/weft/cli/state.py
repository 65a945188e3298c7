"""What the fabric is now: ``weft status`` (its resources, the lock, the last run),
``weft unlock`` (the lock broken after a crash) and ``weft dashboard`` (where its CloudWatch
dashboard is)."""

from __future__ import annotations

from pathlib import Path

import click

from weft.cli import machine, render
from weft.cli.common import confirm, connect, fabric_options, out


@click.command()
@fabric_options
def status(file: Path, local: bool, as_json: bool) -> None:
    """Every resource of the fabric, its id and state.

    \b
    Example:
      weft status -f staging.yaml
    """
    from weft.ops.status import status as read_status

    target = connect(file, local, as_json, "status")
    now = read_status(target)
    rows = [r.to_dict() for r in now.rows]
    lock, last = now.lock, now.last
    data = {
        "target": target.banner(),
        "resources": rows,
        "lock": lock.to_dict() if lock else None,
        "last_apply": last,
        "warnings": now.warnings,
        "dns": now.dns,
    }
    if as_json:
        machine.document(data)
        return
    console = render.console()
    columns = ["address", "id", "state", "note"]
    if any(r["endpoint"] for r in rows):
        columns.insert(3, "endpoint")
    render.rows_table(console, rows, columns, f"Fabric {target.name}", wrap=("endpoint", "note"))
    have = sum(1 for r in rows if r["id"])
    console.print(f"{have} present, {sum(1 for r in rows if not r['id'])} absent.")
    if lock:
        console.print(f"[yellow]Locked[/] by {lock.holder} since {lock.since} ({lock.command}).")
    if last:
        console.print(
            f"Last apply: {last.get('command')} {last.get('at')} by {last.get('by')}: "
            f"{'ok' if last.get('ok') else 'incomplete'}."
        )
    render.delegation(console, now.dns)
    for warning in now.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


@click.command()
@fabric_options
@click.option("--yes", "-y", is_flag=True, help="Break the lock without asking.")
def unlock(file: Path, local: bool, as_json: bool, yes: bool) -> None:
    """Break a stale apply lock (after a crash).

    \b
    Example:
      weft unlock --yes
    """
    from weft.ops.run import break_lock, current_lock

    target = connect(file, local, as_json, "unlock")
    lock = current_lock(target)
    console = out(as_json)
    if lock is None:
        console.print("The fabric is not locked.")
        if as_json:
            machine.document({"broken": None})
        return
    console.print(f"Locked by {lock.holder} since {lock.since} ({lock.command}).")
    confirm("Break this lock? Only do so if that process is gone.", yes, as_json)
    broken = break_lock(target)
    if as_json:
        machine.document({"broken": broken.to_dict() if broken else None})
    console.print("Lock broken.")


@click.command()
@fabric_options
def dashboard(file: Path, local: bool, as_json: bool) -> None:
    """The address of the fabric's CloudWatch dashboard (made by weft up).

    \b
    Example:
      weft dashboard -f staging.yaml
    """
    from weft.ops.dashboard import dashboard as read_dashboard

    target = connect(file, local, as_json, "dashboard")
    board = read_dashboard(target)
    if as_json:
        machine.document({"target": target.banner(), **board.to_dict()})
        return
    console = render.console()
    if board.exists:
        console.print(board.url, soft_wrap=True)
        console.print(f"Dashboard {board.name}: {board.widgets} widgets.")
        if board.local:
            console.print(
                "On the local cloud the dashboard exists only in the emulator; the address is "
                "the one it has on AWS."
            )
    elif board.wanted:
        console.print(f"Dashboard {board.name} does not exist yet: run weft up to make it.")
    else:
        console.print(
            "This fabric has no dashboard: observability.dashboard is false in the fabric file."
        )
    if board.prometheus_endpoint:
        base = board.prometheus_endpoint.rstrip("/")
        console.print(
            f"Prometheus workspace: {base}/api/v1/query (SigV4, service aps)", soft_wrap=True
        )
    if not board.wanted and board.exists:
        console.print(
            "[yellow]warning:[/] observability.dashboard is false: weft up will delete it."
        )


COMMANDS = (status, unlock, dashboard)
