"""The provider interface: how the assistant talks to whatever understands the user.

A turn runs as a loop (``maigie_ai.service``): the provider's ``step`` looks at the
user's message, the history and the outcomes of the actions run so far, and answers
either with action calls (run, validated, then shown to the next step) or with the
final text. The offline provider plans from rules; the OpenAI-compatible one asks a
model, which sees each enabled action's JSON Schema as a tool.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from maigie_core import AIAction, Principal

KEEP = object()  # ``Step.state`` default: leave the conversation's state as it is


class ProviderUnavailable(Exception):
    """The provider could not answer (timeout, HTTP error, malformed response)."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason


@dataclass
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None

    def add(self, other: Usage) -> None:
        for name in ("prompt_tokens", "completion_tokens", "cost"):
            theirs = getattr(other, name)
            if theirs is not None:
                setattr(self, name, (getattr(self, name) or 0) + theirs)

    def as_json(self) -> dict[str, Any]:
        total = None
        if self.prompt_tokens is not None or self.completion_tokens is not None:
            total = (self.prompt_tokens or 0) + (self.completion_tokens or 0)
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": total,
            "cost": self.cost,
        }


@dataclass
class ToolCall:
    """One action the provider wants run; ``arguments`` is raw (a model may send junk)."""

    name: str
    arguments: Any
    id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:24]}")


@dataclass
class Outcome:
    """What happened to one call: ``ok``, ``error``, ``invalid`` or ``unavailable``."""

    call: ToolCall
    status: str
    result: Any = None
    error: dict[str, Any] | None = None
    arguments: Any = None  # the validated payload, when there was one

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.call.id, "name": self.call.name, "status": self.status}
        if self.arguments is not None:
            out["arguments"] = self.arguments
        if self.ok:
            out["result"] = self.result
        else:
            out["error"] = self.error
        return out


@dataclass
class Turn:
    """Everything a provider may look at for one user message."""

    user: Principal
    message: str
    history: list[dict[str, str]]  # earlier messages since the last reset: role, content
    state: dict[str, Any]  # the conversation's saved state (the offline provider's slots)
    actions: Mapping[str, AIAction]  # the enabled plugins' actions, by name
    now: datetime  # aware, in the user's time zone
    scratch: dict[str, Any] = field(default_factory=dict)  # the provider's memory in a turn


@dataclass
class Step:
    """The provider's answer: calls to run now, or the final ``text``."""

    text: str | None = None
    calls: list[ToolCall] = field(default_factory=list)
    state: Any = KEEP  # a new conversation state (dict), or KEEP
    reset: bool = False  # "forget that": later turns start from here
    usage: Usage = field(default_factory=Usage)


class Provider(Protocol):
    """What the assistant needs of a provider."""

    name: str
    model: str | None

    async def step(self, turn: Turn, outcomes: list[Outcome]) -> Step:
        """The next step of ``turn`` given every outcome so far (empty on the first)."""
        ...

    async def summarise(self, text: str) -> tuple[str, Usage]:
        """A short summary of ``text``."""
        ...
