"""``/api/v1/ai``: chat, conversations, summaries, study plans, voice sessions (SPEC §5)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint, request
from quart_schema import (
    document_headers,
    document_request,
    document_response,
    validate_querystring,
)

from maigie_ai import conversations, planning, service, summaries, voice
from maigie_ai.schemas import (
    ChatIn,
    ChatOut,
    ConversationDetail,
    ConversationPage,
    PlanIn,
    PlanOut,
    SummaryIn,
    SummaryOut,
    VoiceSessionIn,
    VoiceSessionOut,
)
from maigie_ai.state import ai_state
from maigie_core import ValidationFailed
from maigie_core.auth import current_user, require_user
from maigie_core.bodies import json_body
from maigie_core.pagination import PageQuery
from maigie_core.tiers import check_limit

ai_blueprint = Blueprint("ai", __name__, url_prefix="/api/v1/ai")


class IdempotencyHeaders(BaseModel):
    # Documents ``idempotency.check_key`` (printable, at most 255): printable ASCII here.
    idempotency_key: str | None = Field(None, json_schema_extra={"pattern": "^[ -~]{1,255}$"})


def _owner() -> uuid.UUID:
    return uuid.UUID(current_user().id)


@ai_blueprint.post("/chat")
@require_user
@document_headers(IdempotencyHeaders)
@document_request(ChatIn)
@document_response(ChatOut)
async def chat() -> dict[str, Any] | tuple[dict[str, Any], int, dict[str, str]]:
    """Talk to the assistant: its reply and the actions it took.

    Free users have 50 messages a calendar month (then 403 SUBSCRIPTION_LIMIT_EXCEEDED);
    everyone has a per-minute rate limit (429 with Retry-After). With an
    ``Idempotency-Key`` header a retried request returns the first answer and does
    nothing twice. The reply also streams as ``ai.message`` events on ``user:{id}``.
    """
    data = await json_body(ChatIn)
    limit = ai_state().settings.max_message_chars
    if len(data.message) > limit:
        raise ValidationFailed(
            "Request validation failed",
            detail=[
                {
                    "loc": ["message"],
                    "msg": f"at most {limit} characters",
                    "type": "string_too_long",
                }
            ],
        )
    key = request.headers.get("Idempotency-Key")
    body, status, replayed = await service.chat(current_user(), data, key)
    if replayed:
        return body, status, {"Idempotent-Replayed": "true"}
    return body


@ai_blueprint.get("/conversations")
@require_user
@validate_querystring(PageQuery)
@document_response(ConversationPage)
async def list_conversations(query_args: PageQuery) -> dict[str, Any]:
    """The caller's conversations, newest first (``limit`` 1 to 100, opaque ``cursor``)."""
    return await conversations.list_page(_owner(), query_args.limit, query_args.cursor)


@ai_blueprint.get("/conversations/<conversation_id>")
@require_user
@document_response(ConversationDetail)
async def get_conversation(conversation_id: str) -> dict[str, Any]:
    """One conversation with its messages and the actions taken (another user's: 404)."""
    return await conversations.detail(_owner(), conversations.parse_id(conversation_id))


@ai_blueprint.delete("/conversations/<conversation_id>")
@require_user
async def delete_conversation(conversation_id: str) -> tuple[str, int]:
    """Delete a conversation and its messages (what the actions created stays)."""
    await conversations.delete(_owner(), conversations.parse_id(conversation_id))
    return "", 204


@ai_blueprint.post("/summary")
@require_user
@document_request(SummaryIn)
@document_response(SummaryOut)
async def summary() -> dict[str, Any]:
    """Summarise ``text``, or a course the caller can see (``course_id``)."""
    data = await json_body(SummaryIn)
    return await summaries.summary(current_user(), data)


@ai_blueprint.post("/create-plan")
@require_user
@document_request(PlanIn)
@document_response(PlanOut)
async def create_plan() -> dict[str, Any]:
    """A study plan for a goal or course with suggested schedule blocks.

    Nothing is created unless ``apply`` is true; then the blocks go through the schedule
    plugin's ``create_block`` action (absent when that plugin is disabled).
    """
    data = await json_body(PlanIn)
    user = current_user()
    return await planning.create_plan(user, data, ai_state().settings, service.user_now(user))


@ai_blueprint.post("/voice-session")
@require_user
@document_request(VoiceSessionIn)
@document_response(VoiceSessionOut, 201)
async def voice_session() -> tuple[dict[str, Any], int]:
    """Premium only: a voice session descriptor for the realtime socket.

    Transcription is behind a provider interface; the offline build has none
    (``transcription.available`` is false).
    """
    data = await json_body(VoiceSessionIn)
    user = current_user()
    await check_limit(user, voice.VOICE_LIMIT)
    if data.conversation_id is not None:
        await conversations.owned(_owner(), data.conversation_id)
    return await voice.open_session(user, ai_state().settings, data.conversation_id), 201
