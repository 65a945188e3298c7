"""Cron schedules of cron jobs: the five-field syntax Kubernetes accepts, checked field by field.

::

    ┌ minute (0-59)
    │ ┌ hour (0-23)
    │ │ ┌ day of month (1-31)
    │ │ │ ┌ month (1-12 or JAN-DEC)
    │ │ │ │ ┌ day of week (0-6 or SUN-SAT; Sunday is 0)
    * * * * *

Each field is a comma-separated list of ``*`` (or ``?``), a value, or a range ``a-b``, each
optionally stepped (``*/15``, ``1-30/2``; ``5/15`` means ``5-max/15``). Names are
case-insensitive. The macros ``@yearly`` (``@annually``), ``@monthly``, ``@weekly``, ``@daily``
(``@midnight``) and ``@hourly`` stand for a whole schedule.

This is the grammar of the cron library the Kubernetes CronJob controller uses (robfig/cron's
standard parser), so what passes here is what the API server accepts, with three differences
meant to catch mistakes early: an empty list element (``1,,2``) is refused, ``@every`` is not
offered, and a schedule that can never fire (``0 0 30 2 *``) is refused. As in Kubernetes, day
of week 7 is not Sunday, and a time zone cannot be written into the schedule.

When day of month and day of week are both restricted, a day matching either one fires (cron's
classic rule); when one of them is ``*``, only the other one counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from weft.fabricfile.checks import describe, did_you_mean, problem, suggestions

__all__ = ["MACROS", "CronSchedule", "check_schedule", "parse_schedule", "schedule_problem"]

#: The macros and the schedule each stands for.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
#: The most days each month can have (February: in leap years).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EXAMPLE = "like '30 2 * * *' (02:30 every day) or '*/15 * * * MON-FRI'"


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day-of-month", 1, 31, {}),
    _Field("month", 1, 12, {name: index + 1 for index, name in enumerate(_MONTHS)}),
    _Field("day-of-week", 0, 6, {name: index for index, name in enumerate(_DAYS)}),
)


@dataclass(frozen=True)
class CronSchedule:
    """The times a schedule fires: the values of each field, and which day fields are ``*``."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool


class _Fault(ValueError):
    """A schedule does not parse; the message says which field and why."""


def parse_schedule(text: str) -> CronSchedule:
    """Parse a cron schedule; raises ValueError with a message naming the wrong field."""
    if not text.strip():
        raise _Fault(f"an empty schedule is not allowed; expected five fields {_EXAMPLE}")
    if re.match(r"\s*(CRON_)?TZ=", text):
        raise _Fault(
            f"{describe(text)} sets a time zone, which Kubernetes does not accept in the "
            "schedule; write the schedule alone (it runs in the cluster's time zone, UTC on EKS)"
        )
    if text.startswith("@"):
        expanded = MACROS.get(text)
        if expanded is None and text.startswith("@every"):
            raise _Fault(
                f"{describe(text)} is not supported; write the interval as five fields, like "
                "'*/10 * * * *' for every 10 minutes"
            )
        if expanded is None:
            hint = did_you_mean(text.strip(), MACROS)
            raise _Fault(
                f"{describe(text)} is not a schedule macro; expected one of: "
                f"{', '.join(MACROS)}{hint}"
            )
        text = expanded
    fields = text.split()
    if len(fields) != len(_FIELDS):
        extra = " (a seconds field is not supported)" if len(fields) == 6 else ""
        raise _Fault(
            f"{describe(text)} has {len(fields)} field{'s' if len(fields) != 1 else ''}; "
            f"expected 5: minute, hour, day-of-month, month and day-of-week, {_EXAMPLE}{extra}"
        )
    values: list[frozenset[int]] = []
    stars: list[bool] = []
    for field, written in zip(_FIELDS, fields, strict=True):
        try:
            found, star = _parse_field(field, written)
        except _Fault as fault:
            raise _Fault(f"{describe(text)}: {fault}") from None
        values.append(found)
        stars.append(star)
    minutes, hours, days, months, weekdays = values
    schedule = CronSchedule(
        minutes, hours, days, months, weekdays, any_day=stars[2], any_weekday=stars[4]
    )
    _check_fires(schedule, text)
    return schedule


def _parse_field(field: _Field, written: str) -> tuple[frozenset[int], bool]:
    found: set[int] = set()
    star = False
    for element in written.split(","):
        if not element:
            raise _Fault(
                f"the {field.name} field {written!r} has an empty list element; separate values "
                "with single commas, like 1,15,30"
            )
        values, element_star = _parse_element(field, element)
        found |= values
        star = star or element_star
    return frozenset(found), star


def _parse_element(field: _Field, element: str) -> tuple[set[int], bool]:
    where = f"the {field.name} field {element!r}"
    span, slash, step_text = element.partition("/")
    star = span in ("*", "?")
    if star:
        low, high = field.low, field.high
    else:
        bounds = span.split("-")
        if len(bounds) > 2:
            raise _Fault(f"{where} is not a range; expected one like 1-5")
        low = _value(field, bounds[0], where)
        high = _value(field, bounds[1], where) if len(bounds) == 2 else low
        if len(bounds) == 1 and slash:
            high = field.high  # "5/15" means "5-max/15"
        if low > high:
            raise _Fault(
                f"{where} starts after it ends ({low} > {high}); write the smaller value first"
            )
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise _Fault(f"{where} has step {step_text!r}; expected a whole number of 1 or more")
        step = int(step_text)
    return set(range(low, high + 1, step)), star and step == 1


def _value(field: _Field, text: str, where: str) -> int:
    if text.isascii() and text.isdigit():
        number = int(text)
        if not field.low <= number <= field.high:
            extra = (
                "; Sunday is 0 (Kubernetes does not accept 7)"
                if field.name == "day-of-week" and number == 7
                else ""
            )
            raise _Fault(f"{where} is out of range: expected {field.low} to {field.high}{extra}")
        return number
    if field.names and text.lower() in field.names:
        return field.names[text.lower()]
    if not text:
        raise _Fault(f"{where} has an empty value; expected a number or a range like 1-5")
    if field.names:
        shown = ", ".join(name.upper() for name in field.names)
        close = [name.upper() for name in suggestions(text.lower(), field.names)]
        hint = f" (did you mean {' or '.join(repr(name) for name in close)}?)" if close else ""
        raise _Fault(
            f"{where} is not a {field.name}: expected {field.low} to {field.high} or one of "
            f"{shown}{hint}"
        )
    raise _Fault(f"{where} is not a number; expected {field.low} to {field.high}")


def _check_fires(schedule: CronSchedule, text: str) -> None:
    """Refuse a schedule whose day of month exists in none of its months."""
    if schedule.any_day or not schedule.any_weekday:
        return
    longest = max(_MONTH_DAYS[month - 1] for month in schedule.months)
    if min(schedule.days) > longest:
        months = ", ".join(_MONTHS[month - 1].upper() for month in sorted(schedule.months))
        raise _Fault(
            f"{describe(text)} never fires: day {min(schedule.days)} does not exist in {months} "
            f"(the longest of those months has {longest} days)"
        )


def schedule_problem(text: str) -> str | None:
    """Why ``text`` is not a cron schedule Kubernetes accepts, or None."""
    try:
        parse_schedule(text)
    except _Fault as fault:
        return str(fault)
    return None


def check_schedule(value: str) -> str:
    """An after-validator for ``schedule``."""
    message = schedule_problem(value)
    if message is not None:
        raise problem(((), message))
    return value
