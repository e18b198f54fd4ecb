"""The AI plugin's settings: TOML ``[plugins.ai]`` or ``MAIGIE_PLUGINS__AI__KEY``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class AISettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["offline", "openai"] = "offline"
    # -- the OpenAI-compatible provider --
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr = SecretStr("")
    openai_timeout: float = Field(30.0, gt=0, le=600)  # seconds per HTTP call
    openai_max_retries: int = Field(1, ge=0, le=5)  # on timeouts, 429 and 5xx
    openai_temperature: float = Field(0.2, ge=0, le=2)
    openai_price_prompt_per_1k: float | None = Field(None, ge=0)  # cost per 1,000 tokens
    openai_price_completion_per_1k: float | None = Field(None, ge=0)
    history_messages: int = Field(20, ge=0, le=200)  # earlier messages a model sees
    max_tool_rounds: int = Field(4, ge=1, le=10)  # model ↔ actions round trips per message
    # -- conversations --
    max_message_chars: int = Field(8_000, ge=100, le=100_000)
    conversation_retention_days: int = Field(365, ge=0)  # 0 keeps conversations forever
    idempotency_ttl_hours: int = Field(24, ge=1, le=24 * 30)
    idempotency_wait_seconds: float = Field(10.0, ge=0, le=120)  # a duplicate waits this long
    # -- streaming and voice --
    stream_chunk_chars: int = Field(80, ge=1, le=10_000)  # ai.message chunk size
    voice_session_minutes: int = Field(15, ge=1, le=240)
    transcription_provider: Literal["none"] = "none"
    # -- study plans (POST /create-plan) --
    plan_sessions_per_week: int = Field(3, ge=1, le=7)
    plan_session_minutes: int = Field(60, ge=15, le=480)
    plan_session_hour: int = Field(18, ge=0, le=23)  # local start hour of suggested blocks
