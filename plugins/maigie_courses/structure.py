"""Writing a course's modules and topics: insert them nested, or apply a PATCH list.

A PATCH ``modules`` list is the complete new order. Items with an ``id`` keep that
module (renamed if ``title`` is given); items without one are created. A module's
``topics``, when given, is its complete new topic list in the same way (an existing
topic may come from another module: it moves, keeping every member's tick); without
``topics`` a module keeps the topics it has. Whatever is no longer listed is deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peewee import chunked

from maigie_core import ValidationFailed
from maigie_courses.models import Completion, Module, Topic
from maigie_courses.schemas import ModuleIn, ModulePatch

BATCH = 200  # rows per INSERT: well under SQLite's bound-parameter limit


async def insert_structure(
    course_id: uuid.UUID, modules: Sequence[ModuleIn], now: datetime
) -> None:
    """Insert ``modules`` and their topics in order: two statements (per 200 rows)."""
    module_rows: list[dict[str, Any]] = []
    topic_rows: list[dict[str, Any]] = []
    for mpos, module in enumerate(modules):
        module_id = uuid.uuid4()
        module_rows.append(_module_row(module_id, course_id, module.title, mpos, now))
        for tpos, topic in enumerate(module.topics):
            topic_rows.append(
                _topic_row(uuid.uuid4(), course_id, module_id, topic.title, tpos, now)
                | {"estimated_minutes": topic.estimated_minutes}
            )
    await _insert(Module, module_rows)
    await _insert(Topic, topic_rows)


def _module_row(
    mid: uuid.UUID, cid: uuid.UUID, title: str, pos: int, now: datetime
) -> dict[str, Any]:
    return {
        "id": mid,
        "course_id": cid,
        "title": title,
        "position": pos,
        "created_at": now,
        "updated_at": now,
    }


def _topic_row(
    tid: uuid.UUID, cid: uuid.UUID, mid: uuid.UUID, title: str, pos: int, now: datetime
) -> dict[str, Any]:
    return {
        "id": tid,
        "course_id": cid,
        "module_id": mid,
        "title": title,
        "position": pos,
        "created_at": now,
        "updated_at": now,
    }


async def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    for batch in chunked(rows, BATCH):
        await model.insert_many(batch).aio_execute()


def _invalid(loc: list[Any], msg: str) -> ValidationFailed:
    return ValidationFailed(detail=[{"loc": loc, "msg": msg, "type": "value_error"}])


@dataclass
class _Plan:
    new_modules: list[dict[str, Any]] = field(default_factory=list)
    new_topics: list[dict[str, Any]] = field(default_factory=list)
    module_updates: list[tuple[uuid.UUID, dict[str, Any]]] = field(default_factory=list)
    topic_updates: list[tuple[uuid.UUID, dict[str, Any]]] = field(default_factory=list)
    gone_modules: list[uuid.UUID] = field(default_factory=list)
    gone_topics: list[uuid.UUID] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return any(vars(self).values())


async def apply_patch(course_id: uuid.UUID, wanted: Sequence[ModulePatch], now: datetime) -> bool:
    """Make the course's modules and topics what ``wanted`` says; True if anything changed."""
    modules = {
        row[0]: row
        for row in await Module.select(Module.id, Module.title, Module.position)
        .where(Module.course_id == course_id)
        .tuples()
        .aio_execute()
    }
    topics = {
        row[0]: row
        for row in await Topic.select(
            Topic.id, Topic.module_id, Topic.title, Topic.position, Topic.estimated_minutes
        )
        .where(Topic.course_id == course_id)
        .order_by(Topic.position)
        .tuples()
        .aio_execute()
    }
    plan = _plan(course_id, wanted, modules, topics, now)
    await _insert(Module, plan.new_modules)
    await _insert(Topic, plan.new_topics)
    for mid, values in plan.module_updates:
        await Module.update(**values, updated_at=now).where(Module.id == mid).aio_execute()
    for tid, values in plan.topic_updates:
        await Topic.update(**values, updated_at=now).where(Topic.id == tid).aio_execute()
    if plan.gone_topics:
        await Completion.delete().where(Completion.topic_id.in_(plan.gone_topics)).aio_execute()
        await Topic.delete().where(Topic.id.in_(plan.gone_topics)).aio_execute()
    if plan.gone_modules:
        await Module.delete().where(Module.id.in_(plan.gone_modules)).aio_execute()
    return plan.changes


def _plan(
    course_id: uuid.UUID,
    wanted: Sequence[ModulePatch],
    modules: dict[uuid.UUID, tuple[Any, ...]],
    topics: dict[uuid.UUID, tuple[Any, ...]],
    now: datetime,
) -> _Plan:
    _check_ids(wanted, modules, topics)
    placed = {t.id for m in wanted for t in (m.topics or ()) if t.id is not None}
    plan = _Plan()
    kept_topics: set[uuid.UUID] = set()
    for mpos, item in enumerate(wanted):
        if item.id is None:
            module_id = uuid.uuid4()
            assert item.title is not None  # the schema requires a title for a new module
            plan.new_modules.append(_module_row(module_id, course_id, item.title, mpos, now))
        else:
            module_id = item.id
            _, title, position = modules[module_id]
            change = _diff({"title": title, "position": position}, item.title, mpos)
            if change:
                plan.module_updates.append((module_id, change))
        if item.topics is None:
            own = [t for t in topics.values() if t[1] == module_id and t[0] not in placed]
            for tpos, (tid, _mid, _title, position, _minutes) in enumerate(own):
                kept_topics.add(tid)
                if position != tpos:
                    plan.topic_updates.append((tid, {"position": tpos}))
            continue
        for tpos, topic in enumerate(item.topics):
            if topic.id is None:
                assert topic.title is not None
                row = _topic_row(uuid.uuid4(), course_id, module_id, topic.title, tpos, now)
                plan.new_topics.append(row | {"estimated_minutes": topic.estimated_minutes})
                continue
            tid, old_module, title, position, minutes = topics[topic.id]
            kept_topics.add(tid)
            change = _diff({"title": title, "position": position}, topic.title, tpos)
            if old_module != module_id:
                change["module_id"] = module_id
            if "estimated_minutes" in topic.model_fields_set and topic.estimated_minutes != minutes:
                change["estimated_minutes"] = topic.estimated_minutes
            if change:
                plan.topic_updates.append((tid, change))
    listed = {m.id for m in wanted if m.id is not None}
    plan.gone_modules = [mid for mid in modules if mid not in listed]
    plan.gone_topics = [tid for tid in topics if tid not in kept_topics]
    return plan


def _diff(current: dict[str, Any], title: str | None, position: int) -> dict[str, Any]:
    change: dict[str, Any] = {}
    if title is not None and title != current["title"]:
        change["title"] = title
    if position != current["position"]:
        change["position"] = position
    return change


def _check_ids(
    wanted: Sequence[ModulePatch], modules: dict[uuid.UUID, Any], topics: dict[uuid.UUID, Any]
) -> None:
    seen_modules: set[uuid.UUID] = set()
    seen_topics: set[uuid.UUID] = set()
    for i, module in enumerate(wanted):
        if module.id is not None:
            if module.id not in modules:
                raise _invalid(["modules", i, "id"], "no such module in this course")
            if module.id in seen_modules:
                raise _invalid(["modules", i, "id"], "module listed twice")
            seen_modules.add(module.id)
        for j, topic in enumerate(module.topics or ()):
            if topic.id is None:
                continue
            if topic.id not in topics:
                raise _invalid(["modules", i, "topics", j, "id"], "no such topic in this course")
            if topic.id in seen_topics:
                raise _invalid(["modules", i, "topics", j, "id"], "topic listed twice")
            seen_topics.add(topic.id)
