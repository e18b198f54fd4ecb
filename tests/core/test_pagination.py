"""The shared pagination helpers: opaque keyset cursors, forged ones refused."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from pydantic import ValidationError

from maigie_core import ValidationFailed
from maigie_core.pagination import PageQuery, decode_cursor, encode_cursor, page


def test_cursor_round_trips_the_sort_key() -> None:
    stamp, item = datetime(2026, 11, 26, 12, 0, 0, 123456), uuid.uuid4()
    assert decode_cursor(encode_cursor(stamp, item)) == (stamp, item)
    assert decode_cursor(None) is None and decode_cursor("") is None


@pytest.mark.parametrize("forged", ["abc", "!!!", "bm90IGEgY3Vyc29y", "x" * 150, "%00"])
def test_forged_cursor_is_a_422_naming_cursor(forged: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(forged)
    assert info.value.detail[0]["loc"] == ["cursor"]


@pytest.mark.parametrize("limit", [0, 101, -5])
def test_limit_outside_1_to_100_is_refused(limit: int) -> None:
    with pytest.raises(ValidationError):
        PageQuery(limit=limit)
    assert PageQuery().limit == 20


def test_page_reports_a_next_cursor_only_when_more_rows_exist() -> None:
    rows = [{"id": uuid.uuid4(), "created_at": datetime(2026, 1, d)} for d in (3, 2, 1)]
    first = page(rows, 2, lambda r: (r["created_at"], r["id"]))
    assert first["items"] == rows[:2]
    assert decode_cursor(first["next_cursor"]) == (rows[1]["created_at"], rows[1]["id"])
    last = page(rows[2:], 2, lambda r: (r["created_at"], r["id"]), render=lambda r: r["id"])
    assert last == {"items": [rows[2]["id"]], "next_cursor": None}


@pytest.mark.parametrize(
    "stamp",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC (OverflowError)
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "1000-01-01T00:00:00",
    ],
)
def test_cursor_with_a_forged_time_is_a_422(stamp: str) -> None:
    forged = encode_cursor(stamp, uuid.uuid4())
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(forged)
    assert info.value.detail[0]["loc"] == ["cursor"]


def test_cursor_time_comes_back_as_naive_utc() -> None:
    """As the database stores it; an offset PostgreSQL refuses (``+23:59``) never reaches it."""
    item = uuid.uuid4()
    decoded = decode_cursor(encode_cursor("2030-01-01T05:30:00+05:30", item))
    assert decoded == (datetime(2030, 1, 1, 0, 0), item)
    decoded = decode_cursor(encode_cursor("2030-01-01T23:59:00+23:59", item))
    assert decoded == (datetime(2030, 1, 1, 0, 0), item)
