"""What the assistant may do through this plugin: recommend resources, save one."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from maigie_core import AIAction, Principal
from maigie_resources import service
from maigie_resources.recommend import recommend_for
from maigie_resources.schemas import (
    Description,
    HttpUrl,
    RecommendIn,
    ResourceIn,
    ResourceType,
    StrictModel,
    Tags,
    Title,
)


class SaveResource(StrictModel):
    """A learning resource (a link) to keep in the user's list."""

    title: Title = Field(description="What the resource is called")
    url: HttpUrl = Field(description="An http:// or https:// link")
    type: ResourceType = Field(default="other", description="What kind of resource it is")
    description: Description = Field(default="", description="A sentence about it")
    tags: Tags = Field(default_factory=list, description="Short lower-case tags")
    course_id: uuid.UUID | None = Field(default=None, description="A course it belongs to")


async def save_resource(user: Principal, payload: SaveResource) -> dict[str, Any]:
    return await service.create(user, ResourceIn(**payload.model_dump()))


async def recommend_resources(user: Principal, payload: RecommendIn) -> dict[str, Any]:
    return await recommend_for(user, payload)


ACTIONS = [
    AIAction(
        "recommend_resources",
        "Recommend learning resources from the user's and shared ones for exactly one "
        "context: a course (course_id), a goal (goal_id), a topic, or free text. Each "
        "recommendation comes with a reason. Free users have a daily cap.",
        RecommendIn,
        recommend_resources,
    ),
    AIAction(
        "save_resource",
        "Save a learning resource (title, http/https url, type, description, tags, "
        "optional course_id) to the user's resources.",
        SaveResource,
        save_resource,
    ),
]
