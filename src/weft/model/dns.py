"""DNS of a fabric: the Route 53 hosted zone (created, or adopted when it exists) and a wildcard
ACM certificate for the domain, validated through a record weft writes in the zone.

ACM gives the wildcard and the apex the same validation record, so one record validates both.

The certificate comes after the zone: it is requested only once the domain is delegated to the
zone (until then it waits, and so does what needs it: :mod:`weft.aws.delegation`).
"""

from __future__ import annotations

from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric
from weft.model.addresses import CERTIFICATE
from weft.model.builder import Builder

CERT = CERTIFICATE


def dns_resources(fabric: Fabric) -> list[Resource]:
    if fabric.dns is None:
        return []
    domain = fabric.dns.domain
    b = Builder(fabric)
    props = {"domain": domain, "comment": f"weft fabric {fabric.name}"}
    if fabric.dns.zone_id is not None:  # the existing zone to adopt
        props["zone_id"] = fabric.dns.zone_id
    zone = b.add("hosted_zone", "main", props)
    # after the zone: the certificate is requested only once the domain is delegated to it
    b.add(
        "acm_certificate",
        "wildcard",
        {"domain": f"*.{domain}", "sans": [domain]},
        depends_on=(zone.address,),
    )
    record = b.add(
        "dns_record",
        "cert-validation",
        {
            "zone_id": zone,
            "name": Ref(CERT, "validation.0.name"),
            "type": "CNAME",
            "ttl": 300,
            "values": [Ref(CERT, "validation.0.value")],
            "alias": None,
        },
    )
    b.add(
        "certificate_validation",
        "wildcard",
        {
            "certificate_arn": Ref(CERT, "arn"),
            "record_names": [Ref(CERT, "validation.0.name")],
        },
        depends_on=(record.address,),
    )
    return b.resources
