"""``weft init``: a new fabric file, with the region's availability zones discovered from EC2.

The name and region are checked before any AWS call, through the same checks as a file; the
file is written only once everything is known. The cluster example admits the caller's public
address to the Kubernetes API (:mod:`weft.aws.caller_address`); when it cannot be found, the
example's ``api_cidrs`` is empty and the user must list who may reach the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from weft.aws.account import available_zones
from weft.aws.caller_address import public_address
from weft.aws.session import default_region
from weft.errors import UsageError
from weft.fabricfile import render_fabric_file
from weft.ops.target import open_session


@dataclass(frozen=True)
class NewFile:
    """A fabric file written: its region, the zones it uses, the NAT it asks for, the local
    cloud's URL (None: AWS), and the caller's public address written into the cluster example
    (None: not found)."""

    region: str
    zones: list[str]
    nat: str
    local_url: str | None
    address: str | None = None


def init(
    file: Path,
    name: str,
    region: str | None,
    *,
    zone_count: int,
    nat: str | None,
    layout: str,
    cidr: str,
    local: bool,
    force: bool,
) -> NewFile:
    """Write a commented fabric file for ``name`` in ``region`` (the local cloud's zones with
    ``local``); an existing file is overwritten only with ``force``.

    ``region`` None: the one the standard AWS configuration names (``AWS_REGION``, the
    profile). ``nat`` None: ``single`` for the private layout, ``none`` for the public one; a
    NAT asked for with the public layout (no private subnets to serve) is refused, never
    rewritten."""
    if file.exists() and not force:
        raise UsageError(
            f"{file} already exists; nothing written", hint="pass --force to overwrite"
        )
    if region is None:
        region = default_region()
        if region is None:
            raise UsageError(
                "no region: the AWS configuration names none; nothing written",
                hint="pass --region (e.g. --region us-east-2), or set AWS_REGION",
            )
    if nat is None:
        nat = "none" if layout == "public" else "single"
    elif layout == "public" and nat != "none":
        raise UsageError(
            f"--nat {nat} needs --layout private: the public layout has no private subnets "
            "for a NAT gateway to serve; nothing written",
            hint="drop --nat, or use --layout private",
        )
    # Validate name and region before any AWS call, through the same checks as a file.
    render_fabric_file(name, region, [], zone_count=zone_count, nat=nat, layout=layout, cidr=cidr)
    session, url = open_session(region, local=local)
    zones = available_zones(session)
    if zone_count > len(zones):
        raise UsageError(
            f"{region} offers {len(zones)} availability zones ({', '.join(zones)}); "
            f"asked for {zone_count}",
            hint=f"use --zones {len(zones)} or fewer",
        )
    address = public_address()
    text = render_fabric_file(
        name,
        region,
        zones,
        zone_count=zone_count,
        nat=nat,
        layout=layout,
        cidr=cidr,
        provider="local" if local else "aws",
        api_cidrs=[f"{address}/32"] if address else None,
    )
    file.write_text(text)
    return NewFile(region, zones[:zone_count], nat, url, address)
