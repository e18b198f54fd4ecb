"""The offline understanding: phrasings → intents and slots, on a fixed clock.

The clock is Tuesday 10 November 2026, 10:00 in Europe/London; dates are the user's.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from maigie_ai.intents import understand
from maigie_ai.intents.summary import summarise
from maigie_ai.intents.templates import course_modules

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=LONDON)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("message", "subject", "due"),
    [
        ("I want to learn Data Structures in 6 weeks", "Data Structures", date(2026, 12, 22)),
        ("i want to learn data structures in six weeks", "Data Structures", date(2026, 12, 22)),
        ("Teach me Spanish over the next 2 months", "Spanish", date(2027, 1, 10)),
        ("Help me learn linear algebra by December 20", "Linear Algebra", date(2026, 12, 20)),
        (
            "I'd like to study organic chemistry within 3 weeks",
            "Organic Chemistry",
            date(2026, 12, 1),
        ),
        ("I wanna get better at chess by the end of the month", "Chess", date(2026, 11, 30)),
        ("Create a course on Machine Learning", "Machine Learning", None),
        ("learn Python", "Python", None),
    ],
)
def test_learning(message: str, subject: str, due: date | None) -> None:
    intent = understand(message, NOW)
    assert intent.kind == "learn" and intent.missing is None
    assert intent.slots["subject"] == subject and intent.slots["due"] == due


@pytest.mark.parametrize(
    ("message", "title", "due"),
    [
        ("I want to pass my exam in 3 weeks", "Pass my exam", date(2026, 12, 1)),
        (
            "I need to pass the calculus final by December 12",
            "Pass the calculus final",
            date(2026, 12, 12),
        ),
        ("My goal is to read 5 papers in 2 weeks", "Read 5 papers", date(2026, 11, 24)),
        ("Set a goal to finish my thesis by 2027-03-01", "Finish my thesis", date(2027, 3, 1)),
        (
            "I have to study for my biology exam on Friday",
            "Prepare for my biology exam",
            date(2026, 11, 13),
        ),
        ("ace the SAT in 2 months", "Ace the SAT", date(2027, 1, 10)),
    ],
)
def test_goals(message: str, title: str, due: date) -> None:
    intent = understand(message, NOW)
    assert (intent.kind, intent.slots["title"], intent.slots["due"]) == ("goal", title, due)


@pytest.mark.parametrize(
    ("message", "title", "start", "minutes", "rrule"),
    [
        ("Schedule 2 hours of reading tomorrow at 9am", "Reading", at(11, 9), 120, None),
        ("Block 90 minutes for calculus on Monday at 14:00", "Calculus", at(16, 14), 90, None),
        ("book half an hour to revise French at 4pm", "Revise French", at(10, 16), 30, None),
        (
            "Schedule an hour and a half of physics on Friday at 6:30 pm",
            "Physics",
            at(13, 18, 30),
            90,
            None,
        ),
        ("schedule reading from 9 to 11 tomorrow", "Reading", at(11, 9), 120, None),
        ("set aside 45 mins for flashcards at 8am", "Flashcards", at(11, 8), 45, None),
        (
            "schedule 1 hour of physics every Monday at 6pm for 4 weeks",
            "Physics",
            at(16, 18),
            60,
            "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
        ),
    ],
)
def test_scheduling(
    message: str, title: str, start: datetime, minutes: int, rrule: str | None
) -> None:
    intent = understand(message, NOW)
    assert intent.kind == "schedule" and intent.missing is None
    slots = intent.slots
    assert (slots["title"], slots["start"], slots["minutes"], slots["rrule"]) == (
        title,
        start,
        minutes,
        rrule,
    )


@pytest.mark.parametrize(
    ("message", "text", "when"),
    [
        ("Remind me to review chapter 5 on Friday", "Review chapter 5", at(13, 9)),
        ("remind me in 2 hours to call the library", "Call the library", at(10, 12)),
        ("Set a reminder for tomorrow at 8 to submit the essay", "Submit the essay", at(11, 8)),
        (
            "Don't let me forget to email my tutor next Monday at 10:30",
            "Email my tutor",
            at(16, 10, 30),
        ),
        ("remind me to stretch at 9am", "Stretch", at(11, 9)),  # 9am has passed today
        ("Remind me about the lab report on 3 December", "The lab report", at(3, 9, month=12)),
    ],
)
def test_reminders(message: str, text: str, when: datetime) -> None:
    intent = understand(message, NOW)
    assert (intent.kind, intent.slots["message"], intent.slots["at"]) == ("remind", text, when)


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("Give me resources on graph algorithms", "graph algorithms"),
        ("Can you recommend some videos about linear algebra?", "linear algebra"),
        ("any good books on organic chemistry", "organic chemistry"),
        ("What should I read to learn Rust?", "Rust"),
        ("where can I learn about compilers", "compilers"),
        ("I need materials for my statistics class", "my statistics class"),
    ],
)
def test_resources(message: str, topic: str) -> None:
    intent = understand(message, NOW)
    assert (intent.kind, intent.slots["topic"]) == ("resources", topic)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (
            "Summarise this: Trees are graphs. Trees have no cycles. Roots have no parent.",
            "summarise",
        ),
        ("Can you summarize the following: one two three. four five six.", "summarise"),
        ("tl;dr: one two three. four five six.", "summarise"),
        ("Plan my week", "plan_week"),
        ("help me organise next week", "plan_week"),
        ("what should I study this week?", "plan_week"),
        ("How am I doing?", "progress"),
        ("am I on track?", "progress"),
        ("show me my progress", "progress"),
        ("Forget that", "forget"),
        ("never mind", "forget"),
        ("start over", "forget"),
        ("hello", "help"),
        ("what can you do?", "help"),
        ("thanks!", "thanks"),
    ],
)
def test_other_intents(message: str, kind: str) -> None:
    assert understand(message, NOW).kind == kind


@pytest.mark.parametrize(
    "message",
    ["asdf qwerty", "The weather is purple", "What is a binary tree?", "42", "", "banana"],
)
def test_nonsense_is_unclear(message: str) -> None:
    assert understand(message, NOW).kind == "unclear"


def test_missing_details_are_named() -> None:
    assert understand("I want to pass my exam", NOW).missing == "deadline"
    assert understand("Schedule 2 hours of reading", NOW).missing == "when"
    assert understand("remind me to stretch", NOW).missing == "when"
    assert understand("I want to learn", NOW).missing == "subject"
    assert understand("summarise this", NOW).missing == "text"


def test_a_pending_question_is_completed_by_the_answer() -> None:
    asked = {"pending": {"kind": "goal", "slots": {"title": "Pass my exam"}, "missing": "deadline"}}
    intent = understand("in 3 weeks", NOW, asked)
    assert (intent.kind, intent.slots["due"]) == ("goal", date(2026, 12, 1))
    asked = {"pending": {"kind": "learn", "slots": {}, "missing": "subject"}}
    assert (
        understand("Data Structures in 6 weeks", NOW, asked).slots["subject"] == "Data Structures"
    )
    asked = {
        "pending": {
            "kind": "schedule",
            "slots": {"title": "Reading", "minutes": 120},
            "missing": "when",
        }
    }
    assert understand("tomorrow at 10am", NOW, asked).slots["start"] == at(11, 10)


def test_a_pending_question_without_a_kind_completes_nothing() -> None:
    asked = {"pending": {"slots": {"title": "Pass my exam"}, "missing": "deadline"}}
    assert understand("in 3 weeks", NOW, asked).kind == "unclear"


def test_dates_follow_the_users_time_zone() -> None:
    late = datetime(2026, 11, 10, 23, 30, tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Asia/Tokyo"))
    intent = understand("Schedule 1 hour of reading tomorrow at 9am", late)
    assert intent.slots["start"] == datetime(2026, 11, 12, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_course_templates_depend_on_the_kind_of_subject() -> None:
    kind, modules = course_modules("Data Structures")
    assert kind == "a curated outline" and modules[1]["title"] == "Linear structures"
    assert course_modules("Spanish")[0] == "the language template"
    assert course_modules("Calculus")[0] == "the mathematics template"
    assert course_modules("Rust")[0] == "the computing template"
    kind, modules = course_modules("Beekeeping")
    assert kind == "the general template" and modules[0]["title"] == "Introduction to Beekeeping"


def test_extractive_summary_keeps_central_sentences_in_order() -> None:
    text = (
        "Graphs model pairwise relations. A graph has vertices and edges. "
        "Weather was nice yesterday. Directed graphs have edges with a direction. "
        "Trees are connected graphs without cycles. Lunch was pasta."
    )
    result = summarise(text, 2)
    assert "graphs" in result.lower() and "Lunch" not in result and "Weather" not in result
