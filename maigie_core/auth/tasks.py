"""The accounts' background work: mail goes out through the task queue, paid periods expire.

Registered by ``install_auth`` as core tasks (no plugin owns them): a slow or failing mail
server never holds up a request, and a retry covers a transient failure.
"""

from __future__ import annotations

from maigie_core.auth.mailer import MailMessage
from maigie_core.auth.state import auth_state
from maigie_core.tasks import TaskDefinition, enqueue, periodic_task, task
from maigie_core.tiers.subscriptions import expire_tiers


@task(
    "auth.send_mail",
    category="auth",
    retries=3,
    retry_delay=10,
    description="Send one e-mail (verification, password reset) through the mailer",
)
async def send_mail(to: str, subject: str, body: str, purpose: str) -> None:
    await auth_state().mailer.send(MailMessage(to, subject, body, purpose))


@periodic_task(
    "auth.expire_tiers",
    "*/5 * * * *",
    category="auth",
    description="Drop paid tiers whose period has ended to free (freezing what exceeds it)",
)
async def expire_paid_tiers() -> list[str]:
    return await expire_tiers(auth_state())


CORE_TASKS: list[TaskDefinition] = [send_mail, expire_paid_tiers]


async def queue_mail(message: MailMessage) -> None:
    """Hand ``message`` to the queue (run inline in unit tests' immediate mode)."""
    await enqueue("auth.send_mail", message.to, message.subject, message.body, message.purpose)
