"""The OpenAI-compatible provider: chat completions with tool (function) calling over httpx.

Any server speaking ``POST {base_url}/chat/completions`` works (OpenAI, a hosted
gateway, a local model server). Each enabled action is a tool whose parameters are its
payload's JSON Schema; the model's tool calls come back to the assistant, which
validates and runs them, and the results go back to the model for the final reply.
Timeouts, HTTP 429/5xx (retried ``max_retries`` times) and malformed responses raise
``ProviderUnavailable``; malformed *tool arguments* are the assistant's to refuse.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from maigie_ai import payloads
from maigie_ai.providers.base import Outcome, ProviderUnavailable, Step, ToolCall, Turn, Usage
from maigie_ai.settings import AISettings

log = logging.getLogger("maigie.ai.openai")

SYSTEM_PROMPT = (
    "You are Maigie, a study companion. You help a student by creating courses, goals, "
    "schedule blocks and reminders, recommending resources and reporting progress, using "
    "the tools provided. Today is {today} ({weekday}); the time is {time} in the student's "
    "time zone {tz}. Give dates as YYYY-MM-DD and date-times as ISO 8601 with the UTC "
    "offset. If a request is unclear or a detail is missing, ask one short clarifying "
    "question and call no tool. Never invent results: report what the tools returned."
)
SUMMARY_PROMPT = "Summarise the user's text in at most five sentences. Reply with the summary only."
MAX_TOOL_RESULT_CHARS = 8_000


class OpenAIProvider:
    name = "openai"

    def __init__(self, settings: AISettings) -> None:
        self.settings = settings
        self.model: str | None = settings.openai_model
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            headers = {"Content-Type": "application/json"}
            key = self.settings.openai_api_key.get_secret_value()
            if key:
                headers["Authorization"] = f"Bearer {key}"
            self._client = httpx.AsyncClient(
                base_url=self.settings.openai_base_url.rstrip("/") + "/",
                headers=headers,
                timeout=httpx.Timeout(self.settings.openai_timeout),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- the protocol ----------------------------------------------------------------------

    async def step(self, turn: Turn, outcomes: list[Outcome]) -> Step:
        messages: list[dict[str, Any]] = turn.scratch.setdefault("messages", self._opening(turn))
        answered: int = turn.scratch.get("answered", 0)
        for outcome in outcomes[answered:]:
            content = json.dumps(outcome.as_json(), default=str)[:MAX_TOOL_RESULT_CHARS]
            messages.append({"role": "tool", "tool_call_id": outcome.call.id, "content": content})
        turn.scratch["answered"] = len(outcomes)
        body: dict[str, Any] = {
            "model": self.settings.openai_model,
            "messages": messages,
            "temperature": self.settings.openai_temperature,
        }
        tools = [payloads.tool(action) for action in turn.actions.values()]
        if tools:
            body["tools"] = tools
            body["tool_choice"] = "auto"
        data = await self._post(body)
        message, usage = self._parse(data)
        calls = self._calls(message)
        assistant: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
        if calls:
            assistant["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": _raw(c.arguments)},
                }
                for c in calls
            ]
        messages.append(assistant)
        if calls:
            return Step(calls=calls, usage=usage)
        return Step(text=str(message.get("content") or "").strip(), usage=usage)

    async def summarise(self, text: str) -> tuple[str, Usage]:
        body = {
            "model": self.settings.openai_model,
            "temperature": 0,
            "messages": [
                {
                    "role": "system",
                    "content": SUMMARY_PROMPT,
                },
                {"role": "user", "content": text},
            ],
        }
        message, usage = self._parse(await self._post(body))
        summary = str(message.get("content") or "").strip()
        if not summary:
            raise ProviderUnavailable(self.name, "empty summary")
        return summary, usage

    # -- helpers ---------------------------------------------------------------------------

    def _opening(self, turn: Turn) -> list[dict[str, Any]]:
        now = turn.now
        system = SYSTEM_PROMPT.format(
            today=now.date().isoformat(),
            weekday=now.strftime("%A"),
            time=now.strftime("%H:%M"),
            tz=turn.user.timezone or "UTC",
        )
        history = (
            turn.history[-self.settings.history_messages :]
            if self.settings.history_messages
            else []
        )
        return [
            {"role": "system", "content": system},
            *({"role": m["role"], "content": m["content"]} for m in history),
            {"role": "user", "content": turn.message},
        ]

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        attempts = 1 + self.settings.openai_max_retries
        reason = "no attempt"
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(min(2.0, 0.25 * 2 ** (attempt - 1)))
            try:
                response = await self.client.post("chat/completions", json=body)
            except httpx.TimeoutException:
                reason = f"timed out after {self.settings.openai_timeout:g} s"
                continue
            except httpx.HTTPError as exc:
                reason = f"connection failed ({type(exc).__name__})"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                reason = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                raise ProviderUnavailable(
                    self.name, f"HTTP {response.status_code}: {response.text[:200]}"
                )
            try:
                data = response.json()
            except ValueError:
                raise ProviderUnavailable(self.name, "the response was not JSON") from None
            if not isinstance(data, dict):
                raise ProviderUnavailable(self.name, "the response was not a JSON object")
            return data
        log.warning("openai-compatible provider failed: %s", reason)
        raise ProviderUnavailable(self.name, reason)

    def _parse(self, data: dict[str, Any]) -> tuple[dict[str, Any], Usage]:
        try:
            message = data["choices"][0]["message"]
            if not isinstance(message, dict):
                raise TypeError
        except (KeyError, IndexError, TypeError):
            raise ProviderUnavailable(self.name, "the response had no choices[0].message") from None
        raw = data.get("usage")
        if not isinstance(raw, dict):
            raw = {}
        usage = Usage(
            prompt_tokens=_int(raw.get("prompt_tokens")),
            completion_tokens=_int(raw.get("completion_tokens")),
            cost=_float(raw.get("cost")),
        )
        if usage.cost is None:
            usage.cost = self._price(usage)
        return message, usage

    def _price(self, usage: Usage) -> float | None:
        prompt, completion = (
            self.settings.openai_price_prompt_per_1k,
            self.settings.openai_price_completion_per_1k,
        )
        if prompt is None or completion is None or usage.prompt_tokens is None:
            return None
        return round(
            usage.prompt_tokens / 1000 * prompt
            + (usage.completion_tokens or 0) / 1000 * completion,
            8,
        )

    @staticmethod
    def _calls(message: dict[str, Any]) -> list[ToolCall]:
        calls = []
        for index, raw in enumerate(message.get("tool_calls") or []):
            function = raw.get("function") if isinstance(raw, dict) else None
            if not isinstance(function, dict):
                continue
            call_id = str(raw.get("id") or f"call_{index}")
            calls.append(
                ToolCall(str(function.get("name", "")), function.get("arguments"), id=call_id)
            )
        legacy = message.get("function_call")
        if not calls and isinstance(legacy, dict):
            calls.append(ToolCall(str(legacy.get("name", "")), legacy.get("arguments")))
        return calls


def _raw(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
