"""Recommendations: rank the resources a user may see by relevance to a context.

The context is a course or a goal (read through ``resolve_object``: this plugin never
imports the courses or goals plugins), a topic, or free text. It becomes weighted
terms — titles weigh more than descriptions, topics or tasks still to do more than
done ones. The database's full-text index finds candidates matching any term; each is
then scored by which context terms it contains and where (title 3, tags 2,
description 1), and explained by them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from maigie_core import NotFound, Principal, emit
from maigie_core import resolve_object as resolve
from maigie_core.tiers import check_limit, release_limit
from maigie_resources import search
from maigie_resources.schemas import RecommendIn
from maigie_resources.terms import stem, terms, words

DAILY_LIMIT = "daily_recommendations"
MAX_CONTEXT_TERMS = 32
CANDIDATES = 100
FIELD_WEIGHTS = (("title", 3.0), ("tags", 2.0), ("description", 1.0))
FIELD_NAMES = {"title": "the title", "tags": "the tags", "description": "the description"}
LINKED_BONUS = 0.25
TERM_WEIGHT_CAP = 6.0


@dataclass
class Context:
    kind: str
    id: str | None
    title: str
    weights: dict[str, float] = field(default_factory=dict)

    def add(self, text: str | None, weight: float) -> None:
        for term in terms(text or "", limit=64):
            self.weights[term] = min(TERM_WEIGHT_CAP, self.weights.get(term, 0.0) + weight)

    def top_terms(self) -> dict[str, float]:
        """The heaviest terms (first seen wins a tie), at most ``MAX_CONTEXT_TERMS``."""
        order = {term: index for index, term in enumerate(self.weights)}
        best = sorted(self.weights, key=lambda t: (-self.weights[t], order[t]))
        return {term: self.weights[term] for term in best[:MAX_CONTEXT_TERMS]}

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "terms": list(self.top_terms()),
        }


def _titles(items: Iterable[Mapping[str, Any]] | None) -> Iterable[tuple[str, bool]]:
    for item in items or []:
        yield str(item.get("title") or ""), bool(item.get("done"))


async def _course_context(user: Principal, course_id: str, ctx: Context, scale: float) -> bool:
    course = await resolve("course", course_id, user)
    if course is None:
        return False
    ctx.add(course.get("title"), 3 * scale)
    ctx.add(course.get("description"), 1 * scale)
    for module in course.get("modules") or []:
        ctx.add(module.get("title"), 2 * scale)
        for title, done in _titles(module.get("topics")):
            ctx.add(title, (1 if done else 2) * scale)
    if not ctx.title:
        ctx.title = str(course.get("title") or "")
    return True


async def build_context(user: Principal, data: RecommendIn) -> Context:
    """The weighted terms of the request's context; 404 for an unknown or hidden object."""
    if data.course_id is not None:
        ctx = Context("course", str(data.course_id), "")
        if not await _course_context(user, str(data.course_id), ctx, 1.0):
            raise NotFound("Course not found")
        return ctx
    if data.goal_id is not None:
        goal = await resolve("goal", str(data.goal_id), user)
        if goal is None:
            raise NotFound("Goal not found")
        ctx = Context("goal", str(data.goal_id), str(goal.get("title") or ""))
        ctx.add(goal.get("title"), 3)
        ctx.add(goal.get("description"), 1)
        for title, done in _titles(goal.get("tasks")):
            ctx.add(title, 1 if done else 2)
        if goal.get("course_id"):  # the goal's course adds its words, weighted lower
            await _course_context(user, str(goal["course_id"]), ctx, 0.5)
        return ctx
    if data.topic is not None:
        ctx = Context("topic", None, data.topic.strip())
        ctx.add(data.topic, 3)
        return ctx
    ctx = Context("text", None, (data.text or "").strip()[:80])
    ctx.add(data.text, 1)
    return ctx


def _stems(text: str) -> set[str]:
    return {stem(word) for word in words(text)}


def _reason(ctx: Context, matched: list[tuple[str, str]], linked: bool) -> str:
    by_field: dict[str, list[str]] = {}
    for term, where in matched:
        by_field.setdefault(where, []).append(f'"{term}"')
    parts = [f"{', '.join(found)} in {FIELD_NAMES[where]}" for where, found in by_field.items()]
    text = "Matches " + "; ".join(parts) if parts else "Related by full-text search"
    if linked:
        text += "; linked to this course"
    label = ctx.title if len(ctx.title) <= 60 else ctx.title[:57] + "..."
    if ctx.kind in ("course", "goal"):
        return f'{text} (from the {ctx.kind} "{label}")'
    if ctx.kind == "topic":
        return f'{text} (topic "{label}")'
    return f"{text} (your text)"


def score(
    ctx: Context, resource: Mapping[str, Any], weights: Mapping[str, float]
) -> tuple[float, list[tuple[str, str]], bool]:
    """(score 0..1.25, matched (term, field) pairs, linked-to-the-course) of one resource."""
    fields = {
        "title": _stems(resource["title"]),
        "tags": _stems(" ".join(resource["tags"])),
        "description": _stems(resource["description"]),
    }
    gained = 0.0
    matched: list[tuple[str, str]] = []
    for term, weight in weights.items():
        root = stem(term)
        for where, field_weight in FIELD_WEIGHTS:
            if root in fields[where]:
                gained += weight * field_weight
                matched.append((term, where))
                break
    total = 3.0 * sum(weights.values()) or 1.0
    linked = ctx.kind == "course" and resource["course_id"] == ctx.id
    return gained / total + (LINKED_BONUS if linked else 0.0), matched, linked


async def recommend(user: Principal, ctx: Context, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` best resources for ``ctx``, each with its score and reason."""
    weights = ctx.top_terms()
    rows = await search.candidates(user.id, list(weights), CANDIDATES)
    ranked = []
    for position, row in enumerate(rows):
        resource = search.row_json(row)
        value, matched, linked = score(ctx, resource, weights)
        ranked.append((value, -position, resource, matched, linked))
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [
        {
            "resource": resource,
            "score": round(value, 4),
            "matched_terms": [term for term, _ in matched],
            "reason": _reason(ctx, matched, linked),
        }
        for value, _, resource, matched, linked in ranked[:limit]
    ]


async def recommend_for(user: Principal, data: RecommendIn) -> dict[str, Any]:
    """The recommendation use case: resolve the context, count one use, rank, announce.

    An unknown context is a 404 and costs nothing; a free user past the daily cap gets
    403 ``SUBSCRIPTION_LIMIT_EXCEEDED`` naming ``daily_recommendations``.
    """
    ctx = await build_context(user, data)
    await check_limit(user, DAILY_LIMIT)
    try:
        items = await recommend(user, ctx, data.limit)
    except BaseException:
        await release_limit(user, DAILY_LIMIT)
        raise
    described = ctx.describe()
    await emit(
        "resource.recommended",
        user.id,
        {
            "context": {"kind": ctx.kind, "id": ctx.id, "title": ctx.title},
            "resource_ids": [item["resource"]["id"] for item in items],
        },
    )
    return {"items": items, "context": described}
