"""The real consumer: `maigie worker` processes on SQLite storage and on Redis."""

from __future__ import annotations

import asyncio
import itertools
import signal

import maigie_tasktest as plugin
from wait_support import eventually

from maigie_core import emit
from maigie_core.tasks import store
from maigie_core.tasks.queue import TaskFailed


async def _workers_alive(h) -> int:
    return len(await store.live_workers(2.0))


async def test_task_enqueued_by_the_app_runs_in_a_worker_and_its_result_is_fetched_by_id(
    make_harness, backend
) -> None:
    h = make_harness(backend)
    async with h.app.test_app(), h.app.app_context():
        h.start_worker("--workers", "2")
        handle = await plugin.add.enqueue(2, 3)
        noted = await plugin.write_note.enqueue("k1", "hello")  # async task using the DB
        assert await asyncio.to_thread(h.queue.result, handle.id, 20) == 5, h.logs()
        result = await asyncio.to_thread(h.queue.result, noted.id, 20)
        assert result["notes"] == 1 and result["thread"].startswith("Worker-")
        assert await plugin.notes("k1") == ["hello"]
        assert h.queue.status(handle.id) == "complete"
        # the heartbeat makes the worker visible in /health
        await eventually(lambda: _workers_alive(h), what="worker heartbeat")
        health = await h.app.test_client().get("/health")
        body = await health.get_json()
        assert health.status_code == 200
        assert body["checks"]["task_worker"]["status"] == "ok"
        assert body["checks"]["task_queue"]["detail"]["backend"] == (
            "redis" if backend else "sqlite"
        )


async def test_listed_exception_is_retried_with_backoff_then_failed_and_cli_retry_succeeds(
    make_harness, backend
) -> None:
    h = make_harness(backend)
    async with h.app.test_app(), h.app.app_context():
        h.start_worker("--workers", "1")
        handle = await plugin.flaky.enqueue("f1")

        async def failed():
            return [r for r in await store.failed_tasks() if r.task_id == handle.id]

        [record] = await eventually(failed, within=30, what="the failure record")
        assert record.task_name == "tasktest.flaky" and record.attempts == 3
        assert "Flaky: switch f1 is off" in record.exception
        assert "raise Flaky" in record.traceback
        times = [float(t) for t in await plugin.notes("attempt:f1")]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert len(times) == 3 and gaps[0] >= 0.9 and gaps[1] >= 1.9  # 1 s, then 2 s
        # the failure record (our store) and Huey's result are written one after the other

        async def failed_status() -> bool:
            return h.queue.status(handle.id) == "failed"

        await eventually(failed_status, within=10, what="Huey's failed result")

        listed = await asyncio.to_thread(h.cli, "tasks", "failed")
        assert str(record.id) in listed.stdout and "tasktest.flaky" in listed.stdout

        await plugin.note("switch:f1", "ok")
        retried = await asyncio.to_thread(h.cli, "tasks", "retry", str(record.id)[:8])
        assert retried.returncode == 0, retried.stderr
        new_id = retried.stdout.strip().rsplit(" ", 1)[-1]
        assert await asyncio.to_thread(h.queue.result, new_id, 20) == "f1 done", h.logs()
        assert await failed() == []  # retried records leave the default listing
        again = await asyncio.to_thread(h.cli, "tasks", "retry", str(record.id))
        assert again.returncode == 0  # an operator may retry the same record again


async def test_unlisted_exception_fails_at_once_without_retries(make_harness, backend) -> None:
    h = make_harness(backend)
    async with h.app.test_app(), h.app.app_context():
        h.start_worker("--workers", "1")
        handle = await plugin.boom.enqueue()
        try:
            await asyncio.to_thread(h.queue.result, handle.id, 20)
        except TaskFailed as exc:
            assert "boom" in str(exc)
        else:
            raise AssertionError("expected TaskFailed")
        [record] = await store.failed_tasks()
        assert record.attempts == 1 and record.exception == "ValueError: boom"


async def test_sigkill_mid_task_loses_nothing_the_running_task_is_recorded_as_failed(
    make_harness, backend
) -> None:
    h = make_harness(backend)
    async with h.app.test_app(), h.app.app_context():
        worker = h.start_worker("--workers", "1", "--no-periodic")
        running = await plugin.slow.enqueue("s1", 60)  # no retries
        waiting = [await plugin.add.enqueue(i, i) for i in range(5)]
        await eventually(lambda: plugin.notes("started:s1"), what="the slow task to start")
        worker.signal(signal.SIGKILL)  # in the middle of the slow task
        worker.wait()
        assert h.queue.depth()[0] == 5  # the five not started are still queued

        h.start_worker("--workers", "2", "--no-periodic")
        for i, handle in enumerate(waiting):
            assert await asyncio.to_thread(h.queue.result, handle.id, 20) == 2 * i, h.logs()

        async def lost():
            return [r for r in await store.failed_tasks() if r.task_id == running.id]

        # the killed worker's heartbeat goes silent (TASKS_LOST_AFTER): the task it was
        # running is recorded as failed, for `maigie tasks failed` / `retry`
        [record] = await eventually(lost, within=20, what="the lost task's record")
        assert record.task_name == "tasktest.slow" and record.args == '["s1", 60]'
        assert record.exception.startswith("WorkerLost: worker pid ")
        assert f"pid {worker.proc.pid} " in record.exception

        async def lost_status() -> bool:  # Huey's result is written after our record
            return h.queue.status(running.id) == "failed"

        await eventually(lost_status, within=10, what="Huey's failed result")
        assert await plugin.notes("done:s1") == []  # not run again: it has no retries
        assert await store.live_workers(60) != []  # the dead worker's row is gone, not the live


async def test_sigkill_mid_task_with_retries_left_runs_it_again(make_harness, backend) -> None:
    h = make_harness(backend)
    async with h.app.test_app(), h.app.app_context():
        worker = h.start_worker("--workers", "1", "--no-periodic")
        handle = await plugin.slow_retried.enqueue("r1", 2)
        await eventually(lambda: plugin.notes("started:r1"), what="the task to start")
        worker.signal(signal.SIGKILL)
        worker.wait()
        assert h.queue.status(handle.id) == "pending"

        h.start_worker("--workers", "1", "--no-periodic")
        assert await asyncio.to_thread(h.queue.result, handle.id, 30) == "r1", h.logs()
        started = await plugin.notes("started:r1")
        assert len(started) == 2 and started[0] == str(worker.proc.pid) != started[1]
        assert len(await plugin.notes("done:r1")) == 1
        assert await store.failed_tasks() == []


async def test_sigterm_lets_the_running_task_finish_then_exits_cleanly(make_harness) -> None:
    h = make_harness()
    async with h.app.test_app(), h.app.app_context():
        worker = h.start_worker("--workers", "1")
        handle = await plugin.slow.enqueue("t1", 1.5)
        await eventually(lambda: plugin.notes("started:t1"), what="the slow task to start")
        worker.signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0, h.logs()
        assert len(await plugin.notes("done:t1")) == 1
        assert h.queue.status(handle.id) == "complete"
        assert await store.live_workers(60) == []  # its heartbeat row is gone


async def test_event_subscriber_enqueues_a_task_that_a_worker_runs(make_harness, backend) -> None:
    h = make_harness(backend)
    async with h.app.test_app(), h.app.app_context():
        h.start_worker("--workers", "1")
        await emit("tasktest.trigger", None, {"key": "ev1"}, channel="public")
        assert await eventually(lambda: plugin.notes("ev1"), what="the note") == ["from-event"]


async def test_periodic_task_runs_once_per_minute_across_workers(make_harness, redis_url) -> None:
    from maigie_core.db import utcnow

    h = make_harness(redis_url)
    async with h.app.test_app(), h.app.app_context():
        started = utcnow()
        h.start_worker("--workers", "1")
        h.start_worker("--workers", "1")
        await eventually(lambda: plugin.notes("tick"), what="a tick")
        await eventually(_two_alive, what="two live workers")
        await asyncio.sleep(1.0)
        ticks = await plugin.notes("tick")
        minutes = (
            int((utcnow() - started.replace(second=0, microsecond=0)).total_seconds() // 60) + 1
        )
        assert 1 <= len(ticks) <= minutes


async def _two_alive() -> bool:
    return len(await store.live_workers(2.0)) >= 2


async def test_worker_refuses_immediate_mode(make_harness) -> None:
    h = make_harness()
    h.env["TASKS_IMMEDIATE"] = "true"
    done = await asyncio.to_thread(h.cli, "worker")
    assert done.returncode != 0 and "TASKS_IMMEDIATE" in done.stderr
