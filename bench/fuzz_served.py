"""The long fuzzing campaign: schemathesis against a real ``maigie serve``, as three users.

    python bench/fuzz_served.py                                  # SQLite, 100 examples
    python bench/fuzz_served.py --examples 300 --seed 7
    python bench/fuzz_served.py --database-url postgresql://postgres@127.0.0.1/fuzz \\
        --redis-url redis://127.0.0.1:6379/7                     # PostgreSQL + Redis

CI runs ``tests/fuzz`` in-process with 15 examples per operation; this runs the served
app (hypercorn, its body limits and connection handling included) with every phase of
``st run`` (examples, coverage, fuzzing, stateful links), as a free user, a premium user
and an administrator. Each user owns one object of every kind; half of the generated
path parameters are that user's real ids (a schemathesis dictionary), so bodies reach
real objects instead of 404s. The checks are "no 5xx" and "responses match their
documented schema"; the server's log must hold no unhandled error. Reports (JSON, plus
one reproducing curl per failure in the output) go to ``--out`` (default
bench/results/fuzz/). Exit status 1 when anything failed.

Accounts are created through the API and the CLI (``maigie users set-tier``/``set-role``);
the PostgreSQL database is migrated, not emptied: give it a database of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fuzz_support import seed_objects

BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"
# Operations that end the caller's own session or account mid-run.
EXCLUDED_OPERATIONS = ["delete_delete_me", "post_logout", "post_change_password"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(args: argparse.Namespace, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAIGIE_TEST")}
    env.update(
        MAIGIE_DATA_DIR=data_dir,
        ENVIRONMENT="development",  # a 500's envelope names the exception
        SECRET_KEY="fuzz-" + uuid.uuid4().hex,
        ACCESS_TOKEN_EXPIRE_MINUTES="1440",
        LOGIN_RATE_PER_MINUTE="1000000",
        AI_CHAT_RATE_PER_MINUTE="1000000",
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="1024",
        PASSWORD_HASH_PARALLELISM="1",
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
        env["REDIS_KEY_PREFIX"] = f"fuzz{uuid.uuid4().hex[:6]}:"
    return env


def register(client: httpx.Client, role: str) -> tuple[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    answer = client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": role}
    )
    answer.raise_for_status()
    return email, str(answer.json()["access_token"])


def config(ids: dict[str, str]) -> str:
    """schemathesis.toml: each id is the caller's real one half of the time."""
    lines = []
    for name, value in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = [{json.dumps(value)}]", ""]
    lines.append("[parameters]")
    lines += [f'{name} = {{ dictionary = "{name}", probability = 0.5 }}' for name in ids]
    return "\n".join(lines) + "\n"


def campaign(
    args: argparse.Namespace, base: str, role: str, token: str, ids: dict[str, str]
) -> int:
    out = Path(args.out) / f"{args.label}-{role}"
    out.mkdir(parents=True, exist_ok=True)
    toml = out / "schemathesis.toml"
    toml.write_text(config(ids))
    command = [
        str(BIN / "st"),
        "--config-file",
        str(toml),
        "run",
        f"{base}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--suppress-health-check",
        "all",
        "--exclude-path-regex",
        "^/(docs|redoc|openapi\\.json)$",
        "--report",
        "json",
        "--report-dir",
        str(out),
    ]
    for operation in EXCLUDED_OPERATIONS:
        command += ["--exclude-operation-id", operation]
    if role != "admin":
        command += ["--exclude-path-regex", "^/api/v1/admin/"]
    else:
        command += ["--include-path-regex", "^/api/v1/admin/"]
    started = time.monotonic()
    with (out / "st.log").open("w") as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    summary = [ln for ln in (out / "st.log").read_text().splitlines() if "generated" in ln]
    print(f"{args.label} {role}: exit {status} in {time.monotonic() - started:.0f} s; {summary}")
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=100, help="per operation and phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default="2", help="schemathesis workers")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "fuzz"))
    args = parser.parse_args()
    args.label = "postgres" if args.database_url else "sqlite"
    data_dir = tempfile.mkdtemp(prefix="maigie-fuzz-")
    env = server_env(args, data_dir)
    if args.database_url:
        subprocess.run([str(BIN / "maigie"), "migrate"], env=env, check=True)
    port = free_port()
    log_path = Path(data_dir) / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(BIN / "maigie"), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    failed = 0
    try:
        client = httpx.Client(base_url=base, timeout=30)
        for _ in range(150):
            try:
                if client.get("/ready").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        callers = {}
        for role in ("free", "premium", "admin"):
            email, token = register(client, role)
            if role == "premium":
                cli = ["users", "set-tier", email, "premium_yearly"]
                subprocess.run([str(BIN / "maigie"), *cli], env=env, check=True)
            if role == "admin":
                cli = ["users", "set-role", email, "admin"]
                subprocess.run([str(BIN / "maigie"), *cli], env=env, check=True)
            callers[role] = (token, seed_objects(client, token))
        for role, (token, ids) in callers.items():
            failed |= campaign(args, base, role, token, ids)
    finally:
        server.terminate()
        server.wait(30)
    unhandled = log_path.read_text().count("unhandled error")
    print(f"{args.label}: server log {log_path}: {unhandled} unhandled error(s)")
    return 1 if failed or unhandled else 0


if __name__ == "__main__":
    sys.exit(main())
