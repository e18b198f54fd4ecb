"""The task API plugins use: declaration, registry, immediate mode, health, CLI list."""

from __future__ import annotations

import asyncio

import maigie_tasktest as plugin
import pytest
from task_support import run_cli

from maigie_core import emit, hookimpl
from maigie_core.plugins import PluginError
from maigie_core.runtime import runtime
from maigie_core.tasks import (
    enqueue,
    periodic_task,
    register_task,
    retry_on_exception,
    store,
    task,
    task_result,
    task_status,
)
from maigie_core.tasks.queue import TaskFailed, TaskNotFound


def test_decorators_compose_name_metadata_and_retry_policy() -> None:
    @register_task(name="x.renamed", description="Does x", category="xs")
    @retry_on_exception((ConnectionError, TimeoutError), max_retries=5)
    @task("x.original", retry_delay=2)
    def work() -> None: ...

    assert (work.name, work.description, work.category) == ("x.renamed", "Does x", "xs")
    assert work.retries == 5 and work.retry_on == (ConnectionError, TimeoutError)
    assert work.retry_delay == 2 and work.retry_backoff == 2.0


def test_register_task_below_task_and_docstring_as_description() -> None:
    @task("y.task")
    @register_task(category="ys")
    def work() -> None:
        """First line.

        More."""

    assert work.category == "ys" and work.description == "First line."


def test_invalid_crontab_is_refused_with_task_name() -> None:
    with pytest.raises(ValueError, match=r"'bad\.tick'.*5 fields"):
        periodic_task("bad.tick", "* * *")(lambda: None)
    with pytest.raises(ValueError, match=r"'bad\.tick'.*61"):
        periodic_task("bad.tick", "61 * * * *")(lambda: None)


def test_registry_lists_every_task_of_enabled_plugins_only(make_app) -> None:
    core = set(runtime(make_app()).tasks)  # the core's own tasks are always there
    assert core
    app = make_app(plugins={"tasktest": plugin})
    assert set(runtime(app).tasks) - core == {
        "tasktest.add",
        "tasktest.note",
        "tasktest.flaky",
        "tasktest.boom",
        "tasktest.slow",
        "tasktest.slow_retried",
        "tasktest.tick",
    }
    assert core <= set(runtime(app).tasks)
    assert runtime(app).tasks["tasktest.tick"].schedule == "* * * * *"
    off = make_app(plugins={"tasktest": plugin}, entry_points=False)
    from maigie_core.plugins import write_plugin_state

    write_plugin_state(runtime(off).db, "tasktest", False)
    assert set(runtime(make_app(plugins={"tasktest": plugin})).tasks) == core


def test_two_plugins_declaring_one_task_name_is_a_startup_error(make_app) -> None:
    class Copycat:
        @hookimpl
        def register_tasks(self):
            return [task("tasktest.add")(lambda: None)]

    with pytest.raises(PluginError, match=r"tasktest\.add"):
        make_app(plugins={"tasktest": plugin, "copycat": Copycat()})


@pytest.fixture
async def started(make_app):
    app = make_app(plugins={"tasktest": plugin})  # TASKS_IMMEDIATE (unit-test settings)
    async with app.test_app(), app.app_context():
        yield app


async def test_immediate_mode_runs_inline_with_status_and_result_by_id(started) -> None:
    handle = await plugin.add.enqueue(20, 22)
    assert await task_status(handle.id) == "complete"
    assert await task_result(handle.id) == 42
    by_name = await enqueue("tasktest.note", "n1", "v1")  # async task using the database
    assert (await task_result(by_name.id))["notes"] == 1
    assert await plugin.notes("n1") == ["v1"]
    assert plugin.SEEN == [("tasktest.noted", {"key": "n1", "value": "v1"})]


async def test_immediate_mode_retries_listed_errors_then_records_the_failure(started) -> None:
    handle = await plugin.flaky.enqueue("imm")
    assert len(await plugin.notes("attempt:imm")) == 3
    assert await task_status(handle.id) == "failed"
    with pytest.raises(TaskFailed, match="switch imm is off"):
        await task_result(handle.id)
    [record] = await store.failed_tasks()
    assert (record.task_name, record.attempts, record.task_id) == ("tasktest.flaky", 3, handle.id)


async def test_unknown_task_and_non_json_arguments_are_refused(started) -> None:
    with pytest.raises(TaskNotFound, match=r"nope\.task"):
        await enqueue("nope.task")
    with pytest.raises(TypeError, match="JSON"):
        await plugin.add.enqueue(object(), 1)


async def test_event_subscriber_enqueues_a_task_by_name(started) -> None:
    await emit("tasktest.trigger", None, {"key": "sub1"}, channel="public")
    assert await plugin.notes("sub1") == ["from-event"]


async def test_scheduled_run_is_kept_but_not_run_in_immediate_mode(started) -> None:
    handle = await plugin.add.enqueue_at(60, 1, 1)
    assert await task_status(handle.id) == "pending"
    assert runtime().queue.depth() == (0, 1)


async def test_revoked_task_does_not_run(make_harness) -> None:
    h = make_harness()
    async with h.app.test_app(), h.app.app_context():
        handle = await plugin.write_note.enqueue("rv", "x")
        h.queue.revoke(handle.id)
        assert h.queue.status(handle.id) == "revoked"
        h.queue.huey.execute(h.queue.huey.dequeue())  # what a worker would do
        assert await plugin.notes("rv") == []


async def test_health_reports_queue_depth_and_a_missing_worker_without_failing(
    make_harness,
) -> None:
    h = make_harness()  # no consumer anywhere
    async with h.app.test_app(), h.app.app_context():
        await plugin.add.enqueue(1, 2)
        response = await h.app.test_client().get("/health")
        body = await response.get_json()
        assert response.status_code == 200
        queue = body["checks"]["task_queue"]
        assert queue["status"] == "ok" and queue["detail"]["queued"] == 1
        worker = body["checks"]["task_worker"]
        assert worker["status"] == "down" and worker["required"] is False
        assert "no task worker alive" in worker["detail"]


async def test_tasks_list_prints_name_category_description(make_harness) -> None:
    h = make_harness()
    done = await asyncio.to_thread(h.cli, "tasks", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(runtime(h.app).tasks)
    assert any(line.split() == ["tasktest.add", "math", "Add", "two", "numbers"] for line in lines)
    assert any(line.startswith("tasktest.tick") and "[every * * * * *]" in line for line in lines)


def test_cli_retry_of_unknown_id_is_a_one_line_error(make_harness) -> None:
    h = make_harness()
    done = run_cli(h.env, "tasks", "retry", "deadbeef")
    assert done.returncode == 1 and done.stderr.strip() == (
        "Error: no failed task with id 'deadbeef'"
    )
