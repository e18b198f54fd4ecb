"""Sharing, enrollment, per-member progress, filters, and isolation between users."""

from __future__ import annotations

import pytest
from auth_support import assert_error
from courses_support import BASE, topic_ids


async def _shared(api):
    owner = await api.user("owner@example.com")
    student = await api.user("student@example.com")
    course = await api.create(owner)
    code = await api.share(owner, course["id"])
    return owner, student, course, code


async def test_a_student_enrolls_with_the_share_code(api) -> None:
    _owner, student, course, code = await _shared(api)
    status, joined = await api.enroll(student, course["id"], code)
    assert status == 201
    assert joined["role"] == "student" and joined["progress"] == 0
    assert joined["id"] == course["id"] and joined["modules"][0]["title"] == "Linear structures"
    again, _ = await api.enroll(student, course["id"], code)
    assert again == 200
    assert [c["id"] for c in (await api.list(student))["items"]] == [course["id"]]


async def test_wrong_missing_or_revoked_codes_look_like_no_course(api) -> None:
    owner, student, course, code = await _shared(api)
    status, body = await api.enroll(student, course["id"], "guess")
    assert (status, body["code"]) == (404, "RESOURCE_NOT_FOUND")
    new_code = await api.share(owner, course["id"])  # rotating kills the old code
    assert (await api.enroll(student, course["id"], code))[0] == 404
    response = await api.client.delete(f"{BASE}/{course['id']}/share", headers=owner)
    assert response.status_code == 204
    assert (await api.enroll(student, course["id"], new_code))[0] == 404
    unshared = await api.create(owner, {"title": "Private"})
    assert (await api.enroll(student, unshared["id"], new_code))[0] == 404


async def test_share_code_is_for_the_owner_only(api) -> None:
    owner, student, course, code = await _shared(api)
    response = await api.client.get(f"{BASE}/{course['id']}/share", headers=owner)
    assert (await response.get_json()) == {"share_code": code}
    await api.enroll(student, course["id"], code)
    for method in ("get", "post", "delete"):
        response = await getattr(api.client, method)(
            f"{BASE}/{course['id']}/share", headers=student
        )
        await assert_error(response, 403, "FORBIDDEN")


async def test_progress_is_per_member(api) -> None:
    owner, student, course, code = await _shared(api)
    await api.enroll(student, course["id"], code)
    topics = topic_ids(course)
    status, mine = await api.tick(student, course["id"], topics[0])
    assert status == 200 and mine["progress"] == 25
    await api.tick(student, course["id"], topics[1])
    assert (await api.get(student, course["id"]))["progress"] == 50
    owners = await api.get(owner, course["id"])
    assert owners["progress"] == 0
    assert not any(t["done"] for m in owners["modules"] for t in m["topics"])
    for topic in topics:
        await api.tick(owner, course["id"], topic)
    assert (await api.get(owner, course["id"]))["progress"] == 100
    assert (await api.get(student, course["id"]))["progress"] == 50
    status, undone = await api.tick(student, course["id"], topics[0], done=False)
    assert status == 200 and undone["progress"] == 25
    status, again = await api.tick(student, course["id"], topics[0], done=False)
    assert status == 200 and again["progress"] == 25


async def test_progress_rounds_down_until_everything_is_done(api) -> None:
    headers = await api.user()
    course = await api.create(
        headers, {"title": "Three", "modules": [{"title": "m", "topics": [{"title": "a"}] * 3}]}
    )
    ids = topic_ids(course)
    progress = []
    for topic in ids:
        progress.append((await api.tick(headers, course["id"], topic))[1]["progress"])
    assert progress == [33, 66, 100]


async def test_students_cannot_change_or_delete_the_course(api) -> None:
    owner, student, course, code = await _shared(api)
    await api.enroll(student, course["id"], code)
    refused = await api.client.patch(f"{BASE}/{course['id']}", headers=student, json={"title": "x"})
    await assert_error(refused, 403, "FORBIDDEN")
    refused = await api.client.delete(f"{BASE}/{course['id']}", headers=student)
    await assert_error(refused, 403, "FORBIDDEN")
    assert (await api.get(owner, course["id"]))["title"] == course["title"]


async def test_a_student_leaves_and_the_owner_cannot(api) -> None:
    owner, student, course, code = await _shared(api)
    await api.enroll(student, course["id"], code)
    await api.tick(student, course["id"], topic_ids(course)[0])
    response = await api.client.delete(f"{BASE}/{course['id']}/enroll", headers=student)
    assert response.status_code == 204
    await api.get(student, course["id"], status=404)
    await api.enroll(student, course["id"], code)
    assert (await api.get(student, course["id"]))["progress"] == 0  # ticks left with them
    response = await api.client.delete(f"{BASE}/{course['id']}/enroll", headers=owner)
    await assert_error(response, 409, "CONFLICT")


async def test_deleting_a_course_removes_it_for_its_students(api) -> None:
    owner, student, course, code = await _shared(api)
    await api.enroll(student, course["id"], code)
    assert (await api.client.delete(f"{BASE}/{course['id']}", headers=owner)).status_code == 204
    await api.get(student, course["id"], status=404)
    assert (await api.list(student))["items"] == []


async def test_list_filters_scope_ai_generated_and_title_search(api) -> None:
    _owner, student, shared, code = await _shared(api)
    await api.enroll(student, shared["id"], code)
    own = await api.create(student, {"title": "Graph Algorithms", "ai_generated": True})
    pct = await api.create(student, {"title": "100% of_it"})

    async def ids(query):
        return [c["id"] for c in (await api.list(student, query))["items"]]

    assert await ids("") == [pct["id"], own["id"], shared["id"]]
    assert await ids("scope=created") == [pct["id"], own["id"]]
    assert await ids("scope=enrolled") == [shared["id"]]
    assert await ids("ai_generated=true") == [own["id"]]
    assert await ids("ai_generated=false") == [pct["id"], shared["id"]]
    assert await ids("q=graph") == [own["id"]]
    assert await ids("q=STRUCT") == [shared["id"]]
    assert await ids("q=%25") == [pct["id"]]  # a literal %, not a wildcard
    assert await ids("q=f_i") == [pct["id"]]
    assert await ids("q=_x") == []
    assert await ids("q=' OR 1=1 --") == []


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"title": "mine now"}),
        ("delete", "", None),
        ("delete", "/enroll", None),
        ("get", "/share", None),
        ("post", "/share", None),
        ("delete", "/share", None),
        ("put", "/topics/{topic}/done", None),
        ("delete", "/topics/{topic}/done", None),
    ],
)
async def test_another_users_course_is_404_on_every_route(api, method, suffix, body) -> None:
    owner = await api.user("owner@example.com")
    stranger = await api.user("stranger@example.com")
    course = await api.create(owner)
    path = f"{BASE}/{course['id']}{suffix.format(topic=topic_ids(course)[0])}"
    kwargs = {"json": body} if body is not None else {}
    response = await getattr(api.client, method)(path, headers=stranger, **kwargs)
    error = await assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert course["title"] not in str(error)
    assert await api.get(owner, course["id"]) == course
    assert (await api.list(stranger))["items"] == []
