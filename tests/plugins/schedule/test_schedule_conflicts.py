"""Conflicts: 409 CONFLICT listing the occurrences overlapped, unless allow_overlap."""

from __future__ import annotations

from auth_support import assert_error
from schedule_support import BASE

WEEKLY = {
    "title": "Lecture",
    "start_at": "2027-01-04T09:00:00Z",  # a Monday
    "end_at": "2027-01-04T11:00:00Z",
    "rrule": "FREQ=WEEKLY",
}


async def test_a_one_off_block_on_a_later_occurrence_of_a_series_is_409(api) -> None:
    headers = await api.user()
    series = await api.block(headers, **WEEKLY)
    response = await api.client.post(
        BASE,
        headers=headers,
        json={"title": "Gym", "start_at": "2027-06-07T10:00:00Z", "end_at": "2027-06-07T12:00:00Z"},
    )
    error = await assert_error(response, 409, "CONFLICT")
    assert error["detail"] == [
        {
            **{k: v for k, v in error["detail"][0].items() if k not in ("start_at", "end_at")},
            "start_at": "2027-06-07T09:00:00+00:00",
            "end_at": "2027-06-07T11:00:00+00:00",
        }
    ]
    assert error["detail"][0]["id"] == series["id"] and error["detail"][0]["title"] == "Lecture"


async def test_a_series_clashing_with_a_one_off_far_ahead_is_409(api) -> None:
    headers = await api.user()
    exam = await api.block(
        headers, title="Exam", start_at="2027-09-13T10:00:00Z", end_at="2027-09-13T12:00:00Z"
    )
    error = await assert_error(
        await api.client.post(BASE, headers=headers, json=WEEKLY), 409, "CONFLICT"
    )
    assert [c["id"] for c in error["detail"]] == [exam["id"]]


async def test_two_series_on_the_same_weekday_conflict(api) -> None:
    headers = await api.user()
    await api.block(headers, **WEEKLY)
    other = {**WEEKLY, "start_at": "2027-01-11T10:30:00Z", "end_at": "2027-01-11T11:30:00Z"}
    error = await assert_error(
        await api.client.post(BASE, headers=headers, json=other), 409, "CONFLICT"
    )
    assert len(error["detail"]) == 50  # capped; one per clashing week within a year


async def test_back_to_back_blocks_do_not_conflict(api) -> None:
    headers = await api.user()
    await api.block(headers, **WEEKLY)
    await api.block(headers, start_at="2027-01-04T11:00:00Z", end_at="2027-01-04T12:00:00Z")
    await api.block(headers, start_at="2027-01-11T08:00:00Z", end_at="2027-01-11T09:00:00Z")


async def test_allow_overlap_keeps_both(api) -> None:
    headers = await api.user()
    await api.block(headers, **WEEKLY)
    await api.block(
        headers,
        start_at="2027-01-04T10:00:00Z",
        end_at="2027-01-04T10:30:00Z",
        allow_overlap=True,
    )
    items = (await api.window(headers, "date=2027-01-04"))["items"]
    assert len(items) == 2


async def test_a_skipped_occurrence_no_longer_conflicts(api) -> None:
    headers = await api.user()
    series = await api.block(headers, **WEEKLY)
    await api.call("delete", f"{BASE}/{series['id']}?occurrence=2027-01-18T09:00:00Z", headers, 204)
    await api.block(headers, start_at="2027-01-18T09:30:00Z", end_at="2027-01-18T10:00:00Z")


async def test_moving_a_block_onto_another_is_409_and_changes_nothing(api) -> None:
    headers = await api.user()
    await api.block(headers, **WEEKLY)
    other = await api.block(headers, start_at="2027-01-05T09:00:00Z", end_at="2027-01-05T10:00:00Z")
    response = await api.client.patch(
        f"{BASE}/{other['id']}", headers=headers, json={"start_at": "2027-01-11T10:00:00Z"}
    )
    await assert_error(response, 409, "CONFLICT")
    assert (await api.call("get", f"{BASE}/{other['id']}", headers, 200)) == other
    # a change that does not move it never re-checks
    await api.call("patch", f"{BASE}/{other['id']}", headers, 200, json={"title": "Renamed"})


async def test_other_users_blocks_never_conflict(api) -> None:
    alice = await api.user("alice@example.com")
    bob = await api.user("bob@example.com")
    await api.block(alice, **WEEKLY)
    await api.block(bob, **WEEKLY)


async def test_parallel_overlapping_creates_cannot_both_pass_the_check(api) -> None:
    import asyncio

    headers = await api.user()
    body = {"start_at": "2027-03-01T09:00:00Z", "end_at": "2027-03-01T10:00:00Z"}
    responses = await asyncio.gather(
        *(
            api.client.post(BASE, headers=headers, json={"title": f"Slot {n}", **body})
            for n in range(6)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    listed = await api.client.get(
        f"{BASE}?start=2027-03-01T00:00:00Z&end=2027-03-02T00:00:00Z", headers=headers
    )
    assert len((await listed.get_json())["items"]) == 1
