"""Blocks: create, read, change, delete; validation; one user never sees another's."""

from __future__ import annotations

import pytest
from auth_support import assert_error
from schedule_support import BASE

START = "2027-01-11T09:00:00+00:00"
END = "2027-01-11T10:30:00+00:00"


async def test_create_returns_the_block_with_offsets_ids_and_timestamps(api, events) -> None:
    headers = await api.user()
    block = await api.block(headers, start_at=START, end_at=END, notes="Chapter 3")
    assert block["title"] == "Reading" and block["notes"] == "Chapter 3"
    assert block["start_at"] == "2027-01-11T09:00:00+00:00"
    assert block["end_at"] == "2027-01-11T10:30:00+00:00"
    assert block["rrule"] is None and block["exdates"] == []
    assert block["timezone"] == "UTC" and block["course_id"] is None
    assert block["created_at"].endswith("Z") and block["updated_at"].endswith("Z")
    assert await api.call("get", f"{BASE}/{block['id']}", headers, 200) == block
    [created] = events.named("schedule.created")
    assert created.data == block and created.channel.startswith("user:")


async def test_times_are_shown_with_the_offset_of_the_users_zone(api) -> None:
    headers = await api.user_in("tokyo@example.com", "Asia/Tokyo")
    block = await api.block(headers, start_at="2027-01-11T00:00:00Z", end_at="2027-01-11T01:00:00Z")
    assert block["start_at"] == "2027-01-11T09:00:00+09:00"
    assert block["timezone"] == "Asia/Tokyo"


async def test_patch_merges_and_moving_the_start_keeps_the_length(api, events) -> None:
    headers = await api.user()
    block = await api.block(headers, start_at=START, end_at=END)
    changed = await api.call(
        "patch",
        f"{BASE}/{block['id']}",
        headers,
        200,
        json={"title": "Deep reading", "start_at": "2027-01-12T14:00:00Z"},
    )
    assert changed["title"] == "Deep reading" and changed["notes"] == ""
    assert changed["start_at"] == "2027-01-12T14:00:00+00:00"
    assert changed["end_at"] == "2027-01-12T15:30:00+00:00"
    assert events.named("schedule.updated")[-1].data == changed


async def test_delete_is_204_then_404_and_emits_deleted(api, events) -> None:
    headers = await api.user()
    block = await api.block(headers, start_at=START, end_at=END)
    await api.call("delete", f"{BASE}/{block['id']}", headers, 204)
    await api.call("get", f"{BASE}/{block['id']}", headers, 404)
    assert events.named("schedule.deleted")[-1].data == {"id": block["id"]}


async def test_another_users_block_is_404_for_every_verb(api) -> None:
    alice = await api.user("alice@example.com")
    bob = await api.user("bob@example.com")
    block = await api.block(alice, start_at=START, end_at=END)
    path = f"{BASE}/{block['id']}"
    for method, kwargs in (("get", {}), ("patch", {"json": {"title": "x"}}), ("delete", {})):
        response = await getattr(api.client, method)(path, headers=bob, **kwargs)
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")
    skip = await api.client.delete(f"{path}?occurrence={START}", headers=bob)
    await assert_error(skip, 404, "RESOURCE_NOT_FOUND")
    assert (await api.window(bob, "start=2027-01-01&end=2027-02-01"))["items"] == []
    assert len((await api.window(alice, "start=2027-01-01&end=2027-02-01"))["items"]) == 1


@pytest.mark.parametrize("bad_id", ["nope", "123", "00000000-0000-0000-0000-00000000000g"])
async def test_a_malformed_id_is_404_never_500(api, bad_id) -> None:
    headers = await api.user()
    for method in ("get", "patch", "delete"):
        response = await getattr(api.client, method)(f"{BASE}/{bad_id}", headers=headers, json={})
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_routes_need_a_token(api) -> None:
    for method, path in (("get", BASE), ("post", BASE), ("get", "/api/v1/reminders")):
        response = await getattr(api.client, method)(path, json={})
        await assert_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_at": END, "end_at": START}, "end_at"),
        ({"start_at": START, "end_at": START}, "end_at"),
        ({"start_at": "2027-01-11T09:00:00", "end_at": END}, "start_at"),  # no offset
        ({"start_at": START, "end_at": END, "rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({"start_at": START, "end_at": END, "rrule": "FREQ=MINUTELY"}, "rrule"),
        ({"start_at": START, "end_at": END, "rrule": "FREQ=DAILY;INTERVAL=0"}, "rrule"),
        ({"start_at": START, "end_at": END, "rrule": "FREQ=DAILY;COUNT=5000"}, "rrule"),
        ({"start_at": START, "end_at": END, "rrule": "FREQ=HOURLY"}, "rrule"),  # 8760 a year
        ({"start_at": START, "end_at": END, "rrule": "FREQ=WEEKLY;UNTIL=20270301"}, "rrule"),
        (
            {
                "start_at": START,
                "end_at": END,
                "rrule": "FREQ=WEEKLY;COUNT=2;UNTIL=20270301T000000Z",
            },
            "rrule",
        ),
        (
            {
                "start_at": START,
                "end_at": END,
                "rrule": "DTSTART:20270101T000000\nRRULE:FREQ=DAILY",
            },
            "rrule",
        ),
        ({"start_at": START, "end_at": END, "rrule": "FREQ=WEEKLY;BYDAY=TU"}, "rrule"),  # a Monday
        ({"start_at": START, "end_at": "2027-01-13T09:00:00Z", "rrule": "FREQ=DAILY"}, "rrule"),
        ({"start_at": START, "end_at": END, "timezone": "Mars/Olympus"}, "timezone"),
        ({"start_at": START, "end_at": END, "title": ""}, "title"),
        ({"start_at": START, "end_at": END, "colour": "red"}, "colour"),
    ],
)
async def test_invalid_blocks_are_422_naming_the_field(api, body, field) -> None:
    headers = await api.user()
    response = await api.client.post(BASE, headers=headers, json={"title": "x", **body})
    error = await assert_error(response, 422, "VALIDATION_ERROR")
    assert any(field in item["loc"] for item in error["detail"]), error["detail"]


async def test_malformed_json_is_an_envelope_not_a_crash(api) -> None:
    headers = {**(await api.user()), "Content-Type": "application/json"}
    response = await api.client.post(BASE, headers=headers, data="{nope")
    body = await response.get_json()
    assert response.status_code == 400 and body["code"] == "BAD_REQUEST"


async def test_course_and_goal_are_checked_through_resolve_object(api, catalogue) -> None:
    headers = await api.user()
    me = await api.me(headers)
    course = catalogue.add("course", me["id"], title="Algorithms")
    goal = catalogue.add("goal", me["id"], title="Pass", tasks=[])
    theirs = catalogue.add("course", "someone-else", title="Hidden")
    block = await api.block(headers, start_at=START, end_at=END, course_id=course, goal_id=goal)
    assert (block["course_id"], block["goal_id"]) == (course, goal)
    for field, value in (("course_id", theirs), ("goal_id", course)):
        response = await api.client.post(
            BASE,
            headers=headers,
            json={
                "title": "x",
                "start_at": "2027-02-01T09:00:00Z",
                "end_at": "2027-02-01T10:00:00Z",
                field: value,
            },
        )
        error = await assert_error(response, 422, "VALIDATION_ERROR")
        assert error["detail"][0]["loc"] == ["body", field]


async def test_resolve_object_answers_for_blocks_of_their_owner_only(app, api) -> None:
    from maigie_core import Principal, resolve_object

    alice = await api.user("alice@example.com")
    block = await api.block(alice, start_at=START, end_at=END)
    me = await api.me(alice)
    async with app.app_context():
        owner = Principal(id=me["id"], email=me["email"])
        stranger = Principal(id="00000000-0000-0000-0000-000000000001", email="x@example.com")
        assert (await resolve_object("block", block["id"], owner))["title"] == "Reading"
        assert await resolve_object("block", block["id"], stranger) is None
        assert await resolve_object("block", "not-a-uuid", owner) is None
