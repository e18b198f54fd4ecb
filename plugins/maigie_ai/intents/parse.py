# ruff: noqa: E501, RUF001  (regular expressions read best unbroken)
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

FILLER_END = re.compile(
    r"(?:[\s,;:.!?]+|\b(?:please|pls|asap|thanks|thank you|for me|now|ok|okay|then)\b)+$", re.I
)
DANGLING = re.compile(
    r"(?:\s+|^)(?:on|at|for|from|by|this|next|to|in|of|the|and|with|starting)$", re.I
)
LEADING = re.compile(
    r"^(?:(?:to|of|for|about|on|that|the basics of|basics of|more about|some|a bit of|a session of|"
    r"a study session (?:for|on)|study time for|time (?:for|to)|a session (?:for|on))\s+)+",
    re.I,
)
SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "vs",
        "via",
        "with",
    ]
)


@dataclass
class Intent:
    kind: str
    slots: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None


def tidy(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").split())


def clean_title(text: str) -> str:
    """Strip filler and dangling prepositions from a title cut out of a sentence."""
    text = text.strip(" ,;:.!?\"'")
    for _ in range(4):
        before = text
        text = FILLER_END.sub("", text).strip(" ,;:.!?")
        text = DANGLING.sub("", text).strip(" ,;:.!?")
        text = LEADING.sub("", text).strip()
        if text == before:
            break
    return text[:200]


def title_case(text: str) -> str:
    words = text.split()
    out = []
    for index, word in enumerate(words):
        if (
            any(c.isupper() for c in word)
            or any(c.isdigit() for c in word)
            or (index and word in SMALL_WORDS)
        ):
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- the recognisers ---------------------------------------------------------------------

FORGET = re.compile(
    r"^(?:ok(?:ay)?,?\s+|please\s+|just\s+)?(?:forget (?:that|it|this|everything|about (?:it|that)|what i (?:said|asked))|"
    r"never ?mind|scratch that|start (?:over|again)|reset(?: (?:the|this|our))?(?: conversation| chat)?|"
    r"cancel(?: that| it)?|clear (?:the |this )?(?:context|conversation)|new topic)(?: please)?[\s.!]*$",
    re.I,
)
SUMMARISE = re.compile(
    r"^(?:please\s+)?(?:(?:can|could|would) you\s+)?(?:please\s+)?"
    r"(?:summari[sz]e|sum up|tl;?dr|give me (?:a |the )?(?:summary|gist|tl;?dr) of|make (?:a )?summary of)"
    r"(?:\s+(?:this|the following|that|it|for me|the text below|this text))*\s*(?:please)?\s*[:\-—]?\s*(?P<text>.*)$",
    re.I | re.S,
)
REMIND = re.compile(
    r"\b(?:remind me(?:\s+(?:to|about|that|of))?|(?:set|create|add) (?:a |me a )?reminder(?:\s+(?:to|for|about|that))?|"
    r"don'?t let me forget(?:\s+(?:to|about))?|reminder:)\s*(?P<rest>.*)$",
    re.I,
)
SCHEDULE_VERB = re.compile(
    r"\b(?:schedule|block(?:\s+(?:out|off))?|book|set aside|reserve|allocate|put|add|plan|pencil in)\b",
    re.I,
)
STRONG_SCHEDULE = re.compile(
    r"\b(?:schedule|block|book|set aside|reserve|allocate|pencil in)\b", re.I
)
CALENDAR_WORDS = re.compile(
    r"\s*\b(?:on|in|into|to)\s+(?:my|the)\s+(?:calendar|schedule|diary|agenda|planner)\b", re.I
)
RECURRENCE = re.compile(
    rf"\b(?:every|each)\s+(?:(?P<daily>day|morning|evening|night)|(?P<weekly>week)|{when._WEEKDAY})\b"
    r"|\b(?P<adv>daily|weekly)\b",
    re.I,
)
PLAN_WEEK = re.compile(
    r"\b(?:plan(?:\s+out)?|organi[sz]e|schedule|sort out|map out)\s+(?:my|the|this|next|our)\s+(?:(?:study|coming|next|this)\s+)?week\b"
    r"|\b(?:weekly|week'?s?)\s+(?:study\s+)?plan\b|\bplan\s+(?:for\s+)?(?:this|next|the)\s+week\b"
    r"|\bwhat should i (?:do|study|work on) this week\b|\bstudy plan for (?:this|next|the) week\b",
    re.I,
)
PROGRESS = re.compile(
    r"\bhow am i (?:doing|getting on|progressing)\b|\bam i (?:on track|behind|ahead|making progress)\b|"
    r"\bhow(?:'s| is| are) my (?:progress|goals|studies|studying|courses)\b|\b(?:show|check|what'?s|what is)\s+(?:me\s+)?my progress\b|"
    r"\bhow far (?:along )?am i\b|\bprogress (?:report|update|check)\b|\bstatus of my (?:goals|courses)\b|"
    r"^(?:my )?progress\??$|\bhow (?:well )?am i doing\b",
    re.I,
)
RESOURCE_NOUN = (
    r"(?:resources?|materials?|videos?|books?|articles?|readings?|tutorials?|links?|references?|"
    r"papers?|podcasts?|exercises?|courses?|sources?|something to (?:read|watch)|stuff|recommendations?)"
)
RESOURCES = [
    re.compile(
        rf"\b(?:give|recommend|suggest|find|show|send|need|want|any|looking for|point me to|share|list|get)\b.*?"
        rf"\b{RESOURCE_NOUN}\s+(?:on|about|for|to (?:learn|study)(?: about)?|covering|regarding|related to|in|into)\s+(?P<topic>.+)$",
        re.I,
    ),
    re.compile(
        rf"^(?:any\s+)?(?:good\s+)?{RESOURCE_NOUN}\s+(?:on|about|for)\s+(?P<topic>.+)$", re.I
    ),
    re.compile(
        r"\bwhat (?:should|could|can) i (?:read|watch|study|use) (?:to (?:learn|understand)(?: about)? |about |on |for )(?P<topic>.+)$",
        re.I,
    ),
    re.compile(
        r"\bwhere (?:can|should|do) i (?:learn|read|start learning)(?: about| up on)? (?P<topic>.+)$",
        re.I,
    ),
    re.compile(r"\brecommend (?:me )?(?:something|anything) (?:on|about|for) (?P<topic>.+)$", re.I),
]
COURSE_REQUEST = re.compile(
    r"\b(?:create|make|build|design|generate|set up|start)\s+(?:me\s+)?(?:a|an|my|new)?\s*(?:new\s+)?"
    r"(?:study\s+)?(?:course|curriculum|syllabus|study plan)\s+(?:on|about|in|for|to learn)\s+(?P<rest>.+)$",
    re.I,
)
GOAL_PATTERNS = [
    re.compile(
        r"\b(?:my goal is(?: to)?|set (?:me )?(?:a|an|the|my) (?:new )?goal(?: to| of| for)?|new goal:?|goal:)\s*(?P<what>.+)$",
        re.I,
    ),
    re.compile(
        r"\b(?:i (?:really )?(?:want|need|would like|'d like|have|hope|plan|must|aim|intend|got) to|i'?m (?:going|trying|aiming|planning|hoping) to|"
        r"i gotta|i'?ve got to|help me(?: to)?|i wanna)\s+"
        r"(?P<what>(?:pass|ace|finish|complete|reach|achieve|hit|score|submit|read|write|prepare for|get ready for|"
        r"be ready for|get (?:a|an|my)|improve|run|memori[sz]e|practi[cs]e|solve|graduate|publish|hand in)\b.+)$",
        re.I,
    ),
    re.compile(r"^(?P<what>(?:pass|ace|finish|complete|reach|achieve|submit)\b.+)$", re.I),
]
LEARN = re.compile(
    r"\b(?:learn(?:ing)?(?:\s+about)?|study(?:ing)?|master(?:ing)?|get (?:good|better) at|pick up|"
    r"teach me(?:\s+about)?|brush up on|get into|revise)\s+(?P<rest>.+)$",
    re.I,
)
LEARN_BARE = re.compile(
    r"\b(?:i (?:want|would like|'d like|need) to|help me|teach me|let'?s) (?:learn|study)\b\W*$",
    re.I,
)
GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|yo)\b[\s!,.a-z]{0,20}$", re.I
)
HELP = re.compile(
    r"\bwhat can you do\b|^help\W*$|\bhow (?:do|can) (?:i|you) use (?:you|this)\b|\bwhat do you do\b",
    re.I,
)
THANKS = re.compile(
    r"^(?:thanks|thank you|thx|ty|cheers|great,? thanks|awesome|perfect)\b.{0,30}$", re.I
)


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
