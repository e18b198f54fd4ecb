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
no BYEASTER (a dateutil extension, not RFC 5545), BYDAY positions from -5 to 5 in a
month and -53 to 53 in a year, at most 4 BYSETPOS values, at most 4 times in an hour
(BYMINUTE x BYSECOND) for HOURLY, no BYDAY together with BYMONTHDAY, BYYEARDAY or
BYWEEKNO in a DAILY or HOURLY rule with INTERVAL > 1, not both COUNT and UNTIL, UNTIL
in UTC (``…Z``, as RFC 5545 requires with a zoned start), COUNT ≤ 1000 and the COUNT-th
occurrence within :data:`SCAN_STEPS` steps of the rule, at most 1000 occurrences in the
first year, and ``start_at`` is the first occurrence (an unsynchronised DTSTART is
undefined in RFC 5545).

What expanding costs: dateutil steps through a rule period by period, empty periods
too, from its DTSTART to the first occurrence after what was asked (it stops nowhere
else). So a window is expanded from a DTSTART moved to just before it (see
:func:`moved_start`; a COUNT rule as UNTIL at its COUNT-th occurrence, see
:func:`count_end`), whether ``start_at`` occurs is asked of its first period alone (see
:func:`starts_at`), and the checks above keep each period cheap and the occurrences
recurring (calendar rules repeat every 400 years). What is left is the walk past a
window to the next occurrence: nothing for a dense rule, four years of days for a leap
day every year (≈ 5 ms), a leap day on a Monday (≈ 30 ms); a sparse day-of-year filter
with an INTERVAL, measured worst ≈ 15 ms (a weekday with it is refused: 0.2-0.6 s).
"""

from __future__ import annotations

import bisect
import calendar
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.parser import parse as parse_datetime
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from maigie_core.instants import OUT_OF_RANGE, within_range

#: FREQ values a block may have (MINUTELY and SECONDLY are refused).
FREQS = frozenset({"YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"})
MAX_COUNT = 1000
MAX_PER_YEAR = 1000
#: dateutil redoes the work of each BYSETPOS value, and of each time in the hour of an
#: HOURLY rule (BYMINUTE x BYSECOND), in every period it passes, empty ones included
#: (a thousand times in an hour made a leap-day rule cost 1.7 s a read).
MAX_SETPOS = 4
MAX_PER_HOUR = 4
#: Filters that pick days of the year (with BYDAY and an INTERVAL, refused: see parse).
_DAY_OF_YEAR = frozenset({"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"})
YEAR = timedelta(days=366)
#: How many of its steps (INTERVAL x FREQ; for HOURLY, days) a COUNT rule's last
#: occurrence may lie after its first: about 30-60 ms of dateutil's time to find, once
#: per block and process (bench/schedule_rules.py). 1000 years for YEARLY;COUNT=1000,
#: 333 for MONTHLY, 95 for WEEKLY, 27 for DAILY and HOURLY (x INTERVAL).
SCAN_STEPS = {"YEARLY": 1000, "MONTHLY": 4000, "WEEKLY": 5000, "DAILY": 10000, "HOURLY": 10000}
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


def _pairs(text: str) -> dict[str, str]:
    """``KEY=VALUE;KEY=VALUE`` upper-cased (keys case-insensitive, an optional ``RRULE:``
    prefix); a repeated key counts once, the last time, as in ``rrulestr``."""
    value = text.strip()
    if value[:6].upper() == "RRULE:":
        value = value[6:]
    parts: dict[str, str] = {}
    for pair in value.split(";"):
        key, _, item = pair.partition("=")
        parts[key.upper()] = item.upper()
    return parts


def _values(pairs: dict[str, str], key: str) -> int:
    """How many comma-separated values ``key`` has (1 when absent)."""
    return len(pairs[key].split(",")) if key in pairs else 1


def _check_byday(freq: str, pairs: dict[str, str]) -> None:
    """A BYDAY position (the 2 of 2MO) within a month (MONTHLY, or YEARLY with BYMONTH)
    is -5 to 5, within a year -53 to 53: dateutil indexes past its tables with more (an
    IndexError in whichever later month or year first reaches it). Other FREQs ignore
    positions."""
    if freq not in ("MONTHLY", "YEARLY") or "BYDAY" not in pairs:
        return
    limit = 5 if freq == "MONTHLY" or "BYMONTH" in pairs else 53
    for value in pairs["BYDAY"].split(","):
        position = re.search(r"[+-]?[0-9]+", value)
        if position is not None and abs(int(position.group())) > limit:
            raise RuleError(f"rrule BYDAY position {value} is out of range (-{limit} to {limit})")


def rule_parts(text: str) -> RuleParts:
    """FREQ, INTERVAL, COUNT and UNTIL of an RRULE value that dateutil accepted.

    RFC 5545 syntax, read here because dateutil's ``rrule`` exposes its parts only as
    private attributes. UNTIL goes through dateutil's public date parser, as ``rrulestr``
    reads it.
    """
    parts = _pairs(text)
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
    pairs = _pairs(text)
    if "BYEASTER" in pairs:
        # Easter's dates do not repeat every 400 years as the calendar's do: a rule can
        # go centuries without an occurrence, and each read would step through them.
        raise RuleError("rrule BYEASTER is not part of RFC 5545")
    _check_byday(parts.freq, pairs)
    if _values(pairs, "BYSETPOS") > MAX_SETPOS:
        raise RuleError(f"rrule BYSETPOS may have at most {MAX_SETPOS} values")
    per_hour = _values(pairs, "BYMINUTE") * _values(pairs, "BYSECOND")
    if parts.freq == "HOURLY" and per_hour > MAX_PER_HOUR:
        raise RuleError(
            f"an HOURLY rrule may have at most {MAX_PER_HOUR} times in an hour "
            "(BYMINUTE x BYSECOND values)"
        )
    if (
        parts.freq in ("DAILY", "HOURLY")
        and parts.interval > 1
        and "BYDAY" in pairs
        and not _DAY_OF_YEAR.isdisjoint(pairs)
    ):
        # A weekday on a day of the year, every INTERVAL-th day: such days can be
        # centuries apart (Feb 29 on a Monday, every 10th day: 1,768 years), and a read
        # steps through every period of the gap (0.2-0.6 s a block, measured).
        raise RuleError(
            "a DAILY or HOURLY rrule with INTERVAL > 1 may not combine BYDAY with "
            "BYMONTHDAY, BYYEARDAY or BYWEEKNO (its occurrences could be centuries apart)"
        )
    if parts.count is not None and parts.until is not None:
        raise RuleError("rrule must not have both COUNT and UNTIL (RFC 5545)")
    if parts.count is not None and not 1 <= parts.count <= MAX_COUNT:
        raise RuleError(f"rrule COUNT must be from 1 to {MAX_COUNT}")
    if parts.until is not None:
        try:
            within_range(parts.until)
        except ValueError:
            raise RuleError(f"rrule UNTIL {OUT_OF_RANGE}") from None
    if not starts_at(rule, parts, first_local):
        raise RuleError("start_at must be the first occurrence of the rrule")
    first_year = rule.between(first_local, first_local + YEAR, inc=True)
    if len(first_year) > MAX_PER_YEAR:
        raise RuleError(f"rrule makes more than {MAX_PER_YEAR} occurrences in a year")
    if parts.count is not None:
        first, tz = first_local.replace(tzinfo=None), first_local.tzinfo
        assert tz is not None
        if not count_end(text, first, tz).complete:
            years = (scan_end(parts, first) - first).days // 365
            raise RuleError(
                f"rrule COUNT={parts.count} reaches its last occurrence too late: with this "
                f"FREQ and INTERVAL it must come within {years} years of the first; "
                "use UNTIL or a smaller COUNT"
            )
    return rule


#: An INTERVAL that takes a rule of each FREQ from its first period past the year 9999
#: in one step (HOURLY: one more than a whole number of days, so every BYHOUR stays).
_BEYOND = {
    "YEARLY": 10_000,
    "MONTHLY": 120_000,
    "WEEKLY": 530_000,
    "DAILY": 3_660_000,
    "HOURLY": 87_840_001,
}


def starts_at(rule: rrule, parts: RuleParts, first_local: datetime) -> bool:
    """Whether aware ``first_local`` (the rule's DTSTART) is the rule's first occurrence.

    Asked of dateutil directly, a rule that does not occur there looks for its first
    occurrence through every period up to the year 9999 (8 s for a DAILY rule on
    February 30). The answer lies in the first period alone, so it is asked of the same
    rule with an INTERVAL that leaves no second period before the year 9999, started on
    the same day of the calendar's last 400-year cycle (the Gregorian calendar repeats
    every 400 years): dateutil's walk to the year 9999 is then at most 400 years long.
    """
    if parts.until is not None and parts.until < first_local:
        return False
    shift = 400 * ((9999 - first_local.year) // 400)
    first = first_local.replace(year=first_local.year + shift)
    probe = rule.replace(dtstart=first, interval=_BEYOND[parts.freq], until=None, count=None)
    return bool(next(iter(probe), None) == first)


# -- the last occurrence of a COUNT rule ----------------------------------------------
#
# COUNT counts from the first occurrence, so a COUNT rule cannot move as others do
# (see moved_start): a window far from its start cost every period in between, up to
# the COUNT-th occurrence (of a leap-day HOURLY rule from 2032 with COUNT=1000: in 6152;
# a window in 8999 took 8 s). The COUNT-th occurrence is found once, stepping through
# at most SCAN_STEPS of the rule's steps (a rule whose last occurrence is later is
# refused when written), and the series is expanded as the same rule with UNTIL at
# that occurrence: the same occurrences (dateutil yields them in order), and a rule
# without COUNT moves.


@dataclass(frozen=True, slots=True)
class CountEnd:
    """Where a COUNT rule ends: its last occurrence (aware local) and whether that is
    the COUNT-th one (or the last before year 9999), rather than the last one found
    within :data:`SCAN_STEPS`."""

    last: datetime
    complete: bool


def scan_end(parts: RuleParts, first: datetime) -> datetime:
    """The naive wall-clock time :data:`SCAN_STEPS` steps of the rule after ``first``."""
    steps = SCAN_STEPS[parts.freq] * parts.interval
    try:
        if parts.freq == "YEARLY":
            step = relativedelta(years=steps)
        elif parts.freq == "MONTHLY":
            step = relativedelta(months=steps)
        elif parts.freq == "HOURLY":  # dateutil passes its empty days one a time
            step = SCAN_STEPS["HOURLY"] * max(timedelta(hours=parts.interval), _FIXED["DAILY"])
        else:
            step = _FIXED[parts.freq] * steps
        end: datetime = first + step
    except (OverflowError, ValueError):  # past year 9999, where dateutil stops anyway
        return datetime.max
    return end


@lru_cache(maxsize=4096)
def count_end(text: str, first: datetime, tz: tzinfo) -> CountEnd:
    """The end of COUNT rule ``text`` (checked by :func:`parse` up to this check) whose
    first occurrence is the naive wall-clock ``first`` in ``tz``."""
    first_local = first.replace(tzinfo=tz)
    rule = rrulestr(text, dtstart=first_local)
    parts = rule_parts(text)
    assert parts.count is not None
    end = scan_end(parts, first)
    found = rule.between(first_local, end.replace(tzinfo=tz), inc=True)
    complete = len(found) == parts.count or end == datetime.max
    return CountEnd(found[-1] if found else first_local, complete)


@dataclass(frozen=True, slots=True)
class Series:
    """How a stored block expands: its rule, zone, first local start, wall length.

    A COUNT rule is held as the same rule with UNTIL at its last occurrence (see
    :func:`series`), and ``parts`` are that rule's.
    """

    rule: rrule | None
    tz: ZoneInfo
    first_local: datetime
    wall_length: timedelta
    length: timedelta  # exact length of a one-off block
    parts: RuleParts | None = None
    last_local: datetime | None = None  # a COUNT rule's last occurrence (aware local)

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

    def starts_from(self, lo: datetime) -> Iterator[datetime]:
        """Starts (aware UTC) of the occurrences that begin at ``lo`` or later, in order,
        as far ahead as the series goes (a leap-day rule's next one may be years away)."""
        if self.rule is None:
            start = self.first_local.astimezone(UTC)
            if start >= lo:
                yield start
            return
        local_lo = lo.astimezone(self.tz) - _SLACK
        for local in self.near(local_lo).xafter(local_lo, inc=True):
            start = local.astimezone(UTC)
            if start >= lo:
                yield start

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
# COUNT counts from the first occurrence, so a rule with COUNT is never moved; series()
# holds a COUNT rule as the same rule with UNTIL at its last occurrence (count_end).

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
    """The expansion of a stored block (naive UTC times), parsed once per distinct block.

    A COUNT rule becomes the same rule with UNTIL at its last occurrence (found by
    :func:`count_end`), so that it moves like any other. A rule stored before the COUNT
    check whose last occurrence lies past the search ends at the last one found there.
    """
    tz = zone(tz_name)
    first_local = as_utc(start_at).astimezone(tz)
    last_local = as_utc(end_at).astimezone(tz)
    wall = last_local.replace(tzinfo=None) - first_local.replace(tzinfo=None)
    if not rule_text:
        return Series(None, tz, first_local, wall, end_at - start_at)
    rule = rrulestr(rule_text, dtstart=first_local)
    parts = rule_parts(rule_text)
    if parts.count is None:
        return Series(rule, tz, first_local, wall, end_at - start_at, parts)
    last = count_end(rule_text, first_local.replace(tzinfo=None), tz).last
    held = RuleParts(parts.freq, parts.interval, None, last)
    rule = rule.replace(count=None, until=last)
    return Series(rule, tz, first_local, wall, end_at - start_at, held, last)


def last_end(s: Series) -> datetime | None:
    """UTC end of the last occurrence (naive) of block ``s`` (its rule checked by
    :func:`parse`), or ``None`` for an open-ended series."""
    parts = s.parts
    if s.rule is None or parts is None:
        return utc_naive(s.first_local.astimezone(UTC) + s.length)
    if s.last_local is not None:
        return utc_naive(s.occurrence_end(s.last_local))
    if parts.until is not None:
        # UNTIL bounds the starts; the last one ends at most one wall length later (+1 h DST).
        until = parts.until.astimezone(UTC)
        return utc_naive(until + s.wall_length + timedelta(hours=1))
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
