"""A window far from a series' first occurrence costs no more than one near it: the
rule is expanded from a DTSTART moved forward by whole periods (``Series.near``; a COUNT
rule as the same rule with UNTIL at its last occurrence), and that gives exactly the
occurrences plain dateutil gives from the first one."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr
from maigie_schedule.recurrence import (
    Series,
    count_end,
    rule_parts,
    series,
    starts_at,
    utc_naive,
    zone,
)
from schedule_support import BASE, periods_stepped
from test_schedule_plugin import _premium

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]

#: (rule, first local start, zone): BYDAY, BYHOUR, BYMONTHDAY, INTERVAL > 1, UNTIL,
#: BYSETPOS, WKST, days 29-31, starts in a DST gap or fold.
RULES = [
    ("FREQ=HOURLY;INTERVAL=9", "2030-01-01T08:15", "Europe/London"),
    ("FREQ=HOURLY;INTERVAL=5;BYHOUR=1,2,3,9,13,22", "2030-03-30T22:00", "Europe/London"),
    ("FREQ=HOURLY;INTERVAL=7;BYDAY=MO,FR;BYMONTH=3,10,11", "2031-03-07T05:30", "America/New_York"),
    ("FREQ=HOURLY;BYMONTHDAY=1,-1;BYHOUR=2", "2030-03-31T02:30", "Europe/London"),
    ("FREQ=HOURLY;INTERVAL=13;UNTIL=21000101T000000Z", "2030-10-27T01:30", "Europe/London"),
    ("FREQ=DAILY;INTERVAL=3;BYHOUR=1,2,9;BYMINUTE=30", "2030-03-08T01:30", "America/New_York"),
    ("FREQ=DAILY;INTERVAL=10;BYDAY=MO,TU,WE", "2030-04-01T02:30", "Australia/Sydney"),
    ("FREQ=DAILY;INTERVAL=2;BYMONTHDAY=29,30,31", "2030-01-29T23:00", "Asia/Kolkata"),
    ("FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,TU,SA;WKST=SU", "2030-01-01T09:00", "Europe/London"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=TU;BYSETPOS=-1", "2030-01-06T18:00", "UTC"),
    ("FREQ=WEEKLY;INTERVAL=5;BYHOUR=1,2,3", "2030-10-27T01:00", "Europe/London"),
    ("FREQ=WEEKLY;INTERVAL=4;BYMONTH=2,3;UNTIL=24000101T000000Z", "2032-02-29T07:00", "UTC"),
    ("FREQ=MONTHLY;INTERVAL=5", "2030-01-31T10:00", "Europe/London"),
    ("FREQ=MONTHLY;INTERVAL=7;BYDAY=2MO,-1FR", "2030-03-11T02:30", "America/New_York"),
    ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1;BYSETPOS=1", "2030-01-31T12:00", "UTC"),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2;BYHOUR=8,17", "2030-01-30T08:00", "UTC"),
    ("FREQ=YEARLY", "2032-02-29T09:00", "Europe/London"),
    ("FREQ=YEARLY;INTERVAL=100", "2000-02-29T09:00", "UTC"),
    ("FREQ=YEARLY;INTERVAL=3;BYWEEKNO=1,53;BYDAY=MO;WKST=SU", "2030-12-30T10:00", "UTC"),
    (
        "FREQ=YEARLY;INTERVAL=2;BYMONTH=3,10;BYDAY=-1SU;BYHOUR=1,2",
        "2030-03-31T01:00",
        "Europe/London",
    ),
    ("FREQ=YEARLY;BYYEARDAY=1,-1,60;UNTIL=29991231T000000Z", "2030-01-01T00:00", "Asia/Kolkata"),
    # COUNT, expanded as UNTIL at the COUNT-th occurrence
    (
        "FREQ=HOURLY;INTERVAL=7;BYDAY=MO,FR;BYMONTH=3,10,11;COUNT=900",
        "2031-03-07T05:30",
        "America/New_York",
    ),
    (
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=1,2;COUNT=11",
        "2032-02-29T01:00",
        "Europe/London",
    ),
    ("FREQ=DAILY;INTERVAL=2;BYMONTHDAY=29,30,31;COUNT=700", "2030-01-29T23:00", "Asia/Kolkata"),
    ("FREQ=DAILY;BYYEARDAY=366;COUNT=6", "2032-12-31T09:00", "Australia/Sydney"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=TU;BYSETPOS=-1;COUNT=500", "2030-01-06T18:00", "UTC"),
    ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1;BYSETPOS=1;COUNT=300", "2030-01-31T12:00", "UTC"),
    ("FREQ=MONTHLY;BYDAY=SU;BYMONTHDAY=-1;BYMONTH=2;COUNT=40", "2032-02-29T01:00", "Europe/London"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=240", "2032-02-29T09:00", "Europe/London"),
    ("FREQ=YEARLY;INTERVAL=1000;COUNT=10", "2030-03-31T01:30", "Europe/London"),
]


def _series(text: str, first: str, tz_name: str) -> Series:
    tz = zone(tz_name)
    start = datetime.fromisoformat(first).replace(tzinfo=tz)
    return series(text, utc_naive(start), utc_naive(start + timedelta(minutes=50)), tz_name)


def _check(text: str, s: Series, lo: datetime, hi: datetime) -> int:
    """Plain dateutil from the first occurrence (the old way) against ``Series``."""
    assert s.rule is not None and s.parts is not None
    old = Series(s.rule, s.tz, s.first_local, s.wall_length, s.length)  # never moves
    before = list(old.between(lo, hi))
    assert list(s.between(lo, hi)) == before
    # And in dateutil's own (wall-clock) terms, wider than the window.
    local_lo, local_hi = lo.astimezone(s.tz), hi.astimezone(s.tz)
    plain = rrulestr(text, dtstart=s.first_local)
    want = [(x.replace(tzinfo=None), x.utcoffset()) for x in plain.between(local_lo, local_hi)]
    moved = s.near(local_lo)
    got = [(x.replace(tzinfo=None), x.utcoffset()) for x in moved.between(local_lo, local_hi)]
    assert got == want
    return len(before)


def _windows(s: Series, far: int) -> list[tuple[datetime, datetime]]:
    first = s.first_local.astimezone(UTC)
    at = [
        first - timedelta(days=3),
        first + timedelta(hours=5),
        first + timedelta(days=9, hours=7),
        first + timedelta(days=200),
        first + timedelta(days=3 * 365 + 17, hours=3),
        datetime(first.year + far // 2, 3, 29, 23, tzinfo=UTC),  # around DST changes
        datetime(first.year + far, 10, 26, 22, tzinfo=UTC),
    ]
    return [(lo, lo + length) for lo in at for length in (timedelta(days=1), timedelta(days=45))]


@pytest.mark.parametrize(("text", "first", "tz_name"), RULES)
def test_far_windows_have_the_occurrences_plain_dateutil_gives(text, first, tz_name) -> None:
    s = _series(text, first, tz_name)
    far = 40 if rule_parts(text).freq == "HOURLY" else 400  # the old way is slow
    found = sum(_check(text, s, lo, hi) for lo, hi in _windows(s, far))
    assert found > 0


def test_random_rules_far_from_their_start_agree_with_plain_dateutil() -> None:
    rng = random.Random(5545)
    days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    checked = with_count = 0
    while checked < 60:
        freq = rng.choice(["HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"])
        parts = [f"FREQ={freq}", f"INTERVAL={rng.randint(1, 14)}"]
        if rng.random() < 0.4:
            chosen = rng.sample(days, rng.randint(1, 3))
            if freq in ("MONTHLY", "YEARLY") and rng.random() < 0.5:
                chosen = [f"{rng.choice([1, 2, -1])}{d}" for d in chosen]
            parts.append("BYDAY=" + ",".join(chosen))
        if rng.random() < 0.3:
            parts.append("BYHOUR=" + ",".join(map(str, rng.sample(range(24), 2))))
        if rng.random() < 0.3:
            parts.append("BYMONTHDAY=" + ",".join(map(str, rng.sample([1, 15, 29, 30, 31, -1], 2))))
        if rng.random() < 0.2:
            parts.append("BYMONTH=" + ",".join(map(str, rng.sample(range(1, 13), 3))))
        if rng.random() < 0.2:
            parts.append(f"BYSETPOS={rng.choice([1, 2, -1])}")
        if rng.random() < 0.3:
            parts.append(f"WKST={rng.choice(days)}")
        if rng.random() < 0.3:
            parts.append(f"UNTIL={rng.randint(2031, 2300)}0{rng.randint(1, 9)}15T000000Z")
        elif rng.random() < 0.4:
            parts.append(f"COUNT={rng.randint(1, 1000)}")
        month = rng.randint(1, 12)
        day = rng.choice([rng.randint(1, 28), 29, 30, 31]) if month in (1, 3, 8) else 28
        first = datetime(rng.randint(2025, 2040), month, day, rng.randint(0, 23), 30)
        text, tz_name = ";".join(parts), rng.choice(ZONES)
        tz = zone(tz_name)
        first_local = first.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)  # as stored
        try:
            if not starts_at(rrulestr(text, dtstart=first_local), rule_parts(text), first_local):
                continue  # refused when written (start_at must be the first occurrence)
            s = _series(text, first.isoformat(), tz_name)
        except ValueError:
            continue  # an invalid combination
        if "COUNT" in text and not _count_found(text, s):
            continue  # refused when written (the last occurrence is too far)
        far = 8 if freq == "HOURLY" else 60
        for lo, hi in _windows(s, far)[::3]:
            _check(text, s, lo, hi)
        checked += 1
        with_count += "COUNT" in text
    assert with_count >= 10


def _count_found(text: str, s: Series) -> bool:
    return count_end(text, s.first_local.replace(tzinfo=None), s.tz).complete


def test_a_count_rule_moves_as_the_same_rule_until_its_last_occurrence() -> None:
    text = "FREQ=DAILY;INTERVAL=2;COUNT=1000"
    s = _series(text, "2030-01-01T09:00", "Europe/London")
    assert s.rule is not None and s.last_local == datetime(2035, 6, 22, 9, tzinfo=s.tz)
    lo = datetime(2034, 6, 1, tzinfo=UTC)
    moved = s.near(lo.astimezone(s.tz))
    assert timedelta(0) < lo - moved.after(s.first_local, inc=True) < timedelta(days=5)
    assert _check(text, s, lo, lo + timedelta(days=45)) == 23
    assert list(s.between(datetime(2035, 6, 22, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC)))
    assert (
        list(s.between(datetime(2035, 6, 23, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC))) == []
    )


#: (rule, first start, a window at the series' far end, the periods dateutil stepped
#: through for it before COUNT rules moved, at most how many it may step through now:
#: a few around the window and those up to the rule's next occurrence after it, where
#: dateutil stops, at most 8 years later for a leap day).
FAR_ENDS = [
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=240", "2032-02-29T09:00", "2988-02-28", 961, 15),
    ("FREQ=YEARLY;COUNT=1000", "2030-01-01T09:00", "3028-12-31", 1001, 10),
    ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=29;COUNT=80", "2032-02-29T09:00", "2344-02-28", 3793, 110),
    ("FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=29;COUNT=20", "2032-02-29T09:00", "2108-02-28", 4176, 430),
    ("FREQ=DAILY;INTERVAL=2;COUNT=1000", "2030-01-01T09:00", "2035-06-21", 1001, 10),
    (
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;COUNT=6",
        "2032-02-29T09:00",
        "2052-02-28",
        8767,
        3000,
    ),
]


@pytest.mark.parametrize(("text", "first", "window", "before", "bound"), FAR_ENDS)
def test_a_window_of_a_count_rule_steps_through_a_few_periods_however_far(
    text: str, first: str, window: str, before: int, bound: int
) -> None:
    s = _series(text, first, "Europe/London")
    lo = datetime.fromisoformat(window).replace(tzinfo=UTC)
    with periods_stepped() as stepped:
        found = list(s.between(lo, lo + timedelta(days=3)))
    assert len(found) == 1  # the last occurrence
    assert stepped[0] <= bound < before
    assert _check(text, s, lo, lo + timedelta(days=3)) == 1


# -- the requests ------------------------------------------------------------------------

LIMIT = 0.5  # seconds, on a slow machine; before the fix these took 0.45 s to > 10 s


async def _timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    result = await call
    return time.perf_counter() - began, result


async def test_far_windows_answer_quickly(api, catalogue) -> None:
    headers = await api.user_in("far@example.com", "Europe/London")
    await _premium(api, headers)
    for offset, rule in enumerate(
        ["FREQ=HOURLY;INTERVAL=9", "FREQ=HOURLY;INTERVAL=7;BYHOUR=1,8,15,22", "FREQ=DAILY"]
    ):
        await api.block(
            headers,
            start_at=f"2030-01-01T0{offset}:00:00Z",
            end_at=f"2030-01-01T0{offset}:30:00Z",
            rrule=rule,
            allow_overlap=True,
        )
    timings = {}
    for day in ["2100-01-01", "2500-01-01", "8999-12-30"]:
        took, page = await _timed(api.window(headers, f"date={day}"))
        timings[day] = took
        assert page["items"], day  # the series still occur there
    me = await api.me(headers)
    goal = catalogue.add("goal", me["id"], title="Far", tasks=[{"id": "1", "title": "t"}])
    took, plan = await _timed(
        api.call(
            "post",
            f"{BASE}/plan-week",
            headers,
            200,
            json={"goal_id": goal, "week_start": "6240-09-10"},
        )
    )
    timings["plan-week 6240-09-10"] = took
    print("far-window timings (s):", {k: round(v, 3) for k, v in timings.items()})
    assert plan is not None
    assert max(timings.values()) < LIMIT, timings
