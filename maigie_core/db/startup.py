"""Waiting for the database when a long-running process starts (``serve``, ``worker``).

Building the app reads the plugins' enabled state from the database, so a process
cannot start while it is down; started together with it (a deploy, a reboot), it waits
instead: one attempt, then one more after 0.5, 1, 2, 4, 5, 5 … s until the timeout,
each failure logged in one line.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import peewee

from maigie_core.db import open_database

__all__ = ["DatabaseUnavailable", "redact_url", "wait_for_database"]

log = logging.getLogger("maigie.db")

_FIRST_PAUSE, _LONGEST_PAUSE = 0.5, 5.0


class DatabaseUnavailable(Exception):
    """The database did not answer in time; the message is one line for an operator."""


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def wait_for_database(url: str, timeout: float, connect_timeout: float = 3.0) -> None:
    """Return once ``url`` answers ``SELECT 1``; :class:`DatabaseUnavailable` after ``timeout``."""
    deadline = time.monotonic() + timeout
    pause, attempt = _FIRST_PAUSE, 0
    while True:
        attempt += 1
        try:
            db = open_database(url, connect_timeout=connect_timeout)
            with db.allow_sync():
                db.execute_sql("SELECT 1")
            db.close()
        except peewee.DatabaseError as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseUnavailable(
                    f"the database {redact_url(url)} did not answer ({attempt} attempt(s) "
                    f"in {timeout:g} s, DATABASE_STARTUP_TIMEOUT): {reason}"
                ) from None
            log.warning(
                "waiting for the database %s (attempt %d, %.0f s left): %s",
                redact_url(url),
                attempt,
                left,
                reason,
            )
            time.sleep(min(pause, left))
            pause = min(pause * 2, _LONGEST_PAUSE)
            continue
        if attempt > 1:
            log.info("the database answers (attempt %d)", attempt)
        return
