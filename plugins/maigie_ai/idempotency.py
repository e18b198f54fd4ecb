"""``Idempotency-Key`` for ``POST /chat``: a retried request returns the first answer.

A key is claimed by inserting ``(user, key)`` into a table where that pair is unique,
so of two concurrent requests with one key exactly one runs; the other waits (up to
``idempotency_wait_seconds``) for the first's answer and returns it — or 409 if it is
still running. The answer is stored in the same transaction as the conversation's
messages. A request that fails gives its key back, so a retry runs again. The same
key with a different body is refused (422). Keys live ``idempotency_ttl_hours``; a
claim left pending by a crashed worker is taken over after the same grace period as
the wait plus the provider's time budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import peewee

from maigie_ai.models import IdempotencyKey
from maigie_ai.settings import AISettings
from maigie_core import Conflict, ValidationFailed, utcnow

MAX_KEY_LENGTH = 255
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Claim:
    row_id: uuid.UUID


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


def fingerprint(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            "Invalid Idempotency-Key header",
            detail=[
                {
                    "loc": ["header", "Idempotency-Key"],
                    "msg": f"1 to {MAX_KEY_LENGTH} printable characters",
                    "type": "value_error",
                }
            ],
        )
    return key


def _stale_after(settings: AISettings) -> timedelta:
    budget = settings.openai_timeout * (1 + settings.openai_max_retries) * settings.max_tool_rounds
    return timedelta(seconds=max(60.0, budget + settings.idempotency_wait_seconds))


async def claim(owner: uuid.UUID, key: str, print_: str, settings: AISettings) -> Claim | Replay:
    """Take ``key`` for this request, or the stored answer of the request that took it."""
    deadline = time.monotonic() + settings.idempotency_wait_seconds
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    while True:
        row_id = uuid.uuid4()
        now = utcnow()
        try:  # one statement: atomic on its own, no transaction around it
            await IdempotencyKey.insert(
                id=row_id,
                owner_id=owner,
                key=key,
                fingerprint=print_,
                state="pending",
                created_at=now,
                updated_at=now,
            ).aio_execute()
            return Claim(row_id)
        except peewee.IntegrityError:
            pass
        row = (
            await IdempotencyKey.select()
            .where((IdempotencyKey.owner_id == owner) & (IdempotencyKey.key == key))
            .aio_first()
        )
        if row is None:
            continue  # released meanwhile: try again
        expired = row.created_at < now - ttl or (
            row.state == "pending" and row.updated_at < now - _stale_after(settings)
        )
        if expired:
            await (
                IdempotencyKey.delete()
                .where(
                    (IdempotencyKey.id == row.id) & (IdempotencyKey.updated_at == row.updated_at)
                )
                .aio_execute()
            )
            continue
        if row.fingerprint != print_:
            raise ValidationFailed(
                "This Idempotency-Key was used with a different request",
                detail=[
                    {
                        "loc": ["header", "Idempotency-Key"],
                        "msg": "already used with a different body",
                        "type": "value_error",
                    }
                ],
            )
        if row.state == "done":
            return Replay(int(row.status_code or 200), json.loads(row.response or "{}"))
        if time.monotonic() >= deadline:
            raise Conflict("A request with this Idempotency-Key is still being processed")
        await asyncio.sleep(POLL_SECONDS)


async def complete(held: Claim, status_code: int, body: dict[str, Any]) -> None:
    """Store the answer (call inside the transaction that stores the messages)."""
    await (
        IdempotencyKey.update(
            state="done",
            status_code=status_code,
            response=json.dumps(body, default=str),
            updated_at=utcnow(),
        )
        .where(IdempotencyKey.id == held.row_id)
        .aio_execute()
    )


async def release(held: Claim) -> None:
    """Give the key back after a failure, so the client's retry runs."""
    await (
        IdempotencyKey.delete()
        .where((IdempotencyKey.id == held.row_id) & (IdempotencyKey.state == "pending"))
        .aio_execute()
    )


async def purge(before: Any) -> int:
    deleted: int = (
        await IdempotencyKey.delete().where(IdempotencyKey.created_at < before).aio_execute()
    )
    return deleted
