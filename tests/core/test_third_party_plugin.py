"""A plugin shipped as its own distribution works with no change to the core."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from maigie_core import create_app
from maigie_core.db.migrations import apply_migrations
from maigie_core.runtime import runtime

SOURCE = Path(__file__).parent.parent / "third_party" / "maigie_hello"


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory):
    """pip-install tests/third_party/maigie_hello into a private target dir."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(SOURCE),
        ],
        check=True,
        cwd=build,
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))
    for name in [m for m in sys.modules if m.startswith("maigie_hello")]:
        del sys.modules[name]


async def test_route_model_and_migration_of_an_installed_plugin(installed_plugin, make_settings):
    app = create_app(make_settings(), entry_points=True)  # strict: every plugin must load
    rt = runtime(app)
    assert rt.plugins.records["hello"].version == "1.0.0"
    ran = apply_migrations(rt.db, rt.migrations)
    assert ("hello", "0001_greetings") in ran
    assert apply_migrations(rt.db, rt.migrations) == []  # idempotent
    async with app.test_app():
        client = app.test_client()
        created = await client.post("/api/v1/hello/greetings", json={"text": "hi"})
        assert created.status_code == 201
        listed = await (await client.get("/api/v1/hello/greetings")).get_json()
        assert listed == {"items": ["hi"]}
        spec = await (await client.get("/openapi.json")).get_json()
        assert "/api/v1/hello/greetings" in spec["paths"]
        invalid = await client.post("/api/v1/hello/greetings", json={"text": ""})
        assert invalid.status_code == 422


def test_cli_lists_the_installed_plugin(installed_plugin, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed_plugin), "MAIGIE_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "maigie_core", "plugins", "list", "--json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    hello = next(p for p in json.loads(out) if p["name"] == "hello")
    assert hello["version"] == "1.0.0" and hello["enabled"] and hello["error"] is None
    assert hello["hooks"] == ["register_blueprints", "register_migrations"]
