"""Mail goes out through the task queue; a periodic task expires ended paid periods."""

from __future__ import annotations

from datetime import timedelta

from maigie_core.auth.models import MailRecord, User
from maigie_core.auth.tasks import expire_paid_tiers
from maigie_core.db import utcnow
from maigie_core.runtime import runtime


async def test_core_tasks_are_registered_with_their_schedule(app) -> None:
    tasks = runtime(app).tasks
    assert tasks["auth.send_mail"].retries == 3 and tasks["auth.send_mail"].category == "auth"
    assert tasks["auth.expire_tiers"].schedule == "*/5 * * * *"


async def test_password_reset_mail_is_sent_through_the_queue(app, api) -> None:
    await api.register("ada@example.com")
    enqueued: list[str] = []
    queue = runtime(app).queue
    real_enqueue = queue.enqueue

    async def spy(name, args, kwargs, **options):
        enqueued.append(name)
        return await real_enqueue(name, args, kwargs, **options)

    queue.enqueue = spy
    response = await api.client.post(
        "/api/v1/auth/password/forgot", json={"email": "ada@example.com"}
    )
    assert response.status_code == 202
    assert enqueued == ["auth.send_mail"]
    async with app.app_context():
        resets = MailRecord.select().where(MailRecord.purpose == "password_reset")
        mails = await resets.aio_execute()
    assert [m.to_address for m in mails] == ["ada@example.com"]


async def test_periodic_task_drops_an_ended_paid_period_to_free(app, api) -> None:
    headers = await api.user("ada@example.com")
    async with app.app_context():
        await User.update(
            tier="premium_monthly", tier_period_end=utcnow() - timedelta(minutes=1)
        ).aio_execute()
        expired = await expire_paid_tiers.func()
    assert len(expired) == 1
    assert (await api.me(headers))["tier"] == "free"
