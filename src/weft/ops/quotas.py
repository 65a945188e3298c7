"""The quota preflight: before ``plan`` shows or ``up`` writes, does the change fit the account?

:func:`preflight` counts what the plan adds (:func:`weft.model.quotas.needs`), reads only the
quotas those additions touch and the account's usage of them (:mod:`weft.aws.quotas`), and
judges (:func:`weft.model.quotas.judge`). A plan that adds nothing reads nothing.
:func:`refusal` is the error that lists every quota the change does not fit, with how to raise
it; a quota or a usage the credentials may not read is a warning, not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from weft.aws import quotas as aws_quotas
from weft.core.plan import Plan
from weft.errors import QuotaExceeded
from weft.model.addresses import CLUSTER
from weft.model.quotas import Finding, Need, judge, needs
from weft.ops import retrying
from weft.ops.target import Target


@dataclass
class QuotaReport:
    """What the preflight found: quotas the change does not fit (``refuse``) or might not at
    the node groups' max sizes (``warn``), and what it could not check (``warnings``)."""

    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def refusals(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "refuse"]

    def notes(self) -> list[str]:
        """What to tell the user besides a refusal: max-size warnings, unchecked quotas."""
        out = [
            f"at the node groups' max sizes: {f.line()}; raise it with: {f.request}"
            for f in self.findings
            if f.severity == "warn"
        ]
        return out + self.warnings

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": list(self.checked),
            "findings": [f.to_dict() for f in self.findings],
            "warnings": list(self.warnings),
        }


def plan_needs(target: Target, plan: Plan, vcpus: dict[str, int]) -> list[Need]:
    desired = [c.desired for c in plan.changes if c.desired is not None]
    observed = [c.observed for c in plan.changes if c.observed is not None]
    wanted_albs = (
        1 if target.fabric.cluster is not None and any(a.ingress for a in target.fabric.apps) else 0
    )
    have_albs = 0
    if wanted_albs and any(c.observed and c.address == CLUSTER for c in plan.changes):
        have_albs = retrying.attempt(lambda: aws_quotas.fabric_albs(target.session, target.name))
    return needs(desired, observed, vcpus, albs=(wanted_albs, have_albs))


def _instance_types(plan: Plan) -> set[str]:
    found: set[str] = set()
    for change in plan.changes:
        for r in (change.desired, change.observed):
            if r is not None and r.kind == "eks_nodegroup":
                found.update(str(t) for t in r.props.get("instance_types") or ())
    return found


def preflight(target: Target, plan: Plan) -> QuotaReport:
    """What the plan needs of the account's quotas, against their values and current usage."""
    if not plan.has_changes:
        return QuotaReport()
    types = _instance_types(plan)
    vcpus = retrying.attempt(lambda: aws_quotas.vcpus(target.session, types)) if types else {}
    wanted = plan_needs(target, plan, vcpus)
    if not wanted:
        return QuotaReport()
    codes = {n.code for n in wanted}
    limits, warnings = retrying.attempt(lambda: aws_quotas.limits(target.session, codes))
    cluster = next(
        (
            str(c.observed.props.get("name") or c.observed.id)
            for c in plan.changes
            if c.observed is not None and c.address == CLUSTER
        ),
        None,
    )
    usage, more = retrying.attempt(
        lambda: aws_quotas.usage(target.session, set(limits), cluster=cluster)
    )
    unknown = sorted(t for t in types if t not in vcpus)
    if unknown:
        warnings.append(
            f"vCPUs of {', '.join(unknown)} unknown to EC2 here: their vCPU quota not checked"
        )
    findings = judge(wanted, limits, usage, target.region)
    return QuotaReport(findings, warnings + more, sorted(limits))


def refusal(target: Target, report: QuotaReport) -> QuotaExceeded:
    """The error refusing a change that does not fit (every quota in it, and how to raise it)."""
    lines = [f"{f.line()}\n    raise it: {f.console}\n    or: {f.request}" for f in report.refusals]
    return QuotaExceeded(
        f"this change does not fit the account's service quotas in {target.region}; "
        "nothing was changed:\n  " + "\n  ".join(lines),
        findings=[f.to_dict() for f in report.refusals],
        problems=[f.line() for f in report.refusals],
        hint="ask AWS for the increases above (approval can take from minutes to days), or "
        "make the fabric smaller, then run weft plan again",
    )


def enforce(target: Target, plan: Plan) -> QuotaReport:
    """:func:`preflight`, raising :func:`refusal` when the change does not fit; the report is
    recorded in the plan's meta (``quotas``)."""
    report = preflight(target, plan)
    plan.meta["quotas"] = report.to_dict()
    if report.refusals:
        raise refusal(target, report)
    return report
