"""ACM certificates validated through DNS (the validation records are :mod:`.dns_record`).

``outputs.validation`` lists the CNAME records ACM asks for, deduplicated (a wildcard and its
apex share one). ACM fills them in a few seconds after the request: ``create`` waits for them.

Discovery: ``list_certificates`` (every key type) and one ``list_tags_for_certificate`` per
certificate, then one ``describe_certificate`` per certificate of this fabric; read once per
discovery for this driver and :mod:`.certificate_validation`. A certificate that
failed or timed out is reported too, with its status as state, so the plan replaces it.

A certificate is requested only once ACM can validate it: while the account's hosted zone of
the domain is not delegated (:func:`weft.aws.delegation.require`), ``create`` raises
:class:`weft.errors.Waiting` instead, so ``up`` finishes everything else and reports the
certificate (and what needs its ARN) as waiting for the delegation.
"""

from __future__ import annotations

from typing import Any

from weft.aws import delegation
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, presence, tagger
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
        read = presence.if_found(_read, ctx, summary["CertificateArn"], address)
        if read is not None:  # None: deleted while we looked, or not this fabric's
            found.append(read)
    return found


def _read(
    ctx: AwsContext, arn: str, address: str | None
) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    acm = ctx.client("acm")
    tags = tagging.from_aws(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
    name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND, address=address)
    if name is None:
        return None
    return name, acm.describe_certificate(CertificateArn=arn)["Certificate"], tags


class AcmCertificateDriver(kit.TaggedDriver):
    """A retried create looks for a certificate of this address (``find_certificates``) that is
    pending or issued: one that failed is not finished but replaced."""

    setters = (kit.tags(tagger.ACM),)
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"domain", "sans"}),
        unordered=frozenset({"sans"}),
        updatable=kit.covered(setters),
        shown=("domain", "sans"),
    )

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        return [_observed(name, cert, tags) for name, cert, tags in find_certificates(ctx, address)]

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        sans = [s for s in props.get("sans") or [] if s != props["domain"]]
        for _name, cert, _tags in find_certificates(ctx, resource.address):
            same = cert["DomainName"] == props["domain"] and sorted(
                s for s in cert.get("SubjectAlternativeNames") or [] if s != props["domain"]
            ) == sorted(sans)
            if same and cert.get("Status") in ("PENDING_VALIDATION", "ISSUED"):
                # a retried create: finish it
                return self._with_records(ctx, resource, props, cert["CertificateArn"])
        return self.make(ctx, resource, props)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        delegation.require(ctx, props["domain"])
        sans = [s for s in props.get("sans") or [] if s != props["domain"]]
        kwargs: dict[str, Any] = {}
        if sans:
            kwargs["SubjectAlternativeNames"] = [props["domain"], *sans]
        arn = ctx.client("acm").request_certificate(
            DomainName=props["domain"],
            ValidationMethod="DNS",
            IdempotencyToken=ctx.token(resource.address)[:32],
            Tags=tagging.to_aws(props["tags"]),
            **kwargs,
        )["CertificateArn"]
        return self._with_records(ctx, resource, props, arn)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still used by a load balancer on its way out: ResourceInUseException, retried.
        ctx.client("acm").delete_certificate(CertificateArn=observed.id)

    def _with_records(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any], arn: str
    ) -> Observed:
        cert = self._wait_records(ctx, arn, props["domain"])
        return _observed(resource.name, cert, props["tags"])

    @staticmethod
    def _wait_records(ctx: AwsContext, arn: str, domain: str) -> dict[str, Any]:
        last: dict[str, Any] = {}

        def check() -> bool | str:
            found = presence.if_found(ctx.client("acm").describe_certificate, CertificateArn=arn)
            if found is None:
                return "not visible yet"
            cert = found["Certificate"]
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
