"""Every hook of the contract is documented and exercised by a test (as datasette does)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from maigie_core.plugins import hook_names

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "plugins.md").read_text()
TEST_SOURCES = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("*.py"))


@pytest.mark.parametrize("hook", hook_names())
def test_hook_has_a_documentation_section(hook: str) -> None:
    assert re.search(rf"^### `{hook}\(", DOCS, re.M), f"docs/plugins.md lacks ### `{hook}(...)`"


@pytest.mark.parametrize("hook", hook_names())
def test_hook_is_implemented_by_some_test_plugin(hook: str) -> None:
    assert re.search(rf"def {hook}\(", TEST_SOURCES) or f"{hook}=hookimpl" in TEST_SOURCES, (
        f"no test implements the {hook} hook"
    )
