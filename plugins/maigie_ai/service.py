"""One chat turn, end to end: limits, the provider loop, actions, storage, streaming.

``chat`` is what ``POST /chat`` does: the per-user rate limit, the idempotency claim,
the monthly quota, then the loop in which the provider asks for actions (validated and
run by ``actions.run``) until it has the reply; the turn is stored in one transaction
with the idempotency answer, and the reply streams as ``ai.message`` events.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from maigie_ai import actions, conversations, idempotency, streaming
from maigie_ai.intents.phrases import FORGET, tidy
from maigie_ai.models import Conversation, Message
from maigie_ai.providers import Outcome, ProviderUnavailable, Turn, Usage
from maigie_ai.providers.base import KEEP
from maigie_ai.schemas import ChatIn
from maigie_ai.state import ai_state
from maigie_core import Principal, RateLimited, ServiceUnavailable, runtime, transaction, utcnow
from maigie_core.tiers import allowance, check_limit, release_limit

log = logging.getLogger("maigie.ai")

CHAT_LIMIT = "ai_chat_messages"
FORGET_REPLY = "Okay, I've forgotten that: we're starting fresh. What would you like to do?"


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def user_now(user: Principal) -> datetime:
    return datetime.now(zone(user.timezone))


async def chat(user: Principal, data: ChatIn, key: str | None) -> tuple[dict[str, Any], int, bool]:
    """(body, status, replayed) for one ``POST /chat``."""
    state = ai_state()
    wait = await state.chat_limiter.consume(user.id)
    if wait is not None:
        raise RateLimited(wait, f"Too many chat messages: try again in {wait} s")
    owner = uuid.UUID(user.id)
    held = None
    if key is not None:
        print_ = idempotency.fingerprint(data.model_dump(mode="json"))
        claimed = await idempotency.claim(owner, idempotency.check_key(key), print_, state.settings)
        if isinstance(claimed, idempotency.Replay):
            return claimed.body, claimed.status_code, True
        held = claimed
    try:
        conversation = None
        if data.conversation_id is not None:
            conversation = await conversations.owned(owner, data.conversation_id)
        # A capped tier takes its use before anything is done (the 51st free message is
        # refused with nothing done); an unlimited one only counts it, in the turn's
        # transaction (one write transaction per chat).
        capped = allowance(CHAT_LIMIT, user.tier) is not None
        if capped:
            await check_limit(user, CHAT_LIMIT)
        try:
            body = await converse(user, owner, data.message, conversation, held, not capped)
        except BaseException:
            if capped:
                await release_limit(user, CHAT_LIMIT)
            raise
    except BaseException:
        if held is not None:
            await idempotency.release(held)
        raise
    return body, 200, False


async def converse(
    user: Principal,
    owner: uuid.UUID,
    message: str,
    conversation: Conversation | None,
    held: idempotency.Claim | None,
    count_use: bool = False,
) -> dict[str, Any]:
    state = ai_state()
    provider, settings = state.provider, state.settings
    history: list[dict[str, str]] = []
    if conversation is not None and getattr(provider, "uses_history", True):
        history = await conversations.history(conversation, settings.history_messages)
    saved = json.loads(conversation.state) if conversation is not None else {}
    turn = Turn(user, message, history, saved, runtime().ai_actions, user_now(user))

    outcomes: list[Outcome] = []
    usage = Usage()
    new_state: Any = KEEP
    reset = False
    reply: str | None = None
    if FORGET.match(tidy(message)):  # the same for every provider: context starts afresh
        reply, new_state, reset = FORGET_REPLY, {}, True
    for _round in range(0 if reset else settings.max_tool_rounds):
        try:
            step = await provider.step(turn, outcomes)
        except ProviderUnavailable as exc:
            if not outcomes:
                raise ServiceUnavailable(
                    "The assistant's model service is unavailable; nothing was done. "
                    "Try again shortly.",
                    detail={"provider": exc.provider, "reason": exc.reason},
                ) from None
            reply = fallback_reply(outcomes, f"the model service failed ({exc.reason})")
            break
        usage.add(step.usage)
        if step.state is not KEEP:
            new_state = step.state
        reset = reset or step.reset
        if not step.calls:
            reply = step.text or ""
            break
        for call in step.calls:
            outcomes.append(await actions.run(user, call, turn.actions))
    if reply is None:
        reply = fallback_reply(outcomes, "the assistant ran out of steps")
    if not getattr(provider, "explains_failures", False):
        reply = with_failure_notes(reply, outcomes)
    if not reply.strip():
        reply = fallback_reply(outcomes, None)

    return await store_turn(
        user,
        owner,
        message,
        conversation,
        reply,
        outcomes,
        usage,
        new_state,
        reset,
        held,
        count_use,
    )


async def store_turn(
    user: Principal,
    owner: uuid.UUID,
    message: str,
    conversation: Conversation | None,
    reply: str,
    outcomes: list[Outcome],
    usage: Usage,
    new_state: Any,
    reset: bool,
    held: idempotency.Claim | None,
    count_use: bool = False,
) -> dict[str, Any]:
    """Store the turn in one transaction: the conversation (one statement, new or
    updated), both messages (one statement), the idempotency answer, the use."""
    provider = ai_state().provider
    conversation_id = conversation.id if conversation is not None else uuid.uuid4()
    reply_id = uuid.uuid4()
    taken = [o.as_json() for o in outcomes]
    body: dict[str, Any] = {
        "conversation_id": str(conversation_id),
        "message_id": str(reply_id),
        "reply": reply,
        "actions": taken,
        "provider": provider.name,
        "usage": usage.as_json(),
    }
    await streaming.stream(user.id, body)
    now = utcnow()
    state_json = None if new_state is KEEP else json.dumps(new_state, default=str)
    async with transaction():
        if conversation is None:
            await Conversation.insert(
                id=conversation_id,
                owner_id=owner,
                title=conversations.new_title(message),
                state=state_json or "{}",
                context_start=2 if reset else 0,
                message_count=2,
                last_message_at=now,
                created_at=now,
                updated_at=now,
            ).aio_execute()
            base = 0
        else:
            changes: dict[Any, Any] = {
                Conversation.message_count: Conversation.message_count + 2,
                Conversation.updated_at: now,
                Conversation.last_message_at: now,
            }
            if state_json is not None:
                changes[Conversation.state] = state_json
            if reset:  # right-hand sides read the row before the update
                changes[Conversation.context_start] = Conversation.message_count + 2
            count = await (
                Conversation.update(changes)
                .where(Conversation.id == conversation_id)
                .returning(Conversation.message_count)
                .tuples()
                .aio_execute()
            )
            base = int(next(iter(count))[0]) - 2
        common = {
            "conversation": conversation_id,
            "owner_id": owner,
            "created_at": now,
            "updated_at": now,
            "provider": None,
            "model": None,
            "prompt_tokens": None,
            "completion_tokens": None,
            "cost": None,
        }  # insert_many takes its columns from the first row: both rows name them all
        question = {"id": uuid.uuid4(), "position": base, "role": "user", "content": message}
        answer = {
            "id": reply_id,
            "position": base + 1,
            "role": "assistant",
            "content": reply,
            "actions": json.dumps(taken, default=str),
            "provider": provider.name,
            "model": provider.model,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost": usage.cost,
        }
        await Message.insert_many(
            [{**common, "actions": "[]", **question}, {**common, **answer}]
        ).aio_execute()
        if held is not None:
            await idempotency.complete(held, 200, body)
        if count_use:
            await check_limit(user, CHAT_LIMIT)
        await streaming.final(user.id, body)
    return body


def fallback_reply(outcomes: list[Outcome], reason: str | None) -> str:
    """A reply written from the outcomes alone (the provider could not finish)."""
    done = [o.call.name.replace("_", " ") for o in outcomes if o.ok]
    parts = []
    if done:
        parts.append("Done: " + ", ".join(done) + ".")
    if reason:
        parts.append(f"I couldn't finish my reply: {reason}.")
    return " ".join(parts) or "I couldn't work out what to do. Could you rephrase?"


def with_failure_notes(reply: str, outcomes: list[Outcome]) -> str:
    """Say why each action that did not happen did not happen (a model may not)."""
    notes = []
    succeeded = {o.call.name for o in outcomes if o.ok}  # a model may retry a refused call
    for outcome in outcomes:
        if outcome.ok or outcome.call.name in succeeded:
            continue
        error = outcome.error or {}
        verb = outcome.call.name.replace("_", " ") or "that"
        if outcome.status == "unavailable":
            notes.append(f"I can't {verb} here: that feature isn't enabled.")
        elif outcome.status == "invalid":
            notes.append(f"Not done ({verb}): the details were invalid: {error.get('message')}.")
        else:
            notes.append(f"Not done ({verb}): {error.get('message')}.")
    if not notes:
        return reply
    return (reply.rstrip() + "\n\n" if reply.strip() else "") + "\n".join(notes)
