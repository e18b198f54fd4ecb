"""IDOR on every object route of every plugin, walked from the app's OpenAPI document.

Alice owns one object of every kind the document lets a user create (plus a
conversation, a notification, her account). Bob then calls every route that has a path
parameter, with every method, with Alice's ids: each answer is the 404 envelope (403 on
admin routes, 405 for a method the route does not have) and carries none of Alice's
titles or ids; Alice's objects are unchanged afterwards. Bob's list routes never show
Alice's objects, and Bob cannot point his own objects at Alice's (``course_id`` …).

A new route with a path parameter this test cannot fill with one of Alice's ids fails
``test_every_routed_parameter_is_exercised`` until its id source is added
(``seeding.EXTRA_SOURCES``) or the route is listed in ``NOT_PER_USER`` with a reason.
"""

from __future__ import annotations

from typing import Any

from hostile_support import (
    API,
    METHODS,
    Caller,
    body_schema,
    fill,
    openapi,
    operations,
    path_params,
    valid_body,
)
from seeding import Seeded, seed

# Routes with a path parameter that is not one user's object, and why.
NOT_PER_USER = {
    f"{API}/auth/oauth/{{provider}}/authorize": "a provider name (google, github), no user data",
    f"{API}/auth/oauth/{{provider}}/callback": "a provider name; the state parameter is the check",
    f"{API}/schedule/feed/{{token}}.ics": "a capability URL: the secret token is the credential "
    "(tests/plugins/schedule check that a wrong or rotated token is 404)",
}


def _expected(path: str, method: str, documented: set[str]) -> tuple[int, str]:
    if method not in documented:
        return 405, "METHOD_NOT_ALLOWED"
    if path.startswith(f"{API}/admin/"):
        return 403, "FORBIDDEN"
    return 404, "RESOURCE_NOT_FOUND"


async def _snapshot(doc: dict[str, Any], alice: Seeded) -> dict[str, Any]:
    """Alice's own view of every GET route with her ids (to compare before and after)."""
    views = {}
    for method, path, _op in operations(doc):
        if method != "GET" or not path_params(path) or path in NOT_PER_USER:
            continue
        status, _, body = await alice.owner.call("GET", fill(path, alice.ids))
        views[path] = (status, body if status == 200 else (body or {}).get("code"))
    return views


async def _two_users(app: Any, alice: Caller, bob: Caller) -> tuple[dict[str, Any], Seeded, Seeded]:
    doc = await openapi(app)
    return doc, await seed(alice, doc, "Alicesecret7q"), await seed(bob, doc, "Bobown3x")


async def test_every_routed_parameter_is_exercised(full_app: Any, alice: Caller) -> None:
    doc = await openapi(full_app)
    seeded = await seed(alice, doc, "Alicesecret7q")
    missing = sorted(
        f"{path} ({param})"
        for _m, path, _op in operations(doc)
        if path not in NOT_PER_USER
        for param in path_params(path)
        if param not in seeded.ids
    )
    assert not missing, (
        "routes whose path parameters the IDOR test cannot fill with another user's id; "
        f"add an id source to tests/hostile/seeding.py or a reason to NOT_PER_USER: {missing}"
    )
    assert len([p for p in doc["paths"] if path_params(p)]) >= 15  # the walk is not empty


async def test_no_route_serves_or_changes_another_users_object(
    full_app: Any, alice: Caller, bob: Caller
) -> None:
    doc, mine, his = await _two_users(full_app, alice, bob)
    before = await _snapshot(doc, mine)
    unreadable = [
        p for p, (s, _) in before.items() if s != 200 and not p.startswith(f"{API}/admin")
    ]
    assert not unreadable, f"Alice cannot read her own objects at {unreadable}"
    documented: dict[str, dict[str, Any]] = {}
    for method, path, op in operations(doc):
        documented.setdefault(path, {})[method] = op
    failures = []
    tried = 0
    for path, ops in documented.items():
        if not path_params(path) or path in NOT_PER_USER:
            continue
        url = fill(path, mine.ids)
        for method in METHODS:
            op = ops.get(method, {})
            kwargs: dict[str, Any] = {}
            if body_schema(doc, op) is not None:
                kwargs["json"] = valid_body(doc, path, op, his.marker)
            status, text, body = await bob.call(method, url, **kwargs)
            tried += 1
            want_status, want_code = _expected(path, method, set(ops))
            code = body.get("code") if isinstance(body, dict) else None
            if (status, code) != (want_status, want_code):
                failures.append(f"{method} {path}: {status} {code}, wanted {want_status}")
            if leaks := mine.leaked(text):
                failures.append(f"{method} {path}: Bob's answer shows Alice's {leaks}")
    assert not failures, "\n".join(failures)
    assert tried >= 75  # 16 routes x 5 methods today
    assert await _snapshot(doc, mine) == before, "Bob's calls changed Alice's objects"


async def test_lists_never_show_another_users_objects(
    full_app: Any, alice: Caller, bob: Caller
) -> None:
    doc, mine, _his = await _two_users(full_app, alice, bob)
    lists = [
        path
        for method, path, _op in operations(doc)
        if method == "GET" and path.startswith(API) and not path_params(path)
    ]
    own_seen = []
    for path in lists:
        status, text, _ = await bob.call("GET", path)
        assert status < 500, (path, status, text)
        assert not mine.leaked(text), f"GET {path} as Bob shows Alice's {mine.leaked(text)}"
        status, text, _ = await alice.call("GET", path)
        if mine.marker in text:
            own_seen.append(path)
    # Not vacuous: Alice does see her own things through the same lists.
    for kind in ("courses", "goals", "schedule", "reminders", "resources", "notifications"):
        assert f"{API}/{kind}" in own_seen, (kind, own_seen)
    assert f"{API}/ai/conversations" in own_seen or any("ai" in p for p in own_seen)


# Body fields that name another object, and the parameter whose id they take.
REFERENCES = ("course_id", "goal_id", "topic_id", "task_id", "block_id", "conversation_id")


async def test_own_objects_cannot_point_at_another_users(
    full_app: Any, alice: Caller, bob: Caller
) -> None:
    """Every body field naming an object (``goal_id`` …) refuses Alice's ids to Bob."""
    doc, mine, his = await _two_users(full_app, alice, bob)
    failures = []
    tried = 0
    for method, path, op in operations(doc):
        schema = body_schema(doc, op)
        if schema is None or path in NOT_PER_USER or path.startswith(f"{API}/admin/"):
            continue
        for field in REFERENCES:
            if field not in schema.get("properties", {}):
                continue
            body = valid_body(doc, path, op, his.marker)
            if not isinstance(body, dict):
                continue
            # Only the one reference, to Alice's object (a topic goes with its course).
            for other in REFERENCES:
                body.pop(other, None)
            body[field] = mine.ids[field]
            if field == "topic_id" and "course_id" in schema["properties"]:
                body["course_id"] = mine.ids["course_id"]
            if field == "block_id" and "minutes_before" in schema["properties"]:
                body.pop("remind_at", None)  # a reminder is either at a time or before a block
                body["minutes_before"] = 10
            status, text, answer = await bob.call(method, fill(path, his.ids), json=body)
            tried += 1
            code = answer.get("code") if isinstance(answer, dict) else None
            if status not in (404, 422) or code not in ("RESOURCE_NOT_FOUND", "VALIDATION_ERROR"):
                failures.append(f"{method} {path} {field}=Alice's: {status} {text[:200]}")
            if leaks := mine.leaked(text.replace(mine.ids[field], "")):
                failures.append(f"{method} {path} {field}: shows Alice's {leaks}")
    assert not failures, "\n".join(failures)
    assert tried >= 10, tried
