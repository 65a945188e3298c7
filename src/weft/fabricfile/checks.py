"""The building blocks of every check in the fabric schema: weft's error type and its wording.

A check raises :func:`problem` errors: a pydantic custom error of type ``"weft"`` whose context
carries one or more ``(sub-path, message)`` pairs, so one validator can point at several places
(``tags.aws:x``, ``network.zones[2]``) below its own location.
:mod:`weft.fabricfile.loader` turns them, and pydantic's built-in errors, into file:line messages.

A message that mentions another entry writes it as ``(first as <field path>)``; the loader adds
that entry's line (``(first as databases[0] on line 12)``) when it knows it.

The helpers here, and the configuration every model of the file shares (:data:`MODEL_CONFIG`),
are used by the modules that define sections of the file (:mod:`~weft.fabricfile.schema`,
:mod:`~weft.fabricfile.cluster`, :mod:`~weft.fabricfile.data`, :mod:`~weft.fabricfile.apps`, ...);
they import nothing from those modules.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import ConfigDict
from pydantic_core import PydanticCustomError

__all__ = [
    "CLASS_PREFIXES",
    "MODEL_CONFIG",
    "NAME_RE",
    "PROBLEM",
    "SECRET_NAME_RE",
    "Path",
    "check_in_range",
    "check_label",
    "check_unique",
    "choice",
    "describe",
    "did_you_mean",
    "dotted",
    "ipv4_network_problem",
    "none_as_empty",
    "problem",
    "quote_hint",
    "secret_name_problem",
    "suggestions",
]

#: A location below a model: keys and list indexes.
Path = tuple[str | int, ...]

#: The pydantic error type of weft's own checks.
PROBLEM = "weft"

#: Every model of the file: frozen, no unknown keys, no silent coercion (``zones: "3"`` is an
#: error, not 3).
MODEL_CONFIG = ConfigDict(frozen=True, extra="forbid", strict=True)

#: The grammar of a weft name (of the fabric, a data store, an app): a DNS label that starts with
#: a letter. :func:`check_label` checks it, with a length limit.
NAME_RE = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")

#: The service prefixes of AWS instance classes and types (``db.t4g.medium``,
#: ``cache.t4g.small``), which hints strip when one is written where another belongs.
CLASS_PREFIXES = ("db.", "cache.", "ec2.")

#: The grammar of a name in weft's secrets store (``database/main/password``).
SECRET_NAME_RE = re.compile(r"[a-z0-9][a-z0-9/_.-]{0,127}")


def problem(*problems: tuple[Path, str]) -> PydanticCustomError:
    """A validation error carrying ``(sub-path, message)`` pairs relative to the validator's loc."""
    summary = "; ".join(
        f"{dotted(path)}: {message}" if path else message for path, message in problems
    )
    # Braces would be read as pydantic message placeholders; the loader uses the ctx anyway.
    summary = summary.replace("{", "(").replace("}", ")")
    return PydanticCustomError(PROBLEM, summary, {"problems": list(problems)})


def dotted(path: Path) -> str:
    """``("nodegroups", 1, "max")`` -> ``nodegroups[1].max``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe(value: object) -> str:
    """A short, YAML-flavoured description of a value for error messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return f"a date/time ({isoformat()})"
    return f"a value of type {type(value).__name__}"


def suggestions(value: str, choices: Iterable[str]) -> list[str]:
    """The choices closest to ``value`` (ignoring case, ``_`` for ``-``); ties all listed."""
    lowered = {choice.lower(): choice for choice in choices}
    wanted = value.lower()
    if wanted.replace("_", "-") in lowered:
        return [lowered[wanted.replace("_", "-")]]
    scored = [(difflib.SequenceMatcher(None, wanted, option).ratio(), option) for option in lowered]
    best = max((score for score, _ in scored), default=0.0)
    if best < 0.6:
        return []
    return [lowered[option] for score, option in scored if score == best][:3]


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choices, or an empty string."""
    found = suggestions(value, choices)
    return f" (did you mean {' or '.join(repr(s) for s in found)}?)" if found else ""


def choice(choices: Sequence[str]) -> Callable[[Any], Any]:
    """A before-validator accepting exactly one of ``choices``, with a did-you-mean hint."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and value in choices:
            return value
        allowed = ", ".join(choices)
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise problem(((), f"{describe(value)} is not allowed; expected one of: {allowed}{hint}"))

    return check


def check_label(max_length: int, why: str = "") -> Callable[[str], str]:
    """An after-validator for a weft name: a DNS label of 1 to ``max_length`` characters.

    ``why`` (e.g. "the name becomes part of AWS resource names") explains the length limit.
    """
    reason = f" ({why})" if why else ""

    def check(value: str) -> str:
        if len(value) > max_length:
            raise problem(
                (
                    (),
                    f"{describe(value)} is {len(value)} characters long; at most {max_length} "
                    f"are allowed{reason}",
                )
            )
        if not NAME_RE.fullmatch(value):
            suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
            suggestion = re.sub(r"^[^a-z]+", "", suggestion)
            hint = (
                f" (did you mean {suggestion!r}?)"
                if suggestion and NAME_RE.fullmatch(suggestion) and len(suggestion) <= max_length
                else ""
            )
            shown = describe(value) if value else "an empty name"
            raise problem(
                (
                    (),
                    f"{shown} is not a valid name; a name is DNS-compatible: lowercase letters, "
                    f"digits and hyphens, starting with a letter and ending with a letter or "
                    f"digit, 1 to {max_length} characters{hint}",
                )
            )
        return value

    return check


def check_in_range(low: int, high: int, what: str) -> Callable[[int], int]:
    """An after-validator for a whole number from ``low`` to ``high``; ``what`` names the unit."""

    def check(value: int) -> int:
        if not low <= value <= high:
            raise problem(((), f"{value} is out of range; expected {what} from {low} to {high}"))
        return value

    return check


def check_unique(items: Sequence[Any], what: str, parent: str) -> list[tuple[Path, str]]:
    """Problems for text items of a list that repeat an earlier one; ``parent`` is its path.

    Items that are not text are skipped (their type is reported elsewhere).
    """
    found: list[tuple[Path, str]] = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, str):
            continue
        if item in first_seen:
            found.append(
                (
                    (index,),
                    f"{describe(item)} is listed twice (first as {parent}[{first_seen[item]}]); "
                    f"each {what} may appear once",
                )
            )
        else:
            first_seen[item] = index
    return found


def none_as_empty(empty: Callable[[], Any]) -> Callable[[Any], Any]:
    """A before-validator reading a key written with no value (null) as ``empty()``.

    So a section whose entries are all commented out (``databases:`` and nothing below) is empty.
    """

    def convert(value: Any) -> Any:
        return empty() if value is None else value

    return convert


def quote_hint(value: int | float, key: str, example: str) -> str:
    """The message for a version written as a YAML number instead of text."""
    written = repr(value)
    lost = (
        f" (YAML reads {written}0 as the number {written}, dropping trailing zeros)"
        if isinstance(value, float)
        else ""
    )
    return (
        f"{written} is a number, but a version is text{lost}; write it in quotes, "
        f'e.g. {key}: "{example}"'
    )


def ipv4_network_problem(value: str, example: str) -> tuple[str | None, str]:
    """Parse an IPv4 CIDR: ``(None, normalized)`` or ``(message, "")``.

    ``example`` completes the message: "expected an IPv4 network like 10.0.0.0/16".
    """
    if "/" not in value:
        return f"{describe(value)} has no prefix length; {example}", ""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"{describe(value)} is not a valid CIDR; {example}", ""
    if network.version != 4:
        return f"{describe(value)} is an IPv6 network; {example}", ""
    address = ipaddress.ip_address(value.split("/", 1)[0])
    if address != network.network_address:
        return (
            f"{describe(value)} has host bits set: the address must be the first one of the "
            f"network (did you mean {network}?)",
            "",
        )
    return None, str(network)


def secret_name_problem(name: object) -> str | None:
    """Why ``name`` is not a valid name in weft's secrets store, or None when it is.

    1 to 128 characters of lowercase letters, digits, ``/``, ``_``, ``.`` and ``-``, starting with
    a letter or digit, with no ``..`` between slashes. :mod:`weft.aws.secrets` uses it too.
    """
    if isinstance(name, str) and SECRET_NAME_RE.fullmatch(name) and ".." not in name.split("/"):
        return None
    return (
        f"{name!r} is not a valid secret name: expected 1 to 128 characters of lowercase "
        "letters, digits, '/', '_', '.' and '-', starting with a letter or digit"
    )
