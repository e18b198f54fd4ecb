"""The courses plugin's tables: courses, their ordered modules and topics, members, ticks.

Foreign keys are plain UUID columns here (no lazy loading under peewee-async); the
migration declares the real constraints. ``course_id`` is repeated on topics and
completions so one statement can read or delete everything of a page of courses.
"""

from __future__ import annotations

import peewee

from maigie_core import Model

OWNER = "owner"
STUDENT = "student"


class Course(Model):
    owner_id = peewee.UUIDField(index=True)
    title = peewee.CharField(max_length=200)
    description = peewee.TextField(default="")
    ai_generated = peewee.BooleanField(default=False)
    frozen = peewee.BooleanField(default=False)
    duration_weeks = peewee.IntegerField(null=True)
    share_code = peewee.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table_name = "courses_course"


class Module(Model):
    course_id = peewee.UUIDField(index=True)
    title = peewee.CharField(max_length=200)
    position = peewee.IntegerField()

    class Meta:
        table_name = "courses_module"


class Topic(Model):
    course_id = peewee.UUIDField(index=True)
    module_id = peewee.UUIDField(index=True)
    title = peewee.CharField(max_length=200)
    position = peewee.IntegerField()
    estimated_minutes = peewee.IntegerField(null=True)

    class Meta:
        table_name = "courses_topic"


class Enrollment(Model):
    """A member of a course: its owner (one row, made with the course) or a student."""

    course_id = peewee.UUIDField(index=True)
    user_id = peewee.UUIDField()
    role = peewee.CharField(max_length=16)

    class Meta:
        table_name = "courses_enrollment"
        indexes = ((("user_id", "course_id"), True),)


class Completion(Model):
    """One member ticked one topic as done (absent = not done)."""

    course_id = peewee.UUIDField(index=True)
    topic_id = peewee.UUIDField()
    user_id = peewee.UUIDField()

    class Meta:
        table_name = "courses_completion"
        indexes = ((("user_id", "topic_id"), True),)


class WriteLock(Model):
    """One row per user whose course writes are serialised; ``id`` is that user's id.

    Upserting it is the first statement of every write transaction: PostgreSQL then
    holds the row lock until commit and SQLite takes its write lock before any read, so
    "count, check the limit, insert" cannot interleave for one user.
    """

    class Meta:
        table_name = "courses_lock"
