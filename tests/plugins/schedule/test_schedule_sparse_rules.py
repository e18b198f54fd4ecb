"""Sparse series through the API: every read costs a few of the rule's periods, however
far from the first occurrence and however rarely the rule occurs, and gives what plain
dateutil gives.

Work is counted as the periods dateutil steps through (``periods_stepped``), the same on
a loaded machine; the times asserted are generous and only catch a return to seconds.
A rule with COUNT could not be expanded from a moved start: a one-day window in 8999 of
a leap-day HOURLY rule with COUNT=1000 stepped through 1.5 million periods (8.4 s).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from auth_support import assert_error
from dateutil.rrule import rrulestr
from maigie_schedule import recurrence, views
from maigie_schedule.models import Block
from maigie_schedule.recurrence import SCAN_STEPS, rule_parts, zone
from schedule_support import BASE, ScheduleApi, periods_stepped
from test_schedule_plugin import _premium

LONDON = "Europe/London"
SLOW = 2.0  # seconds: far above what these take (milliseconds), far below the old 8 s

#: (rule, first start in London, at most how many periods a warm one-day window may step
#: through: a few around the window and those up to the rule's next occurrence after
#: it, where dateutil stops; four to eight years of days for a leap day).
SPARSE = [
    ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;COUNT=6", "2032-02-29T09:00", 3000),
    ("FREQ=DAILY;BYYEARDAY=366;COUNT=6", "2032-12-31T09:00", 3000),
    ("FREQ=WEEKLY;BYDAY=SU;BYMONTH=2;BYMONTHDAY=29;COUNT=3", "2032-02-29T09:00", 2200),
    ("FREQ=MONTHLY;BYDAY=-1SU;BYMONTH=3,10;COUNT=600", "2030-03-31T09:00", 20),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=1000", "2030-01-31T09:00", 10),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=240", "2032-02-29T09:00", 15),
    ("FREQ=YEARLY;COUNT=1000", "2027-01-04T09:00", 10),
]


def _occurrences(text: str, first: datetime, lo: datetime, hi: datetime) -> list[datetime]:
    """Starts (UTC) of the 50-minute occurrences overlapping [lo, hi), by plain dateutil
    from the first one."""
    plain = rrulestr(text, dtstart=first)
    local_lo, local_hi = lo.astimezone(first.tzinfo), hi.astimezone(first.tzinfo)
    found = plain.between(local_lo - timedelta(days=1), local_hi)
    return [x.astimezone(UTC) for x in found if x + timedelta(minutes=50) > local_lo]


def _starts(page: dict[str, Any], block_id: str) -> list[datetime]:
    items = [i for i in page["items"] if i["id"] == block_id]
    return [datetime.fromisoformat(i["start_at"]).astimezone(UTC) for i in items]


def _forget() -> None:
    """Empty the caches of parsed series and expanded windows: the next read is cold."""
    recurrence.series.cache_clear()
    recurrence.count_end.cache_clear()
    views._cached_page_items.cache_clear()


async def _read(api: ScheduleApi, headers: dict[str, str], day: date) -> tuple[Any, int, float]:
    began = time.perf_counter()
    with periods_stepped() as stepped:
        page = await api.window(headers, f"date={day.isoformat()}&limit=100")
    return page, stepped[0], time.perf_counter() - began


@pytest.mark.parametrize(("text", "first", "bound"), SPARSE)
async def test_windows_at_the_far_end_of_a_sparse_count_series(
    api: ScheduleApi, text: str, first: str, bound: int
) -> None:
    headers = await api.user_in(f"sparse-{uuid.uuid4().hex[:8]}@example.com", LONDON)
    start = datetime.fromisoformat(first).replace(tzinfo=zone(LONDON))
    block = await api.block(
        headers,
        start_at=start.isoformat(),
        end_at=(start + timedelta(minutes=50)).isoformat(),
        rrule=text,
    )
    assert block["rrule"] == text
    last = list(rrulestr(text, dtstart=start))[-1]
    days = [last.date() - timedelta(days=1), last.date(), last.date() + timedelta(days=1)]
    days += [date(8999, 12, 30), start.date() + (last.date() - start.date()) / 2]
    for day in days:
        page, stepped, took = await _read(api, headers, day)
        lo = datetime.combine(day, datetime.min.time(), tzinfo=zone(LONDON))
        assert _starts(page, block["id"]) == _occurrences(text, start, lo, lo + timedelta(days=1))
        assert stepped <= bound and took < SLOW, (day, stepped, took)
    # The first read in a process finds the last occurrence once: a bounded search.
    _forget()
    page, stepped, took = await _read(api, headers, last.date())
    assert _starts(page, block["id"]) == [last.astimezone(UTC)]
    assert stepped <= SCAN_STEPS[rule_parts(text).freq] + bound and took < SLOW


async def test_a_count_series_ending_too_far_ahead_is_a_422_that_names_the_way_out(
    api: ScheduleApi,
) -> None:
    headers = await api.user()
    leap_days = {
        "start_at": "2032-02-29T00:00:00Z",
        "end_at": "2032-02-29T00:30:00Z",
        "rrule": "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;COUNT=1000",
    }
    response = await api.client.post(BASE, headers=headers, json={"title": "x", **leap_days})
    error = await assert_error(response, 422, "VALIDATION_ERROR")
    assert error["detail"][0]["loc"] == ["body", "rrule"]
    assert "within 27 years of the first; use UNTIL" in error["detail"][0]["msg"]
    # the same series with UNTIL at its 1000th occurrence is a block, read anywhere cheaply
    until = leap_days["rrule"].replace("COUNT=1000", "UNTIL=61520301T000000Z")
    block = await api.block(headers, **{**leap_days, "rrule": until})
    for day in (date(4996, 2, 29), date(6152, 2, 29), date(8999, 12, 30)):
        page, stepped, took = await _read(api, headers, day)
        assert len(_starts(page, block["id"])) == (day.year < 8999)
        assert stepped < 3000 and took < SLOW


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # 2.9 million days, 8 s, before the 422
        "FREQ=HOURLY;BYSETPOS=2",  # an hour has a single candidate: never
        "FREQ=WEEKLY;BYDAY=TU",  # the start is a Monday
    ],
)
async def test_a_rule_that_never_occurs_at_its_start_is_refused_at_once(
    api: ScheduleApi, text: str
) -> None:
    headers = await api.user()
    body = {"title": "x", "start_at": "2027-01-04T09:00:00Z", "end_at": "2027-01-04T10:00:00Z"}
    began = time.perf_counter()
    with periods_stepped() as stepped:
        response = await api.client.post(BASE, headers=headers, json={**body, "rrule": text})
    error = await assert_error(response, 422, "VALIDATION_ERROR")
    assert "first occurrence" in error["detail"][0]["msg"]
    assert stepped[0] <= 3 and time.perf_counter() - began < SLOW


async def _store_as_before(app: Any, block_id: str, text: str) -> None:
    """The row as the code before the COUNT limit stored it: accepted, and open-ended
    (``last_end_at`` NULL) when its last occurrence was more than ten years on."""
    async with app.app_context():
        await (
            Block.update(rrule=text, last_end_at=None)
            .where(Block.id == uuid.UUID(block_id))
            .aio_execute()
        )
    _forget()


async def test_a_series_stored_before_the_limit_keeps_working_and_reads_in_bounded_time(
    app: Any, api: ScheduleApi
) -> None:
    headers = await api.user()
    start = datetime(2032, 2, 29, tzinfo=UTC)
    times = {"start_at": start.isoformat(), "end_at": (start + timedelta(minutes=30)).isoformat()}
    within = await api.block(headers, **times, rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")
    past = await api.block(headers, **times, rrule="FREQ=YEARLY", allow_overlap=True)
    await _store_as_before(app, within["id"], "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=240")
    leap_hours = "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;COUNT=1000"
    await _store_as_before(app, past["id"], leap_hours)
    # Within the limit: exactly its occurrences, as plain dateutil gives them.
    plain = list(rrulestr("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=240", dtstart=start))
    for day in (plain[-1].date(), plain[-1].date() + timedelta(days=366 * 4)):
        page, _stepped, _took = await _read(api, headers, day)
        assert _starts(page, within["id"]) == ([plain[-1]] if day == plain[-1].date() else [])
    # Past the limit (its 1000th occurrence is in 6152): a cold read of 8999 cost 1.5
    # million periods (8.4 s); now the search for its end, 10,000 days, and a few more.
    _forget()
    page, stepped, took = await _read(api, headers, date(8999, 12, 30))
    assert page["items"] == []
    assert stepped < SCAN_STEPS["HOURLY"] + SCAN_STEPS["YEARLY"] + 3000 and took < SLOW
    # It ends at its last occurrence within the limit, 27 years on.
    page, _stepped, _took = await _read(api, headers, date(2056, 2, 29))
    assert _starts(page, past["id"]) == [datetime(2056, 2, 29, tzinfo=UTC)]
    page, _stepped, _took = await _read(api, headers, date(2060, 2, 29))
    assert _starts(page, past["id"]) == []


async def test_conflicts_reminders_and_plan_week_expand_a_sparse_count_series_cheaply(
    api: ScheduleApi, catalogue: Any
) -> None:
    """Each stepped through every period from 1904 to the window (up to 1000 years)."""
    headers = await api.user()
    await _premium(api, headers)
    first = datetime(1904, 3, 1, 9, tzinfo=UTC)
    series = await api.block(
        headers,
        start_at=first.isoformat(),
        end_at=(first + timedelta(hours=1)).isoformat(),
        rrule="FREQ=YEARLY;COUNT=1000",
    )
    plain = list(rrulestr(series["rrule"], dtstart=first))
    last = plain[-1]  # in 2903
    clash = {"title": "x", "start_at": last.isoformat(), "end_at": f"{last.date()}T11:00:00Z"}
    with periods_stepped() as stepped:
        response = await api.client.post(BASE, headers=headers, json=clash)
    error = await assert_error(response, 409, "CONFLICT")
    assert [c["start_at"] for c in error["detail"]] == [last.isoformat()]
    assert stepped[0] <= 20
    with periods_stepped() as stepped:
        reminder = await api.reminder(headers, block_id=series["id"], minutes_before=60)
    ahead = [x for x in plain if x > datetime.now(UTC) + timedelta(hours=1)]
    assert datetime.fromisoformat(reminder["remind_at"]) == ahead[0] - timedelta(hours=1)
    assert stepped[0] <= 20
    me = await api.me(headers)
    goal = catalogue.add("goal", me["id"], title="Far", tasks=[{"id": "1", "title": "t"}])
    with periods_stepped() as stepped:
        plan = await api.call(
            "post",
            f"{BASE}/plan-week",
            headers,
            200,
            json={"goal_id": goal, "week_start": (last.date() - timedelta(days=2)).isoformat()},
        )
    assert [b["start_at"][:10] for b in plan["created"]] and stepped[0] <= 20
