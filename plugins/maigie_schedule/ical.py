"""The calendar feed: an RFC 5545 document of a user's schedule, behind a signed URL.

The URL carries ``itsdangerous``-signed ``{user id, feed version}`` (no expiry: calendar
apps poll a URL for years). Rotating bumps the version stored for the user, so every
earlier URL stops verifying: 404, like an unknown one. Series are exported as one
VEVENT with DTSTART/DTEND in their zone (TZID, with VTIMEZONE definitions), the RRULE
as stored and EXDATEs for skipped occurrences; calendar apps expand them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import icalendar
from itsdangerous import BadSignature, URLSafeSerializer

from maigie_core import NotFound, Principal, transaction
from maigie_core.db import utcnow
from maigie_core.runtime import runtime
from maigie_schedule.models import Feed
from maigie_schedule.recurrence import as_utc, zone
from maigie_schedule.store import BlockRow, skipped

SALT = "maigie.schedule.feed"
PRODID = "-//Maigie//Schedule//EN"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(runtime().settings.SECRET_KEY, salt=SALT)


def feed_url(token: str) -> str:
    base = runtime().settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/api/v1/schedule/feed/{token}.ics"


async def _version(owner: uuid.UUID) -> int:
    row: Feed | None = await Feed.aio_get_or_none(Feed.owner_id == owner)
    if row is not None:
        return int(row.version)
    try:
        async with transaction():
            await Feed.aio_create(owner_id=owner, version=1)
    except Exception:  # a concurrent first request created it
        row = await Feed.aio_get_or_none(Feed.owner_id == owner)
        if row is None:
            raise
        return int(row.version)
    return 1


def _describe(owner: uuid.UUID, version: int) -> dict[str, Any]:
    token = _serializer().dumps({"u": owner.hex, "v": version})
    return {"url": feed_url(token), "version": version}


async def current_feed(user: Principal) -> dict[str, Any]:
    owner = uuid.UUID(user.id)
    return _describe(owner, await _version(owner))


async def rotate_feed(user: Principal) -> dict[str, Any]:
    """A new URL; the previous ones stop working."""
    owner = uuid.UUID(user.id)
    await _version(owner)
    async with transaction():
        await (
            Feed.update(version=Feed.version + 1, updated_at=utcnow())
            .where(Feed.owner_id == owner)
            .aio_execute()
        )
        row: Feed = await Feed.aio_get(Feed.owner_id == owner)
    return _describe(owner, int(row.version))


async def owner_of_token(token: str) -> uuid.UUID:
    """The user a feed token belongs to, if it is their current one; else 404."""
    try:
        claims = _serializer().loads(token)
        owner, version = uuid.UUID(hex=claims["u"]), int(claims["v"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("Feed not found") from None
    row: Feed | None = await Feed.aio_get_or_none(Feed.owner_id == owner)
    if row is None or row.version != version:
        raise NotFound("Feed not found")
    return owner


def calendar(rows: list[BlockRow], name: str = "Maigie schedule") -> bytes:
    """The iCalendar document of ``rows``."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(UTC)
    for row in rows:
        tz = zone(row.timezone)
        event = icalendar.Event()
        event.add("uid", f"{row.id}@maigie")
        event.add("dtstamp", stamp)
        event.add("summary", row.title)
        if row.notes:
            event.add("description", row.notes)
        event.add("dtstart", as_utc(row.start_at).astimezone(tz))
        event.add("dtend", as_utc(row.end_at).astimezone(tz))
        event.add("created", as_utc(row.created_at))
        event.add("last-modified", as_utc(row.updated_at))
        if row.rrule:
            event.add("rrule", icalendar.vRecur.from_ical(row.rrule))
            skips = sorted(skipped(row.exdates))
            if skips:
                event.add("exdate", [as_utc(moment).astimezone(tz) for moment in skips])
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
