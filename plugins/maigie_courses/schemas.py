"""Request and response models of the courses API (pydantic; unknown fields are refused)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from maigie_core.openapi import NOT_BLANK, at_least_one_of, non_nullable

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(json_schema_extra={"pattern": NOT_BLANK}),
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Minutes = Annotated[int, Field(ge=1, le=10_000)]
Weeks = Annotated[int, Field(ge=1, le=104)]

MAX_MODULES = 50
MAX_TOPICS = 100  # per module


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- create -----------------------------------------------------------------------------


class TopicIn(Strict):
    title: Title
    estimated_minutes: Minutes | None = None


class ModuleIn(Strict):
    title: Title
    topics: list[TopicIn] = Field(default_factory=list, max_length=MAX_TOPICS)


class CourseIn(Strict):
    """A new course with its modules and topics, in order."""

    title: Title
    description: Description = ""
    modules: list[ModuleIn] = Field(default_factory=list, max_length=MAX_MODULES)
    duration_weeks: Weeks | None = None
    ai_generated: bool = False


# -- patch ------------------------------------------------------------------------------


def _refuse_nulls(data: Any, fields: tuple[str, ...]) -> Any:
    if isinstance(data, dict):
        nulls = [name for name in fields if name in data and data[name] is None]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} may not be null")
    return data


class TopicPatch(Strict):
    """An existing topic (``id``; title and minutes optional) or a new one (``title``)."""

    model_config = ConfigDict(
        json_schema_extra=non_nullable("title", also=at_least_one_of("id", "title"))
    )

    id: uuid.UUID | None = None
    title: Title | None = None
    estimated_minutes: Minutes | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_null_title(cls, data: Any) -> Any:
        return _refuse_nulls(data, ("title",))

    @model_validator(mode="after")
    def _new_needs_title(self) -> TopicPatch:
        if self.id is None and self.title is None:
            raise ValueError("a new topic needs a title")
        return self


class ModulePatch(Strict):
    """An existing module (``id``) or a new one (``title``); ``topics`` replaces its list."""

    model_config = ConfigDict(
        json_schema_extra=non_nullable("title", "topics", also=at_least_one_of("id", "title"))
    )

    id: uuid.UUID | None = None
    title: Title | None = None
    topics: list[TopicPatch] | None = Field(default=None, max_length=MAX_TOPICS)

    @model_validator(mode="before")
    @classmethod
    def _no_null_title(cls, data: Any) -> Any:
        return _refuse_nulls(data, ("title", "topics"))

    @model_validator(mode="after")
    def _new_needs_title(self) -> ModulePatch:
        if self.id is None and self.title is None:
            raise ValueError("a new module needs a title")
        return self


class CoursePatch(Strict):
    """Merge into a course; ``modules``, when given, is the complete new ordered list."""

    model_config = ConfigDict(json_schema_extra=non_nullable("title", "description", "modules"))

    title: Title | None = None
    description: Description | None = None
    duration_weeks: Weeks | None = None
    modules: list[ModulePatch] | None = Field(default=None, max_length=MAX_MODULES)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        return _refuse_nulls(data, ("title", "description", "modules"))


# -- other requests ---------------------------------------------------------------------


class CourseQuery(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)
    scope: Literal["all", "created", "enrolled"] = "all"
    ai_generated: bool | None = None
    q: str | None = Field(default=None, max_length=200)


class EnrollIn(Strict):
    share_code: str = Field(min_length=1, max_length=64)


# -- responses (documentation; routes return plain dicts) -------------------------------


class TopicOut(BaseModel):
    id: str
    created_at: str
    updated_at: str
    title: str
    order: int
    estimated_minutes: int | None
    done: bool


class ModuleOut(BaseModel):
    id: str
    created_at: str
    updated_at: str
    title: str
    order: int
    topics: list[TopicOut]


class CourseOut(BaseModel):
    id: str
    created_at: str
    updated_at: str
    title: str
    description: str
    owner_id: str
    role: Literal["owner", "student"]
    ai_generated: bool
    frozen: bool
    duration_weeks: int | None
    progress: int = Field(ge=0, le=100)
    modules: list[ModuleOut]


class CoursePage(BaseModel):
    items: list[CourseOut]
    next_cursor: str | None


class ShareOut(BaseModel):
    share_code: str | None


# -- AI action payloads -----------------------------------------------------------------


class CreateCoursePayload(Strict):
    """A course the assistant designs: title, description, modules with topics, duration."""

    title: Title
    description: Description = ""
    modules: list[ModuleIn] = Field(default_factory=list, max_length=MAX_MODULES)
    duration_weeks: Weeks | None = Field(default=None, description="Planned length in weeks")


class ListCoursesPayload(Strict):
    """Which of the user's courses to list."""

    scope: Literal["all", "created", "enrolled"] = "all"
    q: str | None = Field(default=None, max_length=200, description="Words in the title")
    limit: int = Field(default=20, ge=1, le=100)
