"""Corrections to the moto emulator where it differs from AWS, applied inside the local server.

weft's drivers are the code users run against AWS; where the emulator mis-implements a call, the
emulator is fixed here (in the local cloud's own process), never the driver. Each fix names the
AWS behaviour it restores. Applied by :mod:`weft.local.moto_main` before the server starts.
"""

from __future__ import annotations

from typing import Any


def _rule_description_from_source_group() -> None:
    """AWS returns the Description of a rule that references another security group.

    moto 5.2.5 reads a rule's description only from its CIDR range, so a group-referencing rule
    created with a description is described without one.
    """
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: Any) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[assignment,method-assign]


def _nat_gateway_tag_filters() -> None:
    """AWS honours ``tag:KEY``, ``tag-key`` and ``tag-value`` filters on DescribeNatGateways.

    moto 5.2.5 ignores them and returns every NAT gateway of the region.
    """
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.utils import tag_filter_matches

    original = NatGatewayBackend.describe_nat_gateways

    def describe_nat_gateways(self: Any, filters: Any, nat_gateway_ids: Any) -> Any:
        found = original(self, filters, nat_gateway_ids)
        for name, values in (filters or {}).items():
            if name.startswith("tag:") or name in ("tag-key", "tag-value"):
                found = [n for n in found if tag_filter_matches(n, name, values)]
        return found

    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways  # type: ignore[method-assign]


FIXES = (_rule_description_from_source_group, _nat_gateway_tag_filters)


def apply() -> None:
    for fix in FIXES:
        fix()
