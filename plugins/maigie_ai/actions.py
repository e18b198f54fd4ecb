"""Running one action call: find it, validate its payload, await its handler, report.

Whatever a provider asks for goes through here. An action no enabled plugin declares
is ``unavailable``; arguments that are not a JSON object or fail the payload model are
``invalid`` and the handler never runs; a handler's ``MaigieError`` (a tier limit, a
conflict…) is an ``error`` carrying its code. None of these fails the request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from maigie_ai.providers.base import Outcome, ToolCall
from maigie_core import AIAction, MaigieError, Principal

log = logging.getLogger("maigie.ai.actions")


def _validation_message(exc: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = [
        {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    words = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in errors[:3]
    )
    return words, errors


def parse_arguments(raw: Any) -> dict[str, Any]:
    """The call's arguments as a dict (a model sends a JSON string); ValueError if not."""
    if raw is None or raw == "":
        return {}
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict):
        raise ValueError("arguments must be a JSON object")
    return value


async def run(user: Principal, call: ToolCall, actions: Mapping[str, AIAction]) -> Outcome:
    action = actions.get(call.name)
    if action is None:
        return Outcome(
            call,
            "unavailable",
            error={
                "code": "ACTION_UNAVAILABLE",
                "message": f"the assistant cannot {call.name.replace('_', ' ') or 'do that'} here: "
                "no enabled plugin provides that action",
            },
        )
    try:
        arguments = parse_arguments(call.arguments)
    except ValueError as exc:
        return Outcome(
            call,
            "invalid",
            error={"code": "VALIDATION_ERROR", "message": f"malformed arguments ({exc})"},
        )
    try:
        payload = action.payload.model_validate(arguments)
    except ValidationError as exc:
        words, errors = _validation_message(exc)
        return Outcome(
            call, "invalid", error={"code": "VALIDATION_ERROR", "message": words, "detail": errors}
        )
    validated = payload.model_dump(mode="json", exclude_none=True)
    try:
        result = await action.handler(user, payload)
    except ValidationError as exc:  # the handler's own, stricter checks
        words, errors = _validation_message(exc)
        error = {"code": "VALIDATION_ERROR", "message": words, "detail": errors}
        return Outcome(call, "invalid", error=error, arguments=validated)
    except MaigieError as exc:
        error = {"code": exc.code, "message": exc.message}
        if exc.detail is not None:
            error["detail"] = to_jsonable_python(exc.detail, fallback=str)
        return Outcome(call, "error", error=error, arguments=validated)
    except Exception:
        log.exception("AI action %s failed", call.name)
        error = {"code": "INTERNAL_SERVER_ERROR", "message": "the action failed unexpectedly"}
        return Outcome(call, "error", error=error, arguments=validated)
    return Outcome(call, "ok", result=to_jsonable_python(result, fallback=str), arguments=validated)
