"""The DNS part of a fabric file: the Route 53 hosted zone of the fabric's domain.

::

    dns:
      domain: example.com
      zone_id: Z0123456789ABCDEFGHIJ   # optional: the existing public zone to adopt

The zone is created, or adopted when a public hosted zone of that name already exists (that is
decided at plan time; here the name is only checked). ``zone_id`` names the existing zone to
adopt (when the domain has several, or to be sure which): ``up`` checks that it exists, is
public and serves ``domain``, and never deletes it.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel

from weft.fabricfile.checks import MODEL_CONFIG, describe, problem

__all__ = ["DOMAIN_LABEL_RE", "MAX_DOMAIN_LABEL_LENGTH", "ZONE_ID_RE", "Dns", "domain_problem"]

MAX_DOMAIN_LENGTH = 253
#: A label between dots: lowercase letters, digits and hyphens, not starting or ending with a
#: hyphen, at most :data:`MAX_DOMAIN_LABEL_LENGTH` long (RFC 1123; Kubernetes namespaces too).
MAX_DOMAIN_LABEL_LENGTH = 63
DOMAIN_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
#: A Route 53 hosted zone id, as ``ListHostedZones`` shows it without ``/hostedzone/``.
ZONE_ID_RE = re.compile(r"[A-Z0-9]{1,32}")


def _domain_fault(value: str) -> str | None:
    if not value:
        return "an empty name is not a domain"
    if len(value) > MAX_DOMAIN_LENGTH:
        return f"is {len(value)} characters long; a domain has at most {MAX_DOMAIN_LENGTH}"
    if value != value.lower():
        return "has uppercase letters; write domains in lowercase"
    if value.endswith("."):
        return "ends with a dot; write the domain without the trailing dot"
    labels = value.split(".")
    if len(labels) < 2:
        return "has a single label; expected a domain with at least two, like example.com"
    for label in labels:
        if not label:
            return "has an empty label (two dots in a row, or a leading dot)"
        if len(label) > MAX_DOMAIN_LABEL_LENGTH:
            return (
                f"has a label of {len(label)} characters; each label between dots has at most "
                f"{MAX_DOMAIN_LABEL_LENGTH}"
            )
        if not DOMAIN_LABEL_RE.fullmatch(label):
            return (
                f"has an invalid label {label!r}; each label between dots is made of lowercase "
                "letters, digits and hyphens and does not start or end with a hyphen"
            )
    return None


def domain_problem(value: str) -> str | None:
    """Why ``value`` is not a domain weft accepts (with a fix when there is one), or None."""
    fault = _domain_fault(value)
    if fault is None:
        return None
    guess = re.sub(r"^[a-z]+://", "", value.strip().lower()).split("/", 1)[0].strip(".")
    hint = f" (did you mean {guess!r}?)" if guess != value and _domain_fault(guess) is None else ""
    shown = "" if not value else f"{describe(value)} "
    return f"{shown}{fault}{hint}"


def _check_domain(value: str) -> str:
    message = domain_problem(value)
    if message is not None:
        raise problem(((), message))
    return value


def _check_zone_id(value: str | None) -> str | None:
    if value is None or ZONE_ID_RE.fullmatch(value):
        return value
    bare = value.strip().rsplit("/", 1)[-1].upper()
    hint = f" (did you mean {bare!r}?)" if ZONE_ID_RE.fullmatch(bare) and bare != value else ""
    raise problem(
        (
            (),
            f"{describe(value)} is not a Route 53 hosted zone id; expected uppercase letters and "
            f"digits like Z0123456789ABCDEFGHIJ{hint}",
        )
    )


class Dns(BaseModel):
    """The fabric's DNS zone: ``domain``, a lowercase name like ``example.com``; ``zone_id``,
    the existing public hosted zone to adopt (optional)."""

    model_config = MODEL_CONFIG

    domain: Annotated[str, AfterValidator(_check_domain)]
    zone_id: Annotated[str | None, AfterValidator(_check_zone_id)] = None
