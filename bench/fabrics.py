"""The bench scenarios: a fabric file each, plus synthetic resources the file cannot express yet.

- ``network``: the demo's network (bench/scenarios/network.yaml).
- ``standard``: the demo's full fabric (bench/scenarios/standard.yaml). Resources of kinds that
  weft has no AWS driver for yet (and whatever depends on them) are left out of the run and
  listed in the results; as drivers land, they join the benchmark with no change here.
- ``large`` (~300) and ``huge`` (~1,000): a 6-zone network from the file plus synthetic extra
  subnets, application security groups and their rules, built the way the model builds
  resources (same tags, same refs).

While a scenario runs, :func:`patched` replaces the model's ``desired_resources`` as seen by
:mod:`weft.ops.plan`, so ``make_plan``, ``weft.ops.apply.up`` (which re-plans under the lock) and
``weft.ops.teardown.down`` run their real code paths on the scenario's resources.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from weft.aws.drivers import DRIVERS
from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric, parse_fabric
from weft.model import desired_resources as model_resources
from weft.model.builder import Builder
from weft.ops import plan as planning

HERE = Path(__file__).resolve().parent
SCENARIO_DIR = HERE / "scenarios"

#: The resource the "plan after one change" phase changes (a mutable field: an in-place update).
CHANGED = "security_group_rule.lb-http"

Extra = Callable[[Fabric, list[str]], list[Resource]]


def _synthetic(subnets: int, groups: int, rules_per_group: int) -> Extra:
    def extra(fabric: Fabric, zones: list[str]) -> list[Resource]:
        b = Builder(fabric)
        vpc = Ref("vpc.main")
        net = ipaddress.ip_network(fabric.network.cidr)
        size = fabric.network.subnet_size or 24
        blocks = list(net.subnets(new_prefix=size))
        # the network's own subnets use the first slots; start well after them
        for i in range(subnets):
            zone = zones[i % len(zones)]
            b.add(
                "subnet",
                f"extra-{i:03d}",
                {
                    "vpc_id": vpc,
                    "cidr": str(blocks[16 + i]),
                    "zone": zone,
                    "map_public_ip": False,
                },
                extra_tags={"weft:tier": "extra"},
            )
        sources = ["lb", "nodes", "cluster", "data"]
        for g in range(groups):
            name = f"app-{g:03d}"
            group = b.add(
                "security_group",
                name,
                {
                    "vpc_id": vpc,
                    "group_name": f"weft-{fabric.name}-{name}",
                    "description": f"weft {fabric.name}: application {g}",
                },
            )
            for r in range(rules_per_group):
                port = 8000 + r
                b.add(
                    "security_group_rule",
                    f"{name}-{r}",
                    {
                        "group_id": group,
                        "direction": "ingress",
                        "protocol": "tcp",
                        "from_port": port,
                        "to_port": port,
                        "cidr": None,
                        "source_group_id": Ref(f"security_group.{sources[r % len(sources)]}"),
                        "description": f"application {g} port {port}",
                    },
                )
        return b.resources

    return extra


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    file: Path
    extra: Extra | None = None
    #: run ``up`` under the latency model
    latency: bool = True
    #: ... and the sequential baselines (one executor worker, plain boto3) beside it
    baselines: bool = True

    def fabric(self) -> Fabric:
        return parse_fabric(self.file.read_text(), source=str(self.file))


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "network",
            "the demo network (3 zones, private, single NAT)",
            SCENARIO_DIR / "network.yaml",
        ),
        Scenario(
            "standard",
            "the demo's full fabric (kinds with an AWS driver)",
            SCENARIO_DIR / "standard.yaml",
        ),
        Scenario(
            "large",
            "6-zone network, NAT per zone, + 40 subnets, 42 app security groups x 4 rules",
            SCENARIO_DIR / "large.yaml",
            _synthetic(subnets=40, groups=42, rules_per_group=4),
            baselines=False,
        ),
        Scenario(
            "huge",
            "6-zone network, NAT per zone, + 200 subnets, 150 app security groups x 4 rules",
            SCENARIO_DIR / "huge.yaml",
            _synthetic(subnets=200, groups=150, rules_per_group=4),
            baselines=False,
        ),
    )
}


@dataclass
class Desired:
    resources: list[Resource]
    #: kind -> number of resources left out (no driver yet, or depending on one that is)
    left_out: dict[str, int]


def desired(
    scenario: Scenario, fabric: Fabric, *, account_id: str, zones: list[str], change: bool = False
) -> Desired:
    """The scenario's desired resources that weft can create today."""
    everything = model_resources(fabric, account_id=account_id, zones=zones)
    if scenario.extra is not None:
        everything += scenario.extra(fabric, zones)
    kept: dict[str, Resource] = {}
    left_out: dict[str, int] = {}
    # model order is dependency order within a section; iterate until stable to be safe
    pending = list(everything)
    while True:
        progress = False
        for res in list(pending):
            if res.kind not in DRIVERS:
                left_out[res.kind] = left_out.get(res.kind, 0) + 1
                pending.remove(res)
                progress = True
            elif all(dep in kept for dep in res.dependencies()):
                kept[res.address] = res
                pending.remove(res)
                progress = True
        if not progress:
            break
    for res in pending:  # depends on something left out
        left_out[res.kind] = left_out.get(res.kind, 0) + 1
    resources = list(kept.values())
    if change:
        resources = [_changed(r) if r.address == CHANGED else r for r in resources]
    return Desired(resources, dict(sorted(left_out.items())))


def _changed(res: Resource) -> Resource:
    props: dict[str, Any] = dict(res.props)
    props["description"] = f"{props['description']} (changed)"
    return replace(res, props=props)


@contextlib.contextmanager
def patched(scenario: Scenario, *, change: bool = False) -> Iterator[None]:
    """Make weft.ops.plan plan (and so apply) the scenario's resources."""
    original = planning.desired_resources

    def scenario_resources(fabric: Fabric, *, account_id: str, zones: list[str]) -> list[Resource]:
        return desired(
            scenario, fabric, account_id=account_id, zones=zones, change=change
        ).resources

    planning.desired_resources = scenario_resources
    try:
        yield
    finally:
        planning.desired_resources = original
