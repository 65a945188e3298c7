"""``weft down`` deletes the fabric; ``weft leftovers`` proves nothing of it is left."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from weft.cli import machine, render
from weft.cli.common import (
    EXIT_ERROR,
    Exit,
    confirm_option,
    connect,
    delete_data_option,
    fabric_options,
    out,
)
from weft.cli.common import confirm as ask
from weft.cli.run import result_of, run_plan


@click.command()
@fabric_options
@click.option("--yes", "-y", is_flag=True, help="Delete without asking.")
@click.option(
    "--parallelism",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="How many resources to delete at once.",
)
@confirm_option
@delete_data_option
@click.option(
    "--no-final-snapshot",
    "no_final_snapshot",
    is_flag=True,
    help="Delete databases and caches without taking a final snapshot first.",
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

    \b
    Example:
      weft down --yes --no-final-snapshot
    """
    from weft.ops import teardown

    target = connect(file, local, as_json, "down")
    console = out(as_json)
    options = teardown.TeardownOptions(
        confirm=confirm,
        final_snapshot=not no_final_snapshot,
        delete_data=delete_data,
        keep_journal=keep_journal,
    )
    preview = teardown.prepare(target, options)
    approved, found = preview.approved, preview.found
    if as_json:
        machine.event(
            "plan",
            None,
            "planned",
            target=target.banner(),
            plan=approved.to_dict(),
            found_by_tag=[c.to_dict() for c in found.actionable],
        )
    outcome = None
    if preview.empty:
        console.print("Nothing to delete: the cloud holds nothing of this fabric.")
    else:
        render.plan_table(console, approved, title="Teardown")
        if found.has_changes:
            render.plan_table(console, found, title="Found by tag (made by Kubernetes or others)")
        teardown.check(target, preview, options)
        ask(f"Delete all {preview.total} resources of fabric {target.name}?", yes, as_json)
        outcome = run_plan(
            target,
            as_json,
            parallelism,
            "down",
            lambda runner: teardown.down(runner, approved, options),
        )
    report = leftovers_report(target, console)
    if as_json:
        machine.event(
            "leftovers",
            None,
            "found" if report.unintended else "clean",
            leftovers=report.items,
            unintended=report.unintended,
        )
        run = result_of(outcome) if outcome is not None else {"done": 0}
        if outcome is not None and not outcome.ok:
            machine.summary(False, "failed", code="teardown_incomplete", **run)
        elif report.unintended:
            machine.summary(False, "failed", code="leftovers", **run)
        else:
            machine.summary(True, "ok" if outcome is not None else "nothing to do", **run)
    if outcome is not None and not outcome.ok:
        raise Exit(EXIT_ERROR)
    if report.unintended:
        raise Exit(EXIT_ERROR)


@dataclass(frozen=True)
class LeftoverReport:
    items: list[dict[str, Any]]
    unintended: int


def leftovers_report(target: Any, console: Any) -> LeftoverReport:
    """Print the leftover report for people (tables); what it found."""
    from weft.ops import leftovers

    found = leftovers.find(target, include_intended=True)
    left = [item for item in found if not item.intended]
    kept = [item for item in found if item.intended]
    if kept:
        render.rows_table(
            console, [i.to_dict() for i in kept], ["kind", "id", "why"], "Kept by design"
        )
    if left:
        render.rows_table(
            console, [i.to_dict() for i in left], ["kind", "id", "why"], "Left behind"
        )
        console.print(f"[red]{len(left)} resources of fabric {target.name} remain.[/]")
    else:
        console.print(
            "[green]Nothing tagged with the fabric remains[/] (beyond what is kept by design)."
        )
    return LeftoverReport([item.to_dict() for item in found], len(left))


@click.command()
@fabric_options
def leftovers(file: Path, local: bool, as_json: bool) -> None:
    """Everything still in the cloud for the fabric or its cluster (exit 1: unintended ones).

    \b
    weft's own discovery, the Resource Groups Tagging API (the fabric's tag and the cluster's
    tags), and per-service scans for what that API misses. What is kept by design (a database's
    final snapshot, a KMS key waiting for deletion, a journal kept with --keep-journal) is listed
    apart and does not fail the command.

    \b
    Example:
      weft leftovers --json | jq .unintended
    """
    target = connect(file, local, as_json, "leftovers")
    report = leftovers_report(target, out(as_json))
    if as_json:
        machine.document(
            {"leftovers": report.items, "unintended": report.unintended},
            ok=not report.unintended,
            code="leftovers",
        )
    if report.unintended:
        raise Exit(EXIT_ERROR)


COMMANDS = (down, leftovers)
