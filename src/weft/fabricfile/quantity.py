"""Kubernetes quantities: the cpu and memory amounts of an app's or cron job's resources.

A quantity is a decimal number with an optional suffix (``500m``, ``2``, ``1Gi``, ``512M``,
``1e3``): :func:`parse_quantity` gives its value. :func:`check_cpu` and :func:`check_memory` read
``resources.cpu`` / ``memory`` and their limits, and refuse what is valid Kubernetes but surely a
mistake, with the value that was probably meant: a cpu amount in a unit of bytes, more than
:data:`MAX_PLAIN_CPU` cores without a unit, memory written ``512MB`` or as a fraction of a byte,
and less memory than a container can start with (:data:`MIN_MEMORY_BYTES`).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from weft.fabricfile.checks import describe, problem

__all__ = ["MAX_PLAIN_CPU", "MIN_MEMORY_BYTES", "check_cpu", "check_memory", "parse_quantity"]

#: Less memory than this cannot start a container; smaller values are mistaken units.
MIN_MEMORY_BYTES = 4 * 2**20
#: More cores than this without a unit is read as a forgotten ``m``.
MAX_PLAIN_CPU = 100

_MIN_MEMORY = f"{MIN_MEMORY_BYTES // 2**20}Mi"

_QUANTITY_RE = re.compile(
    r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|m|k|M|G|T|P|E)?"
)
_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def parse_quantity(text: str) -> Decimal:
    """The value of a Kubernetes quantity (``500m`` -> 0.5, ``1Gi`` -> 1073741824).

    Raises ValueError for text that is not a quantity.
    """
    match = _QUANTITY_RE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    sign, number, suffix = match.group(1), match.group(2), match.group(3) or ""
    try:
        if suffix[:1] in ("e", "E") and len(suffix) > 1:
            exponent = int(suffix[1:])
            if abs(exponent) > 100:
                raise ValueError(f"{text!r} is out of range")
            value = Decimal(number) * Decimal(10) ** exponent
        else:
            value = Decimal(number) * _SUFFIXES[suffix]
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from None
    return -value if sign == "-" else value


def _quantity_text(value: Any, what: str, example: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise problem(((), f"expected {what} like {example}, got {describe(value)}"))
    return value if isinstance(value, str) else repr(value)


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def check_cpu(value: Any) -> str:
    """A plain validator for a cpu amount: cores (``2``, ``0.5``) or millicores (``'500m'``)."""
    text = _quantity_text(value, "a cpu amount", "'500m' (millicores) or 2 (cores)")
    try:
        amount = parse_quantity(text)
    except ValueError:
        guess = re.sub(r"(?i)^([0-9.]+)\s*(m|mi|millicores?)$", r"\1m", text.strip())
        known = guess != text and _QUANTITY_RE.fullmatch(guess)
        hint = f" (did you mean {guess!r}?)" if known else ""
        raise problem(
            (
                (),
                f"{describe(text)} is not a cpu amount; expected cores like 2 or 0.5, or "
                f"millicores like '500m'{hint}",
            )
        ) from None
    if amount < 0:
        raise problem(((), f"{describe(text)} is negative; a cpu amount is 0 or more"))
    number = _QUANTITY_RE.fullmatch(text)
    assert number is not None
    suffix = number.group(3) or ""
    if suffix.endswith("i") or suffix in ("k", "M", "G", "T", "P", "E"):
        raise problem(
            (
                (),
                f"{describe(text)} is not a cpu amount: {suffix} is a unit of bytes; cpu is "
                f"counted in cores (2, 0.5) or millicores (did you mean '{number.group(2)}m'?)",
            )
        )
    if not suffix and amount > MAX_PLAIN_CPU:
        raise problem(
            (
                (),
                f"{describe(text)} would be {_plain_number(amount)} cores; if millicores are "
                f"meant, write the unit (did you mean '{number.group(2)}m'?)",
            )
        )
    return text


def _memory_guess(text: str) -> str | None:
    """``512MB`` -> ``'512M' or '512Mi'``: the quantities a byte-count written like that means."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([kmgtpe])(i?)b?", text.strip(), re.IGNORECASE)
    if not match:
        return None
    number, unit, binary = match.group(1), match.group(2).upper(), match.group(3)
    if binary:
        return f"{number}{unit}i"
    return f"{number}{'k' if unit == 'K' else unit}' or '{number}{unit}i"


def check_memory(value: Any) -> str:
    """A plain validator for a memory amount: a number of bytes with a unit (``'512Mi'``)."""
    if isinstance(value, float):
        raise problem(
            (
                (),
                f"{value!r} is a fraction of a byte count; write memory with a unit, like '512Mi' "
                "or '1Gi'",
            )
        )
    text = _quantity_text(value, "a memory amount", "'512Mi' or '1Gi'")
    try:
        amount = parse_quantity(text)
    except ValueError:
        guess = _memory_guess(text)
        hint = f" (did you mean '{guess}'?)" if guess else ""
        raise problem(
            (
                (),
                f"{describe(text)} is not a memory amount; expected a number with a unit: Ki, "
                f"Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), like '512Mi'{hint}",
            )
        ) from None
    if amount < 0:
        raise problem(((), f"{describe(text)} is negative; a memory amount is 0 or more"))
    if 0 < amount < MIN_MEMORY_BYTES:
        match = _QUANTITY_RE.fullmatch(text)
        assert match is not None
        unit = match.group(3) or ""
        meaning = (
            f"{_plain_number(amount)} bytes (m means thousandths)"
            if unit == "m"
            else f"{_plain_number(amount)} bytes"
        )
        hint = f" (did you mean '{match.group(2)}Mi'?)" if unit in ("", "m") else ""
        raise problem(
            (
                (),
                f"{describe(text)} is {meaning}; a container needs at least {_MIN_MEMORY}{hint}",
            )
        )
    return text
