"""Date-times at the ends of the calendar are the 422 envelope, never a 500.

Found by fuzzing a served app: Python's datetimes end at years 1 and 9999, and a
time-zone conversion, a day added to a window or a recurrence expanded past either end
raised ``OverflowError`` (500) on every route below. The schedule takes instants from
1900-01-01 to 8999-12-31 (``maigie_core.instants``) and names the field it refuses.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auth_support import assert_error
from schedule_support import BASE, REMINDERS
from test_schedule_plugin import _premium

EDGES = [
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:00:00Z",
    "1899-12-31T23:59:59Z",
    "9000-01-01T00:00:00Z",
]


def _names(error: dict, field: str) -> bool:
    return any(d["loc"][-1] == field for d in error["detail"])


@pytest.mark.parametrize("edge", EDGES)
async def test_a_block_at_the_end_of_the_calendar_is_a_422(api, edge: str) -> None:
    headers = await api.user()
    response = await api.client.post(
        BASE, headers=headers, json={"title": "x", "start_at": edge, "end_at": edge}
    )
    assert _names(await assert_error(response, 422, "VALIDATION_ERROR"), "start_at")
    block = await api.block(
        headers, start_at="2030-01-01T10:00:00Z", end_at="2030-01-01T11:00:00Z", rrule="FREQ=DAILY"
    )
    response = await api.client.patch(
        f"{BASE}/{block['id']}", headers=headers, json={"start_at": edge}
    )
    assert _names(await assert_error(response, 422, "VALIDATION_ERROR"), "start_at")
    response = await api.client.delete(
        f"{BASE}/{block['id']}", headers=headers, query_string={"occurrence": edge}
    )
    assert _names(await assert_error(response, 422, "VALIDATION_ERROR"), "occurrence")
    response = await api.client.post(
        REMINDERS, headers=headers, json={"message": "x", "remind_at": edge}
    )
    assert _names(await assert_error(response, 422, "VALIDATION_ERROR"), "remind_at")
    assert (await api.call("get", f"{BASE}/{block['id']}", headers, 200))["start_at"].startswith(
        "2030-01-01"
    )


@pytest.mark.parametrize(
    "query",
    [
        "date=9999-12-31",
        "date=0001-01-01",
        "start=9999-12-30&end=9999-12-31",
        "start=0001-01-01&end=0001-01-02",
        "start=9999-12-31T00:00:00-14:00&end=9999-12-31T10:00:00-14:00",
    ],
)
async def test_a_window_at_the_end_of_the_calendar_is_a_422(api, query: str) -> None:
    headers = await api.user_in("kiritimati@example.com", "Pacific/Kiritimati")
    await api.block(
        headers, start_at="2030-01-01T10:00:00Z", end_at="2030-01-01T11:00:00Z", rrule="FREQ=DAILY"
    )
    response = await api.client.get(f"{BASE}?{query}", headers=headers)
    error = await assert_error(response, 422, "VALIDATION_ERROR")
    assert error["detail"][0]["loc"] in (["date"], ["start"], ["end"])  # as other routes


async def test_the_last_days_of_the_span_still_work(api) -> None:
    headers = await api.user()
    block = await api.block(
        headers,
        start_at="8999-12-31T22:00:00Z",
        end_at="8999-12-31T23:00:00Z",
        rrule="FREQ=DAILY",
    )
    found = await api.window(headers, "start=8999-12-31T00:00:00Z&end=8999-12-31T23:59:59Z")
    assert [o["id"] for o in found["items"]] == [block["id"]]


async def test_an_rrule_until_past_the_span_is_a_422(api) -> None:
    headers = await api.user()
    response = await api.client.post(
        BASE,
        headers=headers,
        json={
            "title": "x",
            "start_at": "2030-01-01T10:00:00Z",
            "end_at": "2030-01-31T10:00:00Z",  # a month long: UNTIL + length passed 9999
            "rrule": "FREQ=YEARLY;UNTIL=99991231T235959Z",
        },
    )
    assert _names(await assert_error(response, 422, "VALIDATION_ERROR"), "rrule")


@pytest.mark.parametrize("week_start", ["9999-12-25", "9999-12-31"])
async def test_plan_week_at_the_end_of_the_calendar_is_a_422(api, catalogue, week_start) -> None:
    headers = await api.user()
    await _premium(api, headers)
    me = await api.me(headers)
    goal = catalogue.add("goal", me["id"], title="Pass", tasks=[{"id": "1", "title": "t"}])
    response = await api.client.post(
        f"{BASE}/plan-week", headers=headers, json={"goal_id": goal, "week_start": week_start}
    )
    assert _names(await assert_error(response, 422, "VALIDATION_ERROR"), "week_start")
    later = (date.today() + timedelta(days=7)).isoformat()
    await api.call(
        "post", f"{BASE}/plan-week", headers, 200, json={"goal_id": goal, "week_start": later}
    )
