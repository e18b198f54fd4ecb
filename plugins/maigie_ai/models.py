"""The assistant's tables: conversations, their messages, idempotency keys, voice sessions."""

from __future__ import annotations

import peewee

from maigie_core import Model


class Conversation(Model):
    owner_id = peewee.UUIDField()
    title = peewee.CharField(max_length=200)
    state = peewee.TextField(default="{}")  # JSON: the offline provider's pending question
    context_start = peewee.IntegerField(default=0)  # first position providers see ("forget that")
    message_count = peewee.IntegerField(default=0)
    last_message_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "ai_conversation"
        indexes = ((("owner_id", "created_at", "id"), False),)


class Message(Model):
    conversation = peewee.ForeignKeyField(
        Conversation, column_name="conversation_id", on_delete="CASCADE", backref="messages"
    )
    owner_id = peewee.UUIDField()
    position = peewee.IntegerField()
    role = peewee.CharField(max_length=16)  # user | assistant
    content = peewee.TextField()
    actions = peewee.TextField(default="[]")  # JSON: [{id, name, status, result|error}]
    provider = peewee.CharField(max_length=32, null=True)
    model = peewee.CharField(max_length=100, null=True)
    prompt_tokens = peewee.IntegerField(null=True)
    completion_tokens = peewee.IntegerField(null=True)
    cost = peewee.FloatField(null=True)

    class Meta:
        table_name = "ai_message"
        indexes = ((("conversation_id", "position"), True),)


class IdempotencyKey(Model):
    owner_id = peewee.UUIDField()
    key = peewee.CharField(max_length=255)
    fingerprint = peewee.CharField(max_length=64)
    state = peewee.CharField(max_length=16)  # pending | done
    status_code = peewee.IntegerField(null=True)
    response = peewee.TextField(null=True)

    class Meta:
        table_name = "ai_idempotency_key"
        indexes = ((("owner_id", "key"), True),)


class VoiceSession(Model):
    owner_id = peewee.UUIDField(index=True)
    conversation_id = peewee.UUIDField(null=True)
    expires_at = peewee.DateTimeField()

    class Meta:
        table_name = "ai_voice_session"
