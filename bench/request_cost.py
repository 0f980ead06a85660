"""Benchmark: CPU per request of the two hot paths, in one process, without HTTP.

Run: ``.venv/bin/python -m bench.request_cost [--requests 2000] [--only sign|answer]
[--at-once 1]``

Throughput on a shared two-core machine depends on whatever else runs; the CPU one
request costs does not (much: it falls when requests overlap, as wake-ups are
shared). This calls the ASGI app directly (no server, no sockets; one request at a
time, or ``--at-once`` of them in the handler threads) on a fresh PostgreSQL database
and prints, per request:

- ``app``: CPU of this process (the app, plus the few microseconds of the driver loop),
- ``postgres``: CPU of the database's server processes for this database.

Paths:

- ``sign``: an initiative's sign form (``POST /initiatives/<id>/sign``) with each
  signer's own login session and the CSRF token, as ``bench.initiative_signing`` sends
  it; sessions older than a minute, so each request also touches its session. Then the
  live count fragment and the initiative page, as a visitor.
- ``answer``: a survey answer line (``POST /api/surveys/<id>/answers``) made by the
  Python client from a blind-signed credential, as ``bench.survey_load`` sends it.

The sum of the two figures is what a request costs the machine: two cores give at most
2,000 / (app + postgres) requests a second, before the load generator and any waiting.
Asserts nothing about timing; exits 1 if a request is not answered as expected.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import redis

from bench.cast_load import DEFAULT_PG, HTTP_CREATED, SECRET_KEY, machine, scratch_postgres

HOST = "127.0.0.1:8400"
BROKER_DB = 6
WARM_UP = 50
FORM = "application/x-www-form-urlencoded"


async def call(app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Any:
    """One request through the ASGI app; (status, headers, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": HOST, **headers}.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8400),
        "state": {},
    }
    sent = False
    answer: dict[str, Any] = {"status": 0, "headers": [], "body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the app never reads past the body
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], message["headers"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["headers"], answer["body"]


def postgres_cpu(database: str) -> float:
    """CPU seconds of the server processes serving ``database`` (Linux /proc)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            command = (process / "cmdline").read_bytes().decode(errors="replace")
            if "postgres" not in command or database not in command:
                continue
            fields = (process / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


AT_ONCE = [1]
"""Requests in flight at a time (``--at-once``); one by default."""


async def _run_all(bodies: Sequence[Any], one: Callable[[Any], Awaitable[bool]]) -> bool:
    """``one`` over ``bodies``, ``AT_ONCE[0]`` at a time (as a server's handler threads
    see them: the handlers run in the same thread pool and under the same lock)."""
    if AT_ONCE[0] == 1:
        for body in bodies:
            if not await one(body):
                return False
        return True
    free = asyncio.Semaphore(AT_ONCE[0])

    async def limited(body: Any) -> bool:
        async with free:
            return await one(body)

    return all(await asyncio.gather(*(limited(body) for body in bodies)))


STATEMENTS = [0]
"""Statements sent by any engine of this process (`count_statements`)."""


def count_statements() -> None:
    """Count every statement the app's engine sends (its round trips, with the commits
    and rollbacks the connection pool sends)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def counted(*_: Any) -> None:
        STATEMENTS[0] += 1

    event.listen(Engine, "before_cursor_execute", counted)
    event.listen(Engine, "commit", counted)
    event.listen(Engine, "rollback", counted)


def transactions(url: str) -> tuple[int, int]:
    """The database's commits and rollbacks so far (PostgreSQL's statistics)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def measure(
    label: str,
    url: str,
    bodies: Sequence[Any],
    one: Callable[[Any], Awaitable[bool]],
) -> bool:
    """Warm up, then time ``one`` over the rest; print CPU, round trips and
    transactions per request."""
    database = url.rsplit("/", 1)[1]
    for body in bodies[:WARM_UP]:
        if not await one(body):
            print(f"{label}: unexpected answer while warming up")
            return False
    rest = bodies[WARM_UP:]
    xacts_before, statements_before = transactions(url), STATEMENTS[0]
    app_before, db_before = time.process_time(), postgres_cpu(database)
    started = time.perf_counter()
    if not await _run_all(rest, one):
        print(f"{label}: unexpected answer")
        return False
    app_ms = 1000 * (time.process_time() - app_before) / len(rest)
    db_ms = 1000 * (postgres_cpu(database) - db_before) / len(rest)
    wall_ms = 1000 * (time.perf_counter() - started) / len(rest)
    # pg_stat_database counts are sent at the end of each transaction, at most every
    # half second: close enough over a run of thousands.
    await asyncio.sleep(1.0)
    commits, rollbacks = (b - a for a, b in zip(xacts_before, transactions(url), strict=True))
    statements = (STATEMENTS[0] - statements_before) / len(rest)
    print(
        f"{label:<34} n {len(rest):5d}  app {app_ms:5.2f} ms  postgres {db_ms:5.2f} ms  "
        f"sum {app_ms + db_ms:5.2f} ms  (wall {wall_ms:5.2f} ms, {AT_ONCE[0]} at a time); "
        f"per request: {statements:.1f} round trips, {commits / len(rest):.2f} commits, "
        f"{rollbacks / len(rest):.2f} rollbacks"
    )
    return True


def _app(url: str, scratch: Path) -> Any:
    os.environ.update(
        {
            "STIMMWERK_DATABASE_URL": url,
            "STIMMWERK_VAR_DIR": str(scratch),
            "STIMMWERK_COOKIE_SECURE": "0",
            "STIMMWERK_BASE_URL": f"http://{HOST}",
        }
    )
    from app.core.settings import get_settings
    from app.server import create_app

    get_settings.cache_clear()
    return create_app()


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str:
    for key, value in headers:
        if key == b"set-cookie" and value.startswith(f"{name}=".encode()):
            return value.decode().split(";")[0].split("=", 1)[1]
    raise RuntimeError(f"no {name} cookie")


def sign_cost(requests: int, scratch: Path) -> bool:
    from bench import initiative_signing as signing

    with scratch_postgres(os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_PG)) as url:
        # The new initiative's notice (a task, queued at admission) goes to a broker
        # nobody reads, emptied afterwards, as in `bench.initiative_signing`.
        broker = f"redis://127.0.0.1:6379/{BROKER_DB}"
        os.environ["STIMMWERK_DATABASE_URL"] = url
        os.environ["STIMMWERK_BROKER_URL"] = broker
        world = signing.seed(url, max(3000, requests + 100), requests + WARM_UP, 0)
        redis.Redis.from_url(broker).flushdb()
        tokens = signing.bulk_sessions(url, world.signer_accounts)
        signing.vacuum(url)
        app = _app(url, scratch)
        page = f"/initiatives/{world.initiative_id}"

        async def run() -> bool:
            _, headers, _ = await call(
                app, "GET", page, {"cookie": f"{signing.SESSION_COOKIE}={tokens[0]}"}
            )
            csrf = _cookie(headers, signing.CSRF_COOKIE)
            form = f"_csrf_token={csrf}".encode()

            async def sign(token: str) -> bool:
                cookies = f"{signing.SESSION_COOKIE}={token}; {signing.CSRF_COOKIE}={csrf}"
                status, _, _ = await call(
                    app, "POST", f"{page}/sign", {"content-type": FORM, "cookie": cookies}, form
                )
                return bool(status in signing.REDIRECTS)

            async def read(path: str) -> bool:
                status, _, _ = await call(app, "GET", path, {})
                return bool(status == 200)

            reads = min(requests, 500) + WARM_UP
            return (
                await measure("sign form (logged in, CSRF)", url, tokens, sign)
                and await measure("count fragment (visitor)", url, [f"{page}/count"] * reads, read)
                and await measure("initiative page (visitor)", url, [page] * reads, read)
            )

        return asyncio.run(run())


def answer_cost(requests: int, scratch: Path) -> bool:
    from bench import survey_load as surveys

    os.environ["STIMMWERK_SECRET_KEY"] = SECRET_KEY  # the app decrypts the issuer keys
    os.environ["STIMMWERK_CAST_PER_MINUTE"] = "0"  # every answer comes from one address
    with scratch_postgres(os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_PG)) as url:
        world = surveys.seed(url, requests + WARM_UP + 500, random.Random(12))
        survey_id = surveys.open_survey(url, world, 3072)
        lines = surveys.make_answers(url, survey_id, world["ids"][: requests + WARM_UP])
        app = _app(url, scratch)
        path = f"/api/surveys/{survey_id}/answers"

        async def answer(line: bytes) -> bool:
            status, _, _ = await call(app, "POST", path, {"content-type": "application/json"}, line)
            return bool(status == HTTP_CREATED)

        return asyncio.run(measure("survey answer (no login)", url, lines, answer))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured per path")
    parser.add_argument("--only", choices=["sign", "answer"])
    parser.add_argument("--at-once", type=int, default=1, help="requests in flight at a time")
    args = parser.parse_args(argv)
    AT_ONCE[0] = max(1, args.at_once)
    count_statements()
    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="stimmwerk-cost-") as tmp:
        if args.only in (None, "sign"):
            ok = sign_cost(args.requests, Path(tmp) / "sign") and ok
        if args.only in (None, "answer"):
            ok = answer_cost(args.requests, Path(tmp) / "answer") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
