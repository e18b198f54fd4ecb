"""One object of every kind for a fuzzing caller: the in-process fuzz test and
bench/fuzz_served.py (a served app) seed the same way."""

from __future__ import annotations

from typing import Any


def seed_objects(client: Any, token: str) -> dict[str, str]:
    """One object of every kind for ``token``'s user: their ids by path parameter name.

    ``client`` is any requests-like client (httpx, schemathesis's ASGI client).
    """
    headers = {"Authorization": f"Bearer {token}"}

    def post(path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == status, (path, answer.text)
        return dict(answer.json())

    course = post(
        "/api/v1/courses",
        {"title": "Fuzz", "modules": [{"title": "M", "topics": [{"title": "T"}]}]},
    )
    goal = post("/api/v1/goals", {"title": "Fuzz", "tasks": [{"title": "t"}]})
    resource = post(
        "/api/v1/resources", {"title": "Fuzz", "url": "https://example.com/f", "type": "article"}
    )
    block = post(
        "/api/v1/schedule",
        {
            "title": "Fuzz",
            "start_at": "2030-01-01T10:00:00Z",
            "end_at": "2030-01-01T11:00:00Z",
            "rrule": "FREQ=DAILY;COUNT=5",
        },
    )
    reminder = post("/api/v1/reminders", {"message": "Fuzz", "remind_at": "2030-01-01T09:00:00Z"})
    chat = post("/api/v1/ai/chat", {"message": "hello"}, status=200)
    me = client.get("/api/v1/auth/me", headers=headers).json()
    feed = client.get("/api/v1/schedule/feed", headers=headers).json()
    return {
        "course_id": course["id"],
        "topic_id": course["modules"][0]["topics"][0]["id"],
        "goal_id": goal["id"],
        "task_id": goal["tasks"][0]["id"],
        "resource_id": resource["id"],
        "block_id": block["id"],
        "reminder_id": reminder["id"],
        "conversation_id": chat["conversation_id"],
        "user_id": me["id"],
        "token": feed["url"].rsplit("/", 1)[1].removesuffix(".ics"),
    }
