"""Reminders through the API (tasks inline): create, list, delete, delivery exactly once.

The real consumer (in-process and ``maigie worker``) is in test_schedule_delivery.py.
"""

from __future__ import annotations

import asyncio
import calendar
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from auth_support import assert_error
from schedule_support import BASE, REMINDERS

from maigie_core.db import utcnow


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def _notifications(api, headers) -> list[dict]:
    return (await api.call("get", "/api/v1/notifications", headers, 200))["items"]


async def test_create_get_list_delete(api) -> None:
    headers = await api.user()
    later = datetime.now(UTC) + timedelta(days=2)
    made = await api.reminder(headers, remind_at=_iso(later))
    assert made["message"] == "Review chapter 5" and made["delivered_at"] is None
    assert made["remind_at"].endswith("Z") and made["block_id"] is None
    assert await api.call("get", f"{REMINDERS}/{made['id']}", headers, 200) == made
    listed = await api.call("get", REMINDERS, headers, 200)
    assert listed == {"items": [made], "next_cursor": None}
    await api.call("delete", f"{REMINDERS}/{made['id']}", headers, 204)
    await api.call("get", f"{REMINDERS}/{made['id']}", headers, 404)


async def test_list_pages_by_time_and_filters_by_status(api) -> None:
    headers = await api.user()
    base = datetime.now(UTC) + timedelta(days=1)
    for hours in (5, 1, 3, 2, 4):
        await api.reminder(
            headers, message=f"r{hours}", remind_at=_iso(base + timedelta(hours=hours))
        )
    await api.reminder(headers, message="past", remind_at=_iso(base - timedelta(days=2)))
    first = await api.call("get", f"{REMINDERS}?limit=2&status=pending", headers, 200)
    assert [r["message"] for r in first["items"]] == ["r1", "r2"]
    rest = await api.call(
        "get", f"{REMINDERS}?limit=10&status=pending&cursor={first['next_cursor']}", headers, 200
    )
    assert [r["message"] for r in rest["items"]] == ["r3", "r4", "r5"] and not rest["next_cursor"]
    delivered = await api.call("get", f"{REMINDERS}?status=delivered", headers, 200)
    assert [r["message"] for r in delivered["items"]] == ["past"]
    for query in ("limit=0", "limit=abc", "status=soon", "cursor=%%%"):
        await assert_error(
            await api.client.get(f"{REMINDERS}?{query}", headers=headers), 422, "VALIDATION_ERROR"
        )


async def test_a_reminder_already_due_is_delivered_as_notification_and_event(api, events) -> None:
    headers = await api.user()
    made = await api.reminder(headers, message="Stretch", remind_at=_iso(datetime.now(UTC)))
    got = await api.call("get", f"{REMINDERS}/{made['id']}", headers, 200)
    assert got["delivered_at"] is not None
    [note] = await _notifications(api, headers)
    assert note["kind"] == "reminder" and note["title"] == "Stretch"
    assert note["data"]["reminder_id"] == made["id"]
    [due] = events.named("reminder.due")
    assert due.data["id"] == made["id"] and due.data["delivered_at"] == got["delivered_at"]


async def test_a_reminder_before_a_blocks_next_occurrence(api) -> None:
    headers = await api.user()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    block = await api.block(
        headers,
        start_at=_iso(tomorrow - timedelta(days=7)),  # began last week, weekly
        end_at=_iso(tomorrow - timedelta(days=7) + timedelta(hours=1)),
        rrule="FREQ=WEEKLY",
    )
    made = await api.reminder(headers, block_id=block["id"], minutes_before=15)
    assert made["remind_at"] == (tomorrow - timedelta(minutes=15)).isoformat().replace(
        "+00:00", ".000000Z"
    )
    assert made["block_id"] == block["id"] and made["minutes_before"] == 15
    # moving the series moves its pending reminder
    await api.call(
        "patch",
        f"{BASE}/{block['id']}",
        headers,
        200,
        json={"start_at": _iso(tomorrow - timedelta(days=7) + timedelta(hours=2))},
    )
    moved = await api.call("get", f"{REMINDERS}/{made['id']}", headers, 200)
    assert moved["remind_at"].startswith(
        (tomorrow + timedelta(hours=2) - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M")
    )
    # deleting the block removes its pending reminders
    await api.call("delete", f"{BASE}/{block['id']}", headers, 204)
    await api.call("get", f"{REMINDERS}/{made['id']}", headers, 404)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"remind_at": "2027-01-01T09:00:00Z", "block_id": str(uuid.uuid4())},
        {"minutes_before": 10, "remind_at": "2027-01-01T09:00:00Z"},
        {"remind_at": "2027-01-01T09:00:00"},  # no offset
        {"remind_at": "2027-01-01T09:00:00Z", "message": ""},
        {"block_id": str(uuid.uuid4()), "minutes_before": 10},  # no such block
        {"block_id": str(uuid.uuid4()), "minutes_before": -1},
        {"remind_at": "2027-01-01T09:00:00Z", "extra": 1},
    ],
)
async def test_invalid_reminders_are_422(api, body) -> None:
    headers = await api.user()
    response = await api.client.post(REMINDERS, headers=headers, json={"message": "x", **body})
    await assert_error(response, 422, "VALIDATION_ERROR")


async def test_a_block_with_nothing_ahead_cannot_be_reminded_of(api) -> None:
    headers = await api.user()
    block = await api.block(headers, start_at="2020-01-01T09:00:00Z", end_at="2020-01-01T10:00:00Z")
    error = await assert_error(
        await api.client.post(
            REMINDERS, headers=headers, json={"message": "x", "block_id": block["id"]}
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert error["detail"][0]["loc"] == ["body", "block_id"]


async def test_a_reminder_before_an_occurrence_more_than_a_year_ahead(api) -> None:
    """The next occurrence is the series' own next one, however far (it looked one year
    ahead: a leap-day series was "nothing ahead" in most years)."""
    headers = await api.user()
    block = await api.block(
        headers,
        start_at="2024-02-29T09:00:00Z",
        end_at="2024-02-29T10:00:00Z",
        rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    )
    made = await api.reminder(headers, block_id=block["id"], minutes_before=10)
    soon = datetime.now(UTC) + timedelta(minutes=10)
    leap = next(
        at
        for year in range(soon.year, soon.year + 9)
        if calendar.isleap(year) and (at := datetime(year, 2, 29, 9, tzinfo=UTC)) >= soon
    )
    assert made["remind_at"] == f"{leap - timedelta(minutes=10):%Y-%m-%dT%H:%M:%S}.000000Z"
    ended = await api.block(
        headers,
        start_at="2020-02-29T09:00:00Z",
        end_at="2020-02-29T10:00:00Z",
        rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=2",  # 2020 and 2024: over
    )
    response = await api.client.post(
        REMINDERS, headers=headers, json={"message": "x", "block_id": ended["id"]}
    )
    await assert_error(response, 422, "VALIDATION_ERROR")


async def test_another_users_reminder_is_404_and_unlisted(api) -> None:
    alice = await api.user("alice@example.com")
    bob = await api.user("bob@example.com")
    made = await api.reminder(alice, remind_at=_iso(datetime.now(UTC) + timedelta(days=1)))
    for method in ("get", "delete"):
        response = await getattr(api.client, method)(f"{REMINDERS}/{made['id']}", headers=bob)
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")
    await assert_error(
        await api.client.get(f"{REMINDERS}/not-a-uuid", headers=bob), 404, "RESOURCE_NOT_FOUND"
    )
    assert (await api.call("get", REMINDERS, bob, 200))["items"] == []
    alice_block = await api.block(
        alice, start_at="2030-01-01T09:00:00Z", end_at="2030-01-01T10:00:00Z"
    )
    response = await api.client.post(
        REMINDERS, headers=bob, json={"message": "x", "block_id": alice_block["id"]}
    )
    await assert_error(response, 422, "VALIDATION_ERROR")


async def test_concurrent_claims_deliver_once(app, api, events) -> None:
    from maigie_schedule import reminders
    from maigie_schedule.models import Reminder

    headers = await api.user()
    made = await api.reminder(headers, remind_at=_iso(datetime.now(UTC) + timedelta(days=1)))
    async with app.app_context():
        await (
            Reminder.update(remind_at=utcnow() - timedelta(seconds=1))
            .where(Reminder.id == uuid.UUID(made["id"]))
            .aio_execute()
        )
        results = await asyncio.gather(
            *(reminders.claim_and_deliver(uuid.UUID(made["id"])) for _ in range(6)),
            reminders.sweep(),
            reminders.deliver(made["id"]),
        )
    assert sum(int(r) for r in results) == 1
    assert len(await _notifications(api, headers)) == 1
    assert len(events.named("reminder.due")) == 1


async def test_the_sweep_delivers_what_is_due_and_only_that(app, api) -> None:
    from maigie_schedule import reminders
    from maigie_schedule.models import Reminder

    headers = await api.user()
    soon = await api.reminder(headers, remind_at=_iso(datetime.now(UTC) + timedelta(days=1)))
    later = await api.reminder(headers, remind_at=_iso(datetime.now(UTC) + timedelta(days=2)))
    async with app.app_context():
        await (
            Reminder.update(remind_at=utcnow() - timedelta(minutes=5))
            .where(Reminder.id == uuid.UUID(soon["id"]))
            .aio_execute()
        )
        assert await reminders.sweep() == 1
        assert await reminders.sweep() == 0
    assert (await api.call("get", f"{REMINDERS}/{soon['id']}", headers, 200))["delivered_at"]
    assert (await api.call("get", f"{REMINDERS}/{later['id']}", headers, 200))[
        "delivered_at"
    ] is None
