"""What the fabric costs a month, now and after the change (``weft cost``, ``weft plan``).

:func:`estimate` prices the plan's two sides: what the cloud holds for the fabric now (the
plan's observed resources) and what the file asks for (its desired resources), with the
billed items of :mod:`weft.model.cost` and the prices of :mod:`weft.aws.pricing` (the Price
List API, cached a day; else weft's snapshot, and the report says which). The EKS control
plane is priced at the rate its Kubernetes version is in on EKS's calendar
(DescribeClusterVersions): standard or extended support.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from weft.aws import k8s_versions
from weft.aws.pricing import PriceBook, price_book
from weft.core.plan import Plan
from weft.errors import CloudError
from weft.local.state import state_dir
from weft.model.cost import Assumptions, Estimate, Line, lines, priced
from weft.ops import retrying
from weft.ops.target import Target


@dataclass
class CostReport:
    """The month's cost before and after the change, priced from ``book``."""

    region: str
    before: Estimate
    after: Estimate
    book: PriceBook
    assumptions: Assumptions
    notes: list[str] = field(default_factory=list)

    def changed(self, addresses: list[str]) -> list[tuple[str, Decimal, Decimal]]:
        """(address, before, after) of each changed resource whose cost changes, and of the
        apps' load balancers (made by the cluster, not by a step of the plan)."""
        one, two = self.before.by_address(), self.after.by_address()
        apps = sorted(a for a in one.keys() | two.keys() if a.startswith("apps."))
        out = []
        for address in [*addresses, *apps]:
            a, b = one.get(address, Decimal(0)), two.get(address, Decimal(0))
            if a != b:
                out.append((address, a, b))
        return out

    def to_dict(self, changed: list[str] | None = None) -> dict[str, Any]:
        def side(e: Estimate) -> dict[str, Any]:
            return {
                "total": str(e.total),
                "lines": [
                    {
                        "address": p.line.address,
                        "what": p.line.what,
                        "quantity": p.line.quantity,
                        "unit": p.line.query.unit,
                        "unit_price": None if p.unit_price is None else str(p.unit_price),
                        "monthly": None if p.monthly is None else str(p.monthly),
                        "price": self._price_of(p.line),
                        "note": p.line.note,
                    }
                    for p in e.items
                ],
                "unpriced": [f"{m.address}: {m.what}" for m in e.missing],
            }

        out: dict[str, Any] = {
            "currency": "USD",
            "period": "month",
            "region": self.region,
            "prices": self.book.origin,
            "before": side(self.before),
            "after": side(self.after),
            "delta": str(self.after.total - self.before.total),
            "assumptions": self.assumptions.lines(),
            "notes": list(self.notes),
        }
        if changed is not None:
            out["changes"] = [
                {"address": a, "before": str(x), "after": str(y), "delta": str(y - x)}
                for a, x, y in self.changed(changed)
            ]
        return out

    def _price_of(self, line: Line) -> dict[str, str] | None:
        point = self.book.prices.get(line.query.key)
        return None if point is None else point.to_dict()


def _extended(target: Target, versions: list[str]) -> tuple[set[str], list[str]]:
    """The versions among ``versions`` that are in EKS extended support, by its calendar."""
    if not versions:
        return set(), []
    try:
        calendar = retrying.attempt(lambda: k8s_versions.calendar(target.session))
    except CloudError as exc:
        return set(), [
            f"EKS's calendar not read ({exc.message}): the control plane is priced at the "
            "standard-support rate"
        ]
    return {v.version for v in calendar if v.status == k8s_versions.EXTENDED}, []


def estimate(target: Target, plan: Plan, *, offline: bool = False) -> CostReport:
    """The fabric's monthly cost now (the plan's observed side) and after ``plan``."""
    fabric = target.fabric
    desired: list[Any] = [c.desired for c in plan.changes if c.desired is not None]
    observed: list[Any] = [c.observed for c in plan.changes if c.observed is not None]
    versions = [
        str(r.props.get("version"))
        for r in [*desired, *observed]
        if r.kind == "eks_cluster" and r.props.get("version")
    ]
    extended, notes = _extended(target, sorted(set(versions)))
    assumptions = Assumptions(
        nat_gb=fabric.cost.nat_gb,
        lb_capacity_units=fabric.cost.lb_capacity_units,
        log_gb=fabric.cost.log_gb,
        bucket_gb=fabric.cost.bucket_gb,
        auto_mode_instances=fabric.cost.auto_mode_instances,
        alarm_notifications=fabric.cost.alarm_notifications,
    )
    shared_alb = any(a.ingress is not None for a in fabric.apps)
    nlb_apps = [a.name for a in fabric.apps if a.load_balancer]
    alarms_on = fabric.observability.alarms.on
    alarm_apps = [a.name for a in fabric.apps if a.ingress is not None] if alarms_on else []

    def side(resources: list[Any]) -> list[Line]:
        version = next(
            (str(r.props.get("version")) for r in resources if r.kind == "eks_cluster"), ""
        )
        return lines(
            resources,
            assumptions=assumptions,
            extended_support=version in extended,
            shared_alb=shared_alb,
            nlb_apps=nlb_apps,
            alarm_apps=alarm_apps,
        )

    before, after = side(observed), side(desired)
    queries = {line.query.key: line.query for line in [*before, *after]}
    book = price_book(
        target.session,
        target.region,
        queries.values(),
        cache_dir=state_dir() / "prices",
        offline=offline,
    )
    prices = book.usd()
    report = CostReport(
        target.region, priced(before, prices), priced(after, prices), book, assumptions, notes
    )
    if any(r.kind == "db_instance" or r.kind == "cache_replication_group" for r in desired):
        report.notes.append(
            "after weft down, the fabric's KMS key is kept (and billed, $1 a month) while final "
            "snapshots encrypted with it are kept; the snapshots' storage is billed too"
        )
    if fabric.observability.container_insights:
        report.notes.append(
            "Container Insights is billed per observation (each metric a node, pod or container "
            "reports): its volume follows the pods and containers, so it is not in the total"
        )
    if fabric.observability.prometheus is not None and fabric.cluster is not None:
        report.notes.append(
            "Amazon Managed Service for Prometheus is billed per collector hour, per sample "
            "the collector scrapes and the workspace ingests, per GB stored and per sample "
            "queried (https://aws.amazon.com/prometheus/pricing/): the samples follow the "
            "pods, nodes and the scrape interval, and weft's price data has no AMP prices, so "
            "the workspace and its collector are not in the total"
        )
    for line in report.after.missing:
        report.notes.append(f"no price found for {line.address}: {line.what}")
    return report
