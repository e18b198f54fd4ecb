"""Reminder delivery with the real consumer: in-process (embedded default) and
``maigie worker`` processes (SQLite queue and Redis): within 5 s, exactly once, and a
reminder that fell due while no worker ran is delivered by the sweep at start."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import maigie_schedule
import pytest
from plugin_kit import EventLog
from process_support import Worker, only_plugin, worker_env
from schedule_support import REMINDERS, ScheduleApi
from wait_support import eventually

from maigie_core.db import utcnow

DELIVERY_BOUND = 5.0  # seconds after remind_at


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def _reminder(api: ScheduleApi, headers: dict[str, str], reminder_id: str) -> dict:
    return await api.call("get", f"{REMINDERS}/{reminder_id}", headers, 200)


async def _notes(api: ScheduleApi, headers: dict[str, str]) -> list[dict]:
    body = await api.call("get", "/api/v1/notifications", headers, 200)
    return [n for n in body["items"] if n["kind"] == "reminder"]


async def _missed_while_down(app: Any, user_id: str, message: str) -> str:
    """A due reminder row whose delivery task was never queued (lost, or no worker)."""
    from maigie_schedule.models import Reminder

    async with app.app_context():
        row = await Reminder.aio_create(
            owner_id=uuid.UUID(user_id),
            message=message,
            remind_at=utcnow() - timedelta(minutes=3),
        )
    return str(row.id)


async def _assert_punctual_and_once(
    api: ScheduleApi, headers: dict[str, str], made: dict, events: EventLog | None = None
) -> None:
    done = await eventually(
        lambda: _delivered(api, headers, made["id"]), DELIVERY_BOUND + 10, "the reminder"
    )
    remind_at = datetime.fromisoformat(made["remind_at"])
    delivered_at = datetime.fromisoformat(done["delivered_at"])
    assert timedelta(0) <= delivered_at - remind_at < timedelta(seconds=DELIVERY_BOUND)
    await asyncio.sleep(1.5)  # nothing else arrives (a second worker, the sweep)
    notes = [n for n in await _notes(api, headers) if n["data"]["reminder_id"] == made["id"]]
    assert len(notes) == 1
    if events is not None:
        assert [e.data["id"] for e in events.named("reminder.due")].count(made["id"]) == 1


async def _delivered(api: ScheduleApi, headers: dict[str, str], reminder_id: str) -> Any:
    row = await _reminder(api, headers, reminder_id)
    return row if row["delivered_at"] else None


# -- in-process: the embedded default -------------------------------------------------


async def test_embedded_consumer_delivers_within_5s_once_and_sweeps_at_start(make_app) -> None:
    plugins = {"schedule": maigie_schedule}
    # First the app with no consumer: one reminder falls due with its task queued, one
    # with its task lost; then `serve` starts with the consumer in-process.
    before = make_app(plugins=plugins, TASKS_IMMEDIATE=False, TASKS_EMBEDDED=False)
    api = ScheduleApi(before)
    async with before.test_app():
        headers = await api.user()
        me = await api.me(headers)
        queued = await api.reminder(
            headers, message="queued", remind_at=_iso(datetime.now(UTC) - timedelta(seconds=1))
        )
        assert (await _reminder(api, headers, queued["id"]))["delivered_at"] is None
        missed = await _missed_while_down(before, me["id"], "missed")

    events = EventLog()
    app = make_app(
        plugins={**plugins, "event_log": events},
        TASKS_IMMEDIATE=False,
        TASKS_EMBEDDED=True,
        TASKS_HEARTBEAT_INTERVAL=0.5,
    )
    api = ScheduleApi(app)
    async with app.test_app():
        await eventually(lambda: _delivered(api, headers, missed), 15, "the start-up sweep")
        await eventually(lambda: _delivered(api, headers, queued["id"]), 15, "the queued task")
        made = await api.reminder(
            headers, message="soon", remind_at=_iso(datetime.now(UTC) + timedelta(seconds=2))
        )
        await _assert_punctual_and_once(api, headers, made, events)
        titles = sorted(n["title"] for n in await _notes(api, headers))
        assert titles == ["missed", "queued", "soon"]


# -- `maigie worker` processes --------------------------------------------------------


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


async def test_worker_processes_deliver_within_5s_once_and_sweep_what_was_missed(
    make_app, redis_or_not, workers, tmp_path
) -> None:
    settings = {"TASKS_IMMEDIATE": False, "TASKS_EMBEDDED": False, **redis_or_not}
    app = make_app(plugins={"schedule": maigie_schedule}, **settings)
    only_plugin(app, "schedule")
    api = ScheduleApi(app)
    env = worker_env(app, TASKS_SHUTDOWN_TIMEOUT="5")
    async with app.test_app():
        headers = await api.user()
        me = await api.me(headers)
        missed = await _missed_while_down(app, me["id"], "missed")
        queued = await api.reminder(
            headers, message="queued", remind_at=_iso(datetime.now(UTC) - timedelta(seconds=1))
        )
        assert (await _reminder(api, headers, queued["id"]))["delivered_at"] is None
        # two workers compete for every task; each sweeps once at start
        workers.append(Worker(env, tmp_path / "worker0.log", "--workers", "2"))
        workers.append(Worker(env, tmp_path / "worker1.log", "--workers", "2"))
        try:
            await eventually(lambda: _delivered(api, headers, missed), 30, "the sweep")
            await eventually(lambda: _delivered(api, headers, queued["id"]), 30, "queued")
            made = await api.reminder(
                headers,
                message="soon",
                remind_at=_iso(datetime.now(UTC) + timedelta(seconds=3)),
            )
            await _assert_punctual_and_once(api, headers, made)
        except AssertionError:
            print("\n".join(w.output() for w in workers))
            raise
        titles = sorted(n["title"] for n in await _notes(api, headers))
        assert titles == ["missed", "queued", "soon"]
