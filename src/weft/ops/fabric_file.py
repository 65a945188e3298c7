"""``weft init``: a new fabric file, with the region's availability zones discovered from EC2.

The name and region are checked before any AWS call, through the same checks as a file; the
file is written only once everything is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from weft.aws.account import available_zones
from weft.errors import UsageError
from weft.fabricfile import render_fabric_file
from weft.ops.target import open_session


@dataclass(frozen=True)
class NewFile:
    """A fabric file written: the zones it uses, and the local cloud's URL (None: AWS)."""

    zones: list[str]
    local_url: str | None


def init(
    file: Path,
    name: str,
    region: str,
    *,
    zone_count: int,
    nat: str,
    layout: str,
    cidr: str,
    local: bool,
    force: bool,
) -> NewFile:
    """Write a commented fabric file for ``name`` in ``region`` (the local cloud's zones with
    ``local``); an existing file is overwritten only with ``force``."""
    if file.exists() and not force:
        raise UsageError(
            f"{file} already exists; nothing written", hint="pass --force to overwrite"
        )
    if layout == "public" and nat != "none":
        nat = "none"
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
    text = render_fabric_file(
        name,
        region,
        zones,
        zone_count=zone_count,
        nat=nat,
        layout=layout,
        cidr=cidr,
        provider="local" if local else "aws",
    )
    file.write_text(text)
    return NewFile(zones[:zone_count], url)
