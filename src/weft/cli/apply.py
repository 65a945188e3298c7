"""``weft plan`` shows what ``weft up`` would change; ``weft up`` applies it."""

from __future__ import annotations

from pathlib import Path

import click

from weft.cli import render
from weft.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    Exit,
    confirm_option,
    connect,
    delete_data_option,
    fabric_options,
    out,
)
from weft.cli.common import confirm as ask
from weft.cli.run import run_plan


@click.command()
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

    target = connect(file, local, as_json, "plan")
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
                "warnings": list(the_plan.meta.get("warnings") or []),
            }
        )
    else:
        console = render.console()
        render.plan_table(console, the_plan)
        for warning in the_plan.meta.get("warnings") or []:
            console.print(f"[yellow]warning:[/] {warning}")
        render.destructive(console, destructive, target.name, protected=target.fabric.protect)
        console.print(f"[dim]{requests['total']} AWS requests ({requests['writes']} writes)[/]")
        if out_file:
            console.print(f"Saved to {out_file}: apply it with weft up {out_file}")
    raise Exit(EXIT_CHANGES if the_plan.has_changes else EXIT_OK)


@click.command()
@click.argument(
    "planfile", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@fabric_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--parallelism", default=8, show_default=True, type=click.IntRange(1, 64))
@confirm_option
@delete_data_option
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

    target = connect(file, local, as_json, "up")
    console = out(as_json)
    ensure_unlocked(target)
    if planfile:
        approved = read_saved(target, planfile)
        yes = True  # the saved plan was the review
    else:
        approved = make_plan(target)
    destructive = guard.destructive(target, approved)
    render.plan_table(console, approved)
    render.destructive(console, destructive, target.name, protected=target.fabric.protect)
    if not approved.has_changes:
        if as_json:
            render.emit_json({"result": {"ok": True, "done": 0, "changes": 0}})
        return
    if as_json and destructive:
        render.emit_json({"destructive": [d.to_dict() for d in destructive]})
    guard.require_confirmation(target, confirm, command="up", changes=destructive)
    guard.refuse_data_loss(target, approved, delete_data=delete_data)
    ask("Apply these changes?", yes)
    run_plan(
        target,
        as_json,
        parallelism,
        "up",
        lambda runner: apply.up(runner, approved, confirm=confirm, delete_data=delete_data),
    )


COMMANDS = (plan, up)
