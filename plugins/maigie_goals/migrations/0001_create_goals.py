"""Goals and their tasks, as they are at this migration (frozen copies)."""

import peewee

from maigie_core.db.migrations import MigrationContext


class Goal(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    owner_id = peewee.UUIDField()
    title = peewee.CharField(max_length=200)
    description = peewee.TextField(null=True)
    target_date = peewee.DateField(null=True)
    status = peewee.CharField(max_length=16)
    progress = peewee.IntegerField()
    progress_explicit = peewee.IntegerField(null=True)
    course_id = peewee.UUIDField(null=True, index=True)
    frozen = peewee.BooleanField()
    active_slot = peewee.IntegerField(null=True)
    doc = peewee.TextField()  # the goal as the API returns it (JSON), rebuilt on every write
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "goals_goal"
        indexes = (
            (("owner_id", "created_at", "id"), False),
            # A free user's active goals each hold one of the tier's slots: the database
            # itself refuses a third active goal, whatever the requests' interleaving.
            (("owner_id", "active_slot"), True),
        )


class GoalTask(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    goal = peewee.ForeignKeyField(Goal, column_name="goal_id", on_delete="CASCADE")
    title = peewee.CharField(max_length=200)
    due_at = peewee.DateTimeField(null=True)
    done = peewee.BooleanField()
    position = peewee.IntegerField()
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "goals_task"
        indexes = ((("goal_id", "position"), False),)


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([Goal, GoalTask])
