"""``weft cost``: what the fabric costs a month, line by line."""

from __future__ import annotations

from pathlib import Path

import click

from weft.cli import estimates, machine, render
from weft.cli.common import fabric_options, out


@click.command()
@fabric_options
@click.option(
    "--offline",
    is_flag=True,
    help="Price from weft's price snapshot, without reading the AWS Price List API.",
)
def cost(file: Path, local: bool, as_json: bool, offline: bool) -> None:
    """Show the fabric's monthly on-demand cost, line by line, with a total.

    Prices come from the AWS Price List API (cached for a day), or, offline or without the
    pricing:GetProducts permission, from weft's price snapshot; the output says which. The
    usage-billed volumes are the file's cost: section (see the README).

    \b
    Examples:
      weft cost
      weft cost -f prod.yaml --json
    """
    from weft.fabricfile import load_fabric
    from weft.ops.cost import estimate
    from weft.ops.plan import make_plan
    from weft.ops.target import connect

    # no local Kubernetes: pricing reads only the AWS side
    target = connect(load_fabric(file), local=local)
    render.banner(out(as_json), target.banner(), "cost")
    the_plan = make_plan(target)
    report = estimate(target, the_plan, offline=offline).to_dict(
        changed=[c.address for c in the_plan.actionable]
    )
    if as_json:
        machine.document({"target": target.banner(), **report})
        return
    console = out(as_json)
    estimates.cost_table(console, report)
    if report["changes"]:
        console.print(
            f"[dim]The cloud holds the fabric at {report['before']['total']} USD a month now; "
            "weft plan shows the change.[/]"
        )


COMMANDS = (cost,)
