"""Property-based fuzzing of the whole OpenAPI document (issue 10) with schemathesis.

The app runs in-process (schemathesis' ASGI transport) with every built-in plugin. Every
operation is fuzzed with valid (positive) and invalid (negative) inputs as an ordinary
(free) user whose bearer token is on every request (admin routes must answer it 403),
then the operations that refused the free user with 403 again once that user is
premium (so premium-only routes are fuzzed past their tier check), then the admin
routes as an administrator. The user owns one real object of each kind and
half the examples with an id in the path use it, so bodies reach real objects, not only
404s. Each response must not be a 5xx and, where the document declares a schema for its
status code, must match it.

Bounded and reproducible: ``MAIGIE_FUZZ_EXAMPLES`` examples (default 15) per operation
and mode, derandomized, no deadline; about 45 s on SQLite. Raise it for a deeper run:
``MAIGIE_FUZZ_EXAMPLES=60 pytest tests/fuzz`` (about 3 minutes). The long campaign, against
a real ``maigie serve`` with every schemathesis phase, is ``bench/fuzz_served.py``.
Findings so far are fixed in the code, each with a regression test next to its module.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from auth_support import CHEAP_HASH, PASSWORD
from db_support import truncate_all
from fuzz_support import seed_objects
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from quart import Quart
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from maigie_core import create_app, load_settings
from maigie_core.auth.models import User
from maigie_core.db.migrations import apply_migrations
from maigie_core.runtime import runtime

PG_URL = os.environ.get("MAIGIE_TEST_DATABASE_URL", "")
MAX_EXAMPLES = int(os.environ.get("MAIGIE_FUZZ_EXAMPLES", "15"))

# Not part of the API contract being fuzzed: the document itself and its HTML viewers.
EXCLUDED_PATHS = ["/openapi.json", "/docs", "/redoc"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quart]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    overrides: dict[str, Any] = {
        "MAIGIE_DATA_DIR": str(data_dir),
        "ENVIRONMENT": "test",
        "STRICT_PLUGINS": True,
        "ACCESS_LOG": False,
        "TASKS_IMMEDIATE": True,
        # The fuzzer's one user must not be throttled into a wall of 429s.
        "LOGIN_RATE_PER_MINUTE": 100_000,
        "AI_CHAT_RATE_PER_MINUTE": 100_000,
        **CHEAP_HASH,
    }
    if PG_URL:
        overrides["DATABASE_URL"] = PG_URL
    app = create_app(load_settings(environ={}, **overrides), entry_points=True)
    apply_migrations(runtime(app).db, runtime(app).migrations)
    yield app
    asgi.shutdown_lifespans()
    if PG_URL:
        truncate_all(PG_URL)


Caller = tuple[str, dict[str, str]]  # bearer token, known ids by path parameter name


def _register(client: Any, email: str) -> str:
    response = client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Fuzzer"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def fuzz_user(fuzz_app: Quart) -> Caller:
    """The fuzzer's bearer token and one real object of each kind it owns.

    Generated ids are random UUIDs (404); half the examples of an operation with an id in
    its path get the id of a real object instead, so bodies and queries are fuzzed
    against existing courses, goals, blocks and so on.
    """
    with asgi.get_client(fuzz_app) as client:
        token = _register(client, "fuzzer@example.com")
        known = {**seed_objects(client, token), "provider": "google"}
    return token, known


@pytest.fixture(scope="module")
def fuzz_admin(fuzz_app: Quart, fuzz_user: Caller) -> Caller:
    """An administrator, whose ``user_id`` is a third account it may fuzz at will."""
    with asgi.get_client(fuzz_app) as client:
        token = _register(client, "fuzz-admin@example.com")
        victim = _register(client, "fuzz-victim@example.com")
        victim_id = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {victim}"})
    db = runtime(fuzz_app).db
    with db.allow_sync():
        User.update(role="admin").where(User.email == "fuzz-admin@example.com").execute()
    return token, {**fuzz_user[1], "user_id": victim_id.json()["id"]}


def _make_premium(app: Quart, admin_token: str, user_id: str) -> None:
    """Upgrade the fuzzer's user through the admin API (effective on its next request)."""
    with asgi.get_client(app) as client:
        answer = client.patch(
            f"/api/v1/admin/users/{user_id}",
            json={"tier": "premium_yearly"},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Quart) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    return schema.exclude(path=EXCLUDED_PATHS)


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    caller: Caller,
    statuses: Counter[int],
) -> None:
    token, known = caller
    # A DELETE with a real id would remove the object the later operations are fuzzed on.
    may_use_known = operation.method.upper() != "DELETE"

    @given(case=operation.as_strategy(generation_mode=mode), use_known=st.booleans())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, use_known: bool) -> None:
        if may_use_known and use_known and case.path_parameters:
            for name in case.path_parameters:
                if name in known:
                    case.path_parameters[name] = known[name]
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, response_schema_conformance],
        )
        statuses[response.status_code] += 1

    run()


def test_openapi_fuzz(
    fuzz_app: Quart, api_schema: Any, fuzz_user: Caller, fuzz_admin: Caller
) -> None:
    """Every operation, valid and invalid inputs: no 5xx, declared schemas respected.

    First every operation as an ordinary user (admin routes must answer 403), then the
    operations that answered that free user 403 once they are premium, then the admin
    routes again as an administrator.
    """
    failures: list[str] = []
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    operations = [result.ok() for result in api_schema.get_all_operations()]

    def fuzz(passes: list[tuple[Any, Caller, str]]) -> None:
        for operation, caller, label in passes:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _fuzz_operation(operation, mode, caller, statuses[label])
                except Unsatisfiable:
                    # Nothing in this operation can be made invalid (no parameters, no
                    # body, or only free-form strings): there is no negative case to send.
                    if mode is not GenerationMode.NEGATIVE:
                        raise
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"{label} [{mode.value}]: {exc}")

    fuzz([(op, fuzz_user, op.label) for op in operations])
    gated = [
        op
        for op in operations
        if statuses[op.label][403] and not op.path.startswith(("/api/v1/admin/", "/api/v1/auth/"))
    ]
    _make_premium(fuzz_app, fuzz_admin[0], fuzz_user[1]["user_id"])
    fuzz([(op, fuzz_user, f"premium: {op.label}") for op in gated])
    fuzz(
        [
            (op, fuzz_admin, f"admin: {op.label}")
            for op in operations
            if op.path.startswith("/api/v1/admin/")
        ]
    )
    for label, counts in sorted(statuses.items()):
        print(f"{label}: {dict(sorted(counts.items()))}")
    assert len(operations) > 30, f"only {len(operations)} operations in the document"
    # The fuzzing got past authentication: many operations answered with a success.
    succeeded = [label for label, counts in statuses.items() if any(200 <= s < 300 for s in counts)]
    assert len(succeeded) >= 40, f"only {len(succeeded)} operations ever succeeded"
    # Premium-only routes were reached past their tier check.
    assert gated and any(label.startswith("premium: ") for label in succeeded), gated
    assert not failures, f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures)
