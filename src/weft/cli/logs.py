"""``weft logs APP``: what an app's containers printed, from its pods or from CloudWatch Logs.

The lines go to standard output, each after ``[POD/CONTAINER]`` (as ``kubectl logs --prefix``),
so they can be piped; the banner and progress go to standard error. ``--json``
streams one ``log`` event per line, then a summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from weft.cli import machine, render
from weft.cli.common import connect, fabric_options, out
from weft.errors import UsageError


@click.command()
@click.argument("app")
@fabric_options
@click.option(
    "--since",
    default=None,
    metavar="DURATION",
    help="Only lines written in the last DURATION (90s, 15m, 1h, 2d).",
)
@click.option("--follow", is_flag=True, help="Keep printing new lines (Ctrl-C to stop).")
@click.option(
    "--from",
    "source",
    type=click.Choice(["auto", "kubernetes", "cloudwatch"]),
    default="auto",
    show_default=True,
    help="Where to read: the pods (pods/log), CloudWatch Logs, or the pods while the app has "
    "any and CloudWatch Logs once they are gone.",
)
def logs(
    app: str,
    file: Path,
    local: bool,
    as_json: bool,
    since: str | None,
    follow: bool,
    source: str,
) -> None:
    """Print what APP's containers printed: every pod of the app, merged in time order.

    \b
    Examples:
      weft logs web --since 1h
      weft logs web --follow
      weft logs web --from cloudwatch     # after its pods are gone
    """
    from weft.ops.apps.connection import Connection
    from weft.ops.logs import AppLogs, parse_since

    try:
        seconds = parse_since(since) if since is not None else None
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from exc
    target = connect(file, local, as_json, "logs", stdout_is_data=True)
    err = out(True)

    def progress(message: str) -> None:
        err.print(f"[dim]{render.escape(message)}[/]")

    conn = Connection(target)
    count = 0
    pods: set[str] = set()
    read_from: set[str] = set()
    try:
        reader = AppLogs(conn, app, progress)
        lines = reader.read(since=seconds, follow=follow, source=source)  # type: ignore[arg-type]
        for line in lines:
            count += 1
            pods.add(line.pod)
            read_from.add(line.source)
            if as_json:
                machine.event(
                    "log", f"{line.pod}/{line.container}", "line", app=app, **line.to_dict()
                )
                continue
            click.echo(f"[{line.pod}/{line.container}] {line.line}")
    finally:
        conn.close()
    summary: dict[str, Any] = {
        "app": app,
        "lines": count,
        "pods": sorted(pods),
        "source": sorted(read_from),
    }
    if as_json:
        machine.summary(True, "ok", **summary)
    elif count == 0:
        err.print(
            f"{render.escape(app)} printed nothing" + (f" in the last {since}" if since else "")
        )


COMMANDS = (logs,)
