"""The fabric file's commands: ``weft init`` writes one, ``weft validate`` checks one."""

from __future__ import annotations

from pathlib import Path

import click

from weft.cli import render
from weft.cli.common import EXIT_ERROR, Exit, file_option


@click.command()
@click.argument("name")
@click.option("--region", required=True, help="AWS region, e.g. us-east-2.")
@file_option()
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
    if written.address:
        out.print(
            f"The cluster example admits {written.address}/32 (your public address) to the "
            "Kubernetes API: add your team's and CI's networks to api_cidrs."
        )
    else:
        out.print(
            "Your public address could not be found: list the networks that may reach the "
            "Kubernetes API in the cluster example's api_cidrs before turning it on."
        )
    out.print(f"Next: weft plan -f {file}")


@click.command()
@file_option()
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


COMMANDS = (init, validate)
