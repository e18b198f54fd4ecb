"""Recurrence and the window listing: DST, ?date= in the user's zone, one item per
occurrence, skipping and moving one occurrence, pagination, limits of the window."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from auth_support import assert_error
from schedule_support import BASE


async def test_a_weekly_block_keeps_0900_london_time_across_the_dst_change(api) -> None:
    headers = await api.user_in("london@example.com", "Europe/London")
    # Europe/London moves to BST on Sunday 2027-03-28.
    block = await api.block(
        headers,
        start_at="2027-03-15T09:00:00+00:00",
        end_at="2027-03-15T10:00:00+00:00",
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    assert block["rrule"] == "FREQ=WEEKLY;COUNT=4"
    page = await api.window(headers, "start=2027-03-01&end=2027-05-01")
    starts = [(item["start_at"], item["end_at"]) for item in page["items"]]
    assert starts == [
        ("2027-03-15T09:00:00+00:00", "2027-03-15T10:00:00+00:00"),
        ("2027-03-22T09:00:00+00:00", "2027-03-22T10:00:00+00:00"),
        ("2027-03-29T09:00:00+01:00", "2027-03-29T10:00:00+01:00"),  # 08:00 UTC
        ("2027-04-05T09:00:00+01:00", "2027-04-05T10:00:00+01:00"),
    ]
    assert {item["id"] for item in page["items"]} == {block["id"]}
    assert all(item["recurring"] for item in page["items"])


async def test_the_autumn_change_too_and_a_viewer_in_utc_sees_the_shifted_instant(api) -> None:
    headers = await api.user_in("london@example.com", "Europe/London")
    await api.block(
        headers,
        start_at="2027-10-25T09:00:00+01:00",
        end_at="2027-10-25T09:45:00+01:00",
        rrule="FREQ=DAILY;INTERVAL=7;UNTIL=20271110T000000Z",
    )
    page = await api.window(headers, "start=2027-10-20&end=2027-11-20")
    assert [i["start_at"] for i in page["items"]] == [
        "2027-10-25T09:00:00+01:00",
        "2027-11-01T09:00:00+00:00",
        "2027-11-08T09:00:00+00:00",
    ]


async def test_date_is_a_day_in_the_users_zone(api) -> None:
    headers = await api.user_in("ny@example.com", "America/New_York")
    # 23:30 New York on the 10th is 04:30 UTC on the 11th.
    late = await api.block(
        headers, start_at="2027-02-10T23:30:00-05:00", end_at="2027-02-10T23:50:00-05:00"
    )
    await api.block(
        headers, start_at="2027-02-11T08:00:00-05:00", end_at="2027-02-11T09:00:00-05:00"
    )
    tenth = (await api.window(headers, "date=2027-02-10"))["items"]
    assert [i["id"] for i in tenth] == [late["id"]]
    assert tenth[0]["start_at"] == "2027-02-10T23:30:00-05:00"
    eleventh = (await api.window(headers, "date=2027-02-11"))["items"]
    assert [i["start_at"] for i in eleventh] == ["2027-02-11T08:00:00-05:00"]


async def test_listing_is_sorted_across_blocks_and_counts_each_occurrence(api) -> None:
    headers = await api.user()
    daily = await api.block(
        headers,
        title="Flashcards",
        start_at="2027-01-04T07:00:00Z",
        end_at="2027-01-04T07:30:00Z",
        rrule="FREQ=DAILY",
    )
    once = await api.block(
        headers, title="Exam", start_at="2027-01-06T12:00:00Z", end_at="2027-01-06T14:00:00Z"
    )
    items = (await api.window(headers, "start=2027-01-04T00:00:00Z&end=2027-01-08T00:00:00Z"))[
        "items"
    ]
    assert [i["title"] for i in items] == ["Flashcards"] * 3 + ["Exam", "Flashcards"]
    assert [i["id"] for i in items].count(daily["id"]) == 4 and items[3]["id"] == once["id"]
    starts = [i["start_at"] for i in items]
    assert starts == sorted(starts)


async def test_an_occurrence_overlapping_the_window_edge_is_included(api) -> None:
    headers = await api.user()
    await api.block(headers, start_at="2027-01-04T23:00:00Z", end_at="2027-01-05T01:00:00Z")
    assert len((await api.window(headers, "date=2027-01-05"))["items"]) == 1
    assert len((await api.window(headers, "date=2027-01-04"))["items"]) == 1
    assert (await api.window(headers, "date=2027-01-06"))["items"] == []


async def test_pages_follow_the_cursor_without_gaps_or_repeats(api) -> None:
    headers = await api.user()
    await api.block(
        headers, start_at="2027-01-01T08:00:00Z", end_at="2027-01-01T09:00:00Z", rrule="FREQ=DAILY"
    )
    query = "start=2027-01-01&end=2027-02-01&limit=10"
    seen, cursor = [], None
    while True:
        page = await api.window(headers, query + (f"&cursor={cursor}" if cursor else ""))
        seen += [i["start_at"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 31 == len(set(seen))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2027-01-01&end=2028-01-03", "end"),  # longer than a year
        ("start=2027-01-02&end=2027-01-01", "end"),
        ("start=2027-01-01", "end"),
        ("date=2027-13-01", "date"),
        ("date=2027-01-01&start=2027-01-01&end=2027-01-02", "date"),
        ("start=yesterday&end=2027-01-02", "start"),
        ("date=2027-01-01&limit=0", "limit"),
        ("date=2027-01-01&limit=101", "limit"),
        ("date=2027-01-01&cursor=!!", "cursor"),
    ],
)
async def test_bad_windows_are_422(api, query, field) -> None:
    headers = await api.user()
    error = await assert_error(
        await api.client.get(f"{BASE}?{query}", headers=headers), 422, "VALIDATION_ERROR"
    )
    assert field in error["detail"][0]["loc"]


async def test_a_whole_year_is_allowed(api) -> None:
    headers = await api.user()
    await api.window(headers, "start=2028-01-01&end=2029-01-01")  # 366 days, a leap year


async def test_skipping_one_occurrence_leaves_the_rest(api, events) -> None:
    headers = await api.user_in("london@example.com", "Europe/London")
    block = await api.block(
        headers,
        start_at="2027-03-22T09:00:00+00:00",
        end_at="2027-03-22T10:00:00+00:00",
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    # the second occurrence, named with another offset (and an unencoded "+")
    await api.call(
        "delete", f"{BASE}/{block['id']}?occurrence=2027-03-29T09:00:00+01:00", headers, 204
    )
    items = (await api.window(headers, "start=2027-03-01&end=2027-05-01"))["items"]
    assert [i["start_at"] for i in items] == [
        "2027-03-22T09:00:00+00:00",
        "2027-04-05T09:00:00+01:00",
    ]
    assert (await api.call("get", f"{BASE}/{block['id']}", headers, 200))["exdates"] == [
        "2027-03-29T08:00:00.000000Z"
    ]
    assert events.named("schedule.updated")
    missing = await api.client.delete(
        f"{BASE}/{block['id']}?occurrence={quote('2027-03-30T09:00:00+01:00')}", headers=headers
    )
    await assert_error(missing, 404, "RESOURCE_NOT_FOUND")


async def test_moving_one_occurrence_makes_it_a_block_of_its_own(api) -> None:
    headers = await api.user()
    series = await api.block(
        headers,
        start_at="2027-01-04T09:00:00Z",
        end_at="2027-01-04T10:00:00Z",
        rrule="FREQ=DAILY;COUNT=3",
    )
    moved = await api.call(
        "patch",
        f"{BASE}/{series['id']}?occurrence={quote('2027-01-05T09:00:00Z')}",
        headers,
        200,
        json={"start_at": "2027-01-05T15:00:00Z", "title": "Reading, later"},
    )
    assert moved["id"] != series["id"] and moved["rrule"] is None
    assert (moved["start_at"], moved["end_at"]) == (
        "2027-01-05T15:00:00+00:00",
        "2027-01-05T16:00:00+00:00",
    )
    items = (await api.window(headers, "start=2027-01-04&end=2027-01-08"))["items"]
    assert [(i["title"], i["start_at"][:16]) for i in items] == [
        ("Reading", "2027-01-04T09:00"),
        ("Reading, later", "2027-01-05T15:00"),
        ("Reading", "2027-01-06T09:00"),
    ]


async def test_editing_the_series_changes_every_occurrence(api) -> None:
    headers = await api.user()
    series = await api.block(
        headers,
        start_at="2027-01-04T09:00:00Z",
        end_at="2027-01-04T10:00:00Z",
        rrule="FREQ=DAILY;COUNT=3",
    )
    await api.call(
        "patch",
        f"{BASE}/{series['id']}",
        headers,
        200,
        json={"rrule": "FREQ=DAILY;COUNT=2", "title": "Review"},
    )
    items = (await api.window(headers, "start=2027-01-04&end=2027-01-08"))["items"]
    assert [(i["title"], i["start_at"][:10]) for i in items] == [
        ("Review", "2027-01-04"),
        ("Review", "2027-01-05"),
    ]
    await api.call("delete", f"{BASE}/{series['id']}", headers, 204)
    assert (await api.window(headers, "start=2027-01-04&end=2027-01-08"))["items"] == []


async def test_without_a_window_the_listing_is_today_in_the_users_zone(api) -> None:
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Pacific/Auckland")
    for attempt in range(2):  # midnight in Auckland (11:00 UTC) during the test: once more
        headers = await api.user_in(f"auckland{attempt}@example.com", "Pacific/Auckland")
        today = datetime.now(tz).date()
        start = datetime.combine(today, time(0), tzinfo=tz)
        block = await api.block(
            headers, start_at=start.isoformat(), end_at=(start + timedelta(minutes=30)).isoformat()
        )
        await api.block(
            headers,
            start_at=(start + timedelta(days=1)).isoformat(),
            end_at=(start + timedelta(days=1, minutes=30)).isoformat(),
        )
        listed = [i["id"] for i in (await api.window(headers, ""))["items"]]
        if datetime.now(tz).date() == today:
            break
    assert listed == [block["id"]]
