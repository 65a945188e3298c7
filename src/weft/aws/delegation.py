"""Is the fabric's hosted zone the one the internet asks? (Its domain delegated to it.)

A new Route 53 zone answers nothing until the domain's parent points at it: the parent's NS
records for the domain (set at the registrar for a registered domain, or in the parent's zone
for a subdomain) must name the zone's four name servers. Until then ACM cannot see the
validation record, and a DNS-validated certificate stays ``PENDING_VALIDATION`` (up to 72 hours,
then ``FAILED``). See "Making Amazon Route 53 the DNS service for an existing domain" and
"Routing traffic for subdomains" in the Route 53 Developer Guide, and "DNS validation" in the
ACM User Guide.

How weft checks, best source first:

1. **Route 53**: when the account holds a public zone of the domain's parent (the closest
   enclosing one), the parent's NS record set for the domain is read from it.
2. **DNS**: else the NS records of the domain are asked of a recursive resolver
   (:mod:`weft.aws.dns_query`; tests point it at a DNS server on loopback).
3. Neither answers (offline, no resolver): ``cannot check``.

The domain counts as delegated when the NS records found are some of the zone's name servers
(and none other).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weft.aws import dns_query
from weft.aws.context import AwsContext
from weft.errors import Waiting

DELEGATED = "delegated"
NOT_DELEGATED = "not delegated"
UNKNOWN = "cannot check"


def _bare(name: str) -> str:
    return name.lower().rstrip(".")


@dataclass(frozen=True)
class Delegation:
    """The domain, its zone's name servers, and whether its parent points at them."""

    domain: str
    zone_id: str
    name_servers: tuple[str, ...]
    state: str
    #: how it was checked: ``Route 53 zone example.com (Z123)``, ``DNS resolver 10.0.0.2:53``
    checked_with: str
    #: the NS records found for the domain (empty when none)
    found: tuple[str, ...]
    reason: str

    @property
    def delegated(self) -> bool:
        return self.state == DELEGATED

    def instructions(self) -> str:
        """What to do for the domain to be delegated to the zone."""
        servers = ", ".join(self.name_servers)
        where = (
            f"in its parent zone, {self.checked_with},"
            if self.checked_with.startswith("Route 53")
            else "at the domain's registrar (or in its parent's DNS zone, for a subdomain)"
        )
        return f"set the NS records of {self.domain} {where} to: {servers}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "zone_id": self.zone_id,
            "name_servers": list(self.name_servers),
            "delegation": self.state,
            "checked_with": self.checked_with,
            "found": list(self.found),
            "reason": self.reason,
            "todo": None if self.delegated else self.instructions(),
        }


def judge(found: tuple[str, ...], name_servers: tuple[str, ...]) -> tuple[str, str]:
    """(state, reason) from the NS records found and the zone's name servers."""
    ours = {_bare(s) for s in name_servers}
    seen = {_bare(s) for s in found}
    if not seen:
        return NOT_DELEGATED, "no NS records point at the zone"
    if seen <= ours:
        return DELEGATED, "the NS records name the zone's name servers"
    others = ", ".join(sorted(seen - ours))
    return NOT_DELEGATED, f"the NS records name other name servers ({others})"


def parent_zone(ctx: AwsContext, domain: str) -> dict[str, Any] | None:
    """The account's public hosted zone closest above ``domain``, or None."""
    domain = _bare(domain)
    best: dict[str, Any] | None = None
    pages = ctx.client("route53").get_paginator("list_hosted_zones").paginate()
    for zone in (z for page in pages for z in page.get("HostedZones", [])):
        if (zone.get("Config") or {}).get("PrivateZone"):
            continue
        name = _bare(zone["Name"])
        if domain.endswith(f".{name}") and (best is None or len(name) > len(_bare(best["Name"]))):
            best = zone
    return best


def _ns_in_zone(ctx: AwsContext, zone_id: str, domain: str) -> tuple[str, ...]:
    answer = ctx.client("route53").list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=domain, StartRecordType="NS", MaxItems="1"
    )
    for record in answer.get("ResourceRecordSets", []):
        if _bare(record["Name"]) == domain and record["Type"] == "NS":
            return tuple(_bare(r["Value"]) for r in record.get("ResourceRecords") or [])
    return ()


def check(ctx: AwsContext, domain: str, zone_id: str, name_servers: list[str]) -> Delegation:
    """Whether ``domain`` is delegated to its zone (``zone_id``, with ``name_servers``)."""
    domain = _bare(domain)
    servers = tuple(_bare(s) for s in name_servers)
    parent = parent_zone(ctx, domain)
    if parent is not None:
        pid = parent["Id"].rsplit("/", 1)[-1]
        found = _ns_in_zone(ctx, pid, domain)
        state, reason = judge(found, servers)
        via = f"Route 53 zone {_bare(parent['Name'])} ({pid})"
        return Delegation(domain, zone_id, servers, state, via, found, reason)
    try:
        answer = dns_query.lookup_ns(domain)
    except dns_query.LookupFailed as exc:
        return Delegation(domain, zone_id, servers, UNKNOWN, "DNS", (), str(exc))
    via = f"DNS resolver {answer.resolver}"
    if not answer.exists:
        reason = f"{domain} does not exist in DNS (NXDOMAIN)"
        return Delegation(domain, zone_id, servers, NOT_DELEGATED, via, (), reason)
    state, reason = judge(answer.servers, servers)
    return Delegation(domain, zone_id, servers, state, via, answer.servers, reason)


def zone_of(ctx: AwsContext, domain: str) -> tuple[str, list[str]] | None:
    """The public hosted zone of exactly ``domain`` in the account (id, name servers), when
    there is one and only one (else weft does not know which the parent should point at)."""
    domain = _bare(domain)
    route53 = ctx.client("route53")
    zones = [
        z
        for z in route53.list_hosted_zones_by_name(DNSName=domain, MaxItems="100").get(
            "HostedZones", []
        )
        if _bare(z["Name"]) == domain and not (z.get("Config") or {}).get("PrivateZone")
    ]
    if len(zones) != 1:
        return None
    zid = zones[0]["Id"].rsplit("/", 1)[-1]
    servers = route53.get_hosted_zone(Id=zid).get("DelegationSet", {}).get("NameServers") or []
    return zid, list(servers)


def check_domain(ctx: AwsContext, domain: str, zone_id: str | None = None) -> Delegation | None:
    """:func:`check` for the account's zone of ``domain`` (the zone ``zone_id``, when given);
    None when it has none (or several, and no ``zone_id`` says which)."""
    if zone_id is not None:
        route53 = ctx.client("route53")
        pages = route53.get_paginator("list_hosted_zones").paginate()
        if not any(z["Id"].rsplit("/", 1)[-1] == zone_id for p in pages for z in p["HostedZones"]):
            return None  # not (yet) in the account: nothing to check
        answer = route53.get_hosted_zone(Id=zone_id)
        servers = answer.get("DelegationSet", {}).get("NameServers") or []
        return check(ctx, domain, zone_id, list(servers))
    zone = zone_of(ctx, domain)
    if zone is None:
        return None
    return check(ctx, domain, zone[0], zone[1])


def require(ctx: AwsContext, certificate_domain: str) -> None:
    """Go on with a DNS-validated certificate of ``certificate_domain`` (``*.example.com``)
    only when ACM can see its validation record: raise :class:`weft.errors.Waiting` when the
    account's zone of the domain is not delegated. No zone of the domain in the account (its DNS
    is kept elsewhere) or no way to check: go on, and say so."""
    domain = _bare(certificate_domain).removeprefix("*.")
    found = check_domain(ctx, domain)
    if found is None or found.delegated:
        return
    if found.state == UNKNOWN:
        ctx.report(
            f"cannot check the delegation of {domain} ({found.reason}); the certificate is "
            f"issued once the domain is delegated: {found.instructions()}"
        )
        return
    raise Waiting(
        f"waiting for the delegation of {domain} to its hosted zone {found.zone_id}: "
        f"{found.reason} ({found.checked_with})",
        hint=f"{found.instructions()}; then run weft up again",
    )
