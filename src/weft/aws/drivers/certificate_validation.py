"""A certificate's DNS validation, as a resource (like Terraform's aws_acm_certificate_validation).

It "exists" once its certificate is ISSUED: discovery reports one for each issued certificate of
this fabric, named like the certificate (``acm_certificate.wildcard`` gives
``certificate_validation.wildcard``). ``create`` waits until the certificate is issued (after the
validation records are in DNS), or, while the domain's zone is not delegated, raises
:class:`weft.errors.Waiting` at once rather than wait 45 minutes for what cannot happen
(:func:`weft.aws.delegation.require`); ``delete`` has nothing to do.

Its id is ``<certificate ARN>#validation``: distinct from the certificate's own id (the ARN) so
that the inventory keeps both and orders deletes correctly; the ARN itself is the output ``arn``.

Not a driver of the kit (:mod:`.kit`): nothing is made, tagged or changed. Its props are its
certificate's (the ARN, the names of the validation records), so none can change in place.
"""

from __future__ import annotations

from typing import Any

from weft.aws import delegation
from weft.aws.context import AwsContext
from weft.aws.drivers import kit
from weft.aws.drivers.acm_certificate import find_certificates, validation_records
from weft.aws.waiting import wait_until
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "certificate_validation"
TIMEOUT = 45 * 60.0
_FAILED = frozenset({"FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE"})


def validation_id(arn: str) -> str:
    return f"{arn}#validation"


def _observed(name: str, cert: dict[str, Any]) -> Observed:
    arn = cert["CertificateArn"]
    names = [r["name"] for r in validation_records(cert) or []]
    return Observed(
        kind=KIND,
        name=name,
        id=validation_id(arn),
        props={"certificate_arn": arn, "record_names": names},
        outputs={"arn": arn, "certificate_arn": arn},
        state="issued",
    )


class CertificateValidationDriver(kit.DriverBase):
    schema = KindSchema(
        kind=KIND,
        # the names are the certificate's: other names are another certificate's validation
        immutable=frozenset({"certificate_arn", "record_names"}),
        # not taggable in AWS: owned through its zone (a TXT ownership record) or its certificate
        ignored=frozenset({"tags"}),
        unordered=frozenset({"record_names"}),
    )

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return [
            _observed(name, cert)
            for name, cert, _tags in find_certificates(ctx)
            if cert.get("Status") == "ISSUED"
        ]

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        arn = props["certificate_arn"]
        acm = ctx.client("acm")
        last: dict[str, Any] = dict(acm.describe_certificate(CertificateArn=arn)["Certificate"])
        if last.get("Status") != "ISSUED":
            delegation.require(ctx, str(last.get("DomainName", "")))

        def check() -> bool | str:
            cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
            last.clear()
            last.update(cert)
            status = str(cert.get("Status"))
            if status in _FAILED:
                reason = cert.get("FailureReason") or "no reason given"
                raise PermanentError(
                    f"certificate {cert.get('DomainName')} is {status} ({reason})",
                    address=resource.address,
                    hint="check the validation records in DNS; the certificate must be replaced",
                )
            return True if status == "ISSUED" else status

        wait_until(
            ctx,
            f"DNS validation of {last.get('DomainName', arn)}",
            check,
            timeout=TIMEOUT,
            interval=5.0,
            max_interval=30.0,
        )
        return _observed(resource.name, last)

    def change(self, edit: kit.Edit) -> Observed:
        return self.create(edit.ctx, edit.resource, edit.props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        return None


DRIVER = CertificateValidationDriver()
