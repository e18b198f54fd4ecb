"""Own and shared only: another user's private resource is 404 on every route."""

from __future__ import annotations

import pytest
from auth_support import assert_error
from resources_support import Resources


@pytest.fixture
async def private(ada: Resources) -> dict:
    return await ada.create(title="Ada's secret notes on graphs", tags=["private"])


async def test_another_users_resource_is_invisible_everywhere(
    ada: Resources, bob: Resources, private: dict
) -> None:
    url = f"/api/v1/resources/{private['id']}"
    for call in (
        bob.client.get(url, headers=bob.headers),
        bob.client.patch(url, json={"title": "mine"}, headers=bob.headers),
        bob.client.delete(url, headers=bob.headers),
    ):
        await assert_error(await call, 404, "RESOURCE_NOT_FOUND")
    assert await bob.titles() == []
    assert await bob.titles(q="graphs") == []
    assert await bob.titles(tag="private") == []
    assert (await bob.recommend(topic="graphs"))["items"] == []
    assert await ada.titles(q="graphs") == ["Ada's secret notes on graphs"]


async def test_an_admin_does_not_see_private_resources(root: Resources, private: dict) -> None:
    response = await root.client.get(f"/api/v1/resources/{private['id']}", headers=root.headers)
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert await root.titles(q="graphs") == []


async def test_shared_resources_are_seen_by_everyone(
    root: Resources, ada: Resources, bob: Resources
) -> None:
    shared = await root.create(title="Graph algorithms handbook", shared=True, tags=["graphs"])
    assert shared["shared"] is True
    for who in (ada, bob, root):
        assert await who.titles(q="graph") == ["Graph algorithms handbook"]
        assert await who.titles(tag="graphs") == ["Graph algorithms handbook"]
        response = await who.client.get(f"/api/v1/resources/{shared['id']}", headers=who.headers)
        assert response.status_code == 200
    recommended = await ada.recommend(topic="graph algorithms")
    assert [i["resource"]["id"] for i in recommended["items"]] == [shared["id"]]


async def test_only_admins_share_and_change_shared_resources(
    root: Resources, ada: Resources
) -> None:
    body = await ada.create(expect=403, title="Everyone look", shared=True)
    assert body["code"] == "FORBIDDEN"
    own = await ada.create(title="Mine")
    response = await ada.client.patch(
        f"/api/v1/resources/{own['id']}", json={"shared": True}, headers=ada.headers
    )
    await assert_error(response, 403, "FORBIDDEN")
    shared = await root.create(title="Handbook", shared=True)
    url = f"/api/v1/resources/{shared['id']}"
    await assert_error(
        await ada.client.patch(url, json={"title": "Mine now"}, headers=ada.headers),
        403,
        "FORBIDDEN",
    )
    await assert_error(await ada.client.delete(url, headers=ada.headers), 403, "FORBIDDEN")
    response = await root.client.patch(url, json={"tags": ["reference"]}, headers=root.headers)
    assert (await response.get_json())["tags"] == ["reference"]
    assert (await root.client.delete(url, headers=root.headers)).status_code == 204
    assert await ada.titles() == ["Mine"]


async def test_another_admin_may_delete_a_shared_resource(api, root: Resources) -> None:
    other = Resources(api, await api.admin("root2@example.com"))
    shared = await root.create(title="Handbook", shared=True)
    response = await other.client.delete(f"/api/v1/resources/{shared['id']}", headers=other.headers)
    assert response.status_code == 204
