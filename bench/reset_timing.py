"""Measurement: does the answer time of "forgot password" tell known from unknown addresses?

Starts the real server (``stimmwerk serve``) on a fresh SQLite database with one
account whose address is known, mail written to the outbox (as the embedded default
does), and sends N password-reset requests for the known address and N for unknown
ones, interleaved, over HTTP. Prints the median and the 10th/90th percentile per kind.
Issue 9, finding 11 measured 10-11 ms (known) against 6-7 ms (unknown) before the fix.

The requests come from distinct X-Forwarded-For-less connections of one client, so
the reset throttle is raised for the run (``STIMMWERK_REQUESTS_MAX_*``).

Run: ``.venv/bin/python -m bench.reset_timing [--requests N] [--pause SECONDS]``
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

KNOWN = "bekannt@bench.example"
PASSWORD = "bench-password-123"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str) -> None:
    from app.core import migrate
    from app.core.db import Database
    from app.core.settings import get_settings
    from app.organisations.admin_setup import ensure_account

    migrate.upgrade(url)
    database = Database(url)
    with database.session() as session:
        ensure_account(session, get_settings(), email=KNOWN, name="Bekannt", password=PASSWORD)
        session.commit()
    database.dispose()


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("BENCH_DEBUG") else subprocess.DEVNULL,
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


def _one(client: httpx.Client, email: str) -> float:
    page = client.get("/password/forgot")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, page.status_code
    started = time.perf_counter()
    response = client.post("/password/forgot", data={"email": email, "_csrf_token": token.group(1)})
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return elapsed * 1000


def measure(base: str, requests: int, pause: float) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        for _ in range(5):  # warm up
            _one(client, f"warm{time.time_ns()}@bench.example")
        for index in range(requests):
            # The pause lets the work done after each answer (the mail for a known
            # address) finish, so it does not slow down the next, unrelated request.
            timings["known"].append(_one(client, KNOWN))
            time.sleep(pause)
            timings["unknown"].append(_one(client, f"unbekannt{index}@bench.example"))
            time.sleep(pause)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between requests")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as var_dir:
        url = f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "STIMMWERK_DATABASE_URL": url,
            "STIMMWERK_VAR_DIR": var_dir,
            "STIMMWERK_COOKIE_SECURE": "0",
            "STIMMWERK_REQUESTS_MAX_PER_NAME": str(10 * args.requests),
            "STIMMWERK_REQUESTS_MAX_PER_ADDRESS": str(10 * args.requests),
        }
        os.environ.update(env)
        prepare(url)
        process, base = start_server(env)
        try:
            timings = measure(base, args.requests, args.pause)
        finally:
            process.terminate()
            process.wait(timeout=10)
    for kind, values in timings.items():
        deciles = statistics.quantiles(values, n=10)
        print(
            f"{kind:8s} n={len(values)} median={statistics.median(values):.2f} ms "
            f"p10={deciles[0]:.2f} ms p90={deciles[-1]:.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
