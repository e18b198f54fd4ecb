"""The plugin as the platform sees it: entry point, hooks, disabled, OpenAPI."""

from __future__ import annotations

from importlib.metadata import entry_points

import maigie_resources
from auth_support import Api
from resources_support import Resources, user_id

from maigie_core import Principal, resolve_object
from maigie_core.plugins import write_plugin_state
from maigie_core.runtime import runtime


def test_the_entry_point_loads_the_plugin() -> None:
    (ep,) = [e for e in entry_points(group="maigie.plugins") if e.name == "resources"]
    assert ep.value == "maigie_resources" and ep.load() is maigie_resources


async def test_loaded_through_its_entry_point(make_app) -> None:
    app = make_app(entry_points=True, STRICT_PLUGINS=False)  # others may be mid-build
    record = runtime(app).plugins.records["resources"]
    assert record.error is None and record.enabled
    assert "daily_recommendations" in runtime(app).tier_limits
    async with app.test_app():
        api = Api(app)
        who = Resources(api, await api.user())
        await who.create(title="Graph theory")
        assert await who.titles(q="graphs") == ["Graph theory"]


async def test_disabled_plugin_routes_are_404_and_the_app_is_healthy(make_app) -> None:
    first = make_app(plugins={"resources": maigie_resources})
    write_plugin_state(runtime(first).db, "resources", False)
    app = make_app(plugins={"resources": maigie_resources})
    assert "daily_recommendations" not in runtime(app).tier_limits
    assert "recommend_resources" not in runtime(app).ai_actions
    async with app.test_app():
        api = Api(app)
        headers = await api.user()
        for method, path in (
            ("get", "/api/v1/resources"),
            ("post", "/api/v1/resources/recommend"),
            ("get", "/api/v1/resources/00000000-0000-0000-0000-000000000000"),
        ):
            response = await getattr(api.client, method)(path, headers=headers)
            assert response.status_code == 404
            assert (await response.get_json())["code"] == "RESOURCE_NOT_FOUND"
        spec = await (await api.client.get("/openapi.json")).get_json()
        assert not any(path.startswith("/api/v1/resources") for path in spec["paths"])
        assert (await api.client.get("/health")).status_code == 200


async def test_openapi_documents_the_routes(api: Api) -> None:
    spec = await (await api.client.get("/openapi.json")).get_json()
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/resources"])
    assert "post" in spec["paths"]["/api/v1/resources/recommend"]
    params = {p["name"] for p in spec["paths"]["/api/v1/resources"]["get"]["parameters"]}
    assert {"q", "type", "tag", "limit", "cursor"} <= params


async def test_resolve_object_answers_for_visible_resources(
    app, api: Api, ada: Resources, bob: Resources
) -> None:
    created = await ada.create(title="Graph theory")
    ada_p = Principal(await user_id(api, ada), "ada@example.com")
    bob_p = Principal(await user_id(api, bob), "bob@example.com")
    async with app.app_context():
        assert (await resolve_object("resource", created["id"], ada_p))["title"] == "Graph theory"
        assert await resolve_object("resource", created["id"], bob_p) is None
        assert await resolve_object("resource", "nope", ada_p) is None


async def test_export_and_delete_user_data(app, api: Api, ada: Resources, bob: Resources) -> None:
    await ada.create(title="Graph theory", tags=["cs"])
    await bob.create(title="Bob's")
    ada_id = await user_id(api, ada)
    async with app.app_context():
        host = runtime(app).plugins
        exported = dict(await host.call("export_user_data", user_id=ada_id))["resources"]
        assert [r["title"] for r in exported["resources"]] == ["Graph theory"]
        await host.call("delete_user_data", user_id=ada_id)
    assert await ada.titles() == []
    assert await ada.titles(q="graph") == []
    assert await bob.titles() == ["Bob's"]


async def test_ai_actions_save_and_recommend(app, api: Api, ada: Resources) -> None:
    actions = runtime(app).ai_actions
    save, recommend = actions["save_resource"], actions["recommend_resources"]
    assert "shared" not in save.payload.model_json_schema()["properties"]
    principal = Principal(await user_id(api, ada), "ada@example.com")
    async with app.test_request_context("/"):
        saved = await save.handler(
            principal,
            save.payload.model_validate({"title": "Graph theory", "url": "https://e.com/g"}),
        )
        assert saved["title"] == "Graph theory"
        body = await recommend.handler(
            principal, recommend.payload.model_validate({"topic": "graphs"})
        )
    assert [item["resource"]["id"] for item in body["items"]] == [saved["id"]]


async def test_account_export_and_deletion_carry_resources(app, api: Api, ada: Resources) -> None:
    from auth_support import PASSWORD
    from maigie_resources.models import Resource, ResourceTag

    await ada.create(title="Graph theory", tags=["cs"])
    response = await api.client.get("/api/v1/auth/me/export", headers=ada.headers)
    exported = await response.get_json()
    titles = [r["title"] for r in exported["plugins"]["resources"]["resources"]]
    assert titles == ["Graph theory"]
    response = await api.client.delete(
        "/api/v1/auth/me", json={"password": PASSWORD}, headers=ada.headers
    )
    assert response.status_code == 204
    async with app.app_context():
        assert await Resource.select().aio_count() == 0
        assert await ResourceTag.select().aio_count() == 0
