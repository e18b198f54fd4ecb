"""Credentials never reach a log line: tokens in paths, queries, headers and messages.

Three layers, each cheap:

* the access log (``maigie_core.middleware``) writes the path only, never the query
  string, and writes a URL variable whose name says it is a credential (``<token>``,
  e.g. the calendar feed ``/api/v1/schedule/feed/<token>.ics``) as ``[redacted]``;
* every line the process writes through :func:`maigie_core.logs.configure_logging`
  passes :func:`redact` (message, extra fields and tracebacks alike): signed tokens and
  JWTs (all start ``eyJ``, base64 of ``{"``), ``Bearer``/``Basic`` credentials and
  credential-named query parameters (``?token=``, ``code=``, ``state=``...);
* hypercorn's own access log, when an operator enables it, gets the same treatment
  through a filter on the ``hypercorn.access`` logger.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"

#: URL variables and query parameters with these words in their names carry secrets.
_SECRET_NAME = re.compile(r"token|secret|password|signature|credential", re.IGNORECASE)
_QUERY_NAMES = r"[a-z_]*token|code|state|password|secret|signature|sig|key|api_key|auth|credential"
_SIGNED = re.compile(r"(?:eyJ|\.eJ)[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_=-]*){1,2}")  # JWTs, itsdangerous
_SCHEME = re.compile(r"\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_PARAM = re.compile(rf"((?<![A-Za-z0-9_-])(?:{_QUERY_NAMES})=)[^&;\s\"'#]*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``[redacted]``.

    Each pattern runs only when a plain substring test says it could match: a log line
    without credentials costs a few substring searches, not three regex scans.
    """
    if "eyJ" in text or ".eJ" in text:
        text = _SIGNED.sub(REDACTED, text)
    if "=" in text:
        text = _PARAM.sub(_keep_name, text)
    lowered = text.lower()
    if "bearer" in lowered or "basic" in lowered:
        text = _SCHEME.sub(_keep_name, text)
    return text


def _keep_name(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED


def is_secret_name(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then redacts the whole line (traceback included)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


class RedactingFilter(logging.Filter):
    """Renders the record's message, redacted, in place (for loggers with own handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


_hypercorn_filter = RedactingFilter()


def protect_hypercorn_access_log() -> None:
    """Redact hypercorn's access log (``--access-logfile``): it writes the query string."""
    logger = logging.getLogger("hypercorn.access")
    if _hypercorn_filter not in logger.filters:
        logger.addFilter(_hypercorn_filter)


class PathRedactor:
    """The logged form of a request path: credential URL variables replaced."""

    def __init__(self) -> None:
        self._secret_args: dict[str, tuple[str, ...]] = {}

    def __call__(self, req: Any) -> str:
        path: str = req.path
        rule = req.url_rule
        if rule is None:
            return path
        names = self._secret_args.get(rule.rule)
        if names is None:
            names = self._secret_args[rule.rule] = tuple(
                sorted(n for n in rule.arguments if is_secret_name(n))
            )
        if not names:
            return path
        values = req.view_args or {}
        for name in names:
            value = str(values.get(name) or "")
            if value and value in path:
                path = path.replace(value, REDACTED)
            elif value:  # sent percent-encoded: the rule itself says enough
                return str(rule.rule)
        return path
