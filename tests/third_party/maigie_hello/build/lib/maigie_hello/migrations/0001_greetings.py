import peewee

from maigie_core.db.migrations import MigrationContext


class Greeting(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    text = peewee.CharField(max_length=200)
    created_at = peewee.DateTimeField(index=True)
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "hello_greeting"


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([Greeting])
