"""Benchmark: a debate with 10,000 posts.

Builds a fresh database through the real migrations (PostgreSQL by default, the
production setup; ``--backend sqlite`` for the embedded one), opens a public debate
through the real service and loads 10,000 posts (8,000 top-level, 2,000 replies, some
agreement counts) in bulk. Then measures, through the real app (Litestar ``TestClient``,
templates rendered, a visitor's request):

- the first page of the debate (``/discussions/<id>``), p50/p95 over ``--requests``;
- a deep page (the last one, ``?page=400``: OFFSET 7,980), p50/p95;
- posting: ``app.discussions.services.post`` one post per transaction (rights, flood
  check, insert, follow, audit event, commit) from 500 member accounts in turn, posts/s,
  one poster after another and with ``--workers`` (4) posting at the same time.

Targets (issue 11): first page p95 < 100 ms, deep page p95 < 150 ms, posting >= 100/s on
PostgreSQL. Prints the load average before and after: the machine may be shared.

Run: ``.venv/bin/python -m bench.discussions [--backend postgres|sqlite] [--requests 200]``
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTS = 10_000
REPLIES = 2_000
POSTERS = 500
TARGETS = {"first page": 100.0, "deep page": 150.0}


def _create_postgres(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"sw_bench_disc_{uuid.uuid4().hex[:8]}"
    parsed = make_url(admin_url)
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        dbname=parsed.database or "postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


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


def seed(url: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A unit, its staff, 500 member accounts, a public debate with 10,000 posts."""
    from app.accounts.models import Account, Role, RoleAssignment
    from app.core import migrate
    from app.core.db import Database, utcnow
    from app.discussions import services
    from app.discussions.models import Post, PostScope, ReadScope
    from app.organisations.models import Member, Unit, UnitLevel
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
        posters: list[uuid.UUID] = []
        for number in range(POSTERS):
            member = Member(
                membership_number=f"B{number:07d}",
                unit_id=unit.id,
                given_name=f"Vorname{number}",
                family_name=f"Nachname{number}",
            )
            session.add(member)
            session.flush()
            account = Account(
                email=f"m{number}@bench.example",
                display_name=f"Vorname{number} Nachname{number}",
                member_id=member.id,
                created_at=utcnow() - timedelta(days=30),
            )
            session.add(account)
            session.flush()
            posters.append(account.id)
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
                "author_id": posters[number % POSTERS],
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
                    "author_id": posters[number % POSTERS],
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
    return debate_id, posters


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def measure_pages(url: str, debate_id: uuid.UUID, requests: int) -> dict[str, tuple[float, float]]:
    from litestar.testing import TestClient

    from app.core.settings import DatabaseSettings, get_settings
    from app.server import create_app

    settings = dataclasses.replace(get_settings(), database=DatabaseSettings(url=url))
    results = {}
    with TestClient(create_app(settings), base_url="https://bench.local") as client:
        for kind, path in (
            ("first page", f"/discussions/{debate_id}"),
            ("deep page", f"/discussions/{debate_id}?page=400"),
        ):
            first = client.get(path)
            assert first.status_code == 200, first.status_code
            assert "Beitrag" in first.text
            samples = []
            for _ in range(requests):
                began = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
            results[kind] = _percentiles(samples)
    return results


def measure_posting(
    url: str, debate_id: uuid.UUID, posters: list[uuid.UUID], count: int, workers: int = 1
) -> float:
    """Posts per second; ``workers`` threads post at the same time (as several members
    on several app processes do), each with its own session and its own accounts."""
    from concurrent.futures import ThreadPoolExecutor

    from app.accounts.models import Account
    from app.core.db import Database
    from app.discussions import services
    from app.discussions.models import Discussion

    database = Database(url)

    def run(worker: int) -> None:
        mine = posters[worker::workers]
        with database.session() as session:
            debate = session.get(Discussion, debate_id)
            accounts = [session.get(Account, account_id) for account_id in mine]
            for number in range(count // workers):
                author = accounts[number % len(accounts)]
                services.post(session, debate, author, f"Neuer Beitrag {worker}/{number}")

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, range(workers)))
    elapsed = time.perf_counter() - began
    database.dispose()
    return (count // workers) * workers / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    admin = os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = ""
    with tempfile.TemporaryDirectory() as folder:
        if args.backend == "postgres":
            url, name = _create_postgres(admin)
        else:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        os.environ["STIMMWERK_DATABASE_URL"] = url
        os.environ.setdefault("STIMMWERK_VAR_DIR", folder)
        try:
            began = time.perf_counter()
            debate_id, posters = seed(url)
            print(
                f"backend {args.backend}: seeded {POSTS} posts"
                f" in {time.perf_counter() - began:.1f} s"
            )
            for kind, (median, p95) in measure_pages(url, debate_id, args.requests).items():
                verdict = "ok" if p95 < TARGETS[kind] else "MISSED"
                print(
                    f"{kind:10s} median {median:6.1f} ms  p95 {p95:6.1f} ms"
                    f"  (target p95 < {TARGETS[kind]:.0f} ms: {verdict})"
                )
            rate = measure_posting(url, debate_id, posters, args.posts)
            print(f"posting    {rate:6.1f} posts/s, one poster after another")
            rate = measure_posting(url, debate_id, posters, args.posts, workers=args.workers)
            print(f"posting with {args.workers} concurrent posters:")
            print(
                f"posting    {rate:6.1f} posts/s over {args.posts} posts"
                f" (target >= 100/s: {'ok' if rate >= 100 else 'MISSED'})"
            )
        finally:
            if name:
                _drop_postgres(admin, name)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
