"""The per-socket send queue: a client that stops reading is closed (1013), a replay is not."""

from __future__ import annotations

import json

from maigie_core.principal import Principal
from maigie_core.realtime.connection import Close, Connection
from maigie_core.realtime.protocol import CLOSE_TRY_AGAIN

LIMIT = 5


def _conn() -> Connection:
    user = Principal(id="u1", email="a@example.com", role="user", tier="free", timezone="UTC")
    return Connection(user, "s1", 0, LIMIT)


def _closed_slow(conn: Connection) -> bool:
    closing = conn.closing
    return (
        isinstance(closing, Close)
        and closing.code == CLOSE_TRY_AGAIN
        and json.loads(closing.frame or "{}")["code"] == "SLOW_CONSUMER"
    )


async def test_a_client_that_does_not_read_is_closed_when_its_queue_is_full() -> None:
    conn = _conn()
    for n in range(LIMIT):
        conn.push(f"live {n}")
    assert conn.closing is None
    conn.push("one too many")
    assert _closed_slow(conn)


async def test_a_replay_longer_than_the_queue_is_sent_and_live_frames_queue_behind_it() -> None:
    conn = _conn()
    for n in range(4 * LIMIT):
        conn.push(f"replayed {n}", replay=True)
    for n in range(LIMIT):  # live events arriving before the writer drained the replay
        conn.push(f"live {n}")
    assert conn.closing is None and len(conn.outbox) == 5 * LIMIT
    for _ in range(4 * LIMIT):  # the writer sends the replay first
        assert str(conn.outbox.popleft()).startswith("replayed")
    conn.push("one too many")  # LIMIT live frames queued and unread: the usual rule
    assert _closed_slow(conn)


async def test_a_drained_replay_leaves_the_usual_limit() -> None:
    conn = _conn()
    for n in range(3 * LIMIT):
        conn.push(f"replayed {n}", replay=True)
    conn.outbox.clear()  # all sent
    for n in range(LIMIT):
        conn.push(f"live {n}")
    assert conn.closing is None
    conn.push("one too many")
    assert _closed_slow(conn)
