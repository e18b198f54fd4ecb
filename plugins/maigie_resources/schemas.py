"""Request and response shapes of the resources API (SPEC §5), validated by pydantic."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from maigie_core.openapi import NOT_BLANK, exactly_one_of, non_nullable
from maigie_core.pagination import PageQuery
from maigie_resources.terms import clean

ResourceType = Literal["article", "video", "book", "course", "exercise", "other"]

MAX_TAGS = 20


def _http_url(value: str) -> str:
    value = value.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("a URL has no spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("only http:// and https:// URLs with a host are accepted")
    return value


def _tags(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for raw in values:
        tag = " ".join(clean(raw).split()).lower()
        if not tag:
            raise ValueError("a tag cannot be empty")
        if len(tag) > 50:
            raise ValueError("a tag has at most 50 characters")
        seen.setdefault(tag, None)
    return list(seen)


def _title(value: str) -> str:
    """The title as sent, stripped (stored text round-trips); blank or NUL is refused."""
    value = value.strip()
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if not clean(value).strip():
        raise ValueError("a title cannot be blank")
    return value


# The pattern documents ``_http_url`` (it is not what enforces it).
_HTTP_URL_PATTERN = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20/?#@:\[\]][^\x00-\x20]*\s*$"
HttpUrl = Annotated[
    str,
    Field(min_length=1, max_length=2048, json_schema_extra={"pattern": _HTTP_URL_PATTERN}),
    AfterValidator(_http_url),
]
Tags = Annotated[
    list[str],
    Field(
        max_length=MAX_TAGS,
        json_schema_extra={"items": {"type": "string", "maxLength": 50, "pattern": NOT_BLANK}},
    ),
    AfterValidator(_tags),
]
Title = Annotated[
    str,
    Field(min_length=1, max_length=300, json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(_title),
]
Description = Annotated[str, Field(max_length=5000)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResourceIn(StrictModel):
    """A resource to save. ``shared`` (visible to everyone) is for administrators."""

    # ``_topic_needs_course``, stated in the schema: no topic_id, or a course_id too.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"topic_id": {"type": "null"}}},
                {"required": ["course_id"], "properties": {"course_id": {"not": {"type": "null"}}}},
            ]
        }
    )

    title: Title
    url: HttpUrl
    type: ResourceType = "other"
    description: Description = ""
    tags: Tags = Field(default_factory=list)
    course_id: uuid.UUID | None = None
    topic_id: uuid.UUID | None = None
    shared: bool = False

    @model_validator(mode="after")
    def _topic_needs_course(self) -> ResourceIn:
        if self.topic_id is not None and self.course_id is None:
            raise ValueError("topic_id needs the course_id it belongs to")
        return self


class ResourcePatch(StrictModel):
    """Fields to change; absent fields keep their value, ``null`` clears a reference."""

    model_config = ConfigDict(
        json_schema_extra=non_nullable("title", "url", "type", "description", "tags", "shared")
    )

    title: Title | None = None
    url: HttpUrl | None = None
    type: ResourceType | None = None
    description: Description | None = None
    tags: Tags | None = None
    course_id: uuid.UUID | None = None
    topic_id: uuid.UUID | None = None
    shared: bool | None = None


class ResourceOut(BaseModel):
    id: uuid.UUID
    title: str
    url: str
    type: ResourceType
    description: str
    tags: list[str]
    course_id: uuid.UUID | None
    topic_id: uuid.UUID | None
    shared: bool
    created_at: datetime
    updated_at: datetime


class ResourcePage(BaseModel):
    items: list[ResourceOut]
    next_cursor: str | None


class ResourceQuery(PageQuery):
    """``GET /resources``: full-text ``q``, exact ``type`` and ``tag``; the core's paging."""

    q: str | None = Field(default=None, max_length=200)
    type: ResourceType | None = None
    tag: str | None = Field(default=None, max_length=50)


class RecommendIn(StrictModel):
    """Exactly one context: a course, a goal, a topic or free text."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("course_id", "goal_id", "topic", "text")
    )

    course_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None
    topic: str | None = Field(default=None, min_length=1, max_length=200)
    text: str | None = Field(default=None, min_length=1, max_length=2000)
    limit: int = Field(default=10, ge=1, le=50)

    @model_validator(mode="after")
    def _exactly_one_context(self) -> RecommendIn:
        given = [k for k in ("course_id", "goal_id", "topic", "text") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of course_id, goal_id, topic, text")
        return self


class Recommendation(BaseModel):
    resource: ResourceOut
    score: float
    matched_terms: list[str]
    reason: str


class RecommendationContext(BaseModel):
    kind: Literal["course", "goal", "topic", "text"]
    id: uuid.UUID | None
    title: str
    terms: list[str]


class RecommendOut(BaseModel):
    items: list[Recommendation]
    context: RecommendationContext
