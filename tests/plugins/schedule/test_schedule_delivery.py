"""Reminder delivery with the real consumer: in-process (embedded default) and
``maigie worker`` processes (SQLite queue and Redis): within 5 s, exactly once, and a
reminder that fell due while no worker ran is delivered by the sweep at start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import maigie_schedule
import pytest
from schedule_support import REMINDERS, EventLog, ScheduleApi
from wait_support import eventually

from maigie_core.db import utcnow
from maigie_core.plugins import write_plugin_state
from maigie_core.runtime import runtime

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


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "maigie_core", "worker", "--workers", "2"],
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.handle.close()


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest) -> dict[str, str]:
    """The queue's settings: the SQLite default, or Redis (keys dropped after the workers)."""
    if request.param == "redis":
        settings: dict[str, str] = request.getfixturevalue("redis_settings")
        return settings
    return {}


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def _worker_env(app: Any) -> dict[str, str]:
    s = runtime(app).settings
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MAIGIE_", "TASKS_", "REDIS_", "DATABASE_"))
    }
    env.update(
        MAIGIE_DATA_DIR=str(s.MAIGIE_DATA_DIR),
        DATABASE_URL=s.database_url,
        ENVIRONMENT="test",
        LOG_LEVEL="INFO",
        TASKS_HEARTBEAT_INTERVAL="0.5",
        TASKS_SHUTDOWN_TIMEOUT="5",
    )
    if s.REDIS_URL:
        env.update(REDIS_URL=s.REDIS_URL, REDIS_KEY_PREFIX=s.REDIS_KEY_PREFIX)
    return env


async def test_worker_processes_deliver_within_5s_once_and_sweep_what_was_missed(
    make_app, queue, workers, tmp_path
) -> None:
    app = make_app(
        plugins={"schedule": maigie_schedule}, TASKS_IMMEDIATE=False, TASKS_EMBEDDED=False, **queue
    )
    db = runtime(app).db
    for ep in entry_points(group="maigie.plugins"):  # the worker loads only this plugin
        if ep.name != "schedule":
            write_plugin_state(db, ep.name, False)
    api = ScheduleApi(app)
    env = _worker_env(app)
    async with app.test_app():
        headers = await api.user()
        me = await api.me(headers)
        missed = await _missed_while_down(app, me["id"], "missed")
        queued = await api.reminder(
            headers, message="queued", remind_at=_iso(datetime.now(UTC) - timedelta(seconds=1))
        )
        assert (await _reminder(api, headers, queued["id"]))["delivered_at"] is None
        # two workers compete for every task; each sweeps once at start
        workers.append(Worker(env, tmp_path / "worker0.log"))
        workers.append(Worker(env, tmp_path / "worker1.log"))
        logs = lambda: "\n".join(w.log.read_text() for w in workers)  # noqa: E731
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
            print(logs())
            raise
        titles = sorted(n["title"] for n in await _notes(api, headers))
        assert titles == ["missed", "queued", "soon"]
