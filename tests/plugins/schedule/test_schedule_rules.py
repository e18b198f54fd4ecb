"""The RRULE checks and a series' stored end, read from the rule text (RFC 5545 syntax),
not from dateutil's private attributes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from maigie_schedule.recurrence import (
    RuleError,
    RuleParts,
    last_end,
    normalise,
    parse,
    rule_parts,
    series,
    utc_naive,
    zone,
)

LONDON = "Europe/London"
FIRST = datetime(2027, 1, 4, 9, 0, tzinfo=zone(LONDON))  # a Monday, GMT


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("FREQ=WEEKLY", RuleParts("WEEKLY", 1, None, None)),
        ("freq=weekly;interval=2;count=3", RuleParts("WEEKLY", 2, 3, None)),
        ("RRULE:FREQ=DAILY;COUNT=5", RuleParts("DAILY", 1, 5, None)),
        ("rrule:Freq=Daily;Count=5", RuleParts("DAILY", 1, 5, None)),
        ("FREQ=DAILY;COUNT=3;COUNT=5", RuleParts("DAILY", 1, 5, None)),  # the last, as dateutil
        ("FREQ=WEEKLY;BYDAY=MO,WE;WKST=SU", RuleParts("WEEKLY", 1, None, None)),
    ],
)
def test_rule_parts_reads_keys_in_any_case_with_or_without_the_rrule_prefix(
    text: str, parts: RuleParts
) -> None:
    assert rule_parts(text) == parts


def test_until_with_z_is_an_instant_in_utc_and_a_date_is_a_naive_midnight() -> None:
    assert rule_parts("FREQ=WEEKLY;UNTIL=20270301T103000Z").until == datetime(
        2027, 3, 1, 10, 30, tzinfo=UTC
    )
    assert rule_parts("FREQ=WEEKLY;until=20270301t103000z").until == datetime(
        2027, 3, 1, 10, 30, tzinfo=UTC
    )
    assert rule_parts("FREQ=WEEKLY;UNTIL=20270301").until == datetime(2027, 3, 1)


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=WEEKLY;UNTIL=20270301T000000Z",
        "freq=weekly;until=20270301t000000z",
        "RRULE:FREQ=WEEKLY;UNTIL=20270301T000000Z",
        "rrule:freq=weekly;count=3",
        "FREQ=HOURLY;INTERVAL=9",  # 974 a year: under the limit
    ],
)
def test_rules_in_any_case_and_with_the_prefix_are_accepted(text: str) -> None:
    rule = parse(normalise(text), FIRST)
    assert rule.after(FIRST) is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270301T000000Z", "both COUNT and UNTIL"),
        ("freq=weekly;until=20270301t000000z;count=2", "both COUNT and UNTIL"),
        ("FREQ=MINUTELY", "FREQ must be HOURLY or slower"),
        ("FREQ=SECONDLY;INTERVAL=3600", "FREQ must be HOURLY or slower"),
        ("rrule:freq=minutely", "FREQ must be HOURLY or slower"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be at least 1"),
        ("freq=daily;interval=-2", "INTERVAL must be at least 1"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be from 1 to 1000"),
        ("FREQ=DAILY;COUNT=1001", "COUNT must be from 1 to 1000"),
        ("FREQ=WEEKLY;UNTIL=20270301", "UNTIL values must be specified in UTC"),  # a date
        ("FREQ=WEEKLY;UNTIL=20270301T000000", "UNTIL values must be specified in UTC"),
        ("FREQ=SOMETIMES", "invalid rrule"),
    ],
)
def test_rules_a_block_cannot_have_are_refused(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse(normalise(text), FIRST)


def _last_end(text: str | None) -> datetime | None:
    start = utc_naive(FIRST)
    rule = normalise(text) if text is not None else None
    if rule is not None:
        parse(rule, FIRST)
    return last_end(series(rule, start, start + timedelta(minutes=45), LONDON))


def test_the_stored_end_of_a_series() -> None:
    assert _last_end(None) == datetime(2027, 1, 4, 9, 45)  # one occurrence
    assert _last_end("FREQ=WEEKLY") is None  # open-ended
    # COUNT: the end of the third occurrence, found by expanding the rule
    assert _last_end("freq=weekly;count=3") == datetime(2027, 1, 18, 9, 45)
    # UNTIL bounds the starts: + the wall length + 1 h for a DST change
    assert _last_end("RRULE:FREQ=WEEKLY;UNTIL=20270301T000000Z") == datetime(2027, 3, 1, 1, 45)
