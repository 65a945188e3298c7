"""The parent zones the local cloud keeps, and delegating a test domain from one of them.

On AWS a new hosted zone answers nothing until its domain is delegated to it: the parent's NS
records for the domain (at the registrar, or in the parent's zone for a subdomain) name the
zone's name servers ("Making Amazon Route 53 the DNS service for an existing domain" and
"Routing traffic for subdomains", Route 53 Developer Guide). The local cloud has no registrar:
it keeps public hosted zones of its own for :data:`PARENT_DOMAINS` (the reserved example
domains, RFC 2606), marked by :data:`PARENT_COMMENT`, which stand for the DNS above them.
:mod:`weft.local.moto_route53` resolves names from those zones down, as a resolver on the
internet would from the root, so a test domain like ``shop.example.com`` is reachable (and its
certificate can be validated) only once :func:`delegate` (``weft local delegate DOMAIN``) has
written its NS records in ``example.com``.

``weft local up`` makes the parent zones (:func:`ensure`); so do the tests after each reset of
the local cloud.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3

from weft.errors import LocalCloudError
from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

#: The domains whose zones the local cloud keeps, standing for the DNS above them.
PARENT_DOMAINS = ("example.com", "example.net", "example.org")
#: The comment that marks a zone as one of the local cloud's parent zones.
PARENT_COMMENT = (
    "weft local cloud: the DNS above test domains (delegate them with weft local delegate)"
)
REGION = "us-east-1"


def _bare(name: str) -> str:
    return name.lower().rstrip(".")


def _route53(endpoint: str) -> Any:
    return boto3.client(
        "route53",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
    )


def _zones(route53: Any, name: str) -> list[dict[str, Any]]:
    answer = route53.list_hosted_zones_by_name(DNSName=name, MaxItems="100")
    return [
        z
        for z in answer.get("HostedZones", [])
        if _bare(z["Name"]) == _bare(name) and not (z.get("Config") or {}).get("PrivateZone")
    ]


def ensure(endpoint: str) -> dict[str, str]:
    """Make the parent zones that are missing; parent domain -> zone id."""
    route53 = _route53(endpoint)
    out: dict[str, str] = {}
    for domain in PARENT_DOMAINS:
        found = [
            z
            for z in _zones(route53, domain)
            if (z.get("Config") or {}).get("Comment") == PARENT_COMMENT
        ]
        if found:
            out[domain] = found[0]["Id"].rsplit("/", 1)[-1]
            continue
        made = route53.create_hosted_zone(
            Name=domain,
            CallerReference=f"weft-local-parent-{uuid.uuid4().hex}",
            HostedZoneConfig={"Comment": PARENT_COMMENT, "PrivateZone": False},
        )
        out[domain] = made["HostedZone"]["Id"].rsplit("/", 1)[-1]
    return out


def parent_of(domain: str) -> str | None:
    """The parent domain the local cloud keeps above ``domain``, or None."""
    domain = _bare(domain)
    return next((p for p in PARENT_DOMAINS if domain.endswith(f".{p}")), None)


def delegate(endpoint: str, domain: str) -> list[str]:
    """Delegate ``domain`` to its hosted zone: its NS records in the local cloud's parent zone
    name the zone's name servers (UPSERT: a zone made again is delegated anew). Returns them."""
    domain = _bare(domain)
    parent = parent_of(domain)
    if parent is None:
        raise LocalCloudError(
            f"the local cloud cannot delegate {domain}: it keeps the DNS of "
            f"{', '.join(PARENT_DOMAINS)} only",
            hint="use a subdomain of one of them, like shop.example.com",
        )
    route53 = _route53(endpoint)
    zones = _zones(route53, domain)
    if len(zones) != 1:
        raise LocalCloudError(
            f"the local cloud has {len(zones)} public hosted zones of {domain}: "
            "nothing to delegate to"
            if not zones
            else f"the local cloud has {len(zones)} public hosted zones of {domain}",
            hint="create the zone first (weft up), then delegate it",
        )
    zone_id = zones[0]["Id"].rsplit("/", 1)[-1]
    servers = list(route53.get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"])
    parent_id = ensure(endpoint)[parent]
    route53.change_resource_record_sets(
        HostedZoneId=parent_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": f"{domain}.",
                        "Type": "NS",
                        "TTL": 172800,
                        "ResourceRecords": [{"Value": f"{s}."} for s in servers],
                    },
                }
            ]
        },
    )
    return servers
