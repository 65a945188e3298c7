"""What a fabric costs a month, on demand, line by line (pure: prices are given).

:func:`lines` turns resources (the fabric's desired :class:`~weft.core.resource.Resource` or
the cloud's :class:`~weft.core.resource.Observed`, whose props have the same names) into
priced quantities: each :class:`Line` says what is billed, how much of it a month and which
price (a :class:`PriceQuery`, the Price List API's fields as Infracost filters them) applies.
:func:`priced` multiplies with the prices found (:mod:`weft.aws.pricing`). The assumptions:

- :data:`HOURS_PER_MONTH` = 730 hours a month;
- EKS control plane: per cluster hour, at the standard or the extended-support rate the
  version is in on EKS's calendar (``support``);
- EKS Auto Mode (a cluster with ``auto_mode``): ``cost.auto_mode_instances`` instances priced
  as :data:`AUTO_MODE_INSTANCE_TYPE`, their instance hours and EKS's management fee for each
  instance hour (:func:`auto_mode_fee`);
- node groups at their desired size: instance hours at the first (on-demand) instance type
  listed, and each node's root volume (gp3, GB-month);
- NAT gateways by the hour, plus their data at a stated volume; every public IPv4 address (the
  NAT gateways' Elastic IPs) at the hourly public IPv4 rate;
- the ALB the apps' ingresses share (one per fabric, with any ingress) and one NLB per app
  with ``load_balancer``, by the hour plus capacity units at a stated volume;
- RDS: instance hours (Single-AZ price; a Multi-AZ instance is doubled, as AWS bills its
  standby) and gp3 storage (doubled likewise);
- ElastiCache: node hours x the replication group's nodes;
- Route 53: the hosted zone; KMS: each key a month, keys kept for final snapshots included;
- CloudWatch Logs: each log group's ingestion at a stated volume, and storage of what its
  retention keeps; S3: each bucket's storage at a stated volume;
- observability: the fabric's dashboard ($3 a month; free while the account has no more than
  three), each alarm a month, and the alarm topic's e-mails at a stated number of alarm
  notifications a month, each sent to every address.

The stated volumes are :class:`Assumptions` (the fabric file's ``cost:`` section sets them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from weft.core.resource import Ref

HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class PriceQuery:
    """One price, as the Price List API finds it: ``service`` (ServiceCode), ``family``
    (productFamily) and attribute filters (``contains``: a CONTAINS filter on the field, for
    usage types that carry a region prefix); ``regional``: filtered by the fabric's
    ``regionCode`` too."""

    service: str
    family: str
    match: tuple[tuple[str, str], ...] = ()
    contains: tuple[tuple[str, str], ...] = ()
    unit: str = "Hrs"
    regional: bool = True

    @property
    def key(self) -> str:
        parts = [self.service, self.family]
        parts += [f"{k}={v}" for k, v in self.match]
        parts += [f"{k}~{v}" for k, v in self.contains]
        return "|".join(parts)


def ec2_instance(instance_type: str) -> PriceQuery:
    return PriceQuery(
        "AmazonEC2",
        "Compute Instance",
        (
            ("instanceType", instance_type),
            ("operatingSystem", "Linux"),
            ("tenancy", "Shared"),
            ("preInstalledSw", "NA"),
            ("capacitystatus", "Used"),
            ("licenseModel", "No License required"),
        ),
    )


EKS_STANDARD = PriceQuery(
    "AmazonEKS", "Compute", contains=(("usagetype", "AmazonEKS-Hours:perCluster"),)
)
EKS_EXTENDED = PriceQuery(
    "AmazonEKS", "Compute", contains=(("usagetype", "AmazonEKS-Hours:extendedSupport"),)
)
EBS_GP3 = PriceQuery("AmazonEC2", "Storage", (("volumeApiName", "gp3"),), unit="GB-Mo")
#: The instance type an Auto Mode cluster's instances are priced as: a general-purpose type of
#: the kind its ``general-purpose`` node pool launches.
AUTO_MODE_INSTANCE_TYPE = "m7i.large"


def auto_mode_fee(instance_type: str) -> PriceQuery:
    """EKS Auto Mode's management fee per hour of an instance of ``instance_type`` (billed on
    top of the instance itself, as usage type ``EKS-Auto:<type>-management-hours``)."""
    return PriceQuery(
        "AmazonEKS",
        "Compute",
        contains=(("usagetype", f"EKS-Auto:{instance_type}-management-hours"),),
    )


NAT_HOURS = PriceQuery("AmazonEC2", "NAT Gateway", contains=(("usagetype", "NatGateway-Hours"),))
NAT_BYTES = PriceQuery(
    "AmazonEC2", "NAT Gateway", contains=(("usagetype", "NatGateway-Bytes"),), unit="GB"
)
PUBLIC_IPV4 = PriceQuery(
    "AmazonVPC", "VpcPublicIPv4Address", contains=(("usagetype", "PublicIPv4:InUseAddress"),)
)
ALB_HOURS = PriceQuery(
    "AWSELB", "Load Balancer-Application", contains=(("usagetype", "LoadBalancerUsage"),)
)
ALB_LCU = PriceQuery(
    "AWSELB", "Load Balancer-Application", contains=(("usagetype", "LCUUsage"),), unit="LCU-Hrs"
)
NLB_HOURS = PriceQuery(
    "AWSELB", "Load Balancer-Network", contains=(("usagetype", "LoadBalancerUsage"),)
)
NLB_LCU = PriceQuery(
    "AWSELB", "Load Balancer-Network", contains=(("usagetype", "LCUUsage"),), unit="NLCU-Hrs"
)
RDS_GP3 = PriceQuery(
    "AmazonRDS",
    "Database Storage",
    (("deploymentOption", "Single-AZ"),),
    (("usagetype", "RDS:GP3-Storage"),),
    unit="GB-Mo",
)
ROUTE53_ZONE = PriceQuery(
    "AmazonRoute53",
    "DNS Zone",
    contains=(("usagetype", "HostedZone"),),
    unit="HostedZone",
    regional=False,
)
KMS_KEY = PriceQuery("awskms", "Encryption Key", contains=(("usagetype", "KMS-Keys"),), unit="Keys")
LOGS_INGESTED = PriceQuery(
    "AmazonCloudWatch", "Data Payload", contains=(("usagetype", "DataProcessing-Bytes"),), unit="GB"
)
LOGS_STORED = PriceQuery(
    "AmazonCloudWatch",
    "Storage Snapshot",
    contains=(("usagetype", "TimedStorage-ByteHrs"),),
    unit="GB-Mo",
)
#: a CloudWatch dashboard a month (account-wide products: no region); the Basic usage type is a
#: dashboard of 50 metrics or fewer, the other one of more; both $3 a month
CW_DASHBOARD_BASIC = PriceQuery(
    "AmazonCloudWatch",
    "Dashboard",
    (("usagetype", "DashboardsUsageHour-Basic"),),
    unit="Dashboards",
    regional=False,
)
CW_DASHBOARD = PriceQuery(
    "AmazonCloudWatch",
    "Dashboard",
    (("usagetype", "DashboardsUsageHour"),),
    unit="Dashboards",
    regional=False,
)
#: a standard-resolution metric alarm a month
CW_ALARM = PriceQuery(
    "AmazonCloudWatch", "Alarm", contains=(("usagetype", "CW:AlarmMonitorUsage"),), unit="Alarms"
)
#: an SNS notification delivered by e-mail
SNS_EMAIL = PriceQuery(
    "AmazonSNS",
    "Message Delivery",
    contains=(("usagetype", "DeliveryAttempts-SMTP"),),
    unit="Notifications",
)
#: metrics on a Basic dashboard at most
BASIC_DASHBOARD_METRICS = 50
S3_STANDARD = PriceQuery(
    "AmazonS3",
    "Storage",
    (("volumeType", "Standard"),),
    (("usagetype", "TimedStorage-ByteHrs"),),
    unit="GB-Mo",
)

_ENGINES = {"postgres": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB"}
_CACHE_ENGINES = {"redis": "Redis", "valkey": "Valkey", "memcached": "Memcached"}


def rds_instance(instance_class: str, engine: str) -> PriceQuery:
    return PriceQuery(
        "AmazonRDS",
        "Database Instance",
        (
            ("instanceType", instance_class),
            ("databaseEngine", _ENGINES.get(engine, engine)),
            ("deploymentOption", "Single-AZ"),
        ),
        (("usagetype", "InstanceUsage:"),),
    )


def cache_node(node_type: str, engine: str) -> PriceQuery:
    return PriceQuery(
        "AmazonElastiCache",
        "Cache Instance",
        (("instanceType", node_type), ("cacheEngine", _CACHE_ENGINES.get(engine, engine))),
        (("usagetype", "NodeUsage:"),),
    )


@dataclass(frozen=True)
class Assumptions:
    """The usage-based volumes a month (the fabric file's ``cost:`` section)."""

    nat_gb: float = 100.0
    lb_capacity_units: float = 1.0
    log_gb: float = 5.0
    bucket_gb: float = 10.0
    auto_mode_instances: float = 2.0
    alarm_notifications: float = 30.0

    def lines(self) -> list[str]:
        return [
            f"{HOURS_PER_MONTH} hours a month; on-demand prices, before tax, without free tiers",
            f"NAT gateway data processed: {self.nat_gb:g} GB a month (cost.nat_gb)",
            f"load balancer capacity units in use: {self.lb_capacity_units:g} on average "
            "(cost.lb_capacity_units)",
            f"CloudWatch Logs ingested per log group: {self.log_gb:g} GB a month (cost.log_gb)",
            f"S3 storage per bucket: {self.bucket_gb:g} GB (cost.bucket_gb)",
            f"alarm notifications: {self.alarm_notifications:g} a month, each e-mailed to every "
            "address (cost.alarm_notifications)",
        ]


@dataclass(frozen=True)
class Line:
    """One billed item: ``quantity`` of ``query``'s unit a month, for ``address``."""

    address: str
    what: str
    quantity: float
    query: PriceQuery
    note: str = ""


def _key(value: Any) -> str:
    return value.address if isinstance(value, Ref) else str(value)


def lines(
    resources: Iterable[Any],
    *,
    assumptions: Assumptions,
    extended_support: bool = False,
    shared_alb: bool = False,
    nlb_apps: Iterable[str] = (),
    alarm_apps: Iterable[str] = (),
) -> list[Line]:
    """The month's billed items of ``resources`` (``extended_support``: the cluster's version
    is in EKS extended support; ``shared_alb``: the apps' ingresses have their ALB;
    ``nlb_apps``: apps with their own NLB; ``alarm_apps``: apps whose 5xx alarm ``weft
    deploy`` writes)."""
    items = list(resources)
    h = HOURS_PER_MONTH
    a = assumptions
    out: list[Line] = []
    templates: dict[str, Any] = {}
    for r in items:
        if r.kind == "launch_template":
            templates[r.address] = r
            if getattr(r, "id", None):
                templates[str(r.id)] = r
    has_cluster = False
    for r in items:
        p = r.props
        if r.kind == "eks_cluster":
            has_cluster = True
            rate = EKS_EXTENDED if extended_support else EKS_STANDARD
            support = "extended support" if extended_support else "standard support"
            out.append(
                Line(
                    r.address,
                    f"EKS control plane, Kubernetes {p.get('version')} ({support})",
                    h,
                    rate,
                )
            )
            if p.get("auto_mode") and a.auto_mode_instances:
                n, kind = a.auto_mode_instances, AUTO_MODE_INSTANCE_TYPE
                note = f"{n:g} instances assumed (cost.auto_mode_instances), priced as {kind}"
                out.append(
                    Line(
                        r.address,
                        f"EKS Auto Mode instances, {n:g} x {kind}",
                        h * n,
                        ec2_instance(kind),
                        note,
                    )
                )
                out.append(
                    Line(
                        r.address,
                        f"EKS Auto Mode management fee, {n:g} x {kind}",
                        h * n,
                        auto_mode_fee(kind),
                        note,
                    )
                )
        elif r.kind == "eks_nodegroup":
            scaling = p.get("scaling") or {}
            nodes = int(scaling.get("desired") or 0)
            types = [str(t) for t in p.get("instance_types") or ()]
            if not types or not nodes:
                continue
            note = f"mixed types: priced at the first, {types[0]}" if len(types) > 1 else ""
            out.append(
                Line(
                    r.address,
                    f"{nodes} x {types[0]} nodes",
                    h * nodes,
                    ec2_instance(types[0]),
                    note,
                )
            )
            template = templates.get(_key(p.get("launch_template_id")))
            size = p.get("disk_size") or (
                ((template.props.get("root_volume") or {}).get("size_gb")) if template else None
            )
            if size:
                out.append(
                    Line(
                        r.address,
                        f"{nodes} x {size} GB gp3 root volumes",
                        nodes * float(size),
                        EBS_GP3,
                    )
                )
        elif r.kind == "nat_gateway":
            out.append(Line(r.address, "NAT gateway", h, NAT_HOURS))
            out.append(Line(r.address, f"NAT data, {a.nat_gb:g} GB", a.nat_gb, NAT_BYTES))
        elif r.kind == "eip":
            out.append(Line(r.address, "public IPv4 address", h, PUBLIC_IPV4))
        elif r.kind == "db_instance":
            multi = bool(p.get("multi_az"))
            copies = 2 if multi else 1
            deployment = "Multi-AZ (x2)" if multi else "Single-AZ"
            out.append(
                Line(
                    r.address,
                    f"RDS {p.get('engine')} {p.get('instance_class')}, {deployment}",
                    h * copies,
                    rds_instance(str(p.get("instance_class")), str(p.get("engine"))),
                )
            )
            gb = float(p.get("storage_gb") or 0)
            out.append(
                Line(r.address, f"RDS gp3 storage {gb:g} GB, {deployment}", gb * copies, RDS_GP3)
            )
        elif r.kind == "cache_replication_group":
            nodes = int(p.get("num_cache_clusters") or 1)
            out.append(
                Line(
                    r.address,
                    f"ElastiCache {nodes} x {p.get('node_type')} ({p.get('engine')})",
                    h * nodes,
                    cache_node(str(p.get("node_type")), str(p.get("engine"))),
                )
            )
        elif r.kind == "hosted_zone":
            out.append(Line(r.address, f"Route 53 hosted zone {p.get('domain')}", 1, ROUTE53_ZONE))
        elif r.kind == "kms_key":
            out.append(Line(r.address, "KMS key", 1, KMS_KEY))
        elif r.kind == "log_group":
            out.append(
                Line(
                    r.address, f"CloudWatch Logs ingested, {a.log_gb:g} GB", a.log_gb, LOGS_INGESTED
                )
            )
            days = float(p.get("retention_days") or 0)
            stored = a.log_gb * (days / 30.0) if days else a.log_gb * 12
            basis = f"{days:g} days retained" if days else "never expires: a year's worth"
            out.append(
                Line(
                    r.address,
                    f"CloudWatch Logs stored, {stored:g} GB ({basis})",
                    stored,
                    LOGS_STORED,
                )
            )
        elif r.kind == "dashboard":
            metrics = _dashboard_metrics(p.get("body") or {})
            basic = metrics <= BASIC_DASHBOARD_METRICS
            size = "50 metrics or fewer" if basic else "over 50 metrics"
            out.append(
                Line(
                    r.address,
                    f"CloudWatch dashboard ({size})",
                    1,
                    CW_DASHBOARD_BASIC if basic else CW_DASHBOARD,
                    "free while the account has no more than three dashboards",
                )
            )
        elif r.kind == "metric_alarm":
            out.append(Line(r.address, "CloudWatch alarm (standard resolution)", 1, CW_ALARM))
        elif r.kind == "sns_topic":
            emails = len(p.get("emails") or ())
            if emails:
                sent = emails * a.alarm_notifications
                out.append(
                    Line(
                        r.address,
                        f"SNS e-mail notifications, {sent:g} ({emails} addresses x "
                        f"{a.alarm_notifications:g})",
                        sent,
                        SNS_EMAIL,
                    )
                )
        elif r.kind in ("bucket",):
            out.append(
                Line(
                    r.address, f"S3 Standard storage, {a.bucket_gb:g} GB", a.bucket_gb, S3_STANDARD
                )
            )
    if has_cluster and shared_alb:
        out.append(
            Line(
                "apps.ingress", "Application Load Balancer (shared by the ingresses)", h, ALB_HOURS
            )
        )
        out.append(
            Line(
                "apps.ingress",
                f"ALB capacity units, {a.lb_capacity_units:g} on average",
                h * a.lb_capacity_units,
                ALB_LCU,
            )
        )
    for app in alarm_apps if has_cluster else ():
        out.append(Line(f"apps.{app}", "CloudWatch alarm on its 5xx answers", 1, CW_ALARM))
    for app in nlb_apps if has_cluster else ():
        out.append(Line(f"apps.{app}", "Network Load Balancer", h, NLB_HOURS))
        out.append(
            Line(
                f"apps.{app}",
                f"NLB capacity units, {a.lb_capacity_units:g} on average",
                h * a.lb_capacity_units,
                NLB_LCU,
            )
        )
    return out


def _dashboard_metrics(body: Any) -> int:
    """The metrics of a dashboard body as CloudWatch counts them for its price: each metric line
    of each widget (a ``SEARCH`` line counted once)."""
    widgets = body.get("widgets") or () if hasattr(body, "get") else ()
    return sum(
        len((w.get("properties") or {}).get("metrics") or ())
        for w in widgets
        if hasattr(w, "get") and w.get("type") == "metric"
    )


@dataclass(frozen=True)
class Priced:
    line: Line
    #: USD per unit, or None when no price was found
    unit_price: Decimal | None

    @property
    def monthly(self) -> Decimal | None:
        if self.unit_price is None:
            return None
        return cents(self.unit_price * Decimal(str(self.line.quantity)))


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Estimate:
    """Priced lines, their total, and what was not priced."""

    items: list[Priced] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return cents(sum((p.monthly for p in self.items if p.monthly is not None), Decimal(0)))

    @property
    def missing(self) -> list[Line]:
        return [p.line for p in self.items if p.unit_price is None]

    def by_address(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for p in self.items:
            if p.monthly is not None:
                out[p.line.address] = out.get(p.line.address, Decimal(0)) + p.monthly
        return out


def priced(items: Iterable[Line], prices: Mapping[str, Decimal]) -> Estimate:
    """``items`` priced with ``prices`` (USD per unit, by :attr:`PriceQuery.key`)."""
    return Estimate([Priced(line, prices.get(line.query.key)) for line in items])
