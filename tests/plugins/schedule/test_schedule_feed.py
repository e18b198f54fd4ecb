"""The calendar feed: an iCalendar document (parsed back with icalendar) at a signed URL
that the user can rotate (the old URL then stops working)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from auth_support import assert_error
from schedule_support import BASE

LONDON = ZoneInfo("Europe/London")


async def _feed(api, headers) -> str:
    feed = await api.call("get", f"{BASE}/feed", headers, 200)
    assert feed["url"].startswith("http://localhost:8000/api/v1/schedule/feed/")
    assert feed["url"].endswith(".ics")
    return urlsplit(feed["url"]).path


async def test_the_feed_is_an_icalendar_document_with_rrules_and_exdates(api) -> None:
    headers = await api.user_in("london@example.com", "Europe/London")
    series = await api.block(
        headers,
        title="Lecture",
        notes="Room 4",
        start_at="2027-03-15T09:00:00+00:00",
        end_at="2027-03-15T10:00:00+00:00",
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    await api.call("delete", f"{BASE}/{series['id']}?occurrence=2027-03-22T09:00:00Z", headers, 204)
    once = await api.block(
        headers, title="Exam", start_at="2027-06-01T13:00:00Z", end_at="2027-06-01T15:00:00Z"
    )
    path = await _feed(api, headers)
    response = await api.client.get(path)  # no bearer token: the URL is the credential
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(await response.get_data())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    lecture = events[f"{series['id']}@maigie"]
    assert str(lecture["summary"]) == "Lecture" and str(lecture["description"]) == "Room 4"
    assert lecture.decoded("dtstart") == datetime(2027, 3, 15, 9, 0, tzinfo=LONDON)
    assert lecture["dtstart"].params["TZID"] == "Europe/London"
    assert lecture["rrule"].to_ical() == b"FREQ=WEEKLY;COUNT=4"
    [skipped] = [d.dt for d in lecture["exdate"].dts]
    assert skipped == datetime(2027, 3, 22, 9, 0, tzinfo=LONDON)
    exam = events[f"{once['id']}@maigie"]
    assert exam.decoded("dtend") - exam.decoded("dtstart") == (
        datetime(2027, 6, 1, 15) - datetime(2027, 6, 1, 13)
    )
    assert "rrule" not in exam
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]


async def test_rotating_the_feed_retires_the_old_url(api) -> None:
    headers = await api.user()
    old = await _feed(api, headers)
    assert await _feed(api, headers) == old  # stable until rotated
    rotated = await api.call("post", f"{BASE}/feed/rotate", headers, 200)
    assert rotated["version"] == 2
    new = urlsplit(rotated["url"]).path
    assert new != old
    await assert_error(await api.client.get(old), 404, "RESOURCE_NOT_FOUND")
    assert (await api.client.get(new)).status_code == 200


async def test_forged_or_foreign_tokens_are_404(api) -> None:
    alice = await api.user("alice@example.com")
    bob = await api.user("bob@example.com")
    await api.block(alice, start_at="2027-01-04T09:00:00Z", end_at="2027-01-04T10:00:00Z")
    alice_path = await _feed(api, alice)
    bob_path = await _feed(api, bob)
    bob_doc = icalendar.Calendar.from_ical(await (await api.client.get(bob_path)).get_data())
    assert list(bob_doc.walk("VEVENT")) == []  # Bob's feed never holds Alice's blocks
    token = alice_path.rsplit("/", 1)[1][: -len(".ics")]
    # Change a character inside the token (the last base64 character of a signature
    # carries padding bits: replacing it can decode to the same bytes, a flaky "forgery").
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (tampered, "nonsense", token.upper()):
        response = await api.client.get(f"{BASE}/feed/{bad}.ics")
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")
