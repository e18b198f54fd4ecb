"""The RRULE checks and a series' stored end, read from the rule text (RFC 5545 syntax),
not from dateutil's private attributes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from maigie_schedule.recurrence import (
    RuleError,
    RuleParts,
    count_end,
    last_end,
    normalise,
    parse,
    rule_parts,
    series,
    utc_naive,
    zone,
)
from schedule_support import periods_stepped

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
    # A COUNT series ending more than ten years on (once stored as open-ended)
    assert _last_end("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=4;COUNT=100") == datetime(2126, 1, 4, 9, 45)


def _parse_at(text: str, first: str, tz_name: str = LONDON) -> None:
    parse(normalise(text), datetime.fromisoformat(first).replace(tzinfo=zone(tz_name)))


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("FREQ=WEEKLY;COUNT=10", "2027-01-04T09:00"),
        ("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=12", "2027-01-31T09:00"),
        ("FREQ=YEARLY;COUNT=5", "2028-02-29T09:00"),  # leap days only: 2028 to 2044
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=5", "2096-02-29T09:00"),  # over 2100
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;COUNT=6", "2028-02-29T09:00"),
        ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;COUNT=6", "2028-02-29T09:00"),
        ("FREQ=YEARLY;COUNT=1000", "2027-01-04T09:00"),
        ("FREQ=YEARLY;INTERVAL=1000;COUNT=10", "2027-01-04T09:00"),  # 7 before the year 9999
        ("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=1000", "2027-01-31T09:00"),
        ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=1000", "2027-01-29T09:00"),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=1000", "2027-01-29T09:00"),
        ("FREQ=MONTHLY;BYDAY=5FR,-5FR;BYSETPOS=1,2,3,-1", "2027-01-29T09:00"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;COUNT=1000", "2027-01-04T09:00"),
        ("FREQ=DAILY;COUNT=1000", "2027-01-04T09:00"),
        ("FREQ=HOURLY;INTERVAL=9;COUNT=1000", "2027-01-04T09:00"),
        ("FREQ=HOURLY;BYMINUTE=0,30;COUNT=8", "2027-01-04T09:00"),
        ("FREQ=YEARLY;BYDAY=53MO,-53MO", "2024-12-30T09:00"),
        # a weekday on a day of the year: every day's candidates, or with no weekday
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", "2044-02-29T09:00"),
        ("FREQ=DAILY;BYMONTHDAY=13;BYDAY=FR", "2026-02-13T09:00"),
        ("FREQ=DAILY;INTERVAL=10;BYMONTH=2;BYMONTHDAY=29", "2028-02-29T09:00"),
        ("FREQ=DAILY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR;BYMONTH=6,7,8", "2027-06-01T09:00"),
    ],
)
def test_common_and_long_rules_are_accepted(text: str, first: str) -> None:
    _parse_at(text, first)


@pytest.mark.parametrize(
    ("text", "first", "message"),
    [
        # the COUNT-th occurrence too far ahead (of the first: 4124 years, 2035, ...)
        ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;COUNT=1000", "2032-02-29T00:00", "27 years"),
        (
            "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYHOUR=0;COUNT=2",
            "2044-02-29T00:00",
            "27 y",
        ),
        ("FREQ=DAILY;BYYEARDAY=366;COUNT=1000", "2032-12-31T09:00", "27 years"),
        ("FREQ=DAILY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29;COUNT=10", "2032-02-29T09:00", "54 years"),
        ("FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=29;COUNT=1000", "2032-02-29T09:00", "95 years"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=29;COUNT=1000", "2032-02-29T09:00", "333 years"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=1000", "2032-02-29T09:00", "1000 years"),
        # each BYSETPOS value and HOURLY time is redone in every period passed
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,2,3,4,5", "2027-01-04T09:00", "at most 4 values"),
        ("FREQ=HOURLY;BYMINUTE=0,10,20,30,40", "2027-01-04T09:00", "at most 4 times"),
        ("FREQ=HOURLY;BYMINUTE=0,30;BYSECOND=0,30,45", "2027-01-04T09:00", "at most 4 times"),
        # a weekday on a day of the year, every INTERVAL-th day: centuries apart
        ("FREQ=DAILY;INTERVAL=10;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", "2044-02-29T09:00", "BYDAY"),
        ("FREQ=DAILY;INTERVAL=10;BYYEARDAY=366;BYDAY=FR", "2032-12-31T09:00", "BYYEARDAY"),
        ("FREQ=DAILY;INTERVAL=3;BYWEEKNO=53;BYDAY=TH", "2026-12-31T09:00", "INTERVAL > 1"),
        ("FREQ=HOURLY;INTERVAL=5;BYMONTHDAY=13;BYDAY=FR", "2026-02-13T09:00", "INTERVAL > 1"),
        # dateutil's own, which no calendar app reads
        ("FREQ=YEARLY;BYEASTER=0", "2027-03-28T09:00", "BYEASTER is not part of RFC 5545"),
        # positions past dateutil's tables (an IndexError in some later month or year)
        ("FREQ=MONTHLY;BYDAY=1MO,8MO", "2029-01-01T09:00", "8MO is out of range (-5 to 5)"),
        ("FREQ=YEARLY;BYMONTH=12;BYDAY=1MO,-7MO", "2029-12-03T09:00", "out of range (-5 to 5)"),
        ("FREQ=YEARLY;BYDAY=60MO", "2030-01-07T09:00", "60MO is out of range (-53 to 53)"),
    ],
)
def test_rules_that_would_cost_every_read_dearly_are_refused(
    text: str, first: str, message: str
) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        _parse_at(text, first, "UTC")


def test_a_rule_refused_for_its_count_names_the_way_out() -> None:
    with pytest.raises(RuleError) as refused:
        _parse_at("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;COUNT=1000", "2032-02-29T00:00")
    assert str(refused.value) == (
        "rrule COUNT=1000 reaches its last occurrence too late: with this FREQ and INTERVAL "
        "it must come within 27 years of the first; use UNTIL or a smaller COUNT"
    )
    _parse_at(
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;UNTIL=61520301T000000Z", "2032-02-29T00:00"
    )


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # never
        "FREQ=HOURLY;BYSETPOS=2",  # an hour has one candidate: never
        "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30;BYDAY=MO",
        "FREQ=DAILY;BYMONTH=1;BYMONTHDAY=5",  # not on the start, the next on 5 January
        "FREQ=WEEKLY;UNTIL=20270104T085959Z",  # over before it starts
    ],
)
def test_a_start_that_is_not_an_occurrence_is_refused_from_its_first_period(text) -> None:
    # dateutil looked for the first occurrence through every period to the year 9999:
    # 2.9 million days (8 s) for the DAILY rule on 30 February, 70 million hours for
    # the HOURLY one.
    with periods_stepped() as stepped, pytest.raises(RuleError, match="first occurrence"):
        parse(normalise(text), FIRST)
    assert stepped[0] <= 3


def test_a_count_series_past_the_limit_ends_at_its_last_occurrence_within_it() -> None:
    """Stored before the limit (as open-ended), it is expanded up to the limit only."""
    text = "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;COUNT=1000"
    first = datetime(2032, 2, 29, tzinfo=zone("UTC"))
    assert not count_end(text, first.replace(tzinfo=None), first.tzinfo).complete
    s = series(text, utc_naive(first), utc_naive(first + timedelta(minutes=30)), "UTC")
    assert s.last_local == datetime(2056, 2, 29, tzinfo=zone("UTC"))  # 27 years on: 2059
    assert last_end(s) == datetime(2056, 2, 29, 0, 30)
    with periods_stepped() as stepped:
        far = list(s.between(datetime(8999, 12, 30, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)))
    assert far == [] and stepped[0] < 2000  # 1.5 million periods before
