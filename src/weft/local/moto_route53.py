"""Route 53 name servers and ACM's DNS validation as AWS has them.

- **Each zone its own name servers.** Route 53 gives every public hosted zone a delegation set
  of four name servers of its own ("NS and SOA records that Amazon Route 53 creates for a public
  hosted zone", Route 53 Developer Guide). moto 5.2.5 gives every zone the same four, so a
  delegation written for one zone (or for a deleted one) would serve them all. Here a zone made
  without a reusable delegation set gets four of its own, in its NS record too.
- **A certificate is issued once DNS leads to its validation record.** ACM validates a DNS
  certificate by looking its CNAME up in public DNS ("DNS validation", ACM User Guide): a record
  in a zone that the domain is not delegated to is never seen, and the certificate stays
  ``PENDING_VALIDATION``. moto 5.2.5 issues every DNS certificate ``MOTO_ACM_VALIDATION_WAIT``
  seconds after the request, records or not. Here the record's name is resolved as a resolver
  would from the root: from the local cloud's parent zones (:mod:`weft.local.parent_zones`),
  down each delegation (an NS record set in the zone above naming the child zone's name
  servers), to the zone that answers for the name, which must hold the CNAME with the value
  ACM asked for. The time-based issue is gone: nothing outside Route 53 answers here.
"""

from __future__ import annotations

import random
from typing import Any

from weft.local.parent_zones import PARENT_COMMENT, PARENT_DOMAINS

_TLDS = ("com", "net", "org", "co.uk")
_MAX_DEPTH = 16


def _bare(name: str) -> str:
    return str(name).lower().rstrip(".")


def _values(record: Any) -> list[str]:
    out = []
    for value in record.records or []:
        out.append(_bare(value.get("Value", "") if isinstance(value, dict) else value))
    return out


def name_servers(rng: random.Random) -> list[str]:
    """Four name servers in Route 53's form (``ns-N.awsdns-NN.TLD``), one per top-level domain."""
    out = []
    for tld in _TLDS:
        n = rng.randrange(2048)
        out.append(f"ns-{n}.awsdns-{n // 32:02d}.{tld}")
    return out


def _under(name: str, zone_name: str) -> bool:
    return name == zone_name or name.endswith(f".{zone_name}")


def _zone_servers(zone: Any) -> set[str]:
    delegation = getattr(zone, "delegation_set", None)
    return {_bare(s) for s in (getattr(delegation, "name_servers", None) or [])}


def resolve(zones: list[Any], name: str, rtype: str) -> set[str] | None:
    """The values of ``name``'s ``rtype`` records as public DNS answers them from ``zones``
    (moto zone objects), or None when no delegation leads to a zone that answers for it."""
    name = _bare(name)
    public = [z for z in zones if not z.private_zone]
    roots = [
        z
        for z in public
        if z.comment == PARENT_COMMENT
        and _bare(z.name) in PARENT_DOMAINS
        and _under(name, _bare(z.name))
    ]
    if not roots:
        return None
    current = max(roots, key=lambda z: len(_bare(z.name)))
    for _ in range(_MAX_DEPTH):
        apex = _bare(current.name)
        cuts = [
            r
            for r in current.rrsets
            if r.type == "NS" and _bare(r.name) != apex and _under(name, _bare(r.name))
        ]
        if not cuts:
            return {
                v
                for r in current.rrsets
                if r.type == rtype and _bare(r.name) == name
                for v in _values(r)
            }
        cut = max(cuts, key=lambda r: len(_bare(r.name)))
        servers = set(_values(cut))
        children = [
            z
            for z in public
            if _bare(z.name) == _bare(cut.name) and servers and servers <= _zone_servers(z)
        ]
        if len(children) != 1:
            return None  # a lame delegation: no zone (or no single zone) has those servers
        current = children[0]
    return None


def _own_name_servers() -> None:
    from moto.route53.models import Route53Backend

    original = Route53Backend.create_hosted_zone
    rng = random.Random()

    def create_hosted_zone(self: Any, name: str, private_zone: bool, *args: Any, **kw: Any) -> Any:
        zone = original(self, name, private_zone, *args, **kw)
        if kw.get("delegation_set_id") or private_zone or zone.delegation_set is None:
            return zone
        servers = name_servers(rng)
        zone.delegation_set.name_servers = servers
        for record in zone.rrsets:
            if record.type == "NS" and _bare(record.name) == _bare(zone.name):
                record.records = list(servers)
            if record.type == "SOA" and record.records:
                first = record.records[0]
                text = first.get("Value", "") if isinstance(first, dict) else str(first)
                parts = text.split(" ", 1)
                value = f"{servers[0]}. {parts[1] if len(parts) > 1 else ''}".strip()
                record.records = [{"Value": value} if isinstance(first, dict) else value]
        return zone

    Route53Backend.create_hosted_zone = create_hosted_zone  # type: ignore[method-assign]


def _validation_through_dns() -> None:
    from moto.acm.models import CertBundle
    from moto.route53.models import route53_backends
    from moto.utilities.utils import get_partition

    original = CertBundle.check

    def check(self: Any) -> None:
        was = self.status
        original(self)
        if self.type != "AMAZON_ISSUED" or was != "PENDING_VALIDATION":
            return
        if self.status == "ISSUED":
            self.status = "PENDING_VALIDATION"  # moto's timer: not how ACM decides
        elif self.status != "PENDING_VALIDATION":
            return
        options = self.describe()["Certificate"].get("DomainValidationOptions") or []
        wanted = [o["ResourceRecord"] for o in options if o.get("ResourceRecord")]
        if not wanted or len(wanted) < len(options):
            return
        _, _, _, region, account, _ = str(self.arn).split(":", 5)
        zones = list(route53_backends[account][get_partition(region)].zones.values())
        for record in wanted:
            found = resolve(zones, record["Name"], "CNAME")
            if not found or _bare(record["Value"]) not in found:
                return
        self.status = "ISSUED"

    CertBundle.check = check  # type: ignore[method-assign]


def apply() -> None:
    _own_name_servers()
    _validation_through_dns()
