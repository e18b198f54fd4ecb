# ruff: noqa: RUF001 (look-alike characters are the point of these tests)
"""SQL/FTS metacharacters in every query parameter, junk in every path parameter.

Both lists come from the OpenAPI document. Each answer is a 2xx or a 4xx envelope, never
a 500, and never shows the other user's objects; ``%`` and ``_`` are not wildcards.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote, urlencode

from auth_support import make_admin
from hostile_support import (
    API,
    METHODS,
    Caller,
    fill,
    openapi,
    operations,
    path_params,
    query_params,
)
from seeding import seed

from maigie_core.pagination import encode_cursor

METACHARACTERS = [
    "'",
    '"',
    "';--",
    "' OR '1'='1",
    "1; DROP TABLE users; --",
    "/* comment */",
    "*/",
    "%",
    "_",
    "%%",
    "\\",
    "\\'",
    "NEAR(a b)",
    "a AND b",
    "OR",
    "NOT x",
    "a*",
    "*",
    "^a",
    "title:a",
    "-a",
    '"unbalanced',
    "(((",
    ")",
    "{}",
    "[a]",
    "a:b:c",
    "\x00",
    "\u200b",
    "😀",
    "x" * 5000,
    "",
    " ",
]


async def test_metacharacters_in_every_query_parameter(
    full_app: Any, alice: Caller, bob: Caller
) -> None:
    doc = await openapi(full_app)
    mine, his = await seed(alice, doc, "Mine"), await seed(bob, doc, "Hisown")
    root = await Caller.register(full_app, "root@example.com")
    await make_admin(full_app, root.email)  # the admin routes' filters too
    values = {**mine.ids, "provider": "google", "token": "x"}
    failures = []
    tried = 0
    for method, path, op in operations(doc):
        if method != "GET" or not path.startswith(API):
            continue
        caller = root if path.startswith(f"{API}/admin") else alice
        params = [p["name"] for p in query_params(op)]
        if not params:
            continue
        url = fill(path, values)
        for name in params:
            for value in METACHARACTERS:
                status, text, body = await caller.call("GET", f"{url}?{urlencode({name: value})}")
                tried += 1
                where = f"GET {path}?{name}={value[:20]!r}"
                if status >= 500 or (status >= 400 and not (body or {}).get("code")):
                    failures.append(f"{where}: {status} {text[:200]}")
                elif caller is alice and his.leaked(text):  # an admin sees every account
                    failures.append(f"{where}: shows Bob's {his.leaked(text)}")
                elif status == 200 and value in ("%", "_", "%%") and mine.marker in text:
                    failures.append(f"{where}: a LIKE wildcard matched Alice's objects")
    assert not failures, "\n".join(failures)
    assert tried >= 300, tried


JUNK = [
    "..",
    "../",
    "../../etc/passwd",
    "%2e%2e%2f",
    "..%2f..%2f",
    "%252e%252e%252f",
    "....//",
    "a" * 5000,
    "-1",
    "0",
    "1.5",
    "1e9",
    "NaN",
    "null",
    "٣",  # Arabic-Indic digit three
    "１２３",  # fullwidth digits
    "𝟙",
    "%00",
    "' OR 1=1 --",
    "{00000000-0000-0000-0000-000000000000}",
    "00000000000000000000000000000000",
    "urn:uuid:00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-00000000000g",
    " ",
    "\u202e",
]


async def test_junk_in_every_path_parameter(full_app: Any, alice: Caller) -> None:
    doc = await openapi(full_app)
    mine = await seed(alice, doc, "Mine")
    documented: dict[str, set[str]] = {}
    for method, path, _op in operations(doc):
        documented.setdefault(path, set()).add(method)
    failures = []
    tried = 0
    for path, _methods in documented.items():
        for param in path_params(path):
            for junk in JUNK:
                for encoded in {quote(junk, safe=""), quote(junk, safe="/%")}:
                    url = fill(
                        path, {**mine.ids, "provider": "google", "token": "x", param: encoded}
                    )
                    for method in METHODS:
                        kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
                        status, _text, body = await alice.call(method, url, **kwargs)
                        tried += 1
                        code = (body or {}).get("code") if isinstance(body, dict) else None
                        # a 4xx envelope only: no 5xx, no 2xx, no redirect (Werkzeug's "//" 308)
                        if not (400 <= status < 500 and code):
                            failures.append(f"{method} {path} {param}={encoded[:30]}: {status}")
    assert not failures, "\n".join(failures[:40])
    assert tried >= 1000, tried


# A forged cursor's time -> the answers allowed: a page (a fine position) or the 422.
FORGED_CURSOR_TIMES = {
    "2030-01-01T00:00:00+23:59": (200, 422),  # was PostgreSQL "time zone displacement..."
    "0001-01-01T00:00:00+14:00": (422,),  # UTC conversion before year 1 (OverflowError)
    "9999-12-31T23:59:59-14:00": (422,),  # UTC conversion after year 9999
}


async def test_cursors_with_forged_times_are_never_a_500(full_app: Any, alice: Caller) -> None:
    """A cursor is opaque, but base64 is not a secret: a forged time is never a 500.

    Found by fuzzing a served app: every list answered 500 on PostgreSQL for the
    ``+23:59`` offset, the schedule and reminders on both engines for years 1 and 9999.
    """
    doc = await openapi(full_app)
    mine = await seed(alice, doc, "Mine")
    tried = 0
    failures = []
    for method, path, op in operations(doc):
        names = [p["name"] for p in query_params(op)]
        if method != "GET" or "cursor" not in names or path.startswith(f"{API}/admin"):
            continue
        for stamp, expected in FORGED_CURSOR_TIMES.items():
            cursor = encode_cursor(stamp, uuid.uuid4())
            status, text, body = await alice.call("GET", f"{fill(path, mine.ids)}?cursor={cursor}")
            tried += 1
            named = status == 422 and body["detail"][0]["loc"][-1:] == ["cursor"]
            if status not in expected or (status != 200 and not named):
                failures.append(f"GET {path} cursor time {stamp}: {status} {text[:200]}")
    assert not failures, "\n".join(failures)
    assert tried >= 8 * len(FORGED_CURSOR_TIMES), tried


def _query_type(param: dict[str, Any]) -> str | None:
    schema = param.get("schema", {})
    types = {s.get("type") for s in schema.get("anyOf", [schema])} - {"null"}
    return types.pop() if len(types) == 1 else None


async def test_every_query_parameter_given_twice_is_refused_naming_it(
    full_app: Any, alice: Caller
) -> None:
    """``?limit=5&limit=500`` was the first value on some lists (silently), a puzzling
    "not a valid integer" on others; no parameter is documented as multi-valued."""
    doc = await openapi(full_app)
    mine = await seed(alice, doc, "Mine")
    root = await Caller.register(full_app, "root@example.com")
    await make_admin(full_app, root.email)
    values = {**mine.ids, "provider": "google", "token": "x"}
    failures = []
    tried = 0
    for method, path, op in operations(doc):
        caller = root if path.startswith(f"{API}/admin") else alice
        for param in query_params(op):
            name = param["name"]
            url = f"{fill(path, values)}?{urlencode([(name, '1'), (name, '1')])}"
            kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            status, text, body = await caller.call(method, url, **kwargs)
            tried += 1
            detail = (body or {}).get("detail") if isinstance(body, dict) else None
            if status != 422 or detail != [
                {"loc": [name], "msg": detail[0]["msg"], "type": "repeated"}
            ]:
                failures.append(f"{method} {path}?{name} twice: {status} {text[:200]}")
    assert not failures, "\n".join(failures)
    assert tried >= 30, tried


LAX = {
    "integer": ["+5", " 5", "5.0", "5_0", "1e1", "0x5", "٥"],
    "boolean": ["1", "0", "yes", "no", "on", "off", "t", "True", "FALSE"],
}
CANONICAL = {"integer": "5", "boolean": "true"}


async def test_integers_and_booleans_in_query_strings_have_one_spelling(
    full_app: Any, alice: Caller
) -> None:
    """Digits for an integer, ``true``/``false`` for a boolean, on every route: pydantic's
    lax text parsing took ``5_0`` as fifty on some lists (the hand-parsed ones refused
    it) and ``yes``/``1``/``on`` as true."""
    doc = await openapi(full_app)
    root = await Caller.register(full_app, "root@example.com")
    await make_admin(full_app, root.email)
    failures = []
    tried = 0
    for method, path, op in operations(doc):
        if method != "GET" or "{" in path:
            continue
        caller = root if path.startswith(f"{API}/admin") else alice
        for param in query_params(op):
            name, kind = param["name"], _query_type(param)
            if kind not in LAX:
                continue
            status, text, _ = await caller.call("GET", f"{path}?{name}={CANONICAL[kind]}")
            if status != 200:
                failures.append(f"GET {path}?{name}={CANONICAL[kind]}: {status} {text[:200]}")
            for value in LAX[kind]:
                status, text, body = await caller.call("GET", f"{path}?{urlencode({name: value})}")
                tried += 1
                loc = (body or {}).get("detail", [{}])[0].get("loc") if status == 422 else None
                if loc != [name]:
                    failures.append(f"GET {path}?{name}={value!r}: {status} {text[:200]}")
    assert not failures, "\n".join(failures)
    assert tried >= 50, tried
