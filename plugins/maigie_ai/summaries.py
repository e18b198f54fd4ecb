"""``POST /summary``: a text through the provider, or a course described from its outline.

Text goes to the configured provider (``offline``: a local extractive summary; an
OpenAI-compatible model otherwise, falling back to the extractive one if the model is
unavailable). A course — read through ``resolve_object``, never imported — is summarised
from its structure and the caller's progress.
"""

from __future__ import annotations

from typing import Any

from maigie_ai.intents.summary import summarise
from maigie_ai.providers import ProviderUnavailable
from maigie_ai.schemas import SummaryIn
from maigie_ai.state import ai_state
from maigie_core import NotFound, Principal, resolve_object


def course_summary(course: dict[str, Any]) -> str:
    modules = course.get("modules") or []
    topics = [t for m in modules for t in m.get("topics", [])]
    done = sum(1 for t in topics if t.get("done"))
    parts = [f"“{course.get('title')}”: {len(modules)} module(s), {len(topics)} topic(s)."]
    if course.get("description"):
        parts.append(summarise(str(course["description"]), 2))
    if modules:
        parts.append("Modules: " + "; ".join(str(m.get("title")) for m in modules[:12]) + ".")
    parts.append(
        f"You have finished {done} of {len(topics)} topic(s) ({int(course.get('progress') or 0)}%)."
    )
    upcoming = next((t for t in topics if not t.get("done")), None)
    if upcoming is not None:
        parts.append(f"Next up: {upcoming.get('title')}.")
    return " ".join(parts)


async def summary(user: Principal, data: SummaryIn) -> dict[str, Any]:
    if data.course_id is not None:
        course = await resolve_object("course", str(data.course_id), user)
        if course is None:
            raise NotFound("Course not found")
        return {
            "summary": course_summary(dict(course)),
            "source": "course",
            "method": "outline",
            "course_id": str(data.course_id),
        }
    text = data.text or ""
    provider = ai_state().provider
    if data.max_sentences is not None or provider.name == "offline":
        return {
            "summary": summarise(text, data.max_sentences),
            "source": "text",
            "method": "extractive",
        }
    try:
        result, _usage = await provider.summarise(text)
        method = provider.name
    except ProviderUnavailable:
        result, method = summarise(text), "extractive (the model was unavailable)"
    return {"summary": result, "source": "text", "method": method}
