"""No credential reaches a log: real requests carrying tokens, the process's real log output.

The logging is configured as ``maigie serve`` configures it in production (JSON lines
with the request id), and hypercorn's own access log is enabled as an operator would.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import maigie_schedule
import pytest
from auth_support import Api, bearer, last_mail
from hypercorn.asyncio import serve
from hypercorn.config import Config
from wait_support import free_port, wait_for_port
from websockets.asyncio.client import connect

from maigie_core.logs import configure_logging
from maigie_core.redaction import redact
from maigie_core.settings import load_settings

SECRET_KEY = "k" * 40
STATIC = "metrics-token-0123456789abcdef"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The root logger as production configures it, writing into a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging(load_settings(environ={}, ENVIRONMENT="production", SECRET_KEY=SECRET_KEY))
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:], root.level = saved


@pytest.fixture
async def app(make_app: Any) -> Any:
    application = make_app(
        plugins={"schedule": maigie_schedule}, ACCESS_LOG=True, METRICS_TOKEN=STATIC
    )
    async with application.test_app():
        yield application


async def _credentials(app: Any) -> dict[str, str]:
    """Every kind of credential, each used in a real request; what must never be logged."""
    api, client = Api(app), app.test_client()
    tokens = await api.register("ada@example.com")  # sends a verification mail (logged)
    found = {"access": tokens["access_token"], "refresh": tokens["refresh_token"]}
    found["verify"] = await last_mail(app, "ada@example.com", "verify_email")
    headers = bearer(found["access"])
    feed = await (await client.get("/api/v1/schedule/feed", headers=headers)).get_json()
    found["feed"] = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    response = await client.get(f"/api/v1/schedule/feed/{found['feed']}.ics")
    assert response.status_code == 200
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": found["refresh"]})
    found["rotated"] = (await rotated.get_json())["refresh_token"]
    await client.post("/api/v1/auth/verify-email", json={"token": found["verify"]})
    await client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    found["reset"] = await last_mail(app, "ada@example.com", "password_reset")
    await client.post(
        "/api/v1/auth/password/reset",
        json={"token": found["reset"], "new_password": "another long password"},
    )
    await client.get(f"/health?token={found['access']}&code=oauth-code-123")
    await client.get("/api/v1/nowhere", headers=headers)  # 404 with a bearer header
    await client.get("/metrics", headers=bearer(STATIC))
    found["static"] = STATIC
    found["oauth_code"] = "oauth-code-123"
    return found


async def test_json_access_log_has_the_request_id_and_no_token(app, log_output) -> None:
    credentials = await _credentials(app)
    response = await app.test_client().get("/health", headers={"X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    access = [e for e in lines if e["logger"] == "maigie.access"]
    assert access[-1]["request_id"] == "trace-42" and access[-1]["path"] == "/health"
    assert all(e["request_id"] and e["level"] == "INFO" for e in access)
    feed_lines = [e for e in access if "/feed/" in e["path"]]
    assert [e["path"] for e in feed_lines] == ["/api/v1/schedule/feed/[redacted].ics"]
    assert any(e["logger"] == "maigie.mail" for e in lines)  # the mails were logged...
    text = log_output.getvalue()
    for name, secret in credentials.items():  # ...without their links' tokens
        assert secret not in text, f"the {name} token is in the log"


async def test_error_logs_are_redacted_too(app, log_output) -> None:
    token = (await Api(app).register("bob@example.com"))["access_token"]
    try:
        raise RuntimeError(f"could not open /ws?token={token} with Authorization: Bearer {token}")
    except RuntimeError:
        logging.getLogger("maigie.errors").exception("failed: Bearer %s", token)
    text = log_output.getvalue()
    assert token not in text
    assert "?token=[redacted]" in text and "Bearer [redacted]" in text


async def test_hypercorn_access_log_is_redacted(make_app, tmp_path: Path) -> None:
    """An operator's ``--access-logfile`` with the query string and headers in it."""
    app = make_app(plugins={"schedule": maigie_schedule})  # started by hypercorn below
    port = free_port()
    access_file = tmp_path / "access.log"
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = str(access_file)
    config.access_log_format = '"%(R)s" %(s)s "%({authorization}i)s" "%(q)s"'
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        await wait_for_port(port)
        token = (await Api(app).register("cy@example.com"))["access_token"]
        feed_doc = await app.test_client().get("/api/v1/schedule/feed", headers=bearer(token))
        feed = (await feed_doc.get_json())["url"].rsplit("/", 1)[1]
        base = f"http://127.0.0.1:{port}"

        def fetch(path: str) -> None:
            request = urllib.request.Request(base + path, headers=bearer(token))
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=5).read()

        await asyncio.to_thread(fetch, f"/health?token={token}&state=st-987654")
        await asyncio.to_thread(fetch, f"/api/v1/schedule/feed/{feed}")
        async with connect(f"ws://127.0.0.1:{port}/api/v1/realtime/ws?token={token}") as ws:
            await ws.recv()
    finally:
        stop.set()
        await server
    text = access_file.read_text()
    assert "/health?token=[redacted]&state=[redacted]" in text
    assert "/api/v1/realtime/ws?token=[redacted]" in text
    assert "Bearer [redacted]" in text
    assert token not in text and "st-987654" not in text and feed.removesuffix(".ics") not in text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /ws?token=abc&last_event_id=5", "GET /ws?token=[redacted]&last_event_id=5"),
        ("?refresh_token=r1&access_token=a1", "?refresh_token=[redacted]&access_token=[redacted]"),
        ("callback?code=c0de&state=5tate", "callback?code=[redacted]&state=[redacted]"),
        ("authorization: basic dXNlcjpwYXNz", "authorization: basic [redacted]"),
        ("feed/eyJ1IjoiYWJjIiwidiI6MX0.Zx9sig.ics", "feed/[redacted]"),
        ("zlib .eJyrVkrOz0vOSU0pSi0uyczPU7JSSs9ILUoFAF5YCAo.Zx.sig", "zlib [redacted]"),
        ("postcode=1 monkey=2 page=3", "postcode=1 monkey=2 page=3"),
    ],
)
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected
