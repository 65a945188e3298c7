"""The local cloud's Service Quotas and RDS account quotas, as AWS answers them.

moto 5.2.5 answers ``GetServiceQuota`` and ``ListAWSDefaultServiceQuotas`` for the service code
``vpc`` only (every other service: ``NoSuchResourceException``), has no
``GetAWSDefaultServiceQuota`` nor ``ListServiceQuotas``, and no RDS ``DescribeAccountAttributes``.
weft reads these before a change (its quota preflight), so the local cloud serves them:

- ``GetAWSDefaultServiceQuota``: AWS's default value of a quota (Service Quotas API Reference,
  https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html);
- ``GetServiceQuota``: the value applied to the account, which AWS may answer only for quotas
  that have one (API_GetServiceQuota.html: "If the applied quota value is not available for a
  quota, the quota is not retrieved"; then ``NoSuchResourceException``, and callers read the
  default);
- ``ListServiceQuotas`` / ``ListAWSDefaultServiceQuotas``: the same, one service at a time;
- RDS ``DescribeAccountAttributes``: ``AccountQuotas`` with ``Used`` and ``Max`` (RDS API
  Reference, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeAccountAttributes.html),
  ``DBInstances`` counted from the account's instances and bounded by the applied RDS quota
  ``L-7B6409FD``.

The default values are AWS's (Service Quotas console, and the service guides' quota pages:
Amazon VPC quotas, https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html;
Amazon EKS service quotas, https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html;
Amazon RDS quotas, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html;
Elastic Load Balancing quotas,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html;
EC2 vCPU quotas, https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html).
The EC2 vCPU quotas' AWS default is 5 (G, VT and P: 0) while accounts are given an applied value
above it; the local account's applied value is :data:`LOCAL_APPLIED`.

For tests, an applied value can be set with a POST of ``{"region", "service", "code", "value"}``
to :data:`SET_PATH` (``weft local quota set``); set values live in moto's Service Quotas backend
of that region, so a reset of the local cloud (``/moto-api/reset``) restores the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Where the local cloud takes an applied quota value to set (a test-only endpoint).
SET_PATH = "/weft-local/quotas"


@dataclass(frozen=True)
class QuotaDefault:
    service: str
    code: str
    name: str
    default: float
    service_name: str
    adjustable: bool = True


_EC2 = "Amazon Elastic Compute Cloud (Amazon EC2)"
_VPC = "Amazon Virtual Private Cloud (Amazon VPC)"
_EKS = "Amazon Elastic Kubernetes Service (Amazon EKS)"

#: AWS's default values of the quotas weft checks.
DEFAULTS: tuple[QuotaDefault, ...] = (
    QuotaDefault("vpc", "L-F678F1CE", "VPCs per Region", 5, _VPC),
    QuotaDefault("vpc", "L-A4707A72", "Internet gateways per Region", 5, _VPC),
    QuotaDefault("vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5, _VPC),
    QuotaDefault("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5, _EC2),
    QuotaDefault(
        "ec2",
        "L-1216C47A",
        "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        5,
        _EC2,
    ),
    QuotaDefault("ec2", "L-DB2E81BA", "Running On-Demand G and VT instances", 0, _EC2),
    QuotaDefault("ec2", "L-417A185B", "Running On-Demand P instances", 0, _EC2),
    QuotaDefault(
        "ec2",
        "L-34B43A08",
        "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
        5,
        _EC2,
    ),
    QuotaDefault("ec2", "L-3819A6DF", "All G and VT Spot Instance Requests", 0, _EC2),
    QuotaDefault("ec2", "L-7212CCBC", "All P Spot Instance Requests", 0, _EC2),
    QuotaDefault("eks", "L-1194D53C", "Clusters", 100, _EKS),
    QuotaDefault("eks", "L-6D54EA21", "Managed node groups per cluster", 30, _EKS),
    QuotaDefault("eks", "L-BD136A63", "Nodes per managed node group", 450, _EKS),
    QuotaDefault("eks", "L-33415657", "Fargate profiles per cluster", 10, _EKS),
    QuotaDefault(
        "rds", "L-7B6409FD", "DB instances", 40, "Amazon Relational Database Service (Amazon RDS)"
    ),
    QuotaDefault(
        "elasticloadbalancing",
        "L-53DA6B97",
        "Application Load Balancers per Region",
        50,
        "Elastic Load Balancing (ELB)",
    ),
)

#: The local account's applied values where they differ from AWS's default: an account's
#: vCPU quotas are raised above the default of 5 when it is created (a new account reported an
#: applied 640 against the default 5, gitpod-io/website#3918).
LOCAL_APPLIED: dict[str, float] = {
    "L-1216C47A": 640,
    "L-34B43A08": 640,
    "L-DB2E81BA": 64,
    "L-417A185B": 64,
    "L-3819A6DF": 64,
    "L-7212CCBC": 64,
}

_BY_KEY = {(q.service, q.code): q for q in DEFAULTS}


def _quota(q: QuotaDefault, value: float, region: str, account: str | None) -> dict[str, Any]:
    return {
        "ServiceCode": q.service,
        "ServiceName": q.service_name,
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account or ''}:{q.service}/{q.code}",
        "QuotaCode": q.code,
        "QuotaName": q.name,
        "Value": float(value),
        "Unit": "None",
        "Adjustable": q.adjustable,
        "GlobalQuota": False,
    }


def _applied(backend: Any) -> dict[str, float]:
    found = getattr(backend, "weft_applied", None)
    if found is None:
        found = {}
        backend.weft_applied = found
    return found


def applied_value(backend: Any, code: str) -> float | None:
    """The value applied to the account for ``code`` (set, or the local account's own)."""
    q = next((q for q in DEFAULTS if q.code == code), None)
    if q is None:
        return None
    return _applied(backend).get(code, LOCAL_APPLIED.get(code, q.default))


def _install_service_quotas() -> None:
    from moto.servicequotas.exceptions import NoSuchResource
    from moto.servicequotas.models import ServiceQuotasBackend
    from moto.servicequotas.responses import ServiceQuotasResponse

    original_get = ServiceQuotasBackend.get_service_quota
    original_list = ServiceQuotasBackend.list_aws_default_service_quotas

    def get_service_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        q = _BY_KEY.get((service_code, quota_code))
        if q is None:
            return dict(original_get(self, service_code, quota_code))
        value = applied_value(self, quota_code)
        return _quota(
            q, value if value is not None else q.default, self.region_name, self.account_id
        )

    def default_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        q = _BY_KEY.get((service_code, quota_code))
        if q is None:
            if service_code == "vpc":
                return dict(original_get(self, service_code, quota_code))
            raise NoSuchResource
        return _quota(q, q.default, self.region_name, None)

    def listed(self: Any, service_code: str, *, applied: bool) -> list[dict[str, Any]]:
        mine = [q for q in DEFAULTS if q.service == service_code]
        codes = {q.code for q in mine}
        try:
            theirs = [x for x in original_list(self, service_code) if x["QuotaCode"] not in codes]
        except NoSuchResource:
            if not mine:
                raise
            theirs = []
        ours = [
            get_service_quota(self, q.service, q.code)
            if applied
            else default_quota(self, q.service, q.code)
            for q in mine
        ]
        return ours + [dict(x) for x in theirs]

    ServiceQuotasBackend.get_service_quota = get_service_quota  # type: ignore[method-assign]
    ServiceQuotasBackend.list_aws_default_service_quotas = (  # type: ignore[method-assign]
        lambda self, service_code: listed(self, service_code, applied=False)
    )

    def get_aws_default_service_quota(self: Any) -> str:
        params = json.loads(self.body)
        quota = default_quota(
            self.backend, str(params.get("ServiceCode")), str(params.get("QuotaCode"))
        )
        return json.dumps({"Quota": quota})

    def list_service_quotas(self: Any) -> str:
        params = json.loads(self.body)
        return json.dumps(
            {"Quotas": listed(self.backend, str(params.get("ServiceCode")), applied=True)}
        )

    ServiceQuotasResponse.get_aws_default_service_quota = get_aws_default_service_quota  # type: ignore[attr-defined]
    ServiceQuotasResponse.list_service_quotas = list_service_quotas  # type: ignore[attr-defined]


#: RDS account quotas DescribeAccountAttributes lists besides ``DBInstances`` (AWS's defaults;
#: ``Used`` counted only for DBInstances, which weft reads: the others are answered with 0 used).
_RDS_OTHER_QUOTAS = (
    ("AllocatedStorage", 100000 * 1024**3),
    ("DBClusters", 40),
    ("DBParameterGroups", 50),
    ("DBSubnetGroups", 50),
    ("ManualSnapshots", 100),
    ("ReservedDBInstances", 40),
)


def _install_rds_account_attributes() -> None:
    from moto.core.responses import ActionResult
    from moto.rds.responses import RDSResponse
    from moto.servicequotas.models import servicequotas_backends

    def describe_account_attributes(self: Any) -> Any:
        quotas = servicequotas_backends[self.current_account][self.region]
        limit = applied_value(quotas, "L-7B6409FD") or 40
        used = len(self.backend.databases)
        account_quotas = [{"AccountQuotaName": "DBInstances", "Used": used, "Max": int(limit)}]
        account_quotas += [
            {"AccountQuotaName": name, "Used": 0, "Max": int(value)}
            for name, value in _RDS_OTHER_QUOTAS
        ]
        return ActionResult({"AccountQuotas": account_quotas})

    RDSResponse.describe_account_attributes = describe_account_attributes  # type: ignore[attr-defined]


def set_applied(region: str, service: str, code: str, value: float, account: str) -> None:
    """Apply ``value`` to quota ``service``/``code`` of ``account`` in ``region``."""
    from moto.servicequotas.models import servicequotas_backends

    if (service, code) not in _BY_KEY:
        known = ", ".join(f"{q.service}/{q.code}" for q in DEFAULTS)
        raise KeyError(f"the local cloud serves no quota {service}/{code} (it serves {known})")
    if value < 0:
        raise ValueError("a quota value is 0 or more")
    _applied(servicequotas_backends[account][region])[code] = float(value)


def service_of(code: str) -> str | None:
    """The Service Quotas service code of quota ``code`` (of those the local cloud serves)."""
    return next((q.service for q in DEFAULTS if q.code == code), None)


def wrap(app: WsgiApp, account: str) -> WsgiApp:
    """The moto WSGI application, taking applied quota values on :data:`SET_PATH`."""

    def endpoint(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != SET_PATH or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(size) or b"{}")
            code = str(request["code"])
            service = str(request.get("service") or service_of(code) or "")
            set_applied(str(request["region"]), service, code, float(request["value"]), account)
        except (ValueError, KeyError, TypeError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"{message}\n".encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    return endpoint


def apply() -> None:
    _install_service_quotas()
    _install_rds_account_attributes()


def request_set(url: str, region: str, code: str, value: float, service: str | None = None) -> None:
    """Ask the local cloud at ``url`` to apply ``value`` to quota ``code`` in ``region``
    (raises ValueError with the server's reason when it refuses)."""
    import urllib.error
    import urllib.request

    body = json.dumps({"region": region, "code": code, "value": value, "service": service}).encode()
    request = urllib.request.Request(
        url + SET_PATH, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            return
    except urllib.error.HTTPError as exc:
        raise ValueError(exc.read().decode().strip() or str(exc)) from None
