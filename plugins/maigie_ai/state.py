"""The plugin's per-app services: settings, the provider, the chat rate limiter.

Built on first use inside an app context and kept in ``app.extensions``, so two apps
with different settings live side by side (tests) and nothing is a module global.
"""

from __future__ import annotations

from dataclasses import dataclass

from quart import Quart, current_app

from maigie_ai.providers import Provider, build_provider
from maigie_ai.settings import AISettings
from maigie_core import runtime
from maigie_core.ratelimit import RateLimiter

EXTENSION = "maigie_ai"
RATE_WINDOW_SECONDS = 60


@dataclass
class AIState:
    settings: AISettings
    provider: Provider
    chat_limiter: RateLimiter

    @classmethod
    def build(cls, app: Quart) -> AIState:
        rt = runtime(app)
        settings = next(
            (s for s in rt.plugin_settings.values() if isinstance(s, AISettings)), AISettings()
        )
        limiter = RateLimiter(
            "ai_chat",
            rt.settings.AI_CHAT_RATE_PER_MINUTE,
            RATE_WINDOW_SECONDS,
            rt.redis,
            rt.settings.REDIS_KEY_PREFIX,
        )
        return cls(settings, build_provider(settings), limiter)


def ai_state(app: Quart | None = None) -> AIState:
    target = app if app is not None else current_app
    state: AIState | None = target.extensions.get(EXTENSION)
    if state is None:
        state = target.extensions[EXTENSION] = AIState.build(target)
    return state


async def close(app: Quart) -> None:
    state: AIState | None = app.extensions.pop(EXTENSION, None)
    closer = getattr(state.provider, "close", None) if state else None
    if closer is not None:
        await closer()
