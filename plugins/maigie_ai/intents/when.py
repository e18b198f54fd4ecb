# ruff: noqa: E501  (regular expressions read best unbroken)
"""Dates, times, durations and deadlines in plain English, relative to the user's clock.

Every parser returns the value and the span of text it read (``Found``), so an intent
can cut those words out and keep the rest as a title ("2 hours of reading tomorrow at
9am" → "reading"). Dates are calendar dates in the user's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from dateutil.relativedelta import relativedelta

from maigie_core.instants import date_within_range

T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T
    start: int
    end: int


WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
    "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3,
    "several": 3,
}  # fmt: skip
_NUM = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, WORD_NUMBERS), key=len)[::-1]) + ")"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = r"(?P<wd>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")  # fmt: skip
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAYNUM = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"

PARTS_OF_DAY = {"morning": time(9), "afternoon": time(14), "evening": time(18),
                "night": time(20), "tonight": time(20), "lunchtime": time(12)}  # fmt: skip


def number(text: str) -> float:
    text = text.lower().strip()
    if text in WORD_NUMBERS:
        return float(WORD_NUMBERS[text])
    return float(text)


def _month(text: str) -> int:
    text = text.lower()[:3]
    return next(i for i, name in enumerate(MONTHS, 1) if name.startswith(text))


def _weekday(text: str) -> int:
    text = text.lower()[:3]
    return next(i for i, name in enumerate(WEEKDAYS) if name.startswith(text))


# -- durations: "2 hours", "90 minutes", "an hour and a half", "half an hour", "2h" -----

_DURATION = re.compile(
    rf"\b(?:(?P<half>half an? hour)|(?P<n>{_NUM})\s*(?P<unit>hours?|hrs?|h|minutes?|mins?|m)\b"
    r"(?P<andhalf>\s+and\s+a\s+half)?(?:\s+and\s+(?P<extra>\d+)\s*(?:minutes?|mins?|m)\b)?)",
    re.I,
)


def duration_minutes(text: str) -> Found[int] | None:
    """The first duration in ``text``, in minutes."""
    for match in _DURATION.finditer(text):
        if match.group("half"):
            return Found(30, match.start(), match.end())
        unit = match.group("unit").lower()
        if unit == "m" and not re.match(r"\d", match.group("n")):
            continue  # "a m…" is not a duration
        amount = number(match.group("n"))
        minutes = amount * 60 if unit.startswith("h") else amount
        if match.group("andhalf"):
            minutes += 30 if unit.startswith("h") else 0.5
        if match.group("extra"):
            minutes += int(match.group("extra"))
        if minutes >= 1:
            return Found(round(minutes), match.start(), match.end())
    return None


# -- spans of calendar time: "in 6 weeks", "for two months", "over the next 10 days" -----

_SPAN = re.compile(
    rf"\b(?:in|within|for|over|during)\s+(?:the\s+)?(?:next\s+)?(?:about\s+)?(?P<n>{_NUM})\s+"
    r"(?P<unit>days?|weeks?|months?|years?)\b(?:\s+(?:from\s+now|time))?",
    re.I,
)
_BARE_SPAN = re.compile(rf"\b(?P<n>{_NUM})[-\s](?P<unit>day|week|month|year)s?\b", re.I)


def span_end(text: str, today: date) -> Found[date] | None:
    """A span counted from today ("in 6 weeks") → the date it ends."""
    match = _SPAN.search(text) or _BARE_SPAN.search(text)
    if match is None:
        return None
    amount = number(match.group("n"))
    unit = match.group("unit").lower().rstrip("s")
    whole = int(amount)
    ends: dict[str, Callable[[], date]] = {
        "day": lambda: today + timedelta(days=round(amount)),
        "week": lambda: today + timedelta(days=round(amount * 7)),
        "month": lambda: today + relativedelta(months=whole, days=round((amount - whole) * 30)),
        "year": lambda: today + relativedelta(years=whole, months=round((amount - whole) * 12)),
    }
    try:
        end = ends[unit]()
    except (OverflowError, ValueError):  # past year 9999
        return None
    return Found(end, match.start(), match.end()) if _in_span(end) else None


def weeks_between(start: date, end: date) -> int:
    return max(1, round((end - start).days / 7))


# -- calendar dates: today, tomorrow, Friday, next Monday, 12 December, 2026-12-12 --------

_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\.?\s+{_DAYNUM}\b(?:,?\s+(?P<y>\d{{4}}))?", re.I)
_DAY_MONTH = re.compile(
    rf"\b(?:the\s+)?{_DAYNUM}\s+(?:of\s+)?{_MONTH}\b\.?(?:,?\s+(?P<y>\d{{4}}))?", re.I
)
_RELATIVE = re.compile(
    r"\b(?P<word>today|tonight|tomorrow|tmrw|tmr|the day after tomorrow|day after tomorrow)\b", re.I
)
_NAMED_DAY = re.compile(rf"\b(?:(?P<which>next|this|coming)\s+)?{_WEEKDAY}\b", re.I)
_NEXT_UNIT = re.compile(
    r"\b(?P<which>next|this)\s+(?P<unit>week(?:end)?|month|year)\b"
    r"|\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<eo>week|month|year)\b",
    re.I,
)


def _in_span(value: date) -> bool:
    """Whether the API takes ``value`` (``maigie_core.instants``): "December 31 9999" or
    "in 99999999 weeks" is not understood, rather than a 500 further on."""
    try:
        date_within_range(value)
    except ValueError:
        return False
    return True


def _year_for(month: int, day: int, today: date, year: str | None) -> date | None:
    try:
        if year:
            value = date(int(year), month, day)
            return value if _in_span(value) else None
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def calendar_date(text: str, today: date) -> Found[date] | None:
    """The first calendar date named in ``text`` (future-leaning, in the user's calendar)."""
    found: list[Found[date]] = []
    for match in _ISO.finditer(text):
        try:
            iso = date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            continue
        if _in_span(iso):
            found.append(Found(iso, *match.span()))
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        for match in pattern.finditer(text):
            value = _year_for(_month(match["mon"]), int(match["day"]), today, match["y"])
            if value is not None:
                found.append(Found(value, *match.span()))
    for match in _RELATIVE.finditer(text):
        word = match["word"].lower()
        offset = 2 if "after" in word else 0 if word in ("today", "tonight") else 1
        found.append(Found(today + timedelta(days=offset), *match.span()))
    for match in _NAMED_DAY.finditer(text):
        target = _weekday(match["wd"])
        ahead = (target - today.weekday()) % 7
        which = (match["which"] or "").lower()
        if which == "next" and ahead == 0:
            ahead = 7
        found.append(Found(today + timedelta(days=ahead), *match.span()))
    for match in _NEXT_UNIT.finditer(text):
        unit = (match["unit"] or match["eo"]).lower()
        which = (match["which"] or "end").lower()
        value = _unit_date(unit, which, today)
        found.append(Found(value, *match.span()))
    if not found:
        return None
    return min(found, key=lambda f: f.start)


def _unit_date(unit: str, which: str, today: date) -> date:
    monday = today - timedelta(days=today.weekday())
    if unit == "weekend":
        saturday = monday + timedelta(days=5)
        return saturday + timedelta(days=7) if which == "next" else max(saturday, today)
    if unit == "week":
        if which == "end":
            return monday + timedelta(days=6)
        return monday + timedelta(days=7) if which == "next" else today
    if unit == "month":
        first_next: date = today.replace(day=1) + relativedelta(months=1)
        if which == "end":
            return first_next - timedelta(days=1)
        return first_next if which == "next" else today
    first_next_year = date(today.year + 1, 1, 1)
    if which == "end":
        return date(today.year, 12, 31)
    return first_next_year if which == "next" else today


# -- times of day: 9am, 9:30 pm, 14:00, at 9, noon, in the evening ----------------------

_CLOCK = re.compile(
    r"\b(?:at\s+|@\s*)?(?P<h>[01]?\d|2[0-3])(?::(?P<m>[0-5]\d))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)(?!\w)"
    r"|\b(?:at\s+|@\s*)?(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)\b"
    r"|\bat\s+(?P<hbare>[01]?\d|2[0-3])\b(?!\s*(?:%|percent|hours?|minutes?|mins?|days?|weeks?))"
    r"|\b(?:at\s+)?(?P<word>noon|midday|midnight)\b"
    r"|\b(?:in\s+the\s+|this\s+|tomorrow\s+)?(?P<part>morning|afternoon|evening|tonight|lunchtime)\b",
    re.I,
)


def _bare_hour(hour: int) -> int:
    """ "at 8" → 08:00, "at 3" → 15:00 (nobody studies at 3 am by default)."""
    return hour + 12 if 1 <= hour <= 6 else hour


def clock_time(text: str) -> Found[time] | None:
    """The first time of day in ``text``."""
    match = _CLOCK.search(text)
    if match is None:
        return None
    if match["h"] is not None:
        hour = int(match["h"]) % 12
        if match["ampm"].lower().startswith("p"):
            hour += 12
        value = time(hour, int(match["m"] or 0))
    elif match["h24"] is not None:
        value = time(int(match["h24"]), int(match["m24"]))
    elif match["hbare"] is not None:
        value = time(_bare_hour(int(match["hbare"])))
    elif match["word"] is not None:
        value = time(0) if match["word"].lower() == "midnight" else time(12)
    else:
        value = PARTS_OF_DAY[match["part"].lower()]
    return Found(value, *match.span())


_RANGE = re.compile(
    r"\b(?:from|between)\s+(?P<a>[01]?\d|2[0-3])(?::(?P<am>[0-5]\d))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)?"
    r"\s*(?:to|until|till|-|and)\s*(?P<b>[01]?\d|2[0-3])(?::(?P<bm>[0-5]\d))?\s*"
    r"(?P<bp>a\.?m\.?|p\.?m\.?)?(?!\w)",
    re.I,
)


def _hour(value: str, ampm: str | None, fallback: str | None) -> int:
    hour = int(value)
    marker = (ampm or fallback or "").lower()
    if marker.startswith("p") and hour < 12:
        return hour + 12
    if marker.startswith("a") and hour == 12:
        return 0
    if not marker and ":" not in value:
        return _bare_hour(hour)
    return hour


def time_range(text: str) -> Found[tuple[time, time]] | None:
    """ "from 9 to 11am" / "between 2 and 4pm" → (start, end)."""
    match = _RANGE.search(text)
    if match is None:
        return None
    start = time(_hour(match["a"], match["ap"], match["bp"]), int(match["am"] or 0))
    end = time(_hour(match["b"], match["bp"], match["ap"]), int(match["bm"] or 0))
    if end <= start:
        return None
    return Found((start, end), *match.span())


# -- "in 2 hours" / "in 30 minutes": a moment relative to now ---------------------------

_FROM_NOW = re.compile(rf"\bin\s+(?P<n>{_NUM})\s+(?P<unit>minutes?|mins?|hours?|hrs?)\b", re.I)


def from_now(text: str, now: datetime) -> Found[datetime] | None:
    match = _FROM_NOW.search(text)
    if match is None:
        return None
    amount = number(match["n"])
    try:
        delta = (
            timedelta(hours=amount)
            if match["unit"].lower().startswith("h")
            else timedelta(minutes=amount)
        )
        moment = now + delta
    except OverflowError:  # "in 99999999999 minutes"
        return None
    return Found(moment, *match.span()) if _in_span(moment.date()) else None


# -- deadlines: "in 6 weeks", "by December 12", "before Friday", "by next month" ---------

_BY = re.compile(r"\b(?:by|before|until|till|due|on|for)\s+(?:the\s+)?$", re.I)


@dataclass(frozen=True)
class Deadline:
    due: date
    weeks: int | None  # when the user gave a span in weeks/months (a course length)


def deadline(text: str, today: date) -> Found[Deadline] | None:
    """A span from today or a date the user wants something done by."""
    span = span_end(text, today)
    if span is not None:
        return Found(Deadline(span.value, weeks_between(today, span.value)), span.start, span.end)
    when = calendar_date(text, today)
    if when is None or when.value < today:
        return None
    start = when.start
    prefix = _BY.search(text[:start])
    if prefix is not None:
        start = prefix.start()
    return Found(Deadline(when.value, weeks_between(today, when.value)), start, when.end)


def cut(text: str, *spans: Found[Any] | re.Match[str] | None) -> str:
    """``text`` without the given spans (``Found`` or regex matches), whitespace tidied."""
    pieces = sorted(
        s.span() if isinstance(s, re.Match) else (s.start, s.end) for s in spans if s is not None
    )
    out, last = [], 0
    for start, end in pieces:
        if start < last:
            start = last
        out.append(text[last:start])
        last = max(last, end)
    out.append(text[last:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def describe_date(value: date, today: date) -> str:
    """ "Friday 12 December 2026 (in 3 days)"."""
    days = (value - today).days
    label = f"{WEEKDAYS[value.weekday()].title()} {value.day} {MONTHS[value.month - 1].title()} {value.year}"
    if days == 0:
        return f"{label} (today)"
    if days == 1:
        return f"{label} (tomorrow)"
    if days % 7 == 0 and days >= 7:
        weeks = days // 7
        return f"{label} (in {weeks} week{'s' if weeks > 1 else ''})"
    if days > 0:
        return f"{label} (in {days} days)"
    return label


def describe_time(value: time) -> str:
    return value.strftime("%H:%M")
