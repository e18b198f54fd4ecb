"""``/api/v1/resources``: list and search, save, read, change, delete, recommend."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import document_response, validate_querystring

from maigie_core.auth import current_user, require_user
from maigie_core.bodies import validate_body
from maigie_resources import service
from maigie_resources.recommend import recommend_for
from maigie_resources.schemas import (
    RecommendIn,
    RecommendOut,
    ResourceIn,
    ResourceOut,
    ResourcePage,
    ResourcePatch,
    ResourceQuery,
)
from maigie_resources.search import list_resources

resources_blueprint = Blueprint("resources", __name__, url_prefix="/api/v1/resources")

_NO_CONTENT = ("", 204)


@resources_blueprint.get("")
@require_user
@validate_querystring(ResourceQuery)
@document_response(ResourcePage)
async def list_or_search(query_args: ResourceQuery) -> dict[str, Any]:
    """Own and shared resources, newest first; with ``q``, full-text search ranked best first."""
    return await list_resources(
        current_user().id,
        q=query_args.q,
        kind=query_args.type,
        tag=query_args.tag,
        limit=query_args.limit,
        cursor=query_args.cursor,
    )


@resources_blueprint.post("")
@require_user
@validate_body(ResourceIn)
@document_response(ResourceOut, 201)
async def create_resource(data: ResourceIn) -> tuple[dict[str, Any], int]:
    """Save a resource (``shared`` — visible to everyone — for administrators only)."""
    return await service.create(current_user(), data), 201


@resources_blueprint.post("/recommend")
@require_user
@validate_body(RecommendIn)
@document_response(RecommendOut)
async def recommend(data: RecommendIn) -> dict[str, Any]:
    """Resources ranked for a course, goal, topic or text, with reasons (free: daily cap)."""
    return await recommend_for(current_user(), data)


@resources_blueprint.get("/<resource_id>")
@require_user
@document_response(ResourceOut)
async def get_resource(resource_id: str) -> dict[str, Any]:
    """One resource the caller may see (404 for anyone else's private one)."""
    return service.resource_json(await service.get_visible(current_user(), resource_id))


@resources_blueprint.patch("/<resource_id>")
@require_user
@validate_body(ResourcePatch)
@document_response(ResourceOut)
async def patch_resource(resource_id: str, data: ResourcePatch) -> dict[str, Any]:
    """Change fields (tags replace the list); shared ones by administrators only."""
    return await service.update(current_user(), resource_id, data)


@resources_blueprint.delete("/<resource_id>")
@require_user
async def delete_resource(resource_id: str) -> tuple[str, int]:
    """Delete an own resource, or (administrators) a shared one: 204."""
    await service.delete(current_user(), resource_id)
    return _NO_CONTENT
