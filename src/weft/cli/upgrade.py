"""``weft upgrade [--to VERSION]``: the cluster to a newer Kubernetes version, control plane,
add-ons, then node groups, one minor version at a time (:mod:`weft.ops.upgrade`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from weft.cli import machine, render
from weft.cli.common import confirm as ask
from weft.cli.common import connect, fabric_options, out

_MARK = {"ok": "[green]ok[/]", "warn": "[yellow]warning[/]", "fail": "[red]refused[/]"}


def show_plan(console: Any, plan: Any) -> None:
    path = " → ".join([plan.current, *plan.path]) if plan.path else plan.current
    console.print(f"Cluster [bold]{plan.cluster}[/]: Kubernetes {path}")
    console.print("Preflight:")
    for check in plan.checks:
        console.print(
            f"  {_MARK.get(check.status, check.status)} {check.name}: "
            f"{render.escape(check.message)}"
        )
    if plan.steps:
        console.print("Steps:")
        for step in plan.steps:
            note = f"  [dim]{render.escape(step.note)}[/]" if step.note else ""
            console.print(f"  {step.key}: {step.have} → {step.want}{note}")


@click.command()
@fabric_options
@click.option("--to", "to", default=None, help="The version to reach (default: the next one).")
@click.option("--yes", "-y", is_flag=True, help="Upgrade without asking.")
def upgrade(file: Path, local: bool, as_json: bool, to: str | None, yes: bool) -> None:
    """Upgrade the cluster's Kubernetes version: control plane, add-ons, node groups.

    Preflight checks are shown first and nothing changes when one refuses. One minor version at
    a time; --to further takes several steps. Interrupted, run it again: it resumes.

    \b
    Examples:
      weft upgrade
      weft upgrade --to 1.NN --yes --json > upgrade.ndjson
    """
    from weft.errors import GuardError
    from weft.ops.run import ensure_unlocked
    from weft.ops.upgrade import UpgradeEvent, preflight
    from weft.ops.upgrade import upgrade as run

    target = connect(file, local, as_json, "upgrade")
    console = out(as_json)
    ensure_unlocked(target)
    plan = preflight(target, to)
    show_plan(console, plan)
    if as_json:
        machine.event("plan", None, "planned", target=target.banner(), upgrade=plan.to_dict())
    if not plan.ok:
        raise GuardError(
            "the upgrade is refused; nothing was changed:\n" + "\n".join(plan.failures()),
            hint="fix what the checks name, then run weft upgrade again",
        )
    if not plan.steps:
        console.print(
            f"Nothing to do: the cluster, its add-ons and node groups run {plan.current}."
        )
        if as_json:
            machine.summary(True, "nothing to do", done=0, steps=0)
        return
    ask(f"Upgrade the cluster to Kubernetes {plan.target}?", yes, as_json)

    def report(event: UpgradeEvent) -> None:
        if as_json:
            machine.event(
                "upgrade",
                event.step,
                event.status,
                message=event.message,
                seconds=round(event.seconds, 2) if event.seconds else None,
            )
        colour = {"failed": "red", "dip": "yellow", "done": "green"}.get(event.status, "dim")
        seconds = f" ({event.seconds:.1f}s)" if event.status in ("done", "failed") else ""
        console.print(
            f"[{colour}]{event.status:>8}[/] {event.step}: {render.escape(event.message)}{seconds}"
        )

    result = run(target, plan, report)
    total = sum(result.seconds.values())
    console.print(
        f"[green]Upgraded[/] cluster {plan.cluster} to Kubernetes {plan.target} in {total:.1f}s"
        f" ({len(result.seconds)} steps, {len(result.skipped)} already done)"
        + (f"; {len(result.dips)} availability dip(s) reported" if result.dips else "")
    )
    if as_json:
        machine.summary(
            True,
            "ok",
            version=plan.target,
            done=len(result.seconds),
            skipped=len(result.skipped),
            seconds=result.seconds,
            dips=result.dips,
        )


def _reporter(console: Any, as_json: bool, event_name: str) -> Any:
    def report(event: Any) -> None:
        if as_json:
            machine.event(
                event_name,
                event.step,
                event.status,
                message=event.message,
                seconds=round(event.seconds, 2) if event.seconds else None,
            )
        colour = {"failed": "red", "dip": "yellow", "done": "green"}.get(event.status, "dim")
        seconds = f" ({event.seconds:.1f}s)" if event.status in ("done", "failed") else ""
        console.print(
            f"[{colour}]{event.status:>8}[/] {event.step}: {render.escape(event.message)}{seconds}"
        )

    return report


@click.command("rotate-nodes")
@fabric_options
@click.argument("group", required=False)
@click.option("--yes", "-y", is_flag=True, help="Rotate without asking.")
def rotate_nodes(file: Path, local: bool, as_json: bool, group: str | None, yes: bool) -> None:
    """Replace a node group's nodes (every group's without GROUP) with fresh ones.

    The new nodes run the newest AMI release EKS has for the group's Kubernetes version; the
    old ones are drained (PodDisruptionBudgets respected, max_unavailable at a time) while
    every app's available replicas are watched. The plan is shown first. Interrupted, run it
    again: it resumes.

    
    Examples:
      weft rotate-nodes general
      weft rotate-nodes --yes --json > rotate.ndjson
    """
    from weft.errors import GuardError
    from weft.ops.rotate import plan_rotation, rotate
    from weft.ops.run import ensure_unlocked

    target = connect(file, local, as_json, "rotate-nodes")
    console = out(as_json)
    ensure_unlocked(target)
    plan = plan_rotation(target, group)
    resumed = f" (resuming the rotation begun {plan.since})" if plan.resumed else ""
    console.print(f"Cluster [bold]{plan.cluster}[/]: node groups to rotate{resumed}")
    console.print("Preflight:")
    for check in plan.checks:
        console.print(
            f"  {_MARK.get(check.status, check.status)} {check.name}: "
            f"{render.escape(check.message)}"
        )
    console.print("Steps:")
    for step in plan.steps:
        console.print(
            f"  {step.key}: {render.escape(step.have)} → {render.escape(step.want)}"
            f"  [dim]{render.escape(step.note)}[/]"
        )
    if as_json:
        machine.event("plan", None, "planned", target=target.banner(), rotate=plan.to_dict())
    if not plan.ok:
        raise GuardError(
            "the rotation is refused; nothing was changed:\n" + "\n".join(plan.failures()),
            hint="fix what the checks name, then run weft rotate-nodes again",
        )
    ask(f"Replace the nodes of {len(plan.steps)} node group(s)?", yes, as_json)
    result = rotate(target, plan, _reporter(console, as_json, "rotate"))
    total = sum(result.seconds.values())
    console.print(
        f"[green]Rotated[/] {len(result.seconds)} node group(s) in {total:.1f}s"
        f" ({len(result.skipped)} already done)"
        + (f"; {len(result.dips)} availability dip(s) reported" if result.dips else "")
    )
    if as_json:
        machine.summary(
            True,
            "ok",
            done=len(result.seconds),
            skipped=len(result.skipped),
            seconds=result.seconds,
            dips=result.dips,
        )


COMMANDS = (upgrade, rotate_nodes)
