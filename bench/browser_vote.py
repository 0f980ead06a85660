"""Benchmark: from clicking "Abstimmen" to the checked receipt, in headless Chromium.

Run: ``.venv/bin/python bench/browser_vote.py [--voters 10] [--warmup 1] [--server-workers 1]``

1. Creates a fresh database: a SQLite file in a temporary folder, or, if
   ``STIMMWERK_BENCH_POSTGRES_URL`` is set, a scratch PostgreSQL database next to the one
   named there (created and dropped again). Migrates it and builds, through the real
   services, an open Mitgliederentscheid: units and members by the CSV import, one account
   with a password per member, staff and three commission members;
   `referendums.services.create_referendum`, the key ceremony with `ballots.trustee_tool`
   (any two of three decrypt), `freeze_roll`, `open_election`. The window is placed
   around the real clock (opened yesterday, closes in six days), so the server, which
   has no virtual clock, accepts credentials and ballots.
2. Starts the real server (``stimmwerk serve``) on that database and the bundles in
   ``app/static/vendor`` (``make install`` builds them).
3. For each member: a fresh Chromium context (empty cache and localStorage, as a member
   who opens the page for the first time), log in, open ``/referendums/{id}/vote``, wait
   until the page has loaded the election's keys, choose an option, click
   ``#review-ballot`` (the review step encrypts the ballot, with its proofs, before
   the member chooses between casting and checking it) and click ``#cast-ballot``.
   Measured in the page on one clock (``performance.now()``): from the
   click event until ``document.body.dataset.voteState == "receipt"`` (voter.js sets it
   once the receipt is shown and checked against the board's signed checkpoint).
   The credential is fetched when the page opens (docs/protocol.md §2.4), before the
   click: the page is ready once ``document.body.dataset.credential == "ready"``. The
   split comes from the Resource Timing entry of the cast: encrypt (click -> ballot
   sent: since the review step encrypts, only signing is left here), cast (HTTP round
   trip incl. the server's ballot check, the wait for the ballot's shuffled batch and
   the board append), receipt (checking the inclusion proof and checkpoint signature,
   showing it). The batch wait is the server's ``STIMMWERK_BOARD_BATCH_WAIT_SECONDS``
   (taken from the environment; with one member voting at a time every cast waits all
   of it).
4. Prints the machine, each time, the median and p90 of the measured votes (the first
   ``--warmup`` votes are shown but not counted) and the median of each part.

Target: median under 1 second. Asserts nothing about timing; exits non-zero only if a
vote did not end with a checked receipt.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app.accounts.models import Role
from app.core import migrate
from app.core.db import Database, utcnow
from app.core.settings import DatabaseSettings, MailSettings, SecuritySettings, Settings
from app.organisations import units
from app.organisations.admin_setup import ensure_account, ensure_role
from app.organisations.imports import import_members, import_units
from app.organisations.models import Member
from ballots import services, trustee_tool
from ballots.keyfile import CHEAP_LIMITS
from ballots.manifest import ElectionDraft, QuestionDraft
from referendums import services as referendum_services
from referendums.services import ReferendumTexts

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 1000.0
PASSWORD = "bench-password-123"
SECRET_KEY = "bench-browser-vote-" + "z" * 40
UNIT = "LV-BENCH"
QUESTION = QuestionDraft("q1", "Soll die Satzung geändert werden?", "yes_no_abstain")
LABELS = ("Ja", "Nein", "Enthaltung")
TRUSTEES, THRESHOLD = 3, 2
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PARTS = ("encrypt", "cast", "receipt")

# Installed before the click: the click time (capture phase on the document, so before
# voter.js's own listener runs) and the moment voteState becomes "receipt".
_INSTRUMENT = """() => {
  performance.clearResourceTimings();
  window.__bench = { click: null, receipt: null };
  document.addEventListener("click", (event) => {
    if (event.target && event.target.id === "cast-ballot" && window.__bench.click === null) {
      window.__bench.click = performance.now();
    }
  }, true);
  new MutationObserver(() => {
    if (document.body.dataset.voteState === "receipt" && window.__bench.receipt === null) {
      window.__bench.receipt = performance.now();
    }
  }).observe(document.body, { attributes: true, attributeFilter: ["data-vote-state"] });
}"""

_READ = """() => {
  const pick = (suffix) => {
    const entry = performance.getEntriesByType("resource")
      .filter((e) => new URL(e.name).pathname.endsWith(suffix)).pop();
    return entry ? { start: entry.startTime, end: entry.responseEnd } : null;
  };
  return {
    click: window.__bench.click,
    receipt: window.__bench.receipt,
    credential: pick("/credential"),
    ballots: pick("/ballots"),
    checked: document.querySelectorAll("#vote-status .success").length === 1,
  };
}"""


@dataclass
class Vote:
    total_ms: float
    parts: dict[str, float]
    checked: bool
    outside_ms: float
    """click() call to the attribute seen, as Playwright observes it (includes its overhead)."""


# -- the database ------------------------------------------------------------------------------


@contextmanager
def scratch_database(work: Path) -> Iterator[tuple[str, str]]:
    """(url, description): PostgreSQL if STIMMWERK_BENCH_POSTGRES_URL is set, else SQLite."""
    admin_url = os.environ.get("STIMMWERK_BENCH_POSTGRES_URL")
    if not admin_url:
        yield f"sqlite:///{work / 'browser-vote.sqlite3'}", "SQLite (file)"
        return
    name = f"sw_bench_vote_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield url, "PostgreSQL"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_settings(url: str, var_dir: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(url=url),
        mail=MailSettings(backend="outbox", outbox_dir=var_dir / "outbox", sender="b@invalid"),
        security=SecuritySettings(secret_key=SECRET_KEY),
        var_dir=var_dir,
    )


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> io.StringIO:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows(rows)
    stream.seek(0)
    return stream


def build_referendum(url: str, var_dir: Path, members: int) -> tuple[uuid.UUID, list[str]]:
    """An open referendum of ``members`` members with accounts; returns (id, their e-mails)."""
    migrate.upgrade(url)
    settings = bench_settings(url, var_dir)
    database = Database(url)
    try:
        with database.session() as session:
            import_units(
                session,
                _csv(
                    ("code", "name", "level", "parent_code"),
                    [
                        ("BV-BENCH", "Bundesverband", "federal", ""),
                        (UNIT, "Landesverband Bench", "state", "BV-BENCH"),
                        ("UB-BENCH", "Unterbezirk Bench", "subdistrict", UNIT),
                        ("OV-BENCH", "Ortsverein Bench", "local", "UB-BENCH"),
                    ],
                ),
            )
        header = (
            "membership_number",
            "given_name",
            "family_name",
            "email",
            "birth_year",
            "unit_code",
            "joined_on",
            "status",
            "postal_vote",
        )
        rows = [
            (
                f"B{n:06d}",
                "Mitglied",
                f"Nummer {n}",
                "",
                "1980",
                "OV-BENCH",
                "2010-01-01",
                "active",
                "0",
            )
            for n in range(members)
        ]
        with database.session() as session:
            import_members(session, _csv(header, rows))
        with database.session() as session:
            emails = []
            for n in range(members):
                number = f"B{n:06d}"
                member = session.scalars(
                    select(Member).where(Member.membership_number == number)
                ).one()
                email = f"mitglied{n}@bench.example"
                ensure_account(
                    session,
                    settings,
                    email=email,
                    name=f"Mitglied {n}",
                    password=PASSWORD,
                    member_id=member.id,
                )
                emails.append(email)
            lv = units.get_unit(session, UNIT)
            staff = ensure_account(
                session, settings, email="staff@bench.example", name="Staff", password=PASSWORD
            )
            ensure_role(session, staff, Role.STAFF, lv)
            commission = []
            for i in range(TRUSTEES):
                account = ensure_account(
                    session,
                    settings,
                    email=f"kommission{i + 1}@bench.example",
                    name=f"Kommission {i + 1}",
                    password=PASSWORD,
                )
                ensure_role(session, account, Role.COMMISSION, lv)
                commission.append(account)
            session.commit()

            start = utcnow().replace(microsecond=0) - timedelta(days=3)
            draft = ElectionDraft(
                title="Mitgliederentscheid (Messung)",
                description="Eine Messung mit erfundenen Mitgliedern.",
                unit_code=UNIT,
                unit_name="",
                cutoff_at=start + timedelta(days=1),
                opens_at=start + timedelta(days=2),
                closes_at=start + timedelta(days=9),
                questions=(QUESTION,),
                trustees=TRUSTEES,
                threshold=THRESHOLD,
                quorum_percent=None,
            )
            referendum = referendum_services.create_referendum(
                session,
                settings,
                staff,
                draft,
                [a.id for a in commission],
                texts=ReferendumTexts("Eine Messung mit erfundenen Mitgliedern."),
                now=start,
            )
            election_id = referendum.election_id
            key_files = [
                (var_dir / f"trustee-{i + 1}.key", secrets.token_urlsafe(16))
                for i in range(TRUSTEES)
            ]
            steps = (trustee_tool.init_trustee, trustee_tool.deal_shares, trustee_tool.check_shares)
            for step in steps:
                for account, (path, passphrase) in zip(commission, key_files, strict=True):
                    step(
                        session,
                        election_id,
                        account,
                        path=path,
                        passphrase=passphrase,
                        limits=CHEAP_LIMITS,
                    )
            services.freeze_roll(session, election_id, staff, now=start + timedelta(days=1))
            services.open_election(
                session, settings, election_id, staff, now=start + timedelta(days=2)
            )
    finally:
        database.dispose()
    return election_id, emails


# -- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(url: str, var_dir: Path, workers: int) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "STIMMWERK_DATABASE_URL": url,
        "STIMMWERK_SECRET_KEY": SECRET_KEY,
        "STIMMWERK_VAR_DIR": str(var_dir),
        "STIMMWERK_BASE_URL": base,
        "STIMMWERK_MAIL_BACKEND": "outbox",
        "STIMMWERK_LOGIN_MAX_PER_ADDRESS": "1000",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("STIMMWERK_BROKER_URL", None)
    log = (var_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        + (["--workers", str(workers)] if workers > 1 else []),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {var_dir / 'server.log'}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# -- the browser -------------------------------------------------------------------------------


def vote_once(browser: Any, base: str, election_id: uuid.UUID, email: str, label: str) -> Vote:
    context = browser.new_context(locale="de-DE", base_url=base)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
        page.get_by_label("Passwort", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url("**/dashboard")
        client_data = f"/api/elections/{election_id}/client-data"
        with page.expect_response(lambda r: r.url.endswith(client_data)) as loaded:
            page.goto(f"/referendums/{election_id}/vote")
        assert loaded.value.ok, loaded.value.status
        page.wait_for_function(  # the credential is fetched when the page opens
            "() => document.body.dataset.credential === 'ready'", timeout=30_000
        )
        page.get_by_label(label, exact=True).check()
        # The review step encrypts (issue 10: encrypt before "cast or check"); the timed
        # click is "Abstimmen" on the review: sign, send, receipt.
        page.locator("#review-ballot").click()
        page.wait_for_function("() => document.body.dataset.voteState === 'review'", timeout=30_000)
        page.evaluate(_INSTRUMENT)
        started = time.perf_counter()
        page.locator("#cast-ballot").click()
        page.wait_for_function(
            "() => document.body.dataset.voteState === 'receipt'", timeout=30_000, polling="raf"
        )
        outside = (time.perf_counter() - started) * 1000
        seen = page.evaluate(_READ)
    finally:
        context.close()
    click, receipt = seen["click"], seen["receipt"]
    cast = seen["ballots"]
    parts: dict[str, float] = {}
    if cast:
        parts = {
            "encrypt": cast["start"] - click,
            "cast": cast["end"] - cast["start"],
            "receipt": receipt - cast["end"],
        }
    return Vote(receipt - click, parts, bool(seen["checked"]), outside)


# -- the report --------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} CPUs, {model}, {system}, Python {platform.python_version()}"


def chromium_version(path: str) -> str:
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
        return done.stdout.strip() or path
    except (OSError, subprocess.SubprocessError):
        return path


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def line(index: int, vote: Vote, note: str = "") -> str:
    split = "  ".join(f"{p} {vote.parts[p]:6.1f}" for p in PARTS) if vote.parts else "no split"
    checked = "receipt checked" if vote.checked else "RECEIPT NOT CHECKED"
    return (
        f"  vote {index:>2}: {vote.total_ms:7.1f} ms  ({split}; seen by Playwright "
        f"{vote.outside_ms:6.1f} ms; {checked}){note}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=10, help="measured votes (default 10)")
    parser.add_argument("--warmup", type=int, default=1, help="votes before, not counted")
    parser.add_argument("--server-workers", type=int, default=1)
    args = parser.parse_args(argv)

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no Chromium found (apt-get install chromium)")
        return 2
    if not (ROOT / "app/static/vendor/voter.js").exists():
        print("app/static/vendor/voter.js is missing: run `make install` first")
        return 2
    from playwright.sync_api import sync_playwright

    print(f"machine: {machine()}")
    print(f"browser: {chromium_version(chromium)} (headless), one fresh context per member")
    total = args.warmup + args.voters
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        with scratch_database(work) as (url, backend):
            started = time.perf_counter()
            election_id, emails = build_referendum(url, work, total)
            print(
                f"database: {backend}; open referendum with {total} members, "
                f"{TRUSTEES} trustees, built in {time.perf_counter() - started:.1f} s"
            )
            print(f"server: stimmwerk serve, {args.server_workers} worker(s), same machine")
            votes: list[Vote] = []
            with (
                running_server(url, work, args.server_workers) as base,
                sync_playwright() as playwright,
            ):
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                try:
                    print("click on #cast-ballot -> receipt shown and checked, in ms:")
                    for index, email in enumerate(emails):
                        vote = vote_once(
                            browser, base, election_id, email, LABELS[index % len(LABELS)]
                        )
                        votes.append(vote)
                        note = "  (warm-up, not counted)" if index < args.warmup else ""
                        print(line(index + 1, vote, note), flush=True)
                finally:
                    browser.close()
    measured = votes[args.warmup :]
    times = [v.total_ms for v in measured]
    median = statistics.median(times)
    verdict = "ok" if median < TARGET_MS else "ABOVE TARGET"
    print(
        f"median of {len(times)}: {median:.1f} ms, p90 {percentile(times, 0.9):.1f} ms, "
        f"min {min(times):.1f} ms, max {max(times):.1f} ms "
        f"(target: median < {TARGET_MS:.0f} ms: {verdict})"
    )
    with_split = [v for v in measured if v.parts]
    if with_split:
        medians = "  ".join(
            f"{p} {statistics.median(v.parts[p] for v in with_split):.1f}" for p in PARTS
        )
        print(f"median split (ms): {medians}")
        print(
            "  blind = blinding the credential request in JS; credential = its HTTP round "
            "trip (server signs blindly); encrypt = unblind, encrypt with proofs, sign; "
            "cast = its HTTP round trip (server checks, appends to the board); receipt = "
            "inclusion proof and checkpoint check, display"
        )
    return 0 if all(v.checked for v in votes) else 1


if __name__ == "__main__":
    sys.exit(main())
