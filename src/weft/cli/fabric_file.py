"""The fabric file's commands: ``weft init`` writes one, ``weft validate`` checks one."""

from __future__ import annotations

from pathlib import Path

import click

from weft.cli import machine, render
from weft.cli.common import file_option, json_option, local_option


@click.command()
@click.argument("name")
@click.option(
    "--region",
    default=None,
    help="AWS region, e.g. us-east-2 (default: AWS_REGION, AWS_DEFAULT_REGION, or the "
    "profile's region).",
)
@file_option()
@click.option(
    "--zones", "zone_count", type=int, default=3, show_default=True, help="How many AZs to use."
)
@click.option(
    "--nat",
    type=click.Choice(["none", "single", "per-zone"]),
    default=None,
    help="NAT gateways for the private subnets: none, one shared, or one per zone "
    "(default: single; none with --layout public).",
)
@click.option(
    "--layout",
    type=click.Choice(["public", "private"]),
    default="private",
    show_default=True,
    help="private: public subnets for load balancers and private ones for nodes and data; "
    "public: public subnets only.",
)
@click.option("--cidr", default="10.0.0.0/16", show_default=True, help="The VPC's address range.")
@click.option(
    "--local",
    is_flag=True,
    help="Discover zones on the local cloud; the file says provider: local.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
def init(
    name: str,
    region: str | None,
    file: Path,
    zone_count: int,
    nat: str | None,
    layout: str,
    cidr: str,
    local: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Write a commented fabric file, with the region's availability zones discovered from EC2.

    The region is --region, else the one the AWS configuration names (AWS_REGION, the
    profile); with --local the zones come from the local cloud, offline.

    \b
    Example:
      weft init demo --region us-east-2 --zones 3 --nat per-zone
    """
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
    out = render.console(stderr=as_json)
    where = f"local cloud {written.local_url}" if written.local_url else "EC2"
    if as_json:
        machine.document(
            {
                "file": str(file),
                "fabric": name,
                "region": written.region,
                "zones": written.zones,
                "nat": written.nat,
                "discovered_from": where,
                "kubernetes_version": written.k8s_version,
            }
        )
    out.print(
        f"Wrote {file}: fabric [bold]{name}[/] in {written.region}, "
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
    if written.k8s_version:
        out.print(
            f"The cluster example runs Kubernetes {written.k8s_version}, the newest version in "
            "EKS standard support."
        )
    else:
        out.print(
            "weft init could not ask EKS for its Kubernetes versions "
            f"({render.escape(written.version_problem or '')}): "
            "the cluster example leaves the version out, and weft plan picks the newest in "
            "standard support."
        )
    out.print(f"Next: weft plan -f {file}")


@click.command()
@file_option()
@local_option("Accepted, as on every command: validate touches no cloud, local or not.")
@json_option
def validate(file: Path, local: bool, as_json: bool) -> None:
    """Check a fabric file without touching the cloud.

    Every problem is named with its file, line and field (--json: the error object lists them
    under "problems").

    \b
    Example:
      weft validate -f prod.yaml
    """
    from weft.fabricfile import load_fabric

    fabric = load_fabric(file)
    if as_json:
        machine.document(
            {"valid": True, "file": str(file), "fabric": fabric.name, "region": fabric.region}
        )
    else:
        render.console().print(
            f"[green]✓[/] {file}: fabric [bold]{fabric.name}[/] in {fabric.region} is valid."
        )


COMMANDS = (init, validate)
