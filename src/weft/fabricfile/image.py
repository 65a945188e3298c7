"""Container images of apps and cron jobs: the reference, the version and the tag made from both.

An app names its image without a tag (``image: ghcr.io/acme/web``) and its version apart
(``version: "1.4.2"``); the tag is ``tag_format`` with ``{version}`` replaced (``"v{version}"``
gives ``v1.4.2``). So a release changes one value, and the version is known without parsing tags.

The reference grammar is the one of the OCI distribution spec (``distribution/reference``)::

    name             := [domain '/'] path-component ['/' path-component]*
    domain           := host [':' port]                # a first component with '.' or ':', or
                                                       # 'localhost', is a registry host
    path-component   := [a-z0-9]+ (separator [a-z0-9]+)*
    separator        := '.' | '_' | '__' | '-'+
    tag              := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}

Versions are semantic versions (``MAJOR.MINOR.PATCH``, optional ``-pre.release`` and
``+build``), or, for an app with ``versioning: any``, any text that can be a label value (a git
SHA, a date, a build number), or, with ``versioning: digest``, an image digest
(``sha256:`` and 64 hex digits, or ``sha512:`` and 128): the image is then pulled by digest
(``image@sha256:…``, ``tag_format`` unused), and its label value is the digest with ``_`` for
``:``, cut to the 63 characters a label value may have (the annotation keeps it whole).

A tag may not hold ``+``, so build metadata is written with ``_`` in tags and label values, as
Helm does for OCI registries: ``1.2.3+b7`` is tagged ``1.2.3_b7``.
"""

from __future__ import annotations

import re
from typing import Any

from weft.fabricfile.checks import describe, problem, quote_hint
from weft.fabricfile.k8s_names import LABEL_VALUE_RE, MAX_LABEL_VALUE_LENGTH

__all__ = [
    "MAX_VERSION_LENGTH",
    "VERSIONINGS",
    "check_image",
    "check_tag_format",
    "check_version",
    "image_problem",
    "image_tag",
    "is_digest",
    "tag_format_problem",
    "tag_problem",
    "version_label",
    "version_problem",
]

#: A version becomes a Kubernetes label value.
MAX_VERSION_LENGTH = MAX_LABEL_VALUE_LENGTH
MAX_NAME_LENGTH = 255
MAX_TAG_LENGTH = 128

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_RE = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
)
_PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRE_ID = rf"(?:{_NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER_RE = re.compile(
    rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}"
    rf"(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_PLACEHOLDER = "{version}"
#: An image digest as the OCI image spec registers them (descriptor.md: sha256, sha512).
_DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")


def is_digest(version: str) -> bool:
    """Whether ``version`` is an image digest (``sha256:`` and 64 lowercase hex digits, or
    ``sha512:`` and 128)."""
    return bool(_DIGEST_RE.fullmatch(version))


# --- versions ---------------------------------------------------------------------------------


def version_problem(value: object, versioning: str = "semver") -> str | None:
    """Why ``value`` is not a version weft deploys (with a fix when there is one), or None.

    :class:`weft.fabricfile.App` checks ``version`` with it; commands that take a version (``weft
    release APP VERSION``) check their argument with it too. ``versioning`` is the app's:
    ``semver`` (the default) takes semantic versions only; ``any`` takes any version that can
    be a label value (a git SHA ``3f9c2a1``, a date ``2024.06.01``, a build ``build-812``).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        example = f"{value}.0" if isinstance(value, float) else f"{value}.0.0"
        if isinstance(value, float) and value.is_integer():
            example = f"{int(value)}.0.0"
        return quote_hint(value, "version", example)
    if not isinstance(value, str):
        return f'expected a version in quotes like "1.2.3", got {describe(value)}'
    if versioning == "digest":
        if is_digest(value):
            return None
        return (
            f"{describe(value)} is not an image digest: expected sha256: and 64 lowercase hex "
            "digits (as docker buildx imagetools inspect or crane digest print it)"
        )
    if is_digest(value.strip()):
        return f"{describe(value)} is an image digest; to deploy by digest set versioning: digest"
    if len(value) > MAX_VERSION_LENGTH:
        return (
            f"{describe(value)} is {len(value)} characters long; a version has at most "
            f"{MAX_VERSION_LENGTH} (it becomes a Kubernetes label value)"
        )
    if versioning == "any":
        if not LABEL_VALUE_RE.fullmatch(version_label(value)):
            return (
                f"{describe(value)} is not a version weft can deploy: letters, digits, '-', "
                "'_', '.' and '+', starting and ending with a letter or digit (it becomes a "
                "Kubernetes label value)"
            )
        return None
    if not _SEMVER_RE.fullmatch(value):
        return f"{describe(value)} is not a semantic version; {_semver_hint(value)}"
    if not LABEL_VALUE_RE.fullmatch(version_label(value)):
        return (
            f"{describe(value)} cannot be a Kubernetes label value, which must end with a "
            "letter or digit"
        )
    return None


def _semver_hint(value: str) -> str:
    expected = "expected MAJOR.MINOR.PATCH like 1.2.3, with an optional -pre.release and +build"
    stripped = value.strip()
    if stripped[:1] in ("v", "V") and _SEMVER_RE.fullmatch(stripped[1:]):
        return (
            f"{expected} (did you mean version: {stripped[1:]!r} with tag_format: 'v{{version}}'?)"
        )
    parts = stripped.split(".")
    if 1 <= len(parts) <= 2 and all(re.fullmatch(_NUMBER, part) for part in parts):
        padded = ".".join([*parts, *["0"] * (3 - len(parts))])
        return f"{expected} (did you mean {padded!r}?)"
    if stripped != value and _SEMVER_RE.fullmatch(stripped):
        return f"{expected} (did you mean {stripped!r}?)"
    if stripped and LABEL_VALUE_RE.fullmatch(version_label(stripped)):
        # a git SHA, a date, a build number: allowed where the app says so
        return f"{expected}; for versions like {stripped!r} set versioning: any on the app"
    return expected


def version_label(version: str) -> str:
    """The version as written in tags and label values: ``+`` (build metadata) becomes ``_``;
    a digest's ``:`` becomes ``_``, and it is cut to a label value's 63 characters."""
    if is_digest(version):
        return version.replace(":", "_")[:MAX_VERSION_LENGTH]
    return version.replace("+", "_")


#: How an app's versions are written (``versioning``): semantic versions, or any label value.
VERSIONINGS = ("semver", "any", "digest")


def check_version(value: Any) -> str:
    """A plain validator for ``version``: a version written as text, of at most
    :data:`MAX_VERSION_LENGTH` characters (whether it is a semantic version depends on the
    app's ``versioning``: the app checks that, with :func:`version_problem`)."""
    message = version_problem(value, "any")
    if message is not None and not isinstance(value, str):
        raise problem(((), message))
    assert isinstance(value, str)
    return value


# --- tags -------------------------------------------------------------------------------------


def image_tag(version: str, tag_format: str) -> str:
    """The image tag of ``version``: ``tag_format`` with ``{version}`` replaced."""
    return tag_format.replace(_PLACEHOLDER, version_label(version))


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not an image tag, or None."""
    if len(tag) > MAX_TAG_LENGTH:
        return f"the tag {tag!r} is {len(tag)} characters long; a tag has at most {MAX_TAG_LENGTH}"
    if not _TAG_RE.fullmatch(tag):
        return (
            f"the tag {tag!r} is not a valid image tag: letters, digits, '_', '.' and '-', "
            "not starting with '.' or '-'"
        )
    return None


def tag_format_problem(value: str) -> str | None:
    """Why ``value`` is not a tag format (text with ``{version}`` in it), or None."""
    if _PLACEHOLDER not in value:
        return (
            f"{describe(value)} has no {_PLACEHOLDER}; the tag format says where the version "
            'goes in the image tag, e.g. "{version}" or "v{version}"'
        )
    rest = value.replace(_PLACEHOLDER, "")
    if "{" in rest or "}" in rest:
        return (
            f"{describe(value)} has braces other than {_PLACEHOLDER}; {_PLACEHOLDER} is the only "
            "placeholder"
        )
    fault = tag_problem(image_tag("0.0.0", value))
    if fault is not None:
        return f"{describe(value)} does not make valid tags: {fault}"
    return None


def check_tag_format(value: str) -> str:
    """An after-validator for ``tag_format``."""
    message = tag_format_problem(value)
    if message is not None:
        raise problem(((), message))
    return value


# --- references -------------------------------------------------------------------------------


def _split_domain(reference: str) -> tuple[str | None, str]:
    """``(registry host or None, repository path)`` as Docker tells them apart."""
    first, slash, rest = reference.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return first, rest
    return None, reference


def image_problem(value: str) -> str | None:
    """Why ``value`` is not an image reference without tag or digest (with a fix), or None."""
    shown = describe(value) if value else "an empty name"
    expected = "expected an image name without tag or digest, like ghcr.io/acme/web"
    if not value:
        return f"{shown} is not an image; {expected}"
    scheme = re.match(r"[a-z][a-z0-9+.-]*://", value)
    if scheme:
        guess = value[scheme.end() :].rstrip("/")
        hint = f" (did you mean {guess!r}?)" if image_problem(guess) is None else ""
        return f"{shown} is a URL; {expected}{hint}"
    if "@" in value:
        name = value.split("@", 1)[0]
        return (
            f"{shown} has a digest; weft pins images by version: give the name alone "
            f"(image: {name.rsplit(':', 1)[0] if _has_tag(name) else name}) and its version"
        )
    if _has_tag(value):
        name, tag = value.rsplit(":", 1)
        return f"{shown} has a tag; {_tag_advice(name, tag)}"
    if len(value) > MAX_NAME_LENGTH:
        return f"{shown} is {len(value)} characters long; an image name has at most 255"
    domain, path = _split_domain(value)
    if domain is not None and "." not in domain and ":" not in domain and domain != "localhost":
        lowered = value.lower()
        hint = f" (did you mean {lowered!r}?)" if image_problem(lowered) is None else ""
        return (
            f"{shown} would be read as an image on the registry host {domain!r} (a first part "
            f"with capitals is a host name); repository names are lowercase{hint}"
        )
    if domain is not None and not _DOMAIN_RE.fullmatch(domain):
        return (
            f"{shown} has an invalid registry host {domain!r}; expected a host name with an "
            "optional port, like ghcr.io or registry.example.com:5000"
        )
    for component in path.split("/"):
        if not _PATH_COMPONENT_RE.fullmatch(component):
            what = "an empty path component" if not component else f"the path part {component!r}"
            lowered = value.lower()
            hint = (
                f" (did you mean {lowered!r}?)"
                if lowered != value and image_problem(lowered) is None
                else ""
            )
            return (
                f"{shown} has {what}, which is not valid: repository paths are lowercase letters "
                f"and digits, separated by '.', '_', '__' or '-', between slashes{hint}"
            )
    return None


def _has_tag(reference: str) -> bool:
    return ":" in reference.rsplit("/", 1)[-1]


def _tag_advice(name: str, tag: str) -> str:
    if _SEMVER_RE.fullmatch(tag):
        return f'give it apart as the version: image: {name}, version: "{tag}"'
    if tag[:1] in ("v", "V") and _SEMVER_RE.fullmatch(tag[1:]):
        return (
            f'give it apart: image: {name}, version: "{tag[1:]}", tag_format: '
            f'"{tag[:1]}{_PLACEHOLDER}"'
        )
    return (
        f"weft makes the tag from version and tag_format; write image: {name} and give the "
        "version apart (a semantic version like 1.2.3)"
    )


def check_image(value: str) -> str:
    """An after-validator for ``image``."""
    message = image_problem(value)
    if message is not None:
        raise problem(((), message))
    return value
