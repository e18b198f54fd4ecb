"""Providers the assistant can talk to: ``offline`` (rules, the default) and ``openai``."""

from __future__ import annotations

from maigie_ai.providers.base import (
    Outcome,
    Provider,
    ProviderUnavailable,
    Step,
    ToolCall,
    Turn,
    Usage,
)
from maigie_ai.settings import AISettings

__all__ = [
    "Outcome",
    "Provider",
    "ProviderUnavailable",
    "Step",
    "ToolCall",
    "Turn",
    "Usage",
    "build_provider",
]


def build_provider(settings: AISettings) -> Provider:
    if settings.provider == "openai":
        from maigie_ai.providers.openai import OpenAIProvider

        return OpenAIProvider(settings)
    from maigie_ai.providers.offline import OfflineProvider

    return OfflineProvider()
