"""Bad input is a 422 envelope (never a 500); unknown or malformed ids are 404."""

from __future__ import annotations

import pytest
from auth_support import assert_error
from courses_support import BASE, sample_course


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "ok", "description": "x" * 5001},
        {"title": "ok", "colour": "red"},
        {"title": "ok", "modules": [{"title": ""}]},
        {"title": "ok", "modules": [{"title": "m", "topics": [{"title": "t", "extra": 1}]}]},
        {
            "title": "ok",
            "modules": [{"title": "m", "topics": [{"title": "t", "estimated_minutes": 0}]}],
        },
        {"title": "ok", "modules": [{"title": "m", "order": 3}]},
        {"title": "ok", "duration_weeks": 0},
        {"title": "ok", "modules": [{"title": f"m{i}"} for i in range(51)]},
        {"description": "no title"},
        {"title": None},
    ],
)
async def test_create_refuses_invalid_bodies(api, body) -> None:
    headers = await api.user()
    response = await api.client.post(BASE, headers=headers, json=body)
    error = await assert_error(response, 422, "VALIDATION_ERROR")
    assert error["detail"], error
    assert (await api.list(headers))["items"] == []


async def test_malformed_json_is_an_envelope(api) -> None:
    response = await api.client.post(
        BASE, headers={**await api.user(), "Content-Type": "application/json"}, data="{nope"
    )
    body = await response.get_json()
    assert response.status_code in (400, 422) and body["code"] in (
        "BAD_REQUEST",
        "VALIDATION_ERROR",
    )


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=abc",
        "cursor=%21%21",
        "scope=mine",
        "bogus=1",
        "cursor=" + "x" * 300,
    ],
)
async def test_list_refuses_bad_pagination_and_filters(api, query) -> None:
    response = await api.client.get(f"{BASE}?{query}", headers=await api.user())
    await assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/not-a-uuid"),
        ("patch", "/not-a-uuid"),
        ("delete", "/not-a-uuid"),
        ("post", "/not-a-uuid/enroll"),
        ("delete", "/not-a-uuid/enroll"),
        ("put", "/not-a-uuid/topics/also-bad/done"),
        ("get", "/12345678-1234-1234-1234-123456789abc"),
        ("post", "/not-a-uuid/share"),
    ],
)
async def test_bad_or_unknown_ids_are_404(api, method, path) -> None:
    headers = await api.user()
    kwargs = {"json": {"share_code": "abc"}} if path.endswith("enroll") and method == "post" else {}
    if method == "patch":
        kwargs = {"json": {"title": "x"}}
    response = await getattr(api.client, method)(f"{BASE}{path}", headers=headers, **kwargs)
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_bad_topic_id_is_404(api) -> None:
    headers = await api.user()
    course = await api.create(headers)
    for topic in ("nope", "12345678-1234-1234-1234-123456789abc"):
        status, body = await api.tick(headers, course["id"], topic)
        assert (status, body["code"]) == (404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": None},
        {"description": None},
        {"modules": None},
        {"modules": [{"topics": []}]},
        {"modules": [{"id": "not-a-uuid"}]},
        {"owner_id": "12345678-1234-1234-1234-123456789abc"},
        {"frozen": False},
    ],
)
async def test_patch_refuses_invalid_bodies(api, body) -> None:
    headers = await api.user()
    course = await api.create(headers, sample_course())
    await api.patch(headers, course["id"], body, status=422)
    assert await api.get(headers, course["id"]) == course
