"""GET /resources: full-text search on the database's own engine, filters, pagination."""

from __future__ import annotations

import pytest
from auth_support import assert_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from resources_support import Resources

GRAPH = ["Graph theory", {"Networks", "Trees"}]  # title first; two B-weight matches tie


def ranked(titles: list[str]) -> list:
    """Titles with the tied tail as a set (ties are broken by id, i.e. arbitrarily)."""
    return [titles[0], set(titles[1:])] if titles else []


@pytest.fixture
async def library(ada: Resources) -> Resources:
    await ada.create(title="Cooking basics", description="Knife skills and sauces", type="video")
    await ada.create(title="Networks", description="A graph is made of nodes and edges")
    await ada.create(title="Graph theory", description="Vertices, edges, paths", type="book")
    await ada.create(title="Linear algebra", description="Matrices", tags=["math"])
    await ada.create(title="Trees", description="Binary search trees", tags=["graph", "cs"])
    return ada


async def test_a_title_match_ranks_above_a_tag_or_description_match(library: Resources) -> None:
    assert ranked(await library.titles(q="graph")) == GRAPH


async def test_every_term_must_match_and_words_are_stemmed(library: Resources) -> None:
    assert await library.titles(q="graphs edges") == ["Graph theory", "Networks"]
    assert await library.titles(q="the matrices") == ["Linear algebra"]  # stop word ignored
    assert await library.titles(q="submarine") == []


async def test_type_and_tag_filters_combine_with_search(library: Resources) -> None:
    assert await library.titles(q="graph", type="book") == ["Graph theory"]
    assert await library.titles(tag="math") == ["Linear algebra"]
    assert await library.titles(q="graph", tag="cs") == ["Trees"]
    assert await library.titles(tag="GRAPH") == ["Trees"]
    assert (await library.search(expect=422, type="podcast"))["code"] == "VALIDATION_ERROR"


async def test_without_q_the_list_is_newest_first(library: Resources) -> None:
    assert await library.titles() == [
        "Trees",
        "Linear algebra",
        "Graph theory",
        "Networks",
        "Cooking basics",
    ]
    assert await library.titles(q="   ") == await library.titles()


async def test_fts_syntax_in_q_is_plain_words(library: Resources) -> None:
    assert await library.titles(q="title:graph") == []  # "title" is a word, not a column
    assert await library.titles(q="description:matrices") == []
    assert await library.titles(q='"graph" OR "cooking"') == []  # OR is a word too
    assert ranked(await library.titles(q="graph*")) == GRAPH
    assert await library.titles(q="NEAR(graph edges)") == []
    assert ranked(await library.titles(q="-graph")) == GRAPH
    assert await library.titles(q="***") == []
    assert await library.titles(q="and or not") == []  # only stop words: nothing matches


HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "graph*",
    "NEAR(",
    "NEAR(graph edges, 2)",
    "AND OR NOT",
    "graph AND",
    "OR",
    "NOT graph",
    "'; DROP TABLE resources_resource; --",
    "1' OR '1'='1",
    "graph) OR (1=1",
    ":",
    "title:",
    "-",
    "--",
    "^",
    "^graph",
    "{title description}: graph",
    "graph + edges",
    "\\",
    "%",
    "_",
    "%s %s",
    "?",
    "\x00",
    "graph\x00edges",
    "\u00e9l\u00e8ve caf\u00e9",
    "\u56fe\u8bba",
    "\U0001f600 graph",
    "\u200b",
    "a" * 200,
    "graph " * 33,
    "&|!<->",
    'websearch or -graph "edges"',
]


@pytest.mark.parametrize("q", HOSTILE)
async def test_hostile_q_is_data_never_an_error(library: Resources, q: str) -> None:
    response = await library.client.get(
        "/api/v1/resources", query_string={"q": q}, headers=library.headers
    )
    assert response.status_code == 200, await response.get_json()
    assert isinstance((await response.get_json())["items"], list)


async def test_the_table_survives_injection_attempts(library: Resources) -> None:
    for q in HOSTILE:
        await library.search(q=q)
    assert len(await library.titles()) == 5
    assert ranked(await library.titles(q="graph")) == GRAPH


async def test_a_too_long_q_is_422(library: Resources) -> None:
    body = await library.search(expect=422, q="a" * 201)
    assert body["code"] == "VALIDATION_ERROR" and body["detail"][0]["loc"][-1] == "q"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(q=st.text(max_size=220))
async def test_any_q_is_200_or_422_for_too_long(library: Resources, q: str) -> None:
    response = await library.client.get(
        "/api/v1/resources", query_string={"q": q}, headers=library.headers
    )
    assert response.status_code == (200 if len(q) <= 200 else 422), (q, await response.get_json())


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", ""])
async def test_limit_outside_1_to_100_is_422(ada: Resources, limit: str) -> None:
    body = await ada.search(expect=422, limit=limit)
    assert body["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("q", [None, "lesson"])
async def test_cursor_pages_through_everything_once(ada: Resources, q: str | None) -> None:
    for n in range(25):
        await ada.create(title=f"Lesson {n}", description="lesson " * (n % 3 + 1))
    seen: list[str] = []
    params = {"limit": 10} | ({"q": q} if q else {})
    cursor = None
    pages = 0
    while True:
        page = await ada.search(**params, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 25 and len(set(seen)) == 25


@pytest.mark.parametrize("cursor", ["garbage", "W10", "eyJhIjoxfQ", "!!!", "x" * 600])
async def test_a_bad_cursor_is_422(ada: Resources, cursor: str) -> None:
    await ada.create(title="Lesson")
    body = await ada.search(expect=422, cursor=cursor)
    assert body["code"] == "VALIDATION_ERROR"


async def test_a_cursor_belongs_to_its_query(ada: Resources) -> None:
    for n in range(3):
        await ada.create(title=f"Lesson {n}")
    page = await ada.search(limit=1, q="lesson")
    assert page["next_cursor"]
    await ada.search(expect=422, limit=1, cursor=page["next_cursor"])
    await ada.search(expect=422, limit=1, q="other", cursor=page["next_cursor"])
    assert len((await ada.search(limit=1, q="lesson", cursor=page["next_cursor"]))["items"]) == 1


async def test_unknown_query_parameters_are_422(ada: Resources) -> None:
    response = await ada.client.get(
        "/api/v1/resources", query_string={"sort": "title"}, headers=ada.headers
    )
    await assert_error(response, 422, "VALIDATION_ERROR")


async def test_pages_are_exact_when_timestamps_tie(app, ada: Resources) -> None:
    from datetime import datetime

    from maigie_resources.models import Resource

    for n in range(7):
        await ada.create(title=f"Lesson {n}")
    async with app.app_context():
        await Resource.update(created_at=datetime(2026, 1, 1)).aio_execute()
    seen, cursor = [], None
    while True:
        page = await ada.search(limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)  # ties broken by id, newest-first order
