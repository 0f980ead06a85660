"""Benchmark: a debate with 10,000 posts, served by the real server over HTTP.

The production setup: PostgreSQL, ``stimmwerk serve --workers 2`` in its own process
group on a port of its own, and this script as the separate load process (httpx).

1. Builds a fresh PostgreSQL database through the real migrations (``--db-name``, dropped
   at the end; ``--backend sqlite`` for the embedded setup), opens a public debate through
   the real service and loads 10,000 posts (8,000 top-level, 2,000 replies, agreement
   counts) in bulk, plus ``--posters`` member accounts with a password.
2. Starts the server, waits for ``/healthz``.
3. Reads, one request after another, as a visitor and as a logged-in member (whose visit
   is written on every page view): the first page of the debate and a deep page (the
   last, ``?page=400``: OFFSET 7,980). Median, p95 and p99 over ``--requests``.
4. Posting: every poster logs in (the real login form), then ``--threads`` threads send
   the real post form (CSRF token, session cookie) as fast as the server answers, each
   poster up to the flood limit (6 posts a minute), so nothing is refused. Posts per
   second over the whole run, and the latency of a post (median, p95, p99).

Targets (issue 11): first page p95 < 100 ms, deep page p95 < 150 ms, posting >= 100
posts/s. Prints the machine (cores, load average before and after): it may be shared.

Run: ``.venv/bin/python -m bench.discussions --port 8200 --db-name stimmwerk_bench_h3``
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTS = 10_000
REPLIES = 2_000
PAGE_SIZE = 20
PASSWORD = "bench-password-123"
FLOOD_LIMIT = 6
"""Posts per member and minute (``services.LIMITS.member``): each poster stays within it."""
TARGETS = {"first page": 100.0, "deep page": 150.0}
POSTING_TARGET = 100.0


def _create_postgres(admin_url: str, name: str) -> str:
    import psycopg

    parsed = make_url(admin_url)
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        dbname=parsed.database or "postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    parsed = make_url(admin_url)
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        dbname=parsed.database or "postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _add_posters(session: Session, unit_id: int, count: int) -> tuple[list[uuid.UUID], list[str]]:
    """Member accounts that can log in with ``PASSWORD``."""
    from app.accounts import passwords
    from app.accounts.models import Account
    from app.core.db import utcnow
    from app.core.settings import get_settings
    from app.organisations.models import Member

    # One hash for all: the same password, and argon2 is slow on purpose.
    password_hash = passwords.hash_password(
        passwords.make_hasher(get_settings().security), PASSWORD
    )
    long_ago = utcnow() - timedelta(days=30)
    authors: list[uuid.UUID] = []
    emails: list[str] = []
    for number in range(count):
        member = Member(
            membership_number=f"B{number:07d}",
            unit_id=unit_id,
            given_name=f"Vorname{number}",
            family_name=f"Nachname{number}",
        )
        session.add(member)
        session.flush()
        account = Account(
            email=f"m{number}@bench.example",
            display_name=f"Vorname{number} Nachname{number}",
            member_id=member.id,
            password_hash=password_hash,
            email_verified_at=long_ago,
            created_at=long_ago,
        )
        session.add(account)
        session.flush()
        authors.append(account.id)
        emails.append(account.email)
    return authors, emails


def seed(url: str, posters_count: int) -> tuple[uuid.UUID, list[str]]:
    """A unit, its staff, member accounts with a password, a public debate with 10,000
    posts. Returns the debate's id and the posters' e-mail addresses."""
    from app.accounts.models import Account, Role, RoleAssignment
    from app.core import migrate
    from app.core.db import Database, utcnow
    from app.discussions import services
    from app.discussions.models import Post, PostScope, ReadScope
    from app.organisations.models import Unit, UnitLevel
    from app.registry import load_models

    load_models()
    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        unit = Unit(code="LV", name="Landesverband", level=UnitLevel.STATE, path="", depth=0)
        session.add(unit)
        session.flush()
        unit.path = f"/{unit.id}/"
        staff = Account(email="staff@bench.example", display_name="Stefanie Staff")
        session.add(staff)
        session.flush()
        session.add(RoleAssignment(account_id=staff.id, unit_id=unit.id, role=Role.STAFF))
        authors, emails = _add_posters(session, unit.id, posters_count)
        session.commit()
        draft = services.DebateDraft(
            title="Zehntausend Beiträge",
            opening="Eine lange Debatte.",
            closes_at=None,
            read_scope=ReadScope.PUBLIC,
            post_scope=PostScope.EVERYONE,
        )
        debate = services.open_debate(session, staff, unit, draft)
        rng = random.Random(11)
        start = utcnow() - timedelta(days=3)
        words = ["Radweg", "Schule", "Haushalt", "Satzung", "Antrag", "Bus", "Markt", "Zukunft"]
        rows = [
            {
                "id": number,
                "discussion_id": debate.id,
                "author_id": authors[number % len(authors)],
                "parent_id": None,
                "body": f"Beitrag {number}: " + " ".join(rng.choices(words, k=30)),
                "created_at": start + timedelta(seconds=number),
                "held": False,
                "agree_count": rng.randrange(20),
                "disagree_count": rng.randrange(5),
                "neutral_count": 0,
            }
            for number in range(1, POSTS - REPLIES + 1)
        ]
        for number in range(POSTS - REPLIES + 1, POSTS + 1):
            rows.append(
                {
                    **rows[0],
                    "id": number,
                    "author_id": authors[number % len(authors)],
                    "parent_id": rng.randrange(1, POSTS - REPLIES + 1),
                    "body": f"Antwort {number}",
                    "created_at": start + timedelta(seconds=number),
                }
            )
        session.execute(insert(Post), rows)
        session.commit()
        if database.engine.dialect.name == "postgresql":
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('discussion_posts', 'id'), "
                    "(SELECT MAX(id) FROM discussion_posts))"
                )
            )
            session.commit()
        debate_id = debate.id
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE discussion_posts")
    database.dispose()
    return debate_id, emails


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    """Median, p95 and p99 (nearest rank)."""
    ordered = sorted(samples)

    def rank(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]

    return statistics.median(ordered), rank(0.95), rank(0.99)


def _serve_command() -> list[str]:
    installed = Path(sys.executable).with_name("stimmwerk")
    if installed.exists():
        return [str(installed), "serve"]
    found = shutil.which("stimmwerk")
    return [found, "serve"] if found else [sys.executable, "-m", "app.cli", "serve"]


def start_server(
    url: str, var_dir: Path, port: int, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "STIMMWERK_DATABASE_URL": url,
        "STIMMWERK_VAR_DIR": str(var_dir),
        # Plain http on loopback: the load process must send the cookie without TLS.
        "STIMMWERK_COOKIE_SECURE": "0",
        "STIMMWERK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [
        *_serve_command(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-schedule",
    ]
    # Its own process group: stopping it stops its workers, and only them.
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at once (is port {port} taken?)")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("server did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _token(page: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = _token(client.get("/login").text)
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "_csrf_token": token}
    )
    assert answer.status_code in (302, 303), (email, answer.status_code)
    return client


def measure_pages(
    client: httpx.Client, debate_id: uuid.UUID, requests: int
) -> dict[str, tuple[float, float, float]]:
    deep = -(-(POSTS - REPLIES) // PAGE_SIZE)
    results = {}
    for kind, path in (
        ("first page", f"/discussions/{debate_id}"),
        ("deep page", f"/discussions/{debate_id}?page={deep}"),
    ):
        for _ in range(5):  # warm both workers' caches and connections
            assert client.get(path).status_code == 200
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.status_code
            assert "post-body" in response.text
        results[kind] = _percentiles(samples)
    return results


@dataclass
class Posting:
    posts: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.posts / self.seconds


def measure_posting(base: str, debate_id: uuid.UUID, emails: list[str], threads: int) -> Posting:
    """All posters log in first (not timed), then ``threads`` threads post through the
    real form, each poster ``FLOOD_LIMIT`` times (within the minute's limit)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        clients = list(pool.map(lambda email: log_in(base, email), emails))
    page = f"/discussions/{debate_id}"
    tokens = [_token(client.get(page).text) for client in clients]
    jobs = [(i, n) for n in range(FLOOD_LIMIT) for i in range(len(clients))]
    lock = threading.Lock()
    latencies: list[float] = []

    def run(worker: int) -> None:
        for index, number in jobs[worker::threads]:
            began = time.perf_counter()
            answer = clients[index].post(
                f"{page}/posts",
                data={
                    "body": f"Neuer Beitrag {index}/{number}: Radweg und Schule",
                    "_csrf_token": tokens[index],
                },
            )
            elapsed = (time.perf_counter() - began) * 1000
            assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
            with lock:
                latencies.append(elapsed)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(run, range(threads)))
    seconds = time.perf_counter() - began
    for client in clients:
        client.close()
    return Posting(len(jobs), seconds, latencies)


def _line(kind: str, figures: tuple[float, float, float], target: float | None) -> str:
    median, p95, p99 = figures
    verdict = (
        ""
        if target is None
        else f"  (target p95 < {target:.0f} ms: {'ok' if p95 < target else 'MISSED'})"
    )
    return f"  {kind:<26} median {median:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms{verdict}"


def _machine(url: str) -> str:
    version = ""
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.connect() as conn:
            version = " · " + str(conn.execute(text("SHOW server_version")).scalar())
        engine.dispose()
    return (
        f"machine: {os.cpu_count()} cores, {platform.machine()},"
        f" Python {platform.python_version()}, {platform.system()} {platform.release()}{version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--db-name", default=f"sw_bench_disc_{uuid.uuid4().hex[:8]}")
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--requests", type=int, default=300, help="per page kind and reader")
    parser.add_argument("--posters", type=int, default=200, help="each posts 6 times")
    parser.add_argument("--threads", type=int, default=8, help="posting threads")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    admin = os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    created = False
    with tempfile.TemporaryDirectory() as folder:
        if args.backend == "postgres":
            url = _create_postgres(admin, args.db_name)
            created = True
        else:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        os.environ["STIMMWERK_DATABASE_URL"] = url
        os.environ.setdefault("STIMMWERK_VAR_DIR", folder)
        server = None
        try:
            print(_machine(url))
            began = time.perf_counter()
            debate_id, emails = seed(url, args.posters)
            print(
                f"backend {args.backend}: seeded {POSTS} posts ({REPLIES} replies)"
                f" in {time.perf_counter() - began:.1f} s"
            )
            server, base = start_server(url, Path(folder), args.port, args.workers)
            print(f"server: stimmwerk serve --workers {args.workers} on port {args.port}")
            with httpx.Client(base_url=base, timeout=30) as visitor:
                for kind, figures in measure_pages(visitor, debate_id, args.requests).items():
                    print(_line(f"{kind} (visitor)", figures, TARGETS[kind]))
            with closing(log_in(base, emails[-1])) as member:
                for kind, figures in measure_pages(member, debate_id, args.requests).items():
                    print(_line(f"{kind} (member)", figures, TARGETS[kind]))
            posting = measure_posting(base, debate_id, emails, args.threads)
            print(
                f"  posting: {posting.posts} posts by {len(emails)} members in"
                f" {posting.seconds:.1f} s = {posting.rate:.1f} posts/s with {args.threads}"
                f" threads (target >= {POSTING_TARGET:.0f}/s:"
                f" {'ok' if posting.rate >= POSTING_TARGET else 'MISSED'})"
            )
            print(_line("one post (form to redirect)", _percentiles(posting.latencies), None))
        finally:
            if server is not None:
                stop_server(server)
            if created:
                _drop_postgres(admin, args.db_name)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
