# ruff: noqa: E501  (reply templates read best whole)
"""The offline provider: deterministic rules, no network (the default).

It understands the intents listed in ``maigie_ai.intents.parse``, turns them into
action calls in the actions' own field names (``payloads.fit``), and writes the reply
from what the actions returned. Anything it does not understand gets a clarifying
question and no action; a missing detail ("by when?") is asked for and remembered in
the conversation's state until answered or forgotten.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python

from maigie_ai import payloads
from maigie_ai.intents import Intent, understand
from maigie_ai.intents import summary as summaries
from maigie_ai.intents.templates import course_modules
from maigie_ai.intents.when import describe_date, describe_time
from maigie_ai.providers.base import KEEP, Outcome, Step, ToolCall, Turn, Usage
from maigie_ai.providers.progress import progress_report

EXAMPLES = (
    "“I want to learn Data Structures in 6 weeks”, “I want to pass my exam in 3 weeks”, "
    "“Schedule 2 hours of reading tomorrow at 9am”, “Remind me to review chapter 5 on Friday”, "
    "“Give me resources on graph algorithms”, “Summarise this: …”, “Plan my week” or "
    "“How am I doing?”"
)
HELP = (
    "I'm your study companion. I can create courses and goals, schedule study time, set "
    f"reminders, recommend resources, summarise text, plan your week and report your progress. Try {EXAMPLES}."
)
MAX_PLANNED_GOALS = 3
UNCLEAR = f"I'm not sure what you'd like me to do. Could you rephrase? For example: {EXAMPLES}."


class OfflineProvider:
    name = "offline"
    model: str | None = None
    explains_failures = True  # its replies say why each refused action did not happen
    uses_history = False  # it keeps what it needs in the conversation's state

    async def step(self, turn: Turn, outcomes: list[Outcome]) -> Step:
        if not outcomes:
            turn.scratch["intent"] = understand(turn.message, turn.now, turn.state)
        intent: Intent = turn.scratch["intent"]
        return Planner(turn, intent, outcomes).next_step()

    async def summarise(self, text: str) -> tuple[str, Usage]:
        return summaries.summarise(text), Usage()


class Planner:
    """One intent's script: which calls to make next, then the words to say."""

    def __init__(self, turn: Turn, intent: Intent, outcomes: list[Outcome]) -> None:
        self.turn, self.intent, self.outcomes = turn, intent, outcomes
        self.today = turn.now.date()

    def call(self, name: str, candidate: dict[str, Any]) -> ToolCall:
        fitted = payloads.fit(self.turn.actions.get(name), to_jsonable_python(candidate))
        return ToolCall(name, fitted)

    def next_step(self) -> Step:
        kind = self.intent.kind
        if kind == "forget":
            return Step(
                "Okay, I've forgotten that: we're starting fresh. What would you like to do?",
                state={},
                reset=True,
            )
        if kind == "help":
            return Step(HELP)
        if kind == "thanks":
            return Step("You're welcome! Anything else I can help you study?")
        if kind == "unclear":
            pending = self.turn.state.get("pending")
            if pending:
                return Step(
                    f"Sorry, I didn't catch that. {pending['question']} (Or say “forget that”.)"
                )
            return Step(UNCLEAR)
        if self.intent.missing:
            return self.ask()
        method = getattr(self, f"do_{kind}")
        step: Step = method()
        if step.text is not None and step.state is KEEP:
            step.state = {}  # a completed request ends any pending question
        return step

    # -- asking for what is missing ------------------------------------------------------

    def ask(self) -> Step:
        slots, missing = self.intent.slots, self.intent.missing
        questions = {
            (
                "learn",
                "subject",
            ): "What would you like to learn? For example: “I want to learn Data Structures in 6 weeks”.",
            (
                "goal",
                "deadline",
            ): f"By when do you want to {_lower_first(slots.get('title', ''))}? For example “in 3 weeks” or “by 12 December”.",
            (
                "schedule",
                "when",
            ): f"When should I schedule “{slots.get('title')}” ({slots.get('minutes')} minutes)? For example “tomorrow at 9am”.",
            (
                "remind",
                "when",
            ): f"When should I remind you to {_lower_first(slots.get('message', ''))}? For example “on Friday at 6pm” or “in 2 hours”.",
            ("remind", "message"): "What should I remind you about?",
            ("summarise", "text"): "Send the text to summarise after “Summarise this:”.",
        }
        question = questions[(self.intent.kind, missing or "")]
        pending = {
            "kind": self.intent.kind,
            "slots": to_jsonable_python(slots),
            "missing": missing,
            "question": question,
        }
        return Step(question, state={"pending": pending})

    # -- the intents -----------------------------------------------------------------------

    def do_learn(self) -> Step:
        subject, due, weeks = (self.intent.slots[k] for k in ("subject", "due", "weeks"))
        template, modules = course_modules(subject)
        if not self.outcomes:
            outline = {
                "title": subject,
                "description": f"A study course on {subject}, outlined from {template}.",
                "modules": modules,
                "duration_weeks": weeks,
            }
            return Step(calls=[self.call("create_course", outline)])
        course = self.outcomes[0]
        if len(self.outcomes) == 1 and due is not None and course.status in ("ok", "unavailable"):
            target = {
                "title": f"Learn {subject}",
                "description": f"Finish the {subject} course." if course.ok else None,
                "target_date": due,
                "course_id": course.result.get("id")
                if course.ok and isinstance(course.result, dict)
                else None,
            }
            return Step(calls=[self.call("create_goal", target)])
        parts = []
        if course.ok:
            topics = sum(len(m["topics"]) for m in modules)
            parts.append(
                f"I created the course “{subject}” with {len(modules)} modules and {topics} topics, "
                f"outlined from {template} (edit it to fit your material)."
            )
        else:
            parts.append(failure(course, f"create a course on {subject}"))
        if len(self.outcomes) > 1:
            goal = self.outcomes[1]
            if goal.ok:
                parts.append(
                    f"I also set a goal “Learn {subject}” due {describe_date(due, self.today)}."
                )
            else:
                parts.append(failure(goal, "set a goal for it"))
        elif due is None and course.ok:
            parts.append("Tell me when you'd like to finish (“in 6 weeks”) and I'll set a goal.")
        elif due is not None:
            parts.append("So I did not set a goal for it either.")
        return Step(" ".join(parts))

    def do_goal(self) -> Step:
        title, due = self.intent.slots["title"], self.intent.slots["due"]
        if not self.outcomes:
            return Step(calls=[self.call("create_goal", {"title": title, "target_date": due})])
        outcome = self.outcomes[0]
        if outcome.ok:
            return Step(
                f"I set the goal “{title}” due {describe_date(due, self.today)}. I'll help you track it: ask “am I on track?” any time."
            )
        return Step(failure(outcome, f"set the goal “{title}”"))

    def do_schedule(self) -> Step:
        slots = self.intent.slots
        start: datetime = slots["start"]
        end = start + timedelta(minutes=slots["minutes"])
        if not self.outcomes:
            block = {
                "title": slots["title"],
                "start_at": start.isoformat(),
                "end_at": end.isoformat(),
                "minutes": slots["minutes"],
                "rrule": slots.get("rrule"),
            }
            return Step(calls=[self.call("create_block", block)])
        outcome = self.outcomes[0]
        what = f"“{slots['title']}” on {describe_date(start.date(), self.today)} from {describe_time(start.time())} to {describe_time(end.time())}"
        if outcome.ok:
            extra = " (one hour, as you didn't say how long)" if slots.get("default_length") else ""
            repeat = f", repeating ({slots['rrule']})" if slots.get("rrule") else ""
            return Step(f"I scheduled {what}{repeat}{extra}.")
        return Step(failure(outcome, f"schedule {what}"))

    def do_remind(self) -> Step:
        slots = self.intent.slots
        at: datetime = slots["at"]
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if not self.outcomes:
            return Step(
                calls=[
                    self.call(
                        "create_reminder",
                        {"message": slots["message"], "remind_at": at.isoformat()},
                    )
                ]
            )
        outcome = self.outcomes[0]
        moment = f"{describe_date(at.date(), self.today)} at {describe_time(at.time())}"
        if outcome.ok:
            return Step(f"I'll remind you on {moment}: “{slots['message']}”.")
        return Step(failure(outcome, f"set a reminder for {moment}"))

    def do_resources(self) -> Step:
        topic = self.intent.slots["topic"]
        if not self.outcomes:
            return Step(calls=[self.call("recommend_resources", {"topic": topic, "limit": 5})])
        outcome = self.outcomes[0]
        if not outcome.ok:
            return Step(failure(outcome, f"recommend resources on {topic}"))
        items = outcome.result.get("items", []) if isinstance(outcome.result, dict) else []
        if not items:
            return Step(
                f"I found no resources on {topic} yet. Save some links with the resources page and I'll rank them for you."
            )
        lines = []
        for item in items[:5]:
            resource = item.get("resource", item)
            reason = f" ({item['reason']})" if item.get("reason") else ""
            lines.append(f"• {resource.get('title')}: {resource.get('url')}{reason}")
        return Step(f"Here are resources on {topic}:\n" + "\n".join(lines))

    def do_summarise(self) -> Step:
        text = self.intent.slots["text"]
        result = summaries.summarise(text)
        return Step(f"Summary (extracted from your text, no model involved): {result}")

    def do_plan_week(self) -> Step:
        week_start: date = self.intent.slots["week_start"]
        label = f"the week from {describe_date(week_start, self.today)}"
        if not self.outcomes:
            return Step(calls=[self.call("list_goals", {"status": "active", "limit": 20})])
        listing = self.outcomes[0]
        if len(self.outcomes) == 1:
            if not listing.ok:  # no goals plugin: let the schedule plugin say what it needs
                return Step(calls=[self.call("plan_week", {"week_start": week_start})])
            goals = [
                g
                for g in (listing.result or {}).get("items", [])
                if g.get("status", "active") == "active"
            ]
            if not goals:
                return Step(
                    "You have no active goals to plan around yet. Tell me one, like “I want to pass my exam in 3 weeks”, then ask me to plan your week."
                )
            goals.sort(
                key=lambda g: (g.get("target_date") or "9999-12-31", g.get("created_at") or "")
            )
            calls = [
                self.call("plan_week", {"goal_id": g["id"], "week_start": week_start})
                for g in goals[:MAX_PLANNED_GOALS]
            ]
            return Step(calls=calls)
        plans = self.outcomes[1:]
        refused = [o for o in plans if not o.ok]
        if refused and len(refused) == len(plans):
            return Step(failure(refused[0], f"plan {label}"))
        lines, unplaced = [], []
        for outcome in plans:
            result = outcome.result if isinstance(outcome.result, dict) else {}
            for block in result.get("created", []):
                lines.append(
                    f"• {block.get('title')}: {block.get('start_at')} to {block.get('end_at')}"
                )
            unplaced.extend(result.get("unplaced", []))
        if not lines:
            text = f"I found nothing to place in {label}: your goals have no open tasks or there is no free time."
        else:
            text = f"I planned {label} with {len(lines)} study block(s):\n" + "\n".join(lines[:20])
        if unplaced:
            text += f"\nNo free slot was left for: {', '.join(unplaced[:10])}."
        return Step(text)

    def do_progress(self) -> Step:
        if not self.outcomes:
            return Step(
                calls=[
                    self.call("list_goals", {"limit": 20}),
                    self.call("list_courses", {"limit": 20}),
                ]
            )
        return Step(progress_report(self.outcomes, self.today))


def failure(outcome: Outcome, doing: str) -> str:
    """Why an action did not happen, in words."""
    error = outcome.error or {}
    if outcome.status == "unavailable":
        return f"I can't {doing}: that feature isn't available on this Maigie (its plugin is not enabled)."
    if outcome.status == "invalid":
        return f"I couldn't {doing}: the details were not valid ({error.get('message', 'invalid payload')})."
    if error.get("code") == "SUBSCRIPTION_LIMIT_EXCEEDED":
        return f"I couldn't {doing}: {error.get('message')}. Premium lifts this limit."
    return f"I couldn't {doing}: {error.get('message', 'something went wrong')}."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text
