"""A third-party plugin: greetings a user can post and list."""

from __future__ import annotations

import peewee
from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import security_scheme, validate_request

from maigie_core import Migrations, Model, emit, hookimpl, transaction


class Greeting(Model):
    text = peewee.CharField(max_length=200)

    class Meta:
        table_name = "hello_greeting"


class GreetingIn(BaseModel):
    text: str = Field(min_length=1, max_length=200)


bp = Blueprint("hello", __name__, url_prefix="/api/v1/hello")


@bp.post("/greetings")
@security_scheme([])
@validate_request(GreetingIn)
async def create_greeting(data: GreetingIn) -> tuple[dict[str, str], int]:
    async with transaction():
        greeting = await Greeting.aio_create(text=data.text)
        await emit("greeting.created", None, {"text": greeting.text}, channel="public")
    return {"id": str(greeting.id), "text": greeting.text}, 201


@bp.get("/greetings")
@security_scheme([])
async def list_greetings() -> dict[str, list[str]]:
    rows = await Greeting.select(Greeting.text).order_by(Greeting.created_at).aio_execute()
    return {"items": [row.text for row in rows]}


@hookimpl
def register_blueprints(app):
    return [bp]


@hookimpl
def register_migrations():
    return Migrations(owner="hello", package="maigie_hello.migrations")
