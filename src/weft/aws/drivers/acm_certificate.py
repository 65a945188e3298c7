"""ACM certificates validated through DNS (the validation records are :mod:`.dns_record`).

``outputs.validation`` lists the CNAME records ACM asks for, deduplicated (a wildcard and its
apex share one). ACM fills them in a few seconds after the request: ``create`` waits for them.

Discovery: ``list_certificates`` (every key type) and one ``list_tags_for_certificate`` per
certificate, then one ``describe_certificate`` per certificate of this fabric; read once per
discovery for this driver and :mod:`.certificate_validation`. A certificate that
failed or timed out is reported too, with its status as state, so the plan replaces it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import pagination
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed, Resource

KIND = "acm_certificate"
RECORDS_TIMEOUT = 300.0
KEY_TYPES = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
]


def validation_records(cert: dict[str, Any]) -> list[dict[str, str]] | None:
    """The DNS validation records, deduplicated; None while ACM has not filled them all in."""
    out: list[dict[str, str]] = []
    for option in cert.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if not record:
            return None
        item = {"name": record["Name"], "type": record["Type"], "value": record["Value"]}
        if item not in out:
            out.append(item)
    return out if out else None


def _observed(name: str, cert: dict[str, Any], tags: dict[str, str]) -> Observed:
    domain = cert["DomainName"]
    sans = [s for s in cert.get("SubjectAlternativeNames") or [] if s != domain]
    status = str(cert.get("Status", "PENDING_VALIDATION"))
    return Observed(
        kind=KIND,
        name=name,
        id=cert["CertificateArn"],
        props={"domain": domain, "sans": sans, "tags": tags},
        outputs={
            "arn": cert["CertificateArn"],
            "status": status,
            "validation": validation_records(cert) or [],
        },
        state=status.lower(),
    )


def find_certificates(
    ctx: AwsContext, address: str | None = None
) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(logical name, description, tags) of each certificate of this fabric (of ``address``
    only, when given). The whole list is read once per discovery (the certificate and its
    validation both need it; do not change it)."""
    if address is None:
        return ctx.read_once("acm:fabric-certificates", lambda: _read_certificates(ctx, None))
    return _read_certificates(ctx, address)


def _read_certificates(
    ctx: AwsContext, address: str | None
) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    acm = ctx.client("acm")
    found = []
    for summary in pagination.items(
        acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": KEY_TYPES}
    ):
        arn = summary["CertificateArn"]
        try:
            tags = tagging.from_aws(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
            if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
                continue
            if address is not None and tags.get(tagging.ID_TAG) != address:
                continue
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None:
                continue
            cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        except ClientError as exc:
            if errors.is_not_found(exc):  # deleted while we looked
                continue
            raise
        found.append((name, cert, tags))
    return found


class AcmCertificateDriver:
    schema = KindSchema(
        kind=KIND, immutable=frozenset({"domain", "sans"}), unordered=frozenset({"sans"})
    )

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return [_observed(name, cert, tags) for name, cert, tags in find_certificates(ctx)]

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        acm = ctx.client("acm")
        sans = [s for s in props.get("sans") or [] if s != props["domain"]]
        arn = None
        for _name, cert, _tags in find_certificates(ctx, resource.address):
            same = cert["DomainName"] == props["domain"] and sorted(
                s for s in cert.get("SubjectAlternativeNames") or [] if s != props["domain"]
            ) == sorted(sans)
            if same and cert.get("Status") in ("PENDING_VALIDATION", "ISSUED"):
                arn = cert["CertificateArn"]  # a retried create: finish it
                break
        if arn is None:
            kwargs: dict[str, Any] = {}
            if sans:
                kwargs["SubjectAlternativeNames"] = [props["domain"], *sans]
            arn = acm.request_certificate(
                DomainName=props["domain"],
                ValidationMethod="DNS",
                IdempotencyToken=ctx.token(resource.address)[:32],
                Tags=tagging.to_aws(props["tags"]),
                **kwargs,
            )["CertificateArn"]
        cert = self._wait_records(ctx, arn, props["domain"])
        return _observed(resource.name, cert, props["tags"])

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        acm = ctx.client("acm")
        if "tags" in changed:
            to_set, to_remove = tagging.changes(observed.props.get("tags", {}), props["tags"])
            if to_set:
                acm.add_tags_to_certificate(CertificateArn=observed.id, Tags=tagging.to_aws(to_set))
            if to_remove:
                old = observed.props.get("tags", {})
                acm.remove_tags_from_certificate(
                    CertificateArn=observed.id,
                    Tags=[{"Key": k, "Value": old[k]} for k in to_remove],
                )
        return Observed(
            kind=KIND,
            name=resource.name,
            id=observed.id,
            props=props,
            outputs={k: v for k, v in observed.outputs.items() if k != "id"},
            state=observed.state,
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still used by a load balancer on its way out: ResourceInUseException, retried.
        ctx.client("acm").delete_certificate(CertificateArn=observed.id)

    @staticmethod
    def _wait_records(ctx: AwsContext, arn: str, domain: str) -> dict[str, Any]:
        last: dict[str, Any] = {}

        def check() -> bool | str:
            try:
                cert = ctx.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
            except ClientError as exc:
                if errors.is_not_found(exc):
                    return "not visible yet"
                raise
            last.clear()
            last.update(cert)
            return True if validation_records(cert) else "no validation records yet"

        wait_until(
            ctx,
            f"the DNS validation records of {domain}",
            check,
            timeout=RECORDS_TIMEOUT,
            interval=1.0,
            max_interval=10.0,
        )
        return dict(last)


DRIVER = AcmCertificateDriver()
