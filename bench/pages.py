"""Benchmark: latency of the paged member list of a unit with 50,000 members.

Builds the demo-sized register (400,000 members, 50,000 of them in ``OV-BIG``) through the
real migrations and import services, starts the real server (``stimmwerk serve``) in its
own process, logs in as the board of ``OV-BIG`` and requests list pages over HTTP:
the first page, random pages, the last page and a name search. Prints median and p95
per kind and backend. Target: median and p95 under 100 ms.

Run: ``.venv/bin/python -m bench.pages [--members N] [--backend sqlite|postgres|both]``
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.import_members import BIG_BRANCH, write_members_csv, write_units_csv

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password-123"
BOARD_EMAIL = "board@bench.example"
TARGET_MS = 100.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_database(url: str, units_csv: Path, members_csv: Path) -> None:
    """Migrate, import the register and create the board account of the big branch."""
    from app.accounts.models import Role
    from app.core import migrate
    from app.core.db import Database
    from app.core.settings import get_settings
    from app.organisations import units
    from app.organisations.admin_setup import ensure_account, ensure_role
    from app.organisations.imports import import_members, import_units

    migrate.upgrade(url)
    database = Database(url)
    settings = get_settings()
    with database.session() as session:
        import_units(session, units_csv)
    with database.session() as session:
        import_members(session, members_csv)
    with database.session() as session:
        account = ensure_account(
            session, settings, email=BOARD_EMAIL, name="Bench Board", password=PASSWORD
        )
        ensure_role(session, account, Role.BOARD, units.get_unit(session, BIG_BRANCH))
        session.commit()
    if database.engine.dialect.name == "postgresql":
        # What autovacuum does shortly after a bulk load: set the visibility map so that
        # counts can use index-only scans. Done here so the figures show steady state.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE members"))
    database.dispose()


def start_server(url: str, var_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "STIMMWERK_DATABASE_URL": url,
        "STIMMWERK_VAR_DIR": str(var_dir),
        # Plain http on loopback: the bench client must send the session cookie without TLS.
        "STIMMWERK_COOKIE_SECURE": "0",
        "STIMMWERK_LOGIN_MAX_PER_ADDRESS": "1000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def logged_in_client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    page = client.get("/login").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login", data={"email": BOARD_EMAIL, "password": PASSWORD, "_csrf_token": token.group(1)}
    )
    assert response.status_code in (302, 303), response.status_code
    return client


def measure(client: httpx.Client, paths: list[str]) -> list[float]:
    timings = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        assert "member-rows" in response.text
    return timings


def summarise(kind: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    median = statistics.median(ordered)
    verdict = "ok" if median < TARGET_MS and p95 < TARGET_MS else "ABOVE TARGET"
    return (
        f"  {kind:<22} n={len(ordered):>4}  median {median:7.1f} ms  p95 {p95:7.1f} ms  {verdict}"
    )


def run_backend(name: str, url: str, files: tuple[Path, Path], requests: int) -> None:
    started = time.perf_counter()
    prepare_database(url, *files)
    print(f"{name}: register prepared in {time.perf_counter() - started:.0f} s")
    with tempfile.TemporaryDirectory() as var_dir:
        process, base = start_server(url, Path(var_dir))
        try:
            client = logged_in_client(base)
            members_path = f"/units/{BIG_BRANCH}/members"
            pages = 50_000 // 50
            rng = random.Random(7)
            measure(client, [members_path] * 5)  # warm caches and the connection pool
            print(summarise("first page", measure(client, [members_path] * requests)))
            random_paths = [f"{members_path}?page={rng.randint(1, pages)}" for _ in range(requests)]
            print(summarise("random pages", measure(client, random_paths)))
            print(
                summarise("last page", measure(client, [f"{members_path}?page={pages}"] * requests))
            )
            search = [
                f"{members_path}?q={rng.choice(['Mü', 'Sch', 'Wei', 'Kr', 'Neu'])}"
                for _ in range(requests)
            ]
            print(summarise("name search", measure(client, search)))
        finally:
            process.terminate()
            process.wait(timeout=20)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=400_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    args = parser.parse_args(argv)
    python = platform.python_version()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {python}")
    print(f"register: {args.members} members, {BIG_BRANCH} has 50,000; 50 rows per page")
    with tempfile.TemporaryDirectory() as work:
        units_csv, members_csv = Path(work) / "units.csv", Path(work) / "members.csv"
        write_units_csv(units_csv)
        write_members_csv(members_csv, args.members, 50_000)
        if args.backend in ("sqlite", "both"):
            run_backend(
                "SQLite",
                f"sqlite:///{Path(work) / 'pages.sqlite3'}",
                (units_csv, members_csv),
                args.requests,
            )
        if args.backend in ("postgres", "both"):
            name = f"sw_bench_pages_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = (
                make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
            )
            try:
                run_backend("PostgreSQL", url, (units_csv, members_csv), args.requests)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
