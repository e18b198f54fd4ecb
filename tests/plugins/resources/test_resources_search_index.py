"""The search index follows visibility and type changes; migration 0002 on old data."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import maigie_resources
import pytest
from auth_support import Api
from quart import Quart
from resources_support import Resources, StudyObjects

from maigie_core.db import is_postgres
from maigie_core.db import migrations as db_migrations
from maigie_core.runtime import runtime


async def test_search_follows_sharing_type_and_deletion(root: Resources, bob: Resources) -> None:
    handbook = await root.create(title="Graph algorithms handbook", type="article")
    url = f"/api/v1/resources/{handbook['id']}"
    assert await bob.titles(q="graph") == []

    async def patch(**body: object) -> None:
        response = await root.client.patch(url, json=body, headers=root.headers)
        assert response.status_code == 200, await response.get_json()

    await patch(shared=True)
    assert await bob.titles(q="graph") == ["Graph algorithms handbook"]
    assert await bob.titles(q="graph", type="article") == ["Graph algorithms handbook"]
    await patch(type="book")
    assert await bob.titles(q="graph", type="article") == []
    assert await bob.titles(q="graph", type="book") == ["Graph algorithms handbook"]
    await patch(shared=False)
    assert await bob.titles(q="graph") == []
    assert await root.titles(q="graph", type="book") == ["Graph algorithms handbook"]
    await patch(shared=True)
    response = await root.client.delete(url, headers=root.headers)
    assert response.status_code == 204
    assert await bob.titles(q="graph") == []


SEED = (
    "INSERT INTO resources_resource (id, created_at, updated_at, owner_id, shared, title,"
    " url, type, description, tags) VALUES (?, '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
    " ?, ?, ?, 'https://example.com/x', ?, ?, '[]')"
)


async def test_migration_0002_fills_the_index_of_an_existing_database(
    make_app: Callable[..., Quart], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resources written before 0002 (its old triggers) are searched correctly after it."""
    discover = db_migrations.discover
    monkeypatch.setattr(
        db_migrations,
        "discover",
        lambda s: [n for n in discover(s) if "search_visibility" not in n],
    )
    app = make_app(plugins={"resources": maigie_resources, "study": StudyObjects()})
    db = runtime(app).db
    if is_postgres(db):
        pytest.skip("SQLite only: PostgreSQL has nothing to migrate")
    stranger = uuid.uuid4().hex
    rows = [
        (uuid.uuid4().hex, stranger, 1, "Shared graph atlas", "book", "Maps of graphs"),
        (uuid.uuid4().hex, stranger, 0, "Private graph notes", "article", "Mine alone"),
        (uuid.uuid4().hex, stranger, 1, "Shared cooking", "video", "A graph of recipes"),
    ]
    with db.allow_sync():
        for row in rows:
            db.execute_sql(SEED, row)
    monkeypatch.setattr(db_migrations, "discover", discover)
    ran = db_migrations.apply_migrations(db, runtime(app).migrations)
    assert ("resources", "0002_search_visibility") in ran

    async with app.test_app():
        api = Api(app)
        reader = Resources(api, await api.user("reader@example.com"))
        assert await reader.titles(q="graph") == ["Shared graph atlas", "Shared cooking"]
        assert await reader.titles(q="graph", type="video") == ["Shared cooking"]
        mine = await reader.create(title="My graph", type="video")
        assert mine["title"] in await reader.titles(q="graph", type="video")
