"""Courses, modules, topics, enrollments, completions and the per-user write lock."""

import peewee

from maigie_core.db.migrations import MigrationContext


class Base(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    created_at = peewee.DateTimeField(index=True)
    updated_at = peewee.DateTimeField()


class Course(Base):
    owner_id = peewee.UUIDField(index=True)
    title = peewee.CharField(max_length=200)
    description = peewee.TextField(default="")
    ai_generated = peewee.BooleanField(default=False)
    frozen = peewee.BooleanField(default=False)
    duration_weeks = peewee.IntegerField(null=True)
    share_code = peewee.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table_name = "courses_course"


class Module(Base):
    course_id = peewee.ForeignKeyField(Course, column_name="course_id", on_delete="CASCADE")
    title = peewee.CharField(max_length=200)
    position = peewee.IntegerField()

    class Meta:
        table_name = "courses_module"


class Topic(Base):
    course_id = peewee.ForeignKeyField(Course, column_name="course_id", on_delete="CASCADE")
    module_id = peewee.ForeignKeyField(Module, column_name="module_id", on_delete="CASCADE")
    title = peewee.CharField(max_length=200)
    position = peewee.IntegerField()
    estimated_minutes = peewee.IntegerField(null=True)

    class Meta:
        table_name = "courses_topic"


class Enrollment(Base):
    course_id = peewee.ForeignKeyField(Course, column_name="course_id", on_delete="CASCADE")
    user_id = peewee.UUIDField()
    role = peewee.CharField(max_length=16)

    class Meta:
        table_name = "courses_enrollment"
        indexes = ((("user_id", "course_id"), True),)


class Completion(Base):
    course_id = peewee.ForeignKeyField(Course, column_name="course_id", on_delete="CASCADE")
    topic_id = peewee.ForeignKeyField(Topic, column_name="topic_id", on_delete="CASCADE")
    user_id = peewee.UUIDField()

    class Meta:
        table_name = "courses_completion"
        indexes = ((("user_id", "topic_id"), True),)


class WriteLock(Base):
    class Meta:
        table_name = "courses_lock"


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([Course, Module, Topic, Enrollment, Completion, WriteLock])
