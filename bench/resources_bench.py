"""Scenarios for the resources plugin: search and listing over 10,000 resources.

Seeding 10,000 rows through the HTTP API would take minutes, so ``seed`` writes them
in SQL straight into the server's database (``DATABASE_URL`` or the embedded SQLite
file in ``MAIGIE_DATA_DIR``): the FTS5 triggers (SQLite) and the generated tsvector
column (PostgreSQL) index them exactly as rows created through the API. The user is
registered through the API; ``setup`` signs in and returns the request to replay.

Data (fixed random seed): 10,000 resources — 6,000 of the bench user, 500 shared,
3,500 private to 20 other users — titles of 3-7 and descriptions of 15-40 words from a
300-word study vocabulary, 1-3 tags. Half of all descriptions contain "learning" (the
common-term scenario).
"""

from __future__ import annotations

import json
import random
import sqlite3
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

EMAIL = "bench-resources@example.com"
PASSWORD = "bench password 123"
TOTAL, OWN, SHARED = 10_000, 6_000, 500

_BASE_WORDS = """
graph algorithms tree sorting search hash table array list queue stack heap binary
dynamic programming greedy recursion complexity network flow matching matrix vector
calculus integral derivative limit series probability statistics regression variance
distribution bayes entropy physics mechanics energy momentum wave quantum chemistry
molecule reaction bond organic biology cell gene protein evolution ecology history
revolution empire war economy market supply demand inflation policy law contract
language grammar vocabulary essay writing reading poetry novel philosophy ethics logic
proof theorem lemma set function relation category topology geometry algebra number
prime modular cryptography security encryption compiler parser lexer interpreter
database index query transaction normalization schema operating system process thread
memory cache disk file scheduling concurrency lock deadlock distributed consensus
replication cloud container kernel shell script python java rust haskell javascript
html css web server client protocol socket http api design pattern object class
interface testing debugging refactoring version control git review documentation
machine neural deep model training dataset feature classification clustering
optimization gradient descent loss accuracy precision recall evaluation benchmark
visualization chart plot dashboard spreadsheet accounting finance investment risk
portfolio marketing strategy management leadership team project agile planning
estimation budget research method experiment hypothesis analysis survey interview
theory practice exercise lecture tutorial workshop seminar course exam revision
flashcards summary notes chapter unit module lesson introduction advanced beginner
intermediate guide handbook reference cheat sheet problem solution example case study
""".split()  # noqa: SIM905
WORDS = list(dict.fromkeys(_BASE_WORDS))
TAGS = WORDS[:40]
TYPES = ["article", "video", "book", "course", "exercise", "other"]


def _call(base: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def login_headers(base: str) -> dict[str, str]:
    """Bearer headers of the bench user (registered by ``seed``)."""
    tokens = _call(base, "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _rows(user_id: uuid.UUID, hex_ids: bool) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(42)
    others = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(20)]
    start = datetime(2026, 1, 1)
    resources, tags = [], []
    for n in range(TOTAL):
        rid = uuid.UUID(int=rng.getrandbits(128), version=4)
        owner = user_id if n < OWN + SHARED else others[n % 20]
        title = " ".join(rng.choices(WORDS, k=rng.randint(3, 7))).capitalize()
        words = rng.choices(WORDS, k=rng.randint(15, 40))
        if n % 2:
            words.insert(rng.randrange(len(words)), "learning")
        tag_list = sorted(set(rng.sample(TAGS, rng.randint(1, 3))))
        when = start + timedelta(seconds=n * 37)
        key = rid.hex if hex_ids else str(rid)
        resources.append(
            (
                key,
                when,
                when,
                owner.hex if hex_ids else str(owner),
                OWN <= n < OWN + SHARED,
                title,
                f"https://example.com/r/{n}",
                TYPES[n % 6],
                " ".join(words),
                json.dumps(tag_list),
            )
        )
        for tag in tag_list:
            tid = uuid.UUID(int=rng.getrandbits(128), version=4)
            tags.append((tid.hex if hex_ids else str(tid), when, when, key, tag))
    return resources, tags


_INSERT_RESOURCE = (
    "INSERT INTO resources_resource (id, created_at, updated_at, owner_id, shared, title, url,"
    " type, description, tags) VALUES ({})"
)
_INSERT_TAG = "INSERT INTO resources_tag (id, created_at, updated_at, resource_id, tag) VALUES ({})"


def seed(base: str, env: dict[str, str]) -> None:
    """Register the bench user (API), then replace all resources with 10,000 (SQL)."""
    try:
        _call(base, "/api/v1/auth/register", {"email": EMAIL, "password": PASSWORD})
    except urllib.error.HTTPError as exc:
        if exc.code != 409:
            raise
    user_id = uuid.UUID(_call(base, "/api/v1/auth/me", headers=login_headers(base))["id"])
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        resources, tags = _rows(user_id, hex_ids=False)
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            cur.execute("TRUNCATE resources_tag, resources_resource")  # no dead rows left
            cur.executemany(_INSERT_RESOURCE.format(", ".join(["%s"] * 10)), resources)
            cur.executemany(_INSERT_TAG.format(", ".join(["%s"] * 5)), tags)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE resources_resource")
            conn.execute("VACUUM ANALYZE resources_tag")
        return
    resources, tags = _rows(user_id, hex_ids=True)
    path = Path(env["MAIGIE_DATA_DIR"]) / "maigie.db"
    conn = sqlite3.connect(path, timeout=30)
    with conn:
        conn.execute("DELETE FROM resources_tag")
        conn.execute("DELETE FROM resources_resource")
        conn.executemany(
            _INSERT_RESOURCE.format(", ".join(["?"] * 10)),
            [(r[0], str(r[1]), str(r[2]), *r[3:]) for r in resources],
        )
        conn.executemany(
            _INSERT_TAG.format(", ".join(["?"] * 5)),
            [(t[0], str(t[1]), str(t[2]), *t[3:]) for t in tags],
        )
    conn.execute("ANALYZE")
    conn.close()
