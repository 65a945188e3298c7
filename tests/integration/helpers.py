"""Helpers for integration tests: fabrics from text, targets on the local cloud, cloud counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from weft.core.events import Event
from weft.core.executor import RetryPolicy
from weft.fabricfile import parse_fabric
from weft.local import parent_zones
from weft.local.moto_eks.versions import CALENDAR, default_version, today
from weft.ops import apply, teardown
from weft.ops.plan import destroy_plan, make_plan
from weft.ops.run import Outcome, Runner
from weft.ops.target import Target, connect

FAST_RETRY = RetryPolicy(base=0.05, cap=0.5, deadline=30.0)


def _newest_standard_version() -> str:
    version = default_version(today())
    if version is None:
        raise RuntimeError(
            "the local EKS calendar has no version in standard support today: add EKS's newer "
            "releases to weft.local.moto_eks.versions.CALENDAR"
        )
    return version


#: The EKS version the tests' fabrics ask for: the newest in standard support by the local EKS
#: calendar today (what a cluster without a version gets), so the tests age with the calendar.
CLUSTER_VERSION = _newest_standard_version()


def _previous_version() -> str:
    version = f"1.{int(CLUSTER_VERSION.split('.')[1]) - 1}"
    release = next((r for r in CALENDAR if r.version == version), None)
    if release is None or release.status(today()) == "UNSUPPORTED":
        raise RuntimeError(f"the local EKS calendar no longer offers {version}")
    return version


#: The minor version before :data:`CLUSTER_VERSION`, which EKS still offers: where a test's
#: cluster starts when the test upgrades it (to :data:`CLUSTER_VERSION`).
PREVIOUS_VERSION = _previous_version()


def fabric_text(
    name: str = "itest",
    *,
    zones: Any = 3,
    nat: str = "single",
    layout: str = "private",
    extra: str = "",
) -> str:
    return (
        f"name: {name}\nregion: us-east-2\nprovider: local\n{extra}"
        f"network:\n  cidr: 10.20.0.0/16\n  zones: {zones}\n  nat: {nat}\n  layout: {layout}\n"
    )


def target_for(text: str) -> Target:
    return connect(parse_fabric(text, source="fabric.yaml"), local=True)


def up(target: Target, **kwargs: Any) -> Outcome:
    runner = Runner(target, retry=FAST_RETRY, **kwargs)
    return apply.up(runner, make_plan(target))


def up_delegated(target: Target, moto_url: str, **kwargs: Any) -> Outcome:
    """``up``; then, if the certificate waits for the new zone's delegation, the domain
    delegated in the local cloud's parent zone (as a registrar would) and ``up`` again."""
    outcome = up(target, **kwargs)
    dns = target.fabric.dns
    if dns is not None and outcome.ok and outcome.result.waiting:
        parent_zones.delegate(moto_url, dns.domain)
        outcome = up(target, **kwargs)
    return outcome


def down(target: Target) -> Outcome:
    return teardown.down(Runner(target, retry=FAST_RETRY), destroy_plan(target))


def cloud_counts(target: Target) -> Counter[str]:
    """Resources carrying the fabric tag, counted per kind straight from EC2 (not via weft)."""
    ec2 = target.session.client("ec2")
    flt = [{"Name": "tag:weft:fabric", "Values": [target.name]}]
    counts: Counter[str] = Counter()
    counts["vpc"] = len(ec2.describe_vpcs(Filters=flt)["Vpcs"])
    counts["subnet"] = len(ec2.describe_subnets(Filters=flt)["Subnets"])
    counts["internet_gateway"] = len(
        ec2.describe_internet_gateways(Filters=flt)["InternetGateways"]
    )
    counts["route_table"] = len(ec2.describe_route_tables(Filters=flt)["RouteTables"])
    counts["security_group"] = len(ec2.describe_security_groups(Filters=flt)["SecurityGroups"])
    counts["eip"] = len(ec2.describe_addresses(Filters=flt)["Addresses"])
    nats = ec2.describe_nat_gateways(Filters=flt)["NatGateways"]
    counts["nat_gateway"] = sum(1 for n in nats if n["State"] in ("pending", "available"))
    return +counts


class EventLog:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]
