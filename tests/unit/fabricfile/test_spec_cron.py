"""Cron schedules: what each field allows, macros, and messages that name the wrong field."""

from __future__ import annotations

import pytest

from weft.fabricfile.cron import MACROS, CronSchedule, parse_schedule, schedule_problem

ALL_MINUTES = frozenset(range(60))
ALL_HOURS = frozenset(range(24))
ALL_DAYS = frozenset(range(1, 32))
ALL_MONTHS = frozenset(range(1, 13))
ALL_WEEKDAYS = frozenset(range(7))


def test_every_minute() -> None:
    assert parse_schedule("* * * * *") == CronSchedule(
        ALL_MINUTES, ALL_HOURS, ALL_DAYS, ALL_MONTHS, ALL_WEEKDAYS, any_day=True, any_weekday=True
    )


@pytest.mark.parametrize(
    ("text", "field", "values"),
    [
        ("*/15 * * * *", "minutes", {0, 15, 30, 45}),
        ("5/15 * * * *", "minutes", {5, 20, 35, 50}),
        ("1-10/3 * * * *", "minutes", {1, 4, 7, 10}),
        ("0,30,59 * * * *", "minutes", {0, 30, 59}),
        ("0 9-17 * * *", "hours", {9, 10, 11, 12, 13, 14, 15, 16, 17}),
        ("0 0,12 * * *", "hours", {0, 12}),
        ("0 0 1,15 * *", "days", {1, 15}),
        ("0 0 L * *".replace("L", "31"), "days", {31}),
        ("0 0 1 JAN,jul *", "months", {1, 7}),
        ("0 0 1 mar-May *", "months", {3, 4, 5}),
        ("0 0 1 */3 *", "months", {1, 4, 7, 10}),
        ("0 0 * * MON-FRI", "weekdays", {1, 2, 3, 4, 5}),
        ("0 0 * * sun,SAT", "weekdays", {0, 6}),
        ("0 0 * * 0-6/2", "weekdays", {0, 2, 4, 6}),
        ("0 0 ? * 1", "weekdays", {1}),
    ],
)
def test_field_values(text: str, field: str, values: set[int]) -> None:
    assert getattr(parse_schedule(text), field) == frozenset(values)


def test_star_with_a_step_restricts_the_day() -> None:
    # As in the cron library Kubernetes uses: "*/2" is not "*" for the day-of-month/week rule.
    schedule = parse_schedule("0 0 */2 * *")
    assert not schedule.any_day and schedule.any_weekday
    assert parse_schedule("0 0 */1 * *").any_day


@pytest.mark.parametrize("macro", list(MACROS))
def test_macros(macro: str) -> None:
    assert parse_schedule(macro) == parse_schedule(MACROS[macro])


def test_macro_meanings() -> None:
    assert parse_schedule("@hourly").minutes == {0}
    assert parse_schedule("@hourly").hours == ALL_HOURS
    weekly = parse_schedule("@weekly")
    assert (weekly.weekdays, weekly.any_weekday) == ({0}, False)
    assert parse_schedule("@yearly").months == {1}


@pytest.mark.parametrize(
    "text",
    [
        "0 0 29 2 *",  # leap years only, but it fires
        "0 0 30 2 MON",  # day of week restricted too: Mondays in February fire
        "0 0 30 1,2 *",
        "59 23 31 12 *",
        "  0 3 * * *  ",
        "0\t3 * * *",
    ],
)
def test_schedules_that_fire(text: str) -> None:
    assert schedule_problem(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "an empty schedule is not allowed"),
        ("0 3 * *", "'0 3 * *' has 4 fields; expected 5"),
        ("0 0 3 * * *", "has 6 fields; expected 5: minute, hour, day-of-month, month and"),
        ("0 0 3 * * *", "(a seconds field is not supported)"),
        ("60 * * * *", "the minute field '60' is out of range: expected 0 to 59"),
        ("0 24 * * *", "'0 24 * * *': the hour field '24' is out of range: expected 0 to 23"),
        ("0 0 0 * *", "the day-of-month field '0' is out of range: expected 1 to 31"),
        ("0 0 32 * *", "the day-of-month field '32' is out of range"),
        ("0 0 * 13 *", "the month field '13' is out of range: expected 1 to 12"),
        ("0 0 * * 7", "Sunday is 0 (Kubernetes does not accept 7)"),
        ("0 0 * JANUARY *", "the month field 'JANUARY' is not a month"),
        ("0 0 * JANUARY *", "(did you mean 'JAN'?)"),
        ("0 0 * * MNO", "(did you mean 'MON'?)"),
        ("0 0 * * MON-FRY", "the day-of-week field 'MON-FRY' is not a day-of-week"),
        ("0 MON * * *", "the hour field 'MON' is not a number; expected 0 to 23"),
        ("*/0 * * * *", "the minute field '*/0' has step '0'; expected a whole number of 1"),
        ("*/x * * * *", "has step 'x'"),
        ("5-1 * * * *", "the minute field '5-1' starts after it ends (5 > 1)"),
        ("1-2-3 * * * *", "the minute field '1-2-3' is not a range"),
        ("1,,2 * * * *", "the minute field '1,,2' has an empty list element"),
        ("-5 * * * *", "the minute field '-5' has an empty value"),
        ("٣ * * * *", "the minute field '٣' is not a number"),
        ("@Daily", "'@Daily' is not a schedule macro; expected one of: @yearly"),
        ("@Daily", "(did you mean '@daily'?)"),
        ("@every 5m", "'@every 5m' is not supported"),
        ("TZ=Europe/Paris 0 3 * * *", "sets a time zone"),
        ("CRON_TZ=UTC 0 3 * * *", "sets a time zone"),
        ("0 0 30 2 *", "'0 0 30 2 *' never fires: day 30 does not exist in FEB"),
        ("0 0 31 APR,JUN,SEP,NOV *", "day 31 does not exist in APR, JUN, SEP, NOV"),
    ],
)
def test_errors_name_the_field(text: str, message: str) -> None:
    problem = schedule_problem(text)
    assert problem is not None and message in problem, problem
