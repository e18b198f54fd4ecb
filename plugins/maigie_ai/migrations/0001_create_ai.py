"""Conversations, messages, idempotency keys and voice sessions (frozen copies)."""

import peewee

from maigie_core.db.migrations import MigrationContext


class Conversation(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    owner_id = peewee.UUIDField()
    title = peewee.CharField(max_length=200)
    state = peewee.TextField()
    context_start = peewee.IntegerField()
    message_count = peewee.IntegerField()
    last_message_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "ai_conversation"
        indexes = ((("owner_id", "created_at", "id"), False),)


class Message(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    conversation = peewee.ForeignKeyField(
        Conversation, column_name="conversation_id", on_delete="CASCADE"
    )
    owner_id = peewee.UUIDField()
    position = peewee.IntegerField()
    role = peewee.CharField(max_length=16)
    content = peewee.TextField()
    actions = peewee.TextField()
    provider = peewee.CharField(max_length=32, null=True)
    model = peewee.CharField(max_length=100, null=True)
    prompt_tokens = peewee.IntegerField(null=True)
    completion_tokens = peewee.IntegerField(null=True)
    cost = peewee.FloatField(null=True)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "ai_message"
        indexes = ((("conversation_id", "position"), True),)


class IdempotencyKey(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    owner_id = peewee.UUIDField()
    key = peewee.CharField(max_length=255)
    fingerprint = peewee.CharField(max_length=64)
    state = peewee.CharField(max_length=16)
    status_code = peewee.IntegerField(null=True)
    response = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(index=True)
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "ai_idempotency_key"
        indexes = ((("owner_id", "key"), True),)


class VoiceSession(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    owner_id = peewee.UUIDField(index=True)
    conversation_id = peewee.UUIDField(null=True)
    expires_at = peewee.DateTimeField()
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "ai_voice_session"


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([Conversation, Message, IdempotencyKey, VoiceSession])
