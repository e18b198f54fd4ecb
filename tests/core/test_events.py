"""Domain events: buffered in transactions, delivered after the outermost commit."""

from __future__ import annotations

import peewee
import pytest

from maigie_core import EventSubscriber, emit, hookimpl, transaction
from maigie_core.db import database
from maigie_core.events import Event
from maigie_core.runtime import runtime


class Recorder:
    """A plugin that subscribes to every event and records it."""

    def __init__(self, pattern: str = "*") -> None:
        self.pattern = pattern
        self.seen: list[Event] = []

    @hookimpl
    def register_event_subscribers(self):
        async def record(event: Event) -> None:
            self.seen.append(event)

        return [EventSubscriber(self.pattern, record)]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.seen]


@pytest.fixture
async def recorder(make_app):
    rec = Recorder()
    app = make_app(plugins={"recorder": rec})
    async with app.test_app(), app.app_context():
        yield rec


async def _write_row() -> None:
    await database.aio_execute_sql(
        "INSERT INTO maigie_plugin_state (name, enabled, changed_at) "
        "VALUES ('x', TRUE, '2026-01-01')"
    )


async def test_event_inside_transaction_waits_for_commit(recorder) -> None:
    async with transaction():
        await emit("thing.created", "u1", {"id": "1"})
        assert recorder.names == []
    assert recorder.names == ["thing.created"]
    assert recorder.seen[0].channel == "user:u1"


async def test_rolled_back_transaction_emits_nothing(recorder) -> None:
    with pytest.raises(RuntimeError):
        async with transaction():
            await emit("thing.created", "u1", {"id": "1"})
            raise RuntimeError("abort")
    assert recorder.names == []


async def test_failed_write_rolls_back_row_and_event(recorder) -> None:
    with pytest.raises(peewee.IntegrityError):
        async with transaction():
            await _write_row()
            await emit("thing.created", "u1", {})
            await _write_row()  # duplicate primary key
    rows = await database.aio_execute_sql(
        "SELECT COUNT(*) FROM maigie_plugin_state", fetch_results=lambda db, c: c.fetchone()
    )
    assert rows[0] == 0
    assert recorder.names == []


async def test_nested_rollback_drops_only_inner_events(recorder) -> None:
    async with transaction():
        await emit("outer.before", "u1", {})
        with pytest.raises(ValueError):
            async with transaction():
                await emit("inner.lost", "u1", {})
                raise ValueError
        async with transaction():
            await emit("inner.kept", "u1", {})
        await emit("outer.after", "u1", {})
        assert recorder.names == []
    assert recorder.names == ["outer.before", "inner.kept", "outer.after"]


async def test_event_outside_transaction_is_delivered_at_once(recorder) -> None:
    await emit("thing.pinged", None, {"n": 1}, channel="public")
    assert recorder.names == ["thing.pinged"]
    assert recorder.seen[0].channel == "public"


async def test_event_ids_increase_across_channels(recorder) -> None:
    await emit("a.one", "u1", {})
    await emit("a.two", "u2", {})
    async with transaction():
        await emit("a.three", "u1", {}, channel="course:1")
    ids = [e.id for e in recorder.seen]
    assert ids == sorted(ids) and len(set(ids)) == 3


async def test_subscriber_patterns_and_failures(make_app) -> None:
    goals = Recorder("goal.*")
    exact = Recorder("goal.created")

    class Failing:
        @hookimpl
        def register_event_subscribers(self):
            def explode(event: Event) -> None:
                raise RuntimeError("subscriber bug")

            return [EventSubscriber("*", explode, name="failing")]

    app = make_app(plugins={"goals": goals, "exact": exact, "failing": Failing()})
    async with app.test_app(), app.app_context():
        await emit("goal.created", "u1", {})
        await emit("goal.completed", "u1", {})
        await emit("course.created", "u1", {})
    assert goals.names == ["goal.created", "goal.completed"]
    assert exact.names == ["goal.created"]


async def test_sinks_see_numbered_events_before_subscribers(make_app) -> None:
    order: list[str] = []
    rec = Recorder()
    app = make_app(plugins={"rec": rec})

    async def sink(event: Event) -> None:
        order.append(f"sink:{event.id}")

    runtime(app).events.add_sink(sink)
    async with app.test_app(), app.app_context():
        await emit("x.y", "u1", {"k": "v"})
    assert order == [f"sink:{rec.seen[0].id}"]
    assert rec.seen[0].as_message() == {
        "type": "event",
        "id": rec.seen[0].id,
        "event": "x.y",
        "channel": "user:u1",
        "data": {"k": "v"},
    }
