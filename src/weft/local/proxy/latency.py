"""How long the proxy makes a call take: a round trip on every call, plus a resource's
provisioning time after the call that starts it.

weft waits for readiness right after a create, and moto reports everything ready at once, so
delaying the create's answer is the faithful model of a real region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: How long real AWS takes to provision (or remove) a resource, in seconds, by the call that
#: starts it. Used by :func:`realistic_latency`; moto itself reports everything ready at once.
PROVISIONING_SECONDS: Mapping[str, float] = {
    "eks:CreateCluster": 600.0,
    "eks:CreateNodegroup": 180.0,
    "eks:CreateFargateProfile": 150.0,
    "eks:CreateAddon": 60.0,
    "eks:UpdateClusterVersion": 600.0,
    "eks:UpdateNodegroupVersion": 300.0,
    "eks:UpdateAddon": 30.0,
    "eks:DeleteCluster": 300.0,
    "eks:DeleteNodegroup": 300.0,
    "eks:DeleteFargateProfile": 150.0,
    "rds:CreateDBInstance": 400.0,
    "rds:DeleteDBInstance": 300.0,
    "elasticache:CreateReplicationGroup": 400.0,
    "elasticache:DeleteReplicationGroup": 300.0,
    "ec2:CreateNatGateway": 90.0,
    "ec2:DeleteNatGateway": 60.0,
    "acm:RequestCertificate": 60.0,
    "aps:CreateWorkspace": 30.0,
    # a managed collector starts its network interfaces in the cluster's subnets
    "aps:CreateScraper": 600.0,
    "aps:DeleteScraper": 300.0,
}


@dataclass(frozen=True)
class Latency:
    """A latency model: ``round_trip`` seconds added to every call; ``delays[service:Action]``
    seconds added to a successful answer of that call (a resource's provisioning time)."""

    round_trip: float = 0.040
    delays: Mapping[str, float] = field(default_factory=dict)

    def delay(self, call_key: str) -> float:
        return self.delays.get(call_key, 0.0)

    def cost(self, call_key: str) -> float:
        """What one successful call costs under this model."""
        return self.round_trip + self.delay(call_key)


def realistic_latency(scale: float = 100.0, round_trip: float = 0.040) -> Latency:
    """A real region, time divided by ``scale`` for provisioning (the round trip is not scaled)."""
    return Latency(round_trip, {k: v / scale for k, v in PROVISIONING_SECONDS.items()})
