"""Recurrence: RFC 5545 RRULEs through python-dateutil, expanded in the block's zone.

A series is expanded from its first start as an *aware* local time (``ZoneInfo``):
dateutil steps the wall clock (09:00 stays 09:00) and each occurrence is converted to
UTC afterwards, so a weekly 09:00 block in Europe/London is 09:00 GMT in March and
09:00 BST in April. An occurrence lasts the block's wall-clock length (09:00-10:30
stays 09:00-10:30). A wall-clock time that does not exist that day (inside a
spring-forward gap) is read with the offset before the change (01:30 → 02:30 BST); a
repeated one (autumn) is its first instance.

Rules are checked when written (422 on anything below), never when read:
a lone RRULE value (no DTSTART/RDATE lines), FREQ of HOURLY or slower, INTERVAL ≥ 1,
not both COUNT and UNTIL, UNTIL in UTC (``…Z``, as RFC 5545 requires with a zoned
start), COUNT ≤ 1000, at most 1000 occurrences in any year, and ``start_at`` is the
first occurrence (an unsynchronised DTSTART is undefined in RFC 5545).
"""

from __future__ import annotations

import bisect
import calendar
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.parser import parse as parse_datetime
from dateutil.rrule import rrule, rrulestr

from maigie_core.instants import OUT_OF_RANGE, within_range

#: FREQ values a block may have (MINUTELY and SECONDLY are refused).
FREQS = frozenset({"YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"})
MAX_COUNT = 1000
MAX_PER_YEAR = 1000
YEAR = timedelta(days=366)
#: How far a finite (COUNT) rule is expanded to find its last occurrence.
FINITE_SCAN = timedelta(days=366 * 10)
#: Slack when a window is turned into local bounds (offsets, nominal lengths).
_SLACK = timedelta(days=2)
T = TypeVar("T")


class RuleError(ValueError):
    """An rrule (or time zone) a block cannot have; the message is for the client."""


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError(f"unknown time zone {name!r}") from None


def utc_naive(value: datetime) -> datetime:
    """An aware datetime as the naive UTC the database stores."""
    return value.astimezone(UTC).replace(tzinfo=None)


def as_utc(value: datetime) -> datetime:
    """A stored naive UTC value made aware."""
    return value.replace(tzinfo=UTC)


def normalise(text: str) -> str:
    """The rule as stored: upper case, without an ``RRULE:`` prefix."""
    value = text.strip().upper()
    if value.startswith("RRULE:"):
        value = value[len("RRULE:") :].strip()
    return value


@dataclass(frozen=True, slots=True)
class RuleParts:
    """The parts of an RRULE the checks and a series' end read."""

    freq: str
    interval: int
    count: int | None
    until: datetime | None


def rule_parts(text: str) -> RuleParts:
    """FREQ, INTERVAL, COUNT and UNTIL of an RRULE value that dateutil accepted.

    RFC 5545 syntax (``KEY=VALUE;KEY=VALUE``, keys case-insensitive, an optional
    ``RRULE:`` prefix), read here because dateutil's ``rrule`` exposes its parts only as
    private attributes. UNTIL goes through dateutil's public date parser, as ``rrulestr``
    reads it; a repeated key counts once, the last time, as in ``rrulestr``.
    """
    value = text.strip()
    if value[:6].upper() == "RRULE:":
        value = value[6:]
    parts: dict[str, str] = {}
    for pair in value.split(";"):
        key, _, item = pair.partition("=")
        parts[key.upper()] = item.upper()
    count, until = parts.get("COUNT"), parts.get("UNTIL")
    return RuleParts(
        freq=parts.get("FREQ", ""),
        interval=int(parts.get("INTERVAL", "1")),
        count=None if count is None else int(count),
        until=None if until is None else parse_datetime(until),
    )


def parse(text: str, first_local: datetime) -> rrule:
    """Check ``text`` (already normalised) against the rules in the module docstring."""
    if not text:
        raise RuleError("rrule is empty")
    if "\n" in text or "\r" in text or ":" in text:
        raise RuleError("rrule must be one RRULE value such as FREQ=WEEKLY;COUNT=3")
    try:
        with warnings.catch_warnings():  # COUNT with UNTIL warns; refused below
            warnings.simplefilter("ignore", DeprecationWarning)
            rule = rrulestr(text, dtstart=first_local)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise RuleError(f"invalid rrule: {exc}") from None
    if not isinstance(rule, rrule):
        raise RuleError("rrule must be one RRULE value")
    parts = rule_parts(text)
    if parts.freq not in FREQS:
        raise RuleError("rrule FREQ must be HOURLY or slower (MINUTELY/SECONDLY are refused)")
    if parts.interval < 1:
        raise RuleError("rrule INTERVAL must be at least 1")
    if parts.count is not None and parts.until is not None:
        raise RuleError("rrule must not have both COUNT and UNTIL (RFC 5545)")
    if parts.count is not None and not 1 <= parts.count <= MAX_COUNT:
        raise RuleError(f"rrule COUNT must be from 1 to {MAX_COUNT}")
    if parts.until is not None:
        try:
            within_range(parts.until)
        except ValueError:
            raise RuleError(f"rrule UNTIL {OUT_OF_RANGE}") from None
    first_year = rule.between(first_local, first_local + YEAR, inc=True)
    if not first_year or first_year[0] != first_local:
        raise RuleError("start_at must be the first occurrence of the rrule")
    if len(first_year) > MAX_PER_YEAR:
        raise RuleError(f"rrule makes more than {MAX_PER_YEAR} occurrences in a year")
    return rule


@dataclass(frozen=True, slots=True)
class Series:
    """How a stored block expands: its rule, zone, first local start, wall length."""

    rule: rrule | None
    tz: ZoneInfo
    first_local: datetime
    wall_length: timedelta
    length: timedelta  # exact length of a one-off block
    parts: RuleParts | None = None

    def near(self, local_lo: datetime) -> rrule:
        """The rule (there is one), or the same rule from a later DTSTART, with the same
        occurrences from ``local_lo`` (aware, in the block's zone) on but without the
        periods before it to expand (see :func:`moved_start`; without ``parts``, never)."""
        rule = self.rule
        assert rule is not None
        if self.parts is None:
            return rule
        first = self.first_local.replace(tzinfo=None)
        moved = moved_start(self.parts, first, local_lo.replace(tzinfo=None))
        return rule if moved is None else rule.replace(dtstart=moved.replace(tzinfo=self.tz))

    def occurrence_end(self, start_local: datetime) -> datetime:
        """The UTC end of the occurrence starting at aware local ``start_local``."""
        end = (start_local.replace(tzinfo=None) + self.wall_length).replace(tzinfo=self.tz)
        return end.astimezone(UTC)

    def between(self, lo: datetime, hi: datetime) -> Iterable[tuple[datetime, datetime]]:
        """(start, end) in aware UTC of every occurrence overlapping [lo, hi)."""
        if self.rule is None:
            start = self.first_local.astimezone(UTC)
            end = start + self.length
            if start < hi and end > lo:
                yield start, end
            return
        local_lo = lo.astimezone(self.tz) - self.wall_length - _SLACK
        local_hi = hi.astimezone(self.tz) + _SLACK
        for local in self.near(local_lo).between(local_lo, local_hi, inc=True):
            start = local.astimezone(UTC)
            if start >= hi:
                break
            end = self.occurrence_end(local)
            if end > lo:
                yield start, end


# -- expanding far from the first occurrence -------------------------------------------
#
# dateutil expands a rule from its DTSTART, one period (INTERVAL times FREQ) after another,
# so a window far from a block's start would cost every period in between (a
# request-time denial of service: an HOURLY block read in the year 8999). A rule
# without COUNT is instead expanded from a DTSTART moved forward by a whole number of
# its periods, to a period that ends before the window. This gives the same occurrences
# in the window because, in dateutil's wall-clock (naive local) terms:
#
# * the periods visited from the moved start are exactly the original's from there on:
#   HOURLY steps hours ≡ DTSTART (mod INTERVAL), DAILY days, WEEKLY weeks aligned on
#   WKST, MONTHLY/YEARLY calendar months/years, each INTERVAL apart;
# * within a period the candidates are fixed by the BYxxx parts, which are calendar
#   (absolute) filters, and BYSETPOS picks among that period's candidates — both the
#   same in the original's period as in the moved rule's (except the moved rule's
#   *first* period, which is cut at the moved DTSTART and ends before the window);
# * the parts dateutil defaults from DTSTART (the time of day; BYMINUTE for HOURLY; the
#   weekday for WEEKLY; the day of month and month for MONTHLY/YEARLY) and the hours an
#   HOURLY BYHOUR can reach are unchanged: a whole number of periods keeps the wall
#   time (DAILY and slower), the minute (HOURLY) and the hour modulo INTERVAL, the
#   weekday (WEEKLY), and MONTHLY/YEARLY only move to a month whose day exists;
# * UNTIL is an absolute bound.
#
# COUNT counts from the first occurrence, so a COUNT rule is never moved; it yields at
# most MAX_COUNT occurrences.

_FIXED = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}
#: Months in a Gregorian cycle (400 years): a date moved by a multiple exists again.
_CYCLE_MONTHS = 4800


def moved_start(parts: RuleParts, first: datetime, lo: datetime) -> datetime | None:
    """The naive wall-clock DTSTART a rule with ``parts`` and naive first occurrence
    ``first`` may be moved to for a window starting at naive ``lo`` (see above), or
    ``None`` when it need not or may not move."""
    if parts.count is not None:
        return None
    if parts.freq in _FIXED:
        period = _FIXED[parts.freq] * parts.interval
        # One period less, so the moved first period (cut at the moved start) ends
        # before the window.
        periods = (lo - first) // period - 1
        return first + periods * period if periods > 0 else None
    if parts.freq == "YEARLY":
        step, months = 12 * parts.interval, (lo.year - first.year) * 12
    elif parts.freq == "MONTHLY":
        step, months = parts.interval, (lo.year - first.year) * 12 + lo.month - first.month
    else:
        return None
    periods = months // step - 1
    # Moving by a multiple of the cycle keeps the day valid, so one of any
    # _CYCLE_MONTHS consecutive numbers of periods does: the loop ends by then.
    for back in range(_CYCLE_MONTHS):
        if periods - back <= 0:
            return None
        index = first.month - 1 + (periods - back) * step
        year, month = first.year + index // 12, index % 12 + 1
        if first.day <= calendar.monthrange(year, month)[1]:
            return first.replace(year=year, month=month)
    return None  # pragma: no cover - unreachable (see above)


@lru_cache(maxsize=4096)
def series(rule_text: str | None, start_at: datetime, end_at: datetime, tz_name: str) -> Series:
    """The expansion of a stored block (naive UTC times), parsed once per distinct block."""
    tz = zone(tz_name)
    first_local = as_utc(start_at).astimezone(tz)
    last_local = as_utc(end_at).astimezone(tz)
    wall = last_local.replace(tzinfo=None) - first_local.replace(tzinfo=None)
    rule = rrulestr(rule_text, dtstart=first_local) if rule_text else None
    parts = rule_parts(rule_text) if rule_text else None
    return Series(rule, tz, first_local, wall, end_at - start_at, parts)


def last_end(s: Series) -> datetime | None:
    """UTC end of the last occurrence (naive) of block ``s`` (its rule checked by
    :func:`parse`), or ``None`` for an open-ended series."""
    parts = s.parts
    if s.rule is None or parts is None:
        return utc_naive(s.first_local.astimezone(UTC) + s.length)
    if parts.until is not None:
        # UNTIL bounds the starts; the last one ends at most one wall length later (+1 h DST).
        until = parts.until.astimezone(UTC)
        return utc_naive(until + s.wall_length + timedelta(hours=1))
    if parts.count is not None:
        found = list(s.rule.between(s.first_local, s.first_local + FINITE_SCAN, inc=True))
        if len(found) >= parts.count:
            return utc_naive(s.occurrence_end(found[parts.count - 1]))
    return None


def first_starts(s: Series, lo: datetime, hi: datetime) -> list[datetime]:
    """Starts (aware UTC) of the occurrences of ``s`` that begin in [lo, hi)."""
    return [start for start, _end in s.between(lo, hi) if start >= lo]


def overlapping(
    candidates: list[tuple[datetime, datetime]],
    existing: list[tuple[datetime, datetime, T]],
) -> list[T]:
    """Items of ``existing`` (start, end, item) that overlap any candidate interval.

    Intervals are half-open: a block ending at 10:00 does not clash with one starting
    at 10:00. ``existing`` must be sorted by start.
    """
    if not existing or not candidates:
        return []
    starts = [e[0] for e in existing]
    longest = max(e[1] - e[0] for e in existing)
    hits: dict[int, T] = {}
    for start, end in candidates:
        first = bisect.bisect_right(starts, start - longest)
        last = bisect.bisect_left(starts, end)
        for index in range(max(first - 1, 0), last):
            e_start, e_end, item = existing[index]
            if e_start < end and e_end > start:
                hits[index] = item
    return [hits[i] for i in sorted(hits)]
