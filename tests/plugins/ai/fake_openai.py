"""A local server that speaks the OpenAI chat-completions protocol, scripted by tests.

It runs on a real socket in a thread, so the provider's httpx client is exercised as
in production (no mocks). Each ``POST /v1/chat/completions`` takes the next scripted
reply: ``text(...)``, ``tool_calls(...)``, ``status(503)``, ``slow(seconds, reply)`` or
``raw(body)``; every request body and header set is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(message: dict[str, Any], prompt: int = 11, completion_: int = 7) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion_,
            "total_tokens": prompt + completion_,
        },
    }


def text(content: str, **usage: int) -> dict[str, Any]:
    return {"json": completion({"role": "assistant", "content": content}, **usage)}


def tool_calls(*calls: tuple[str, Any], **usage: int) -> dict[str, Any]:
    """Calls as (name, arguments); a str argument is sent verbatim (it may be malformed)."""
    items = [
        {
            "id": f"call_{index}",
            "type": "function",
            "function": {
                "name": name,
                "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
            },
        }
        for index, (name, arguments) in enumerate(calls)
    ]
    message = {"role": "assistant", "content": None, "tool_calls": items}
    return {"json": completion(message, **usage)}


def status(code: int) -> dict[str, Any]:
    return {"status": code, "json": {"error": {"message": f"fake error {code}"}}}


def slow(seconds: float, reply: dict[str, Any]) -> dict[str, Any]:
    return {**reply, "sleep": seconds}


def raw(body: str) -> dict[str, Any]:
    return {"raw": body}


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    self._send(404, json.dumps({"error": "not found"}))
                    return
                reply = fake.script.popleft() if fake.script else text("(no script)")
                if reply.get("sleep"):
                    time.sleep(reply["sleep"])
                if "raw" in reply:
                    self._send(200, reply["raw"])
                else:
                    self._send(reply.get("status", 200), json.dumps(reply["json"]))

            def _send(self, code: int, payload: str) -> None:
                data = payload.encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def add(self, *replies: dict[str, Any]) -> None:
        self.script.extend(replies)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
