"""``weft``: one CLI for the whole fabric lifecycle.

Exit codes: 0 success (for ``plan``: no changes), 1 error, 2 ``plan`` found changes,
3 ``local status``: the local cloud is not running, 130 interrupted.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from weft import __version__
from weft.cli import access, apps, render, secrets
from weft.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOT_RUNNING,
    EXIT_OK,
    Exit,
    fabric_options,
)
from weft.cli.common import confirm as _confirm
from weft.cli.common import connect as _connect
from weft.cli.common import out as _out
from weft.errors import WeftError


class _Interrupts:
    """First Ctrl-C: finish what runs, start nothing new. Second: stop at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._old: Any = None

    def __enter__(self) -> threading.Event:
        def handler(signum: int, frame: Any) -> None:
            if self.event.is_set():
                raise KeyboardInterrupt
            self.event.set()
            render.console(stderr=True).print(
                "[yellow]interrupt: finishing the steps under way, starting no new ones "
                "(Ctrl-C again to stop at once)[/]"
            )

        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, handler)
        return self.event

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="weft")
def cli() -> None:
    """weft: an AWS + Kubernetes fabric from one declarative file.

    \b
    Quick start (offline, on the embedded local cloud):
      weft init demo --region us-east-2 --local
      weft plan && weft up && weft status && weft down
    """


# --------------------------------------------------------------------------------------- init
@cli.command()
@click.argument("name")
@click.option("--region", required=True, help="AWS region, e.g. us-east-2.")
@click.option(
    "-f",
    "--file",
    "file",
    default="fabric.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option(
    "--zones", "zone_count", type=int, default=3, show_default=True, help="How many AZs to use."
)
@click.option(
    "--nat", type=click.Choice(["none", "single", "per-zone"]), default="single", show_default=True
)
@click.option(
    "--layout", type=click.Choice(["public", "private"]), default="private", show_default=True
)
@click.option("--cidr", default="10.0.0.0/16", show_default=True)
@click.option(
    "--local",
    is_flag=True,
    help="Discover zones on the local cloud; the file says provider: local.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(
    name: str,
    region: str,
    file: Path,
    zone_count: int,
    nat: str,
    layout: str,
    cidr: str,
    local: bool,
    force: bool,
) -> None:
    """Write a commented fabric file, with the region's availability zones discovered from EC2."""
    from weft.ops import fabric_file

    written = fabric_file.init(
        file,
        name,
        region,
        zone_count=zone_count,
        nat=nat,
        layout=layout,
        cidr=cidr,
        local=local,
        force=force,
    )
    out = render.console()
    where = f"local cloud {written.local_url}" if written.local_url else "EC2"
    out.print(
        f"Wrote {file}: fabric [bold]{name}[/] in {region}, "
        f"zones {', '.join(written.zones)} (discovered from {where})."
    )
    out.print(f"Next: weft plan -f {file}")


# ----------------------------------------------------------------------------------- validate
@cli.command()
@click.option(
    "-f",
    "--file",
    "file",
    default="fabric.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option("--json", "as_json", is_flag=True)
def validate(file: Path, as_json: bool) -> None:
    """Check a fabric file without touching the cloud."""
    from weft.errors import ConfigError
    from weft.fabricfile import load_fabric

    try:
        fabric = load_fabric(file)
    except ConfigError as exc:
        if as_json:
            render.emit_json({"valid": False, "file": str(file), "problems": exc.problems})
            raise Exit(EXIT_ERROR) from exc
        raise
    if as_json:
        render.emit_json(
            {"valid": True, "file": str(file), "fabric": fabric.name, "region": fabric.region}
        )
    else:
        render.console().print(
            f"[green]✓[/] {file}: fabric [bold]{fabric.name}[/] in {fabric.region} is valid."
        )


# --------------------------------------------------------------------------------------- plan
@cli.command()
@fabric_options
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan to apply later with weft up PLANFILE.",
)
def plan(file: Path, local: bool, as_json: bool, out_file: Path | None) -> None:
    """Show what up would change (exit 0: no changes, 2: changes, 1: error)."""
    from weft.ops import guard
    from weft.ops.plan import make_plan

    target = _connect(file, local, as_json, "plan")
    the_plan = make_plan(target)
    destructive = guard.destructive(target, the_plan)
    requests = target.requests()
    the_plan.meta["requests"] = requests
    if out_file:
        out_file.write_text(the_plan.to_json())
    if as_json:
        render.emit_json(
            {
                "target": target.banner(),
                **the_plan.to_dict(),
                "destructive": [d.to_dict() for d in destructive],
                "protected": target.fabric.protect,
            }
        )
    else:
        out = render.console()
        render.plan_table(out, the_plan)
        render.destructive(out, destructive, target.name, protected=target.fabric.protect)
        out.print(f"[dim]{requests['total']} AWS requests ({requests['writes']} writes)[/]")
        if out_file:
            out.print(f"Saved to {out_file}: apply it with weft up {out_file}")
    raise Exit(EXIT_CHANGES if the_plan.has_changes else EXIT_OK)


def _run(
    target: Any,
    approved: Any,
    as_json: bool,
    parallelism: int,
    command: str,
    apply: Callable[[Any], Any],
) -> Any:
    """Apply (``up``) or tear down (``down``) an approved plan with live progress.

    ``apply`` runs the plan on a :class:`weft.ops.run.Runner`.
    """
    from weft.ops.run import Runner

    out = _out(as_json)
    what = "Apply" if command == "up" else "Teardown"
    with _Interrupts() as cancel:
        runner = Runner(
            target,
            on_event=render.Progress(out, json_lines=as_json),
            max_workers=parallelism,
            cancel=cancel,
        )
        outcome = apply(runner)
    res = outcome.result
    summary = {
        "ok": outcome.ok,
        "run_id": outcome.run_id,
        "done": len(res.done),
        "failed": [{"node": r.node, "error": str(r.error)} for r in res.failed],
        "skipped": [{"node": r.node, "because": r.skipped_because} for r in res.skipped],
        "not_started": [r.node for r in res.not_started],
        "cancelled": res.cancelled,
        "seconds": round(res.elapsed, 2),
    }
    if as_json:
        render.emit_json({"result": summary})
    if outcome.ok:
        out.print(f"[green]{what} complete:[/] {len(res.done)} steps in {res.elapsed:.1f}s.")
        return outcome
    if res.cancelled:
        out.print(
            f"[yellow]Interrupted:[/] {len(res.done)} steps done, "
            f"{len(res.not_started)} not started. "
            "Everything created is tagged: run the same command again to continue."
        )
        raise Exit(EXIT_INTERRUPTED)
    out.print(
        f"[red]{what} incomplete:[/] {len(res.done)} done, {len(res.failed)} failed, "
        f"{len(res.skipped)} skipped."
    )
    for r in res.failed:
        out.print(f"  [red]✗[/] {r.node}: {r.error}")
    out.print("Fix the cause and run the same command again: weft resumes, it does not start over.")
    if command == "down":
        return outcome
    raise Exit(EXIT_ERROR)


# ----------------------------------------------------------------------------------------- up
_CONFIRM = click.option(
    "--confirm",
    metavar="NAME",
    help="The fabric's name: required to go ahead on a protected fabric (protect: true).",
)
_DELETE_DATA = click.option(
    "--delete-data",
    is_flag=True,
    help="Empty buckets that hold objects (and delete volumes Kubernetes left) before deleting.",
)


@cli.command()
@click.argument(
    "planfile", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@fabric_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--parallelism", default=8, show_default=True, type=click.IntRange(1, 64))
@_CONFIRM
@_DELETE_DATA
def up(
    planfile: Path | None,
    file: Path,
    local: bool,
    as_json: bool,
    yes: bool,
    parallelism: int,
    confirm: str | None,
    delete_data: bool,
) -> None:
    """Create or update the fabric so the cloud matches the file."""
    from weft.ops import apply, guard
    from weft.ops.plan import make_plan, read_saved
    from weft.ops.run import ensure_unlocked

    target = _connect(file, local, as_json, "up")
    out = _out(as_json)
    ensure_unlocked(target)
    if planfile:
        approved = read_saved(target, planfile)
        yes = True  # the saved plan was the review
    else:
        approved = make_plan(target)
    destructive = guard.destructive(target, approved)
    render.plan_table(out, approved)
    render.destructive(out, destructive, target.name, protected=target.fabric.protect)
    if not approved.has_changes:
        if as_json:
            render.emit_json({"result": {"ok": True, "done": 0, "changes": 0}})
        return
    if as_json and destructive:
        render.emit_json({"destructive": [d.to_dict() for d in destructive]})
    guard.require_confirmation(target, confirm, command="up", changes=destructive)
    guard.refuse_data_loss(target, approved, delete_data=delete_data)
    _confirm("Apply these changes?", yes)
    _run(
        target,
        approved,
        as_json,
        parallelism,
        "up",
        lambda runner: apply.up(runner, approved, confirm=confirm, delete_data=delete_data),
    )


# ------------------------------------------------------------------------------------- status
@cli.command()
@fabric_options
def status(file: Path, local: bool, as_json: bool) -> None:
    """Every resource of the fabric, its id and state."""
    from weft.ops.status import status as read_status

    target = _connect(file, local, as_json, "status")
    now = read_status(target)
    rows = [r.to_dict() for r in now.rows]
    lock, last = now.lock, now.last
    data = {
        "target": target.banner(),
        "resources": rows,
        "lock": lock.to_dict() if lock else None,
        "last_apply": last,
    }
    if as_json:
        render.emit_json(data)
        return
    out = render.console()
    columns = ["address", "id", "state", "note"]
    if any(r["endpoint"] for r in rows):
        columns.insert(3, "endpoint")
    render.rows_table(out, rows, columns, f"Fabric {target.name}")
    have = sum(1 for r in rows if r["id"])
    out.print(f"{have} present, {sum(1 for r in rows if not r['id'])} absent.")
    if lock:
        out.print(f"[yellow]Locked[/] by {lock.holder} since {lock.since} ({lock.command}).")
    if last:
        out.print(
            f"Last apply: {last.get('command')} {last.get('at')} by {last.get('by')}: "
            f"{'ok' if last.get('ok') else 'incomplete'}."
        )


# --------------------------------------------------------------------------------------- down
@cli.command()
@fabric_options
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@click.option("--parallelism", default=8, show_default=True, type=click.IntRange(1, 64))
@_CONFIRM
@_DELETE_DATA
@click.option(
    "--no-final-snapshot",
    "no_final_snapshot",
    is_flag=True,
    help="Delete databases without taking a final snapshot first.",
)
@click.option(
    "--keep-journal",
    is_flag=True,
    help="Keep the fabric bucket with the journal of every apply (and this teardown).",
)
def down(
    file: Path,
    local: bool,
    as_json: bool,
    yes: bool,
    parallelism: int,
    confirm: str | None,
    delete_data: bool,
    no_final_snapshot: bool,
    keep_journal: bool,
) -> None:
    """Delete everything the fabric holds, in reverse dependency order, and prove nothing is left.

    \b
    First, while the cluster API answers, the apps' load-balanced Services and Ingresses (weft
    waits until their load balancers are gone), namespaces and DNS records; then what Kubernetes
    made for the fabric's cluster (load balancers, target groups, security groups, network
    interfaces, volumes), found by tag in the fabric's VPC; then the fabric, dependents first;
    the fabric bucket last. Ends with the leftover report (exit 1 when anything unintended
    remains).
    """
    from weft.ops import teardown

    target = _connect(file, local, as_json, "down")
    out = _out(as_json)
    options = teardown.TeardownOptions(
        confirm=confirm,
        final_snapshot=not no_final_snapshot,
        delete_data=delete_data,
        keep_journal=keep_journal,
    )
    preview = teardown.prepare(target, options)
    approved, found = preview.approved, preview.found
    if as_json:
        render.emit_json(
            {
                "teardown": approved.to_dict(),
                "found_by_tag": [c.to_dict() for c in found.actionable],
            }
        )
    outcome = None
    if preview.empty:
        out.print("Nothing to delete: the cloud holds nothing of this fabric.")
    else:
        render.plan_table(out, approved, title="Teardown")
        if found.has_changes:
            render.plan_table(out, found, title="Found by tag (made by Kubernetes or others)")
        teardown.check(target, preview, options)
        _confirm(f"Delete all {preview.total} resources of fabric {target.name}?", yes)
        outcome = _run(
            target,
            approved,
            as_json,
            parallelism,
            "down",
            lambda runner: teardown.down(runner, approved, options),
        )
    code = _report_leftovers(target, out, as_json)
    if outcome is not None and not outcome.ok:
        raise Exit(EXIT_ERROR)
    if code:
        raise Exit(code)


def _report_leftovers(target: Any, out: Any, as_json: bool) -> int:
    """Print the leftover report; the exit code it calls for (1: something unintended)."""
    from weft.ops import leftovers

    found = leftovers.find(target, include_intended=True)
    left = [item for item in found if not item.intended]
    kept = [item for item in found if item.intended]
    if as_json:
        render.emit_json({"leftovers": [item.to_dict() for item in found], "unintended": len(left)})
    if kept:
        render.rows_table(out, [i.to_dict() for i in kept], ["kind", "id", "why"], "Kept by design")
    if left:
        render.rows_table(out, [i.to_dict() for i in left], ["kind", "id", "why"], "Left behind")
        out.print(f"[red]{len(left)} resources of fabric {target.name} remain.[/]")
        return EXIT_ERROR
    out.print("[green]Nothing tagged with the fabric remains[/] (beyond what is kept by design).")
    return EXIT_OK


# ---------------------------------------------------------------------------------- leftovers
@cli.command()
@fabric_options
def leftovers(file: Path, local: bool, as_json: bool) -> None:
    """Everything still in the cloud for the fabric or its cluster (exit 1: unintended ones).

    \b
    weft's own discovery, the Resource Groups Tagging API (the fabric's tag and the cluster's
    tags), and per-service scans for what that API misses. What is kept by design (a database's
    final snapshot, a KMS key waiting for deletion, a journal kept with --keep-journal) is listed
    apart and does not fail the command.
    """
    target = _connect(file, local, as_json, "leftovers")
    code = _report_leftovers(target, _out(as_json), as_json)
    if code:
        raise Exit(code)


# ------------------------------------------------------------------------------------- unlock
@cli.command()
@fabric_options
@click.option("--yes", "-y", is_flag=True)
def unlock(file: Path, local: bool, as_json: bool, yes: bool) -> None:
    """Break a stale apply lock (after a crash)."""
    from weft.ops.run import break_lock, current_lock

    target = _connect(file, local, as_json, "unlock")
    lock = current_lock(target)
    out = _out(as_json)
    if lock is None:
        out.print("The fabric is not locked.")
        if as_json:
            render.emit_json({"broken": None})
        return
    out.print(f"Locked by {lock.holder} since {lock.since} ({lock.command}).")
    _confirm("Break this lock? Only do so if that process is gone.", yes)
    broken = break_lock(target)
    if as_json:
        render.emit_json({"broken": broken.to_dict() if broken else None})
    out.print("Lock broken.")


# -------------------------------------------------------------------------------------- local
@cli.group()
def local() -> None:
    """The embedded local cloud (moto server and Kubernetes 1.20 control plane on 127.0.0.1)."""


@local.command("up")
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-kube", is_flag=True, help="Start only the local AWS, not the Kubernetes part.")
def local_up(as_json: bool, no_kube: bool) -> None:
    """Start the local cloud (no-op when it runs): local AWS, then the local Kubernetes."""
    from weft.local import aws_server
    from weft.local.kube import control_plane

    info = aws_server.start()
    kube: control_plane.LocalKube | None = None
    unavailable: str | None = None
    if not no_kube:
        try:
            kube = control_plane.start_kube(aws_endpoint=info.url)
        except control_plane.KubeUnavailable as exc:
            unavailable = exc.message
            render.console(stderr=True).print(f"Local Kubernetes not started: {exc}")
    if as_json:
        render.emit_json(
            {
                "aws_endpoint": info.url,
                "pid": info.pid,
                "kube_endpoint": kube.endpoint if kube else None,
                "kubeconfig": kube.kubeconfig if kube else None,
                "kube_version": kube.version if kube else None,
                "kube_cold_start_seconds": kube.cold_start_seconds if kube else None,
                "kube_unavailable": unavailable,
            }
        )
        return
    con = render.console()
    con.print(f"Local cloud running: AWS endpoint {info.url} (pid {info.pid}).")
    if kube:
        con.print(
            f"Local Kubernetes {kube.version} running: {kube.endpoint} "
            f"(kubeconfig {kube.kubeconfig}; started in {kube.cold_start_seconds:.1f}s)."
        )


@local.command("down")
@click.option("--json", "as_json", is_flag=True)
def local_down(as_json: bool) -> None:
    """Stop the local cloud; everything in it is gone."""
    from weft.local import aws_server
    from weft.local.kube import control_plane

    kube_stopped = control_plane.stop_kube()
    stopped = aws_server.stop()
    if as_json:
        render.emit_json({"stopped": stopped, "kube_stopped": kube_stopped})
    else:
        render.console().print(
            "Local cloud stopped." if stopped else "The local cloud was not running."
        )
        if kube_stopped:
            render.console().print("Local Kubernetes stopped.")


@local.command("status")
@click.option("--json", "as_json", is_flag=True)
def local_status(as_json: bool) -> None:
    """Is the local cloud running, and where (exit 3 when it is not)."""
    from weft.local import aws_server
    from weft.local.kube import control_plane

    info = aws_server.status()
    kube = control_plane.kube_status()
    if as_json:
        render.emit_json(
            {
                "running": bool(info),
                "aws_endpoint": info.url if info else None,
                "pid": info.pid if info else None,
                "kube_endpoint": kube.endpoint if kube else None,
                "kubeconfig": kube.kubeconfig if kube else None,
                "kube_healthy": kube.healthy if kube else None,
                "kube_processes": (
                    {
                        n: {"pid": p.pid, "alive": p.alive, "log": p.log}
                        for n, p in kube.processes.items()
                    }
                    if kube
                    else None
                ),
            }
        )
    elif info:
        render.console().print(
            f"Local cloud running: AWS endpoint {info.url} (pid {info.pid}, log {info.log})."
        )
    else:
        render.console().print("The local cloud is not running (weft local up starts it).")
    if kube and not as_json:
        con = render.console()
        state = "running" if kube.healthy else "NOT HEALTHY"
        con.print(f"Local Kubernetes {kube.version} {state}: {kube.endpoint}")
        con.print(f"  kubeconfig {kube.kubeconfig}")
        for name, proc in kube.processes.items():
            con.print(f"  {name}: pid {proc.pid} {'up' if proc.alive else 'DEAD'}, log {proc.log}")
    if not info:
        raise Exit(EXIT_NOT_RUNNING)


cli.add_command(access.kubeconfig)
cli.add_command(access.token)
cli.add_command(secrets.secrets)
for _command in apps.COMMANDS:
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    err = render.console(stderr=True)
    try:
        code = cli.main(args=argv, prog_name="weft", standalone_mode=False)
    except Exit as done:
        return done.code
    except click.exceptions.Abort:
        err.print("Aborted.")
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.print("[yellow]Interrupted.[/] Run the same command again to continue.")
        return EXIT_INTERRUPTED
    except WeftError as exc:
        err.print(f"[red]error:[/] {render.escape(str(exc))}")
        return EXIT_ERROR
    except Exception:  # a bug in weft: say so, show the traceback only when asked
        if os.environ.get("WEFT_DEBUG"):
            traceback.print_exc()
        else:
            err.print(
                "[red]internal error (a bug in weft):[/] "
                f"{render.escape(traceback.format_exc().splitlines()[-1])}\n"
                "Run again with WEFT_DEBUG=1 for the traceback, and please report it."
            )
        return EXIT_ERROR
    return code if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
