# ruff: noqa: RUF001  (typographic apostrophes are matched on purpose)
"""Rules that turn one plain-English message into an ``Intent`` with its slots.

Each recogniser reads the whole message (whitespace tidied) and either claims it or
passes; they run in a fixed order so that "remind me to learn X" is a reminder and
"schedule 2 hours of reading" is a block, not a course. Dates and times come from
``when`` relative to the user's clock; whatever a recogniser needs but did not find
is named in ``Intent.missing`` so the assistant can ask for exactly that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from maigie_ai.intents import when
from maigie_ai.intents.phrases import (
    CALENDAR_WORDS,
    COURSE_REQUEST,
    FORGET,
    GOAL_PATTERNS,
    GREETING,
    HELP,
    LEARN,
    LEARN_BARE,
    PLAN_WEEK,
    PROGRESS,
    RECURRENCE,
    REMIND,
    RESOURCES,
    SCHEDULE_VERB,
    STRONG_SCHEDULE,
    SUMMARISE,
    THANKS,
    clean_title,
    sentence_case,
    tidy,
    title_case,
)


@dataclass
class Intent:
    kind: str
    slots: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None


# -- the recognisers (phrasings in ``phrases``) ------------------------------------------


def understand(message: str, now: datetime, state: dict[str, Any] | None = None) -> Intent:
    """What ``message`` asks for, given the user's clock and the conversation's state."""
    raw = message.strip()
    text = tidy(raw)
    today = now.date()
    if FORGET.match(text):
        return Intent("forget")
    match = SUMMARISE.match(raw.replace("’", "'"))
    if match:
        body = match["text"].strip()
        return Intent("summarise", {"text": body}, None if body else "text")
    for recogniser in (
        _remind,
        _plan_week,
        _schedule,
        _progress,
        _resources,
        _course,
        _goal,
        _learn,
    ):
        intent = recogniser(text, now, today)
        if intent is not None:
            return intent
    if THANKS.match(text):
        return Intent("thanks")
    if GREETING.match(text) or HELP.search(text):
        return Intent("help")
    pending = (state or {}).get("pending")
    if pending:
        filled = _fill(pending, text, now, today)
        if filled is not None:
            return filled
    return Intent("unclear")


def _remind(text: str, now: datetime, today: date) -> Intent | None:
    match = REMIND.search(text)
    if match is None:
        return None
    rest = match["rest"]
    moment = _moment(rest, now, today, default_time=time(9))
    spans = moment.pop("spans")
    message = clean_title(when.cut(rest, *spans))
    slots = {"message": sentence_case(message) if message else "", **moment}
    if not message:
        return Intent("remind", slots, "message")
    return Intent("remind", slots, None if "at" in slots else "when")


def _moment(text: str, now: datetime, today: date, default_time: time | None) -> dict[str, Any]:
    """``at`` (an aware datetime) from "in 2 hours" / a day and/or a time, with spans used."""
    relative = when.from_now(text, now)
    if relative is not None:
        return {"at": relative.value, "spans": [relative]}
    day = when.calendar_date(text, today)
    clock = when.clock_time(text)
    spans: list[when.Found[Any]] = [s for s in (day, clock) if s is not None]
    if clock is None and day is None:
        return {"spans": spans}
    if clock is None:
        if default_time is None:
            return {"day": day.value if day else None, "spans": spans}
        chosen = default_time
    else:
        chosen = clock.value
    if day is not None:
        on = day.value
    else:
        on = today if chosen > now.time().replace(tzinfo=None) else today + timedelta(days=1)
    return {"at": datetime.combine(on, chosen, tzinfo=now.tzinfo), "spans": spans}


def _plan_week(text: str, now: datetime, today: date) -> Intent | None:
    if not PLAN_WEEK.search(text):
        return None
    next_monday = today + timedelta(days=7 - today.weekday())
    if re.search(r"\bnext\s+week\b", text, re.I):
        return Intent("plan_week", {"week_start": next_monday})
    return Intent("plan_week", {"week_start": today})


def _schedule(text: str, now: datetime, today: date) -> Intent | None:
    verb = SCHEDULE_VERB.search(text)
    if verb is None:
        return None
    rest = text[verb.end() :]
    minutes = when.duration_minutes(rest)
    window = when.time_range(rest)
    strong = STRONG_SCHEDULE.search(verb.group(0)) is not None
    if not strong and minutes is None and window is None:
        return None
    if not strong and not (
        CALENDAR_WORDS.search(rest) or when.calendar_date(rest, today) or when.clock_time(rest)
    ):
        return None
    calendar = CALENDAR_WORDS.search(rest)
    recurrence = RECURRENCE.search(rest)
    rrule = None
    day = when.calendar_date(rest, today)
    if recurrence is not None:
        if recurrence["wd"]:
            target = when._weekday(recurrence["wd"])
            code = when.WEEKDAYS[target][:2].upper()
            rrule = f"FREQ=WEEKLY;BYDAY={code}"
            if day is None or recurrence.start() <= day.start < recurrence.end():
                day = when.Found(
                    today + timedelta(days=(target - today.weekday()) % 7), *recurrence.span()
                )
        elif recurrence["daily"] or (recurrence["adv"] or "").lower() == "daily":
            rrule = "FREQ=DAILY"
        else:
            rrule = "FREQ=WEEKLY"
        span = when.span_end(rest, today)
        if span is not None:
            count = max(1, (span.value - today).days // (1 if rrule == "FREQ=DAILY" else 7))
            rrule += f";COUNT={count}"
    clock = None if window is not None else when.clock_time(rest)
    spans = [minutes, window, clock, day, calendar, recurrence]
    if rrule and ";COUNT=" in rrule:
        spans.append(when.span_end(rest, today))
    title = clean_title(when.cut(rest, *spans))
    title = re.sub(r"^(?:a\s+)?(?:study\s+)?(?:session|block|slot)\b\s*", "", title, flags=re.I)
    title = clean_title(title) or "Study session"
    slots: dict[str, Any] = {"title": sentence_case(title), "rrule": rrule}
    start: time | None
    if window is not None:
        start, end = window.value
        slots["minutes"] = (
            datetime.combine(today, end) - datetime.combine(today, start)
        ).seconds // 60
    else:
        slots["minutes"] = minutes.value if minutes else None
        start = clock.value if clock else None
    slots["default_length"] = slots["minutes"] is None
    if slots["minutes"] is None:
        slots["minutes"] = 60
    if start is None:
        slots["day"] = day.value if day else None
        return Intent("schedule", slots, "when")
    if day is not None:
        on = day.value
    else:
        on = today if start > now.time().replace(tzinfo=None) else today + timedelta(days=1)
    slots["start"] = datetime.combine(on, start, tzinfo=now.tzinfo)
    return Intent("schedule", slots)


def _progress(text: str, now: datetime, today: date) -> Intent | None:
    return Intent("progress") if PROGRESS.search(text) else None


def _resources(text: str, now: datetime, today: date) -> Intent | None:
    for pattern in RESOURCES:
        match = pattern.search(text)
        if match:
            topic = clean_title(match["topic"])
            if topic:
                return Intent("resources", {"topic": topic})
    return None


def _course(text: str, now: datetime, today: date) -> Intent | None:
    match = COURSE_REQUEST.search(text)
    return None if match is None else _learning(match["rest"], today)


def _goal(text: str, now: datetime, today: date) -> Intent | None:
    for pattern in GOAL_PATTERNS:
        match = pattern.search(text)
        if match:
            what = match["what"]
            due = when.deadline(what, today)
            title = clean_title(when.cut(what, due))
            if not title:
                return None
            slots = {"title": sentence_case(title), "due": due.value.due if due else None}
            return Intent("goal", slots, None if due else "deadline")
    return None


def _learn(text: str, now: datetime, today: date) -> Intent | None:
    if LEARN_BARE.search(text):
        return Intent("learn", {"subject": None, "due": None, "weeks": None}, "subject")
    match = LEARN.search(text)
    if match is None:
        return None
    rest = match["rest"]
    prepare = re.match(r"^for\s+(?P<what>.+)$", rest, re.I)
    if prepare:  # "study for my exam on Friday" is a goal: be ready by then
        due = when.deadline(prepare["what"], today)
        what = clean_title(when.cut(prepare["what"], due))
        if not what:
            return None
        return Intent(
            "goal",
            {"title": f"Prepare for {what}", "due": due.value.due if due else None},
            None if due else "deadline",
        )
    return _learning(rest, today)


def _learning(rest: str, today: date) -> Intent | None:
    due = when.deadline(rest, today)
    subject = clean_title(when.cut(rest, due))
    subject = re.sub(r"^(?:about|the basics of|how to)\s+", "", subject, flags=re.I).strip()
    if not subject or len(subject) < 2:
        return Intent("learn", {"subject": None, "due": None, "weeks": None}, "subject")
    return Intent(
        "learn",
        {
            "subject": title_case(subject),
            "due": due.value.due if due else None,
            "weeks": due.value.weeks if due else None,
        },
    )


def _fill(pending: dict[str, Any], text: str, now: datetime, today: date) -> Intent | None:
    """Complete an intent that was waiting for one answer ("By when?" → "in 3 weeks")."""
    kind, slots, missing = (
        pending.get("kind"),
        dict(pending.get("slots") or {}),
        pending.get("missing"),
    )
    if not isinstance(kind, str):  # no intent waiting for an answer
        return None
    if missing == "deadline":
        due = when.deadline(text, today) or when.deadline(f"by {text}", today)
        if due is None:
            return None
        if kind == "learn":
            slots.update(due=due.value.due, weeks=due.value.weeks)
        else:
            slots["due"] = due.value.due
        return Intent(kind, slots)
    if missing == "subject":
        subject = clean_title(text)
        if not subject or len(subject.split()) > 8:
            return None
        return _learning(text, today)
    if missing == "text":
        return Intent("summarise", {"text": text}) if len(text.split()) >= 3 else None
    if missing == "message":
        message = clean_title(text)
        return (
            Intent(
                kind,
                {**slots, "message": sentence_case(message)},
                None if "at" in slots else "when",
            )
            if message
            else None
        )
    if missing == "when":
        if kind == "remind":
            moment = _moment(text, now, today, default_time=time(9))
            if "at" not in moment:
                return None
            return Intent("remind", {**slots, "at": moment["at"]})
        if kind == "schedule":
            clock = when.clock_time(text)
            day = when.calendar_date(text, today)
            if clock is None:
                return None
            on = (
                day.value
                if day
                else slots.get("day")
                or (
                    today
                    if clock.value > now.time().replace(tzinfo=None)
                    else today + timedelta(days=1)
                )
            )
            if isinstance(on, str):
                on = date.fromisoformat(on)
            return Intent(
                "schedule", {**slots, "start": datetime.combine(on, clock.value, tzinfo=now.tzinfo)}
            )
    return None
