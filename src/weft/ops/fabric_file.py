"""``weft init``: a new fabric file, with the region's availability zones discovered from EC2.

The name and region are checked before any AWS call, through the same checks as a file; the
file is written only once everything is known. The cluster example admits the caller's public
address to the Kubernetes API (:mod:`weft.aws.caller_address`); when it cannot be found, the
example's ``api_cidrs`` is empty and the user must list who may reach the API. Its Kubernetes
version is the newest in EKS standard support, from EKS's calendar (DescribeClusterVersions);
when the calendar cannot be read, the version is left out (``weft plan`` then picks it) and
:class:`NewFile` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from weft.aws import k8s_versions
from weft.aws.account import available_zones
from weft.aws.caller_address import public_address
from weft.aws.session import default_region
from weft.errors import CloudError, UsageError
from weft.fabricfile import render_fabric_file
from weft.ops.target import open_session


@dataclass(frozen=True)
class NewFile:
    """A fabric file written: its region, the zones it uses, the NAT it asks for, the local
    cloud's URL (None: AWS), the caller's public address written into the cluster example
    (None: not found), and the Kubernetes version written there (None: EKS's calendar could not
    be read, for ``version_problem``)."""

    region: str
    zones: list[str]
    nat: str
    local_url: str | None
    address: str | None = None
    k8s_version: str | None = None
    version_problem: str | None = None


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
    k8s_version, version_problem = None, None
    try:
        k8s_version = k8s_versions.newest_standard(k8s_versions.calendar(session))
        if k8s_version is None:
            version_problem = "EKS lists no Kubernetes version in standard support"
    except CloudError as exc:
        version_problem = exc.message
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
        k8s_version=k8s_version,
    )
    file.write_text(text)
    return NewFile(region, zones[:zone_count], nat, url, address, k8s_version, version_problem)
