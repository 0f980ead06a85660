"""Benchmark: a member survey of 400,000 members in the production setup.

Run: ``.venv/bin/python -m bench.survey_load [--members 400000] [--answers 100000]
[--rates 200 300 400] [--seconds 10] [--port 8300] [--redis-db 5] [--deliver-chunks 20]
[--only-invitations]``

1. A fresh PostgreSQL database (``cast_load.scratch_postgres``), migrated; a
   Landesverband with 10 Unterbezirke of 5 Ortsvereine, ``--members`` members (birth
   years 1940-2008, a few unknown) each with an account and an e-mail address.
2. Staff create a 10-question survey broken down by sub-unit and age band (threshold
   10) and open it: the frozen list with its commitment and the classes (one RSA-3072
   issuer key per class) are made then. Timed.
3. Invitations for every member: ``surveys.tasks.send_mails`` with Celery on Redis
   (``--redis-db``, emptied afterwards): chunks of 500, each chunk's markers in their own
   transaction and one Celery message per chunk. Prints the queuing time, the number of
   messages and the longest transaction (engine begin to commit). Then the sending:
   ``stimmwerk worker --concurrency N`` (``--deliver-concurrency``, own process group)
   sends the first ``--deliver-chunks`` chunks (0: none) to an SMTP sink (``aiosmtpd``,
   own process); prints mails/s and the longest transaction seen in
   ``pg_stat_activity`` meanwhile (sampled every 10 ms). Before the sending, the
   schedule's run with nobody missing (what every minute of an open survey costs), and
   the same run walking the roll as before `activation_invites.anyone_due`.
   ``--only-invitations`` stops after this step.
4. ``--answers`` members get their class's credential (blind-signed with the class key,
   as the server does) and make signed answer lines in a process pool: the exact bytes a
   browser sends. Then ``stimmwerk serve --workers 2`` on ``--port`` (own process group)
   and, from this process, answers at each of ``--rates`` for ``--seconds`` (open loop,
   `cast_load.RawHttp`, no cookies): achieved answers/s, p50/p95/p99, errors.
5. The remaining answers go onto the board directly (``services.flush_board``: shuffled,
   running tallies updated); then the results JSON (anonymous) and the results page
   (logged-in member) of the open survey with live results, sequentially, p50/p95/p99.
6. The survey closes (record built: timed); the same reads again; ``stimmwerk verify``
   on the downloaded record zip as a subprocess: timed.

Targets (issue 12): answers >= 300/s sustained with p99 < 250 ms and no errors; results
p95 < 200 ms with 100,000 answers; verifying <= 60 s; invitations for 400,000 members
without one long transaction. Prints the machine and the load average before and after
(the machine may be shared). Asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.cast_load import (
    DEFAULT_PG,
    HTTP_CREATED,
    SECRET_KEY,
    RawHttp,
    bench_settings,
    machine,
    scratch_postgres,
)
from bench.discussions import PASSWORD, _percentiles, _serve_command, log_in, stop_server
from bench.open_loop import open_loop

ROOT = Path(__file__).resolve().parent.parent
SUBDISTRICTS, LOCALS = 10, 5
CHUNK = 5000
IN_FLIGHT = 64


def definition() -> dict[str, Any]:
    """Ten questions of every kind, one of them conditional."""
    options = [{"id": f"o{i}", "label": f"Option {i}"} for i in range(1, 5)]
    questions = [
        {"id": "q1", "type": "single_choice", "text": "Wie oft befragen?", "options": options},
        {"id": "q2", "type": "yes_no_abstain", "text": "Online-Parteitage?"},
        {"id": "q3", "type": "multiple_choice", "text": "Themen?", "min": 1, "max": 2,
         "options": options},
        {"id": "q4", "type": "scale", "text": "Zufriedenheit", "min": 1, "max": 5,
         "low_label": "gar nicht", "high_label": "sehr"},
        {"id": "q5", "type": "matrix", "text": "Bewerten Sie", "min": 0, "max": 10,
         "statements": [{"id": "web", "label": "Website"}, {"id": "app", "label": "App"}]},
        {"id": "q6", "type": "ranking", "text": "Reihenfolge", "max": 2, "options": options},
        {"id": "q7", "type": "number", "text": "Jahre in der Partei", "min": 0, "max": 80},
        {"id": "q8", "type": "short_text", "text": "Ort", "max_length": 40, "required": False},
        {"id": "q9", "type": "long_text", "text": "Warum?", "max_length": 500,
         "required": False, "condition": {"question": "q2", "in": ["yes"]}},
        {"id": "q10", "type": "single_choice", "text": "Kanal?", "options": options[:3]},
    ]  # fmt: skip
    return {
        "title": "Lasttest Mitgliederbefragung",
        "intro": "Erfundene Mitglieder, erfundene Antworten.",
        "sections": [{"id": "alles", "title": "Fragen", "questions": questions}],
    }


def random_answers(rng: random.Random) -> dict[str, Any]:
    options = ["o1", "o2", "o3", "o4"]
    yes = rng.choice(["yes", "no", "abstain"])
    answers: dict[str, Any] = {
        "q1": rng.choice(options),
        "q2": yes,
        "q3": sorted(rng.sample(options, rng.randint(1, 2))),
        "q4": rng.randint(1, 5),
        "q5": {"web": rng.randint(0, 10), "app": rng.randint(0, 10)},
        "q6": rng.sample(options, rng.randint(1, 2)),
        "q7": rng.randint(0, 80),
        "q10": rng.choice(options[:3]),
    }
    if rng.random() < 0.3:
        answers["q8"] = rng.choice(["Köln", "Berlin", "Leipzig", "Kiel"])
    if yes == "yes" and rng.random() < 0.5:
        answers["q9"] = "Weil es schneller geht und mehr Mitglieder mitmachen. " * 3
    return answers


# -- the world -------------------------------------------------------------------------


def seed(url: str, members: int, rng: random.Random) -> dict[str, Any]:
    """Units, members with accounts, staff, one member who logs in to read the page."""
    from sqlalchemy import insert, select

    from app.accounts import passwords
    from app.accounts.models import Account, Role, RoleAssignment
    from app.core import migrate
    from app.core.db import Database, utcnow
    from app.organisations.models import Member, MemberStatus, UnitLevel, add_unit

    migrate.upgrade(url)
    database = Database(url)
    settings = bench_settings(url, Path(tempfile.gettempdir()))
    with database.session() as session:
        state = add_unit(session, "SV-LV", "Landesverband Befragung", UnitLevel.STATE, None)
        places = []
        for s in range(SUBDISTRICTS):
            sub = add_unit(
                session, f"SV-UB{s:02d}", f"Unterbezirk {s:02d}", UnitLevel.SUBDISTRICT, state
            )
            places += [
                add_unit(
                    session, f"SV-OV{s:02d}{o}", f"Ortsverein {s:02d}-{o}", UnitLevel.LOCAL, sub
                )
                for o in range(LOCALS)
            ]
        session.flush()
        started = time.perf_counter()
        for start in range(0, members, CHUNK):
            session.execute(
                insert(Member),
                [
                    {
                        "membership_number": f"V{n:07d}",
                        "given_name": "Vorname",
                        "family_name": f"Mitglied {n}",
                        "email": f"m{n}@bench.invalid",
                        "birth_year": None if n % 50 == 0 else rng.randint(1940, 2008),
                        "unit_id": places[n % len(places)].id,
                        "joined_on": date(2010, 1, 1),
                        "status": MemberStatus.ACTIVE,
                    }
                    for n in range(start, min(start + CHUNK, members))
                ],
            )
        ids = list(session.scalars(select(Member.id).order_by(Member.id)))
        long_ago = utcnow() - timedelta(days=30)
        for start in range(0, len(ids), CHUNK):
            session.execute(
                insert(Account),
                [
                    {
                        "id": uuid.uuid4(),
                        "email": f"m{n}@bench.invalid",
                        "display_name": f"Mitglied {n}",
                        "member_id": member_id,
                        "password_hash": "!bench-no-login",
                        "email_verified_at": long_ago,
                    }
                    for n, member_id in enumerate(ids[start : start + CHUNK], start)
                ],
            )
        real_hash = passwords.hash_password(passwords.make_hasher(settings.security), PASSWORD)
        reader = session.scalars(select(Account).where(Account.member_id == ids[-1])).one()
        reader.password_hash = real_hash
        staff = Account(
            email="staff@bench.invalid", display_name="Staff", email_verified_at=long_ago
        )
        session.add(staff)
        session.flush()
        session.add(RoleAssignment(account_id=staff.id, role=Role.STAFF, unit_id=state.id))
        session.commit()
        print(f"{members} members with accounts in {time.perf_counter() - started:.1f} s")
        out = {"state": state.id, "staff": staff.id, "reader": reader.email, "ids": ids}
    database.dispose()
    return out


def open_survey(url: str, world: dict[str, Any], key_bits: int) -> uuid.UUID:
    from app.accounts.models import Account
    from app.core.db import Database
    from app.organisations.models import Unit
    from surveys import breakdown, services

    settings = bench_settings(url, Path(tempfile.gettempdir()))
    database = Database(url)
    now = datetime.now(UTC).replace(microsecond=0)
    with database.session() as session:
        staff = session.get(Account, world["staff"])
        state = session.get(Unit, world["state"])
        assert staff is not None
        assert state is not None
        survey = services.create_survey(
            session, staff, state, definition(),
            opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(days=3),
            breakdown=breakdown.Spec(("unit", "age"), 10),
        )  # fmt: skip
        started = time.perf_counter()
        opened = services.open_survey(session, settings, staff, survey.id, key_bits=key_bits)
        took = time.perf_counter() - started
        print(
            f"opened: {opened.eligible_members} eligible, "
            f"{len(services.classes_of(opened))} classes (one RSA-{key_bits} issuer key each), "
            f"frozen list committed, in {took:.1f} s"
        )
        survey_id = opened.id
    database.dispose()
    return survey_id


def invitations(
    url: str, survey_id: uuid.UUID, redis_db: int, deliver_chunks: int, concurrency: int
) -> None:
    """Queue the invitation for every member through Redis; the longest transaction.
    Then a worker sends ``deliver_chunks`` of the queued chunks."""
    import dataclasses

    import redis
    from sqlalchemy import event

    from app.core.celery import celery_app, configure_celery
    from app.core.db import Database
    from surveys import tasks

    broker = f"redis://127.0.0.1:6379/{redis_db}"
    settings = dataclasses.replace(
        bench_settings(url, Path(tempfile.gettempdir())), broker_url=broker
    )
    configure_celery(celery_app, settings)
    database = Database(url)
    spans: list[float] = []
    began: dict[int, float] = {}

    @event.listens_for(database.engine, "begin")
    def _begin(conn: Any) -> None:
        began[id(conn)] = time.perf_counter()

    @event.listens_for(database.engine, "commit")
    def _commit(conn: Any) -> None:
        if id(conn) in began:
            spans.append(time.perf_counter() - began.pop(id(conn)))

    started = time.perf_counter()
    try:
        with database.session() as session:
            sent = tasks.send_mails(session, settings, survey_id, tasks.INVITATION)
        took = time.perf_counter() - started
        queued = redis.Redis(db=redis_db).llen("celery")
        print(
            f"invitations: {sent} queued ({queued} messages in Redis) in {took:.1f} s "
            f"({sent / took:.0f}/s), {len(spans)} transactions, longest "
            f"{max(spans) * 1000:.0f} ms, median {sorted(spans)[len(spans) // 2] * 1000:.0f} ms"
        )
        requeue_runs(database, settings, survey_id)
        if deliver_chunks > 0:
            target = min(sent, deliver_chunks * tasks.CHUNK)
            deliver(url, survey_id, broker, target, concurrency)
    finally:
        redis.Redis(db=redis_db).flushdb()  # this benchmark's own Redis database only
        database.dispose()
        configure_celery(celery_app, bench_settings(url, Path(tempfile.gettempdir())))


def requeue_runs(database: Any, settings: Any, survey_id: uuid.UUID, runs: int = 5) -> None:
    """The schedule's run every minute while the survey is open, with nobody missing:
    median of ``runs``, with the first question (`activation_invites.anyone_due`) and,
    as the baseline in the same run, walking the roll as before it."""
    import statistics
    from unittest import mock

    from sqlalchemy import text

    from surveys import tasks

    with database.engine.connect() as conn:  # what autovacuum does after the markers
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE survey_mail_markers")
        )

    def timed() -> float:
        seconds = []
        for _ in range(runs):
            with database.session() as session:
                began = time.perf_counter()
                queued = tasks.send_mails(session, settings, survey_id, tasks.INVITATION)
                seconds.append(time.perf_counter() - began)
            assert queued == 0, f"a run with nobody missing queued {queued}"
        return statistics.median(seconds)

    asked = timed()
    with mock.patch.object(tasks, "anyone_due", return_value=True):
        walked = timed()
    print(
        f"a schedule run with nobody missing (median of {runs}): {asked:.2f} s; walking the "
        f"roll as before: {walked:.2f} s; at one run a minute {asked * 24:.0f} against "
        f"{walked * 24:.0f} min a day"
    )


def deliver(url: str, survey_id: uuid.UUID, broker: str, target: int, concurrency: int) -> None:
    """A worker sends queued chunks to an SMTP sink until ``target`` mails are marked
    done: mails/s from the first done mail on, and the longest open transaction in the
    database meanwhile (``pg_stat_activity``, sampled)."""
    import psycopg
    from sqlalchemy.engine import make_url

    smtp_port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
         "-c", "aiosmtpd.handlers.Sink"],
        start_new_session=True,
    )  # fmt: skip
    env = {
        **os.environ,
        "STIMMWERK_BROKER_URL": broker,
        "STIMMWERK_DATABASE_URL": url,
        "STIMMWERK_MAIL_BACKEND": "smtp",
        "STIMMWERK_SMTP_HOST": "127.0.0.1",
        "STIMMWERK_SMTP_PORT": str(smtp_port),
        "STIMMWERK_VAR_DIR": tempfile.gettempdir(),
    }
    parsed = make_url(url)
    watch = psycopg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username,
        password=parsed.password, dbname=parsed.database, autocommit=True,
    )  # fmt: skip
    done_query = (
        "SELECT count(*) FROM survey_mail_markers WHERE survey_id = %s AND done_at IS NOT NULL"
    )
    longest_query = (
        "SELECT extract(epoch FROM clock_timestamp() - xact_start), state, left(query, 70) "
        "FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL ORDER BY xact_start LIMIT 1"
    )
    time.sleep(0.5)  # the sink listens
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--concurrency", str(concurrency),
         "--loglevel", "warning"],
        env=env, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    longest, longest_what = 0.0, ""
    first: tuple[float, int] | None = None
    done = 0
    deadline = time.monotonic() + 3600
    try:
        while done < target and time.monotonic() < deadline and worker.poll() is None:
            oldest = watch.execute(longest_query).fetchone()
            if oldest is not None and float(oldest[0]) > longest:
                longest, longest_what = float(oldest[0]), f"{oldest[1]}: {oldest[2]}"
            done = int(watch.execute(done_query, (survey_id,)).fetchone()[0])  # type: ignore[index]
            if first is None and done > 0:
                first = (time.perf_counter(), done)
            time.sleep(0.01)
        end = time.perf_counter()
    finally:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: the chunks in hand finish
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stop_server(worker)
        stop_server(sink)
        watch.close()
    if first is None or done <= first[1]:
        print(f"delivery: the worker sent {done} mails (worker exit {worker.returncode})")
        return
    rate = (done - first[1]) / (end - first[0])
    print(
        f"delivery: a worker with {concurrency} processes sent {done} mails "
        f"({rate:.0f} mails/s after its first), longest open transaction seen "
        f"{longest * 1000:.0f} ms ({longest_what}); "
        f"400,000 mails at this rate: {400_000 / rate / 60:.0f} min"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- answers ---------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init(context: dict[str, Any]) -> None:
    from crypto.blind_rsa import BlindRsaPrivateKey
    from surveys.definition import read_definition

    _WORKER.update(context)
    _WORKER["keys"] = {
        name: BlindRsaPrivateKey.from_pem(pem.encode()) for name, pem in context["pems"].items()
    }
    _WORKER["manifest"] = read_definition(context["definition"])


def _make(jobs: list[tuple[str, int]]) -> list[bytes]:
    """Credential and signed answer line for each (credential name, seed)."""
    from crypto.blind_rsa import blind_sign
    from surveys import client

    out = []
    for name, seed in jobs:
        key = _WORKER["keys"][name]
        request = client.request_credential(key.public_key, _WORKER["survey"], name)
        credential = client.finish_credential(
            key.public_key, request, blind_sign(key, request.blinded_msg)
        )
        answers = random_answers(random.Random(seed))
        out.append(
            client.answer_line(_WORKER["manifest"], _WORKER["fingerprint"], credential, answers)
        )
    return out


def make_answers(url: str, survey_id: uuid.UUID, member_ids: list[int]) -> list[bytes]:
    """Answer lines of ``member_ids`` (their roll entries are marked issued, as the
    credential endpoint would)."""
    from sqlalchemy import select, update

    from app.core.db import Database
    from surveys import answer_format as fmt
    from surveys import services
    from surveys.models import SurveyRollEntry

    settings = bench_settings(url, Path(tempfile.gettempdir()))
    database = Database(url)
    with database.session() as session:
        survey = services.get_survey(session, survey_id)
        sealed = json.loads(str(survey.class_keys_encrypted))
        pems = {
            fmt.credential_name(fmt.MEMBERS, cid): services._issuer_key(  # noqa: SLF001
                settings.security.secret_key, encrypted
            )
            .to_pem()
            .decode()
            for cid, encrypted in sealed.items()
        }
        classes = dict(
            session.execute(
                select(SurveyRollEntry.member_id, SurveyRollEntry.class_id).where(
                    SurveyRollEntry.survey_id == survey_id
                )
            ).all()
        )
        context = {
            "pems": pems,
            "survey": str(survey_id),
            "fingerprint": survey.fingerprint,
            "definition": json.loads(survey.definition),
        }
        jobs = [(fmt.credential_name(fmt.MEMBERS, classes[m]), m) for m in member_ids]
        today = datetime.now(UTC).date()
        for start in range(0, len(member_ids), CHUNK):
            session.execute(
                update(SurveyRollEntry)
                .where(
                    SurveyRollEntry.survey_id == survey_id,
                    SurveyRollEntry.member_id.in_(member_ids[start : start + CHUNK]),
                )
                .values(credential_issued_on=today)
            )
        session.commit()
    database.dispose()
    batches = [jobs[i : i + 200] for i in range(0, len(jobs), 200)]
    started = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count() or 1, initializer=_init, initargs=(context,)) as pool:
        lines = [line for batch in pool.map(_make, batches) for line in batch]
    print(
        f"{len(lines)} credentials and answer lines made in {time.perf_counter() - started:.1f} s"
    )
    return lines


def load() -> str:
    """The load average now (the machine may be shared)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_server(
    url: str, scratch: Path, port: int, workers: int, log: Path | None = None
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``stimmwerk serve`` in its own process group (as ``bench.discussions``), its
    output in ``log`` (default ``scratch/server.log``) so a failed request can be
    explained."""
    log = log or scratch / "server.log"
    with socket.socket() as probe:  # a server left on the port would answer /healthz
        probe.bind(("127.0.0.1", port))
    env = {
        **os.environ,
        "STIMMWERK_DATABASE_URL": url,
        "STIMMWERK_VAR_DIR": str(scratch),
        "STIMMWERK_COOKIE_SECURE": "0",  # plain http on loopback: the reader's cookie
        "STIMMWERK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [*_serve_command(), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-schedule"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at once: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base, log
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("server did not start")


async def _answer_step(
    http: RawHttp, path: str, lines: Sequence[bytes], rate: int
) -> tuple[int, float, list[float], dict[str, int], list[str]]:
    """Open loop as ``cast_load._cast_step`` (answer i is due at i/rate; the wait for a
    free connection counts), but any error body is kept, not parsed.

    Returns accepted, seconds, latencies, errors by kind, and a few error bodies."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    bodies: list[str] = []
    accepted = 0
    gate = asyncio.Semaphore(IN_FLIGHT)

    def failed(kind: str, body: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1
        if len(bodies) < 3:
            bodies.append(f"{kind}: {body[:300]}")

    async def one(i: int, due: float) -> None:
        nonlocal accepted
        async with gate:
            try:
                status, answer = await http.post(path, lines[i])
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                failed(type(error).__name__, str(error))
                return
        latencies.append(time.perf_counter() - due)
        if status == HTTP_CREATED:
            accepted += 1
            return
        try:
            kind = f"{status} {json.loads(answer).get('error', '?')}"
        except ValueError:
            kind = f"{status} (not JSON)"
        failed(kind, answer.decode(errors="replace"))

    start = await open_loop([i / rate for i in range(len(lines))], one)
    return accepted, time.perf_counter() - start, latencies, errors, bodies


async def answer_load(
    base: str, survey_id: uuid.UUID, lines: list[bytes], rates: Sequence[int], seconds: float
) -> int:
    """Open-loop steps at each rate; the number of answers accepted."""
    host, port = base.removeprefix("http://").split(":")
    path = f"/api/surveys/{survey_id}/answers"
    http = RawHttp(host, int(port), IN_FLIGHT)
    position = total = 0
    try:
        for rate in rates:
            count = min(int(rate * seconds), len(lines) - position)
            cpu = time.process_time()
            accepted, took, latencies, errors, bodies = await _answer_step(
                http, path, lines[position : position + count], rate
            )
            used = time.process_time() - cpu
            position += count
            total += accepted
            p50, p95, p99 = _percentiles([x * 1000 for x in latencies] or [0.0])
            listed = ", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none"
            print(
                f"answers at {rate}/s: sent {count} in {took:.1f} s, achieved "
                f"{accepted / took:.1f}/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"p99 {p99:.1f} ms, errors: {listed}; load generator CPU {used / took:.0%}; "
                f"load {load()}",
                flush=True,
            )
            for body in bodies:
                print(f"  {body}")
    finally:
        await http.close()
    return total


def direct_answers(url: str, survey_id: uuid.UUID, lines: list[bytes]) -> None:
    """The remaining answers straight onto the board (as if answered earlier)."""
    from sqlalchemy import insert, text

    from app.core.db import Database
    from surveys import answer_format as fmt
    from surveys import services
    from surveys.models import SurveyAnswer

    settings = bench_settings(url, Path(tempfile.gettempdir()))
    database = Database(url)
    started = time.perf_counter()
    with database.session() as session:
        for start in range(0, len(lines), CHUNK):
            rows = []
            for raw in lines[start : start + CHUNK]:
                line = json.loads(raw)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "survey_id": survey_id,
                        "credential_key": line["credential"]["public_key"],
                        "audience": line["audience"],
                        "leaf_hash": fmt.answer_leaf(raw).hex(),
                        "line": raw.decode(),
                        "leaf_index": None,
                    }
                )
            session.execute(insert(SurveyAnswer), rows)
        session.commit()
        appended = services.flush_board(session, settings, survey_id)
        session.execute(text("ANALYZE survey_answers"))
        session.commit()
    database.dispose()
    print(f"{appended} answers put on the board in {time.perf_counter() - started:.1f} s")


def set_live(url: str, survey_id: uuid.UUID) -> int:
    from app.core.db import Database
    from surveys import services

    database = Database(url)
    with database.session() as session:
        survey = services.get_survey(session, survey_id)
        survey.results_live = True
        size = survey.board_size
        session.commit()
    database.dispose()
    return size


def read_results(base: str, survey_id: uuid.UUID, reader: str, requests: int, label: str) -> None:
    import httpx

    anonymous = httpx.Client(base_url=base, timeout=30)
    member = log_in(base, reader)
    for name, http, path, marker in (
        ("results JSON", anonymous, f"/api/surveys/{survey_id}/results", '"respondents"'),
        ("results page", member, f"/surveys/{survey_id}/results", 'id="breakdown"'),
    ):
        for _ in range(5):  # warm both workers
            assert http.get(path).status_code == 200
        samples = []
        for _ in range(requests):
            began = time.perf_counter()
            answer = http.get(path)
            samples.append((time.perf_counter() - began) * 1000)
            assert answer.status_code == 200, answer.status_code
            assert marker in answer.text, f"{name} without {marker}"
        p50, p95, p99 = _percentiles(samples)
        print(f"{name} ({label}): p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")
    anonymous.close()
    member.close()


def close_and_verify(
    url: str, survey_id: uuid.UUID, scratch: Path, keep: Path | None = None
) -> int:
    from app.core.db import Database
    from surveys import services

    settings = bench_settings(url, scratch)
    database = Database(url)
    started = time.perf_counter()
    with database.session() as session:
        closed = services.close_survey(session, settings, None, survey_id)
        record = scratch / "survey-record.zip"
        record.write_bytes(bytes(closed.record_zip or b""))
        if keep is not None:
            keep.write_bytes(record.read_bytes())
    database.dispose()
    print(
        f"closed, results and record ({record.stat().st_size / 1e6:.1f} MB zip) built "
        f"in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    verify = subprocess.run(
        [sys.executable, "-m", "app.cli", "verify", str(record)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    print(
        f"stimmwerk verify: exit {verify.returncode} in {time.perf_counter() - started:.1f} s "
        f"({verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else ''})"
    )
    if verify.returncode != 0:
        print(verify.stdout[-3000:], verify.stderr[-2000:])
    return verify.returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=400_000)
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--rates", type=int, nargs="+", default=[200, 300, 400])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=200, help="reads per measurement")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--no-invitations", action="store_true", help="skip step 3")
    parser.add_argument(
        "--deliver-chunks", type=int, default=20, help="chunks a worker sends in step 3"
    )
    parser.add_argument(
        "--deliver-concurrency", type=int, default=2, help="worker processes in step 3"
    )
    parser.add_argument(
        "--only-invitations", action="store_true", help="stop after step 3 (invitations)"
    )
    parser.add_argument("--keep-record", type=Path, help="copy the survey record zip here")
    parser.add_argument("--server-log", type=Path, help="keep the server's output here")
    parser.add_argument(
        "--key-bits", type=int, default=3072, help="issuer keys (smaller only for smoke runs)"
    )
    args = parser.parse_args(argv)
    # Stopped (timeout, Ctrl-C): still stop the server and drop the scratch database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ["STIMMWERK_SECRET_KEY"] = SECRET_KEY  # the server decrypts the issuer keys
    os.environ["STIMMWERK_CAST_PER_MINUTE"] = "0"  # the load comes from one address
    admin_url = os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_PG)
    print(f"machine: {machine()}")
    print(f"load average before: {load()}")
    rng = random.Random(12)
    with (
        tempfile.TemporaryDirectory(prefix="stimmwerk-survey-") as tmp,
        scratch_postgres(admin_url) as url,
    ):
        scratch = Path(tmp)
        world = seed(url, args.members, rng)
        survey_id = open_survey(url, world, args.key_bits)
        if not args.no_invitations:
            invitations(
                url, survey_id, args.redis_db, args.deliver_chunks, args.deliver_concurrency
            )
        if args.only_invitations:
            print(f"load average after: {load()}")
            return 0
        answering = world["ids"][: min(args.answers, len(world["ids"]) - 1)]
        lines = make_answers(url, survey_id, answering)
        online = min(len(lines), int(sum(args.rates) * args.seconds))
        process, base, log = start_server(
            url, scratch, args.port, args.server_workers, args.server_log
        )
        try:
            accepted = asyncio.run(
                answer_load(base, survey_id, lines[:online], args.rates, args.seconds)
            )
            print(f"accepted over HTTP: {accepted} of {online}")
            if accepted < online:
                print("server log (end):", log.read_text(errors="replace")[-4000:])
            direct_answers(url, survey_id, lines[online:])
            size = set_live(url, survey_id)
            read_results(base, survey_id, world["reader"], args.requests, f"live, {size} answers")
            close_and_verify(url, survey_id, scratch, args.keep_record)
            read_results(base, survey_id, world["reader"], args.requests, "after the close")
        finally:
            stop_server(process)
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
