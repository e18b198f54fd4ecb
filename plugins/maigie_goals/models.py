"""The goals plugin's tables: a goal and its tasks (milestones)."""

from __future__ import annotations

import peewee

from maigie_core import Model

STATUSES = ("active", "completed", "archived")
LIMIT = "active_goals"  # the tier limit this plugin declares
MAX_TASKS = 100  # per goal: keeps a page of goals bounded


class Goal(Model):
    """A goal of one owner; ``active_slot`` is held while it counts against the tier limit."""

    owner_id = peewee.UUIDField()
    title = peewee.CharField(max_length=200)
    description = peewee.TextField(null=True)
    target_date = peewee.DateField(null=True)
    status = peewee.CharField(max_length=16, default="active")
    progress = peewee.IntegerField(default=0)
    progress_explicit = peewee.IntegerField(null=True)  # the last value a client recorded
    course_id = peewee.UUIDField(null=True)
    frozen = peewee.BooleanField(default=False)
    active_slot = peewee.IntegerField(null=True)
    # The goal as the API returns it, tasks included (JSON text): written with every change
    # in the same transaction, so a page of goals is read without assembling anything.
    doc = peewee.TextField(default="{}")

    class Meta:
        table_name = "goals_goal"


class GoalTask(Model):
    """A task or milestone of a goal, in ``position`` order."""

    goal = peewee.ForeignKeyField(Goal, column_name="goal_id", on_delete="CASCADE")
    title = peewee.CharField(max_length=200)
    due_at = peewee.DateTimeField(null=True)
    done = peewee.BooleanField(default=False)
    position = peewee.IntegerField(default=0)

    class Meta:
        table_name = "goals_task"
