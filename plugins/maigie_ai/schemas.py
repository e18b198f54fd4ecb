"""Request and response models of ``/api/v1/ai`` (requests refuse unknown fields)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from maigie_core.openapi import NOT_BLANK, exactly_one_of

Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    Field(json_schema_extra={"pattern": NOT_BLANK}),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ---------------------------------------------------------------------------


class ChatIn(Strict):
    """A message to the assistant; omit ``conversation_id`` to start a conversation."""

    message: Annotated[Text, StringConstraints(max_length=100_000)]
    conversation_id: uuid.UUID | None = None


class SummaryIn(Strict):
    """Exactly one of ``text`` or ``course_id``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=exactly_one_of("text", "course_id"))

    text: Annotated[Text, StringConstraints(max_length=100_000)] | None = None
    course_id: uuid.UUID | None = None
    max_sentences: int | None = Field(None, ge=1, le=20)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.text is None) == (self.course_id is None):
            raise ValueError("give exactly one of text or course_id")
        return self


class PlanIn(Strict):
    """A study plan for a goal or a course; ``apply`` creates its schedule blocks."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("goal_id", "course_id")
    )

    goal_id: uuid.UUID | None = None
    course_id: uuid.UUID | None = None
    apply: bool = False
    start_date: date | None = Field(None, description="First day of the plan (default tomorrow)")
    sessions_per_week: int | None = Field(None, ge=1, le=7)
    session_minutes: int | None = Field(None, ge=15, le=480)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.goal_id is None) == (self.course_id is None):
            raise ValueError("give exactly one of goal_id or course_id")
        return self


class VoiceSessionIn(Strict):
    conversation_id: uuid.UUID | None = None


# -- responses (documentation: routes return plain dicts) ----------------------------------


class Usage(BaseModel):
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    cost: float | None


class ActionTaken(BaseModel):
    id: str
    name: str
    status: Literal["ok", "error", "invalid", "unavailable"]
    arguments: dict[str, Any] | None = None
    result: Any = None
    error: dict[str, Any] | None = None


class ChatOut(BaseModel):
    conversation_id: str
    message_id: str
    reply: str
    actions: list[ActionTaken]
    provider: str
    usage: Usage


class ConversationOut(BaseModel):
    id: str
    created_at: str
    updated_at: str
    title: str
    message_count: int
    last_message_at: str | None


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class MessageOut(BaseModel):
    id: str
    created_at: str
    updated_at: str
    position: int
    role: Literal["user", "assistant"]
    content: str
    actions: list[ActionTaken]
    provider: str | None
    model: str | None
    usage: Usage


class ConversationDetail(ConversationOut):
    context_start: int
    messages: list[MessageOut]


class SummaryOut(BaseModel):
    summary: str
    source: Literal["text", "course"]
    method: str
    course_id: str | None = None


class PlannedBlock(BaseModel):
    title: str
    start_at: str
    end_at: str
    minutes: int
    topic: str | None = None


class PlanWeek(BaseModel):
    week: int
    start_date: str
    focus: list[str]


class PlanOut(BaseModel):
    source: dict[str, Any]
    start_date: str
    end_date: str
    weeks: list[PlanWeek]
    blocks: list[PlannedBlock]
    applied: bool
    actions: list[ActionTaken]
    note: str


class TranscriptionInfo(BaseModel):
    provider: str
    available: bool
    message: str


class VoiceSessionOut(BaseModel):
    id: str
    created_at: str
    updated_at: str
    expires_at: str
    conversation_id: str | None
    websocket_url: str
    channel: str
    events: list[str]
    transcription: TranscriptionInfo
