"""``weft plan`` shows what ``weft up`` would change; ``weft up`` applies it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from weft.cli import apps_section, estimates, machine, render
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
from weft.errors import QuotaExceeded, WeftError

if TYPE_CHECKING:
    from weft.core.plan import Plan
    from weft.ops.quotas import QuotaReport
    from weft.ops.target import Target


@click.command()
@fabric_options
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan to apply later with weft up PLANFILE.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when the cloud (and the cluster's apps) match the file, 2 when there are "
    "changes, 1 on error "
    "(as terraform plan -detailed-exitcode); without it, 0 whenever the plan was made.",
)
def plan(
    file: Path, local: bool, as_json: bool, out_file: Path | None, detailed_exitcode: bool
) -> None:
    """Show what up would change, and what deploy would then change in the cluster (exit 0;
    with --detailed-exitcode, 2 when there are changes).

    \b
    Examples:
      weft plan
      weft plan --out plan.json && weft up plan.json
    """
    from weft.ops import guard
    from weft.ops.apps.preview import for_plan
    from weft.ops.plan import inventory, make_plan

    target = connect(file, local, as_json, "plan")
    inv = inventory(target)
    the_plan = make_plan(target, inv)
    checked = quotas_checked(target, the_plan, as_json)
    priced(target, the_plan)
    destructive = guard.destructive(target, the_plan)
    apps = for_plan(target, the_plan, inv)
    requests = target.requests()
    the_plan.meta["requests"] = requests
    if out_file:
        out_file.write_text(the_plan.to_json())
    if as_json:
        machine.document(
            {
                "target": target.banner(),
                **the_plan.to_dict(),
                "destructive": [d.to_dict() for d in destructive],
                "protected": target.fabric.protect,
                "warnings": render.warnings_of(the_plan),
                "apps": apps.to_dict(),
            }
        )
    else:
        console = render.console()
        render.plan_table(console, the_plan)
        render.destructive(console, destructive, target.name, protected=target.fabric.protect)
        estimates.quota_notes(console, checked.notes())
        estimates.plan_cost(console, the_plan.meta.get("cost"))
        apps_section.show(console, apps)
        console.print(f"[dim]{requests['total']} AWS requests ({requests['writes']} writes)[/]")
        if out_file:
            console.print(f"Saved to {out_file}: apply it with weft up {out_file}")
    changes = the_plan.has_changes or apps.has_changes
    raise Exit(EXIT_CHANGES if detailed_exitcode and changes else EXIT_OK)


@click.command()
@click.argument(
    "planfile", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@fabric_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option(
    "--parallelism",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="How many resources to change at once.",
)
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
    """Create or update the fabric so the cloud matches the file.

    \b
    Example:
      weft up --yes --json > up.ndjson
    """
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
    checked = quotas_checked(target, approved, as_json)
    if "cost" not in approved.meta:
        priced(target, approved)
    destructive = guard.destructive(target, approved)
    render.plan_table(console, approved)
    render.destructive(console, destructive, target.name, protected=target.fabric.protect)
    if as_json:
        machine.event(
            "plan",
            None,
            "planned",
            target=target.banner(),
            plan=approved.to_dict(),
            destructive=[d.to_dict() for d in destructive],
        )
    if not approved.has_changes:
        if as_json:
            machine.summary(True, "nothing to do", done=0, changes=0)
        return
    estimates.quota_notes(console, checked.notes())
    if approved.has_changes:
        estimates.plan_cost(console, approved.meta.get("cost"))
    guard.require_confirmation(target, confirm, command="up", changes=destructive)
    guard.refuse_data_loss(target, approved, delete_data=delete_data)
    ask("Apply these changes?", yes, as_json)
    run_plan(
        target,
        as_json,
        parallelism,
        "up",
        lambda runner: apply.up(runner, approved, confirm=confirm, delete_data=delete_data),
    )


def quotas_checked(target: Target, the_plan: Plan, as_json: bool) -> QuotaReport:
    """The quota preflight of ``the_plan`` (recorded in its meta); a change that does not fit
    is refused here, after the plan was shown (on the terminal), before anything is written."""
    from weft.ops import quotas

    try:
        return quotas.enforce(target, the_plan)
    except QuotaExceeded:
        if not as_json:
            render.plan_table(render.console(), the_plan)
        raise


def priced(target: Target, the_plan: Plan) -> None:
    """Record the plan's monthly cost before -> after in its meta (``cost``); an estimate that
    cannot be made is a note in its place, never a failed plan."""
    from weft.ops.cost import estimate

    try:
        report = estimate(target, the_plan)
    except WeftError as exc:
        the_plan.meta["cost"] = None
        the_plan.meta.setdefault("notes", []).append(
            {"level": "info", "text": f"cost not estimated: {exc.message}"}
        )
        return
    the_plan.meta["cost"] = report.to_dict(changed=[c.address for c in the_plan.actionable])


COMMANDS = (plan, up)
