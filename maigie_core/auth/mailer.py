"""Outgoing mail: a :class:`Mailer` interface; the default writes to the log and the outbox.

The default works offline: each message is logged (``maigie.mail``) and stored in
``maigie_mail_outbox``, where an operator (or a test) can read the link it carries.
Replace ``auth_state().mailer`` with any object having ``async send(message)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from maigie_core.auth.models import MailRecord

log = logging.getLogger("maigie.mail")


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    body: str
    purpose: str  # verify_email | password_reset | ...


class Mailer(Protocol):
    async def send(self, message: MailMessage) -> None: ...


class LogMailer:
    """Logs each message and stores it in the outbox table."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    async def send(self, message: MailMessage) -> None:
        log.info(
            "mail from %s to %s: %s\n%s",
            self.sender,
            message.to,
            message.subject,
            message.body,
            extra={"purpose": message.purpose},
        )
        await MailRecord.aio_create(
            to_address=message.to,
            subject=message.subject,
            body=message.body,
            purpose=message.purpose,
        )
