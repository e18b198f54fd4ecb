"""``/api/v1/goals``: goals, their tasks and progress events (SPEC §5).

Bodies are validated by the core's ``json_body`` (strict JSON; quart-schema's
``validate_request`` builds a pydantic TypeAdapter per request); the OpenAPI document
still describes them through ``document_request``/``document_response``. Reads return
the JSON text the database built, unparsed.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from quart import Blueprint, Response, request
from quart_schema import (
    document_querystring,
    document_request,
    document_response,
)

from maigie_core import NotFound
from maigie_core.auth import current_user, require_user
from maigie_core.bodies import json_body
from maigie_core.pagination import PageQuery
from maigie_goals import changes, service
from maigie_goals.models import STATUSES
from maigie_goals.pagination import (
    check_names,
    parse_choice,
    parse_goal_cursor,
    parse_limit,
    parse_task_cursor,
)
from maigie_goals.schemas import (
    GoalCreate,
    GoalOut,
    GoalPage,
    GoalPatch,
    ListQuery,
    ProgressIn,
    TaskIn,
    TaskOut,
    TaskPage,
    TaskPatch,
)

R = TypeVar("R")

goals_blueprint = Blueprint("goals", __name__, url_prefix="/api/v1/goals")

_NO_CONTENT = ("", 204)
_PAGE_PARAMETERS = frozenset({"limit", "cursor"})
_LIST_PARAMETERS = _PAGE_PARAMETERS | {"status"}


def _json(text: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type="application/json")


def _owner() -> str:
    return uuid.UUID(current_user().id).hex


@goals_blueprint.get("")
@require_user
@document_querystring(ListQuery)
@document_response(GoalPage)
async def list_goals() -> Response:
    """The caller's goals, newest first; ``?status=`` filters, ``?cursor=`` pages."""
    args = request.args
    check_names(args, _LIST_PARAMETERS)
    limit = parse_limit(args)
    status = parse_choice(args, "status", STATUSES)
    after = parse_goal_cursor(args)
    return _json(await service.list_page(_owner(), limit, status, after))


@goals_blueprint.post("")
@require_user
@document_request(GoalCreate)
@document_response(GoalOut, 201)
async def create_goal() -> Response:
    """Create a goal (with tasks); free users hold at most 2 active goals."""
    data = await json_body(GoalCreate)
    _goal, doc = await service.create_goal_doc(current_user(), data)
    return _json(doc, 201)


@goals_blueprint.get("/<goal_id>")
@require_user
@document_response(GoalOut)
async def get_goal(goal_id: str) -> Response:
    text = await service.goal_text(_owner(), service.uid(goal_id))
    if text is None:
        raise NotFound("Goal not found")
    return _json(text)


@goals_blueprint.patch("/<goal_id>")
@require_user
@document_request(GoalPatch)
@document_response(GoalOut)
async def patch_goal(goal_id: str) -> dict[str, Any]:
    """Change fields (merge); re-activating counts against the active-goals limit."""
    key = service.uid(goal_id)
    data = await json_body(GoalPatch)
    return await changes.update_goal(current_user(), key, data)


@goals_blueprint.delete("/<goal_id>")
@require_user
async def delete_goal(goal_id: str) -> tuple[str, int]:
    await changes.delete_goal(current_user(), service.uid(goal_id))
    return _NO_CONTENT


@goals_blueprint.post("/<goal_id>/progress")
@require_user
@document_request(ProgressIn)
@document_response(GoalOut)
async def record_progress(goal_id: str) -> dict[str, Any]:
    """Record ``{progress}`` or ``{task_id}`` (that task is done); 100 completes the goal."""
    key = service.uid(goal_id)
    data = await json_body(ProgressIn)
    return await changes.record_progress(current_user(), key, data)


@goals_blueprint.get("/<goal_id>/tasks")
@require_user
@document_querystring(PageQuery)
@document_response(TaskPage)
async def list_tasks(goal_id: str) -> Response:
    key = service.uid(goal_id)
    check_names(request.args, _PAGE_PARAMETERS)
    limit = parse_limit(request.args)
    after = parse_task_cursor(request.args)
    return _json(await service.tasks_page(_owner(), key, limit, after))


@goals_blueprint.post("/<goal_id>/tasks")
@require_user
@document_request(TaskIn)
@document_response(TaskOut, 201)
async def add_task(goal_id: str) -> Response:
    key = service.uid(goal_id)
    data = await json_body(TaskIn)
    return _json(await changes.add_task(current_user(), key, data), 201)


@goals_blueprint.get("/<goal_id>/tasks/<task_id>")
@require_user
@document_response(TaskOut)
async def get_task(goal_id: str, task_id: str) -> Response:
    key, task = service.uid(goal_id), service.uid(task_id, "Task")
    return _json(await service.get_task(_owner(), key, task))


@goals_blueprint.patch("/<goal_id>/tasks/<task_id>")
@require_user
@document_request(TaskPatch)
@document_response(TaskOut)
async def patch_task(goal_id: str, task_id: str) -> Response:
    key, task = service.uid(goal_id), service.uid(task_id, "Task")
    data = await json_body(TaskPatch)
    return _json(await changes.update_task(current_user(), key, task, data))


@goals_blueprint.delete("/<goal_id>/tasks/<task_id>")
@require_user
async def delete_task(goal_id: str, task_id: str) -> tuple[str, int]:
    key, task = service.uid(goal_id), service.uid(task_id, "Task")
    await changes.delete_task(current_user(), key, task)
    return _NO_CONTENT
