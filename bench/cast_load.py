"""Load benchmark: casting ballots over HTTP against the production server.

Run: ``.venv/bin/python bench/cast_load.py [--voters 6000] [--rates 100 200 300 400]
[--seconds 5] [--server-workers 2]``.

1. Creates a fresh PostgreSQL database (``STIMMWERK_BENCH_POSTGRES_URL``, default
   ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; the database named there
   is only used to create and drop ``sw_bench_<random>``), migrates it and sets up an
   open election through the real services: a Landesverband with ``--voters`` members,
   three trustees (any two decrypt) and a window around the real clock.
2. Every voter gets a credential from the issuing service and makes a ballot with the
   Python voter client (``ballots.client``) in a process pool. These are the exact
   bytes a browser would send.
3. Starts ``stimmwerk serve --workers N`` as a subprocess on that database.
4. From this process (asyncio with a minimal HTTP/1.1 keep-alive client, no cookies;
   see `RawHttp`) casts at
   increasing target rates, ``--seconds`` per step or until the ballots run out, and
   prints per step: achieved ballots/s, p50/p99 latency, errors. The board appends in
   shuffled batches (``docs/protocol.md`` §2.6): ``--batch-min`` (the server's default,
   10) and ``--batch-wait`` (here 0.25 s, the server's default is 5 s). Under load a
   batch fills long before the wait; the wait only holds the last, partial batch of each
   step (at quiet times in production it is what a lone ballot waits for its receipt),
   so a 5 s wait would count five seconds of drain into each step's rate and tail.
   ``--batch-min 1`` appends without waiting for others (the cost of batching is the
   difference).
5. Stops the server, closes the election, two trustees decrypt, the commission
   tallies, writes the record and runs the verifier, and prints whether the number of
   ballots counted matches the number of receipts.

Prints the machine. Asserts nothing about timing. The default sizes finish in a few
minutes on two cores; the ballots are made before the clock starts.

The helpers (`make_election`, `Server`, `finish`) are shared with
``tests/integration/test_cast_fault.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import httpx
import psycopg
from sqlalchemy.engine import make_url

from app.accounts.models import Account, Role
from app.core import migrate
from app.core.db import Database, utcnow
from app.core.settings import DatabaseSettings, MailSettings, SecuritySettings, Settings
from ballots import client, services, trustee_tool
from ballots.keyfile import CHEAP_LIMITS
from ballots.manifest import ElectionDraft, QuestionDraft
from ballots.record_writer import write_record
from ballots.simulate import SimulationConfig
from ballots.simulate._voters import VoterContext, _init_worker, random_choices, vote_batch
from ballots.simulate._world import UNIT_CODE, _account, _members, _units
from ballots.verifier import verify_record
from bench.open_loop import open_loop

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
YES_NO = QuestionDraft("q1", "Soll die Satzung geändert werden?", "yes_no_abstain")
TRUSTEES, THRESHOLD = 3, 2
SECRET_KEY = "bench-secret-key-" + "y" * 40
SATURATED = 0.8
"""A step that achieves less than this share of its target rate ends the run."""
HTTP_CREATED = 201
IN_FLIGHT = 64
"""Concurrent requests (= keep-alive connections) of the load generator."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- a scratch PostgreSQL database -----------------------------------------------------------------


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A fresh database next to ``admin_url``'s, dropped afterwards."""
    parsed = make_url(admin_url)
    name = f"sw_bench_{uuid.uuid4().hex[:8]}"

    def admin() -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.database or "postgres",
            autocommit=True,
        )

    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the election ----------------------------------------------------------------------------------


@dataclass
class Election:
    settings: Settings
    election_id: uuid.UUID
    commission: list[uuid.UUID]
    key_files: list[tuple[Path, str]]
    board_key: str
    ballots: list[bytes] = field(default_factory=list)


def bench_settings(url: str, var_dir: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(url=url),
        mail=MailSettings(backend="outbox", outbox_dir=var_dir / "outbox", sender="b@invalid"),
        security=SecuritySettings(secret_key=SECRET_KEY),
        var_dir=var_dir,
    )


def make_election(url: str, voters: int, scratch: Path, *, workers: int | None = None) -> Election:
    """Migrate ``url``, set up an open election, make one ballot per voter.

    The virtual clock starts three days ago, so the real now is inside the voting window
    and the server (which has no virtual clock) accepts the ballots.
    """
    migrate.upgrade(url)
    settings = bench_settings(url, scratch)
    database = Database(url)
    config = SimulationConfig(voters=voters, trustees=TRUSTEES, threshold=THRESHOLD, out=scratch)
    try:
        with database.session() as session:
            units = _units(session)
            online = _members(session, config, units[3:])
            staff = _account(session, "staff", Role.STAFF, units[1])
            commission = [
                _account(session, f"kommission{i + 1}", Role.COMMISSION, units[1])
                for i in range(TRUSTEES)
            ]
            session.commit()
            start = utcnow().replace(microsecond=0) - timedelta(days=3)
            draft = ElectionDraft(
                title="Lasttest",
                description="Ein Lasttest mit erfundenen Mitgliedern.",
                unit_code=UNIT_CODE,
                unit_name="",
                cutoff_at=start + timedelta(days=1),
                opens_at=start + timedelta(days=2),
                closes_at=start + timedelta(days=9),
                questions=(YES_NO,),
                trustees=TRUSTEES,
                threshold=THRESHOLD,
                quorum_percent=None,
            )
            election = services.create_election(
                session, settings, staff, draft, [a.id for a in commission], now=start
            )
            key_files = [
                (scratch / f"trustee-{i + 1}.key", secrets.token_urlsafe(16))
                for i in range(TRUSTEES)
            ]
            steps = (trustee_tool.init_trustee, trustee_tool.deal_shares, trustee_tool.check_shares)
            for step in steps:
                for account, (path, passphrase) in zip(commission, key_files, strict=True):
                    step(
                        session,
                        election.id,
                        account,
                        path=path,
                        passphrase=passphrase,
                        limits=CHEAP_LIMITS,
                    )
            services.freeze_roll(session, election.id, staff, now=start + timedelta(days=1))
            services.open_election(
                session, settings, election.id, staff, now=start + timedelta(days=2)
            )
            election = services.get_election(session, election.id)
            keys = services.election_keys(session, election)
            made = Election(
                settings,
                election.id,
                [a.id for a in commission],
                key_files,
                election.board_public_key,
            )
        made.ballots = _make_ballots(settings, election.id, keys, online, workers)
    finally:
        database.dispose()
    return made


def _make_ballots(
    settings: Settings,
    election_id: uuid.UUID,
    keys: Any,
    members: Sequence[int],
    workers: int | None,
) -> list[bytes]:
    import random

    rng = random.Random(4)
    jobs = [(member, random_choices(keys.manifest, rng)) for member in members]
    context = VoterContext(keys, settings, election_id, utcnow())
    batches = [jobs[i : i + 50] for i in range(0, len(jobs), 50)]
    with ProcessPoolExecutor(
        workers or os.cpu_count() or 1, initializer=_init_worker, initargs=(context,)
    ) as pool:
        made = [ballot for batch in pool.map(vote_batch, batches) for ballot in batch]
    return [client.ballot_bytes(ballot) for ballot in made]


def finish(election: Election, record_dir: Path, *, verifier_workers: int = 2) -> tuple[int, int]:
    """Close, decrypt with two trustees, tally, write the record and verify it.

    Returns:
        (ballots counted in the tally, verifier exit status)
    """
    database = Database(election.settings.database.url)
    try:
        with database.session() as session:
            commission = [session.get(Account, a) for a in election.commission]
            first = commission[0]
            assert first is not None
            services.close_election(session, election.election_id, first)
            for account, (path, passphrase) in list(
                zip(commission, election.key_files, strict=True)
            )[:THRESHOLD]:
                assert account is not None
                trustee_tool.decrypt_tally(
                    session, election.election_id, account, path=path, passphrase=passphrase
                )
            tallied = services.tally_election(session, election.election_id, first)
            assert tallied.tally is not None
            counted = int(tallied.tally["ballots_counted"])
            write_record(session, election.election_id, record_dir)
    finally:
        database.dispose()
    with Path(os.devnull).open("w", encoding="utf-8") as quiet:
        status = verify_record(str(record_dir), workers=verifier_workers, out=quiet, quiet=True)
    return counted, status


# -- the production server -------------------------------------------------------------------------


class Server:
    """``stimmwerk serve --workers N`` in a subprocess (its own process group)."""

    def __init__(
        self,
        url: str,
        var_dir: Path,
        *,
        workers: int = 2,
        batch: tuple[int, float] | None = None,
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "STIMMWERK_DATABASE_URL": url,
            "STIMMWERK_SECRET_KEY": SECRET_KEY,
            "STIMMWERK_VAR_DIR": str(var_dir),
            "STIMMWERK_COOKIE_SECURE": "0",
            # The load comes from one address: the per-address cast limit would stop it.
            "STIMMWERK_CAST_PER_MINUTE": "0",
            "PYTHONPATH": str(ROOT),
        }
        if batch is not None:
            env["STIMMWERK_BOARD_BATCH_MIN"] = str(batch[0])
            env["STIMMWERK_BOARD_BATCH_WAIT_SECONDS"] = str(batch[1])
        env.pop("STIMMWERK_BROKER_URL", None)  # casting sends no tasks; in-process is enough
        self.log = (var_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers = workers

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until /healthz answers and all workers are up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                up = httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
                if up and len(self.worker_pids()) >= self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not come up")

    def worker_pids(self) -> list[int]:
        """The worker processes: children of the supervisor, not multiprocessing helpers."""
        found = []
        for pid in _children(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                found.append(pid)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


# -- the load --------------------------------------------------------------------------------------


@dataclass
class Step:
    target: int
    sent: int
    ok: int
    errors: dict[str, int]
    seconds: float
    latencies: list[float]

    def line(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        errors = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items())) or "none"
        return (
            f"target {self.target:4d}/s: sent {self.sent:5d} in {self.seconds:5.1f} s, "
            f"achieved {self.ok / self.seconds:6.1f} ballots/s, p50 {p50:6.1f} ms, "
            f"p99 {p99:7.1f} ms, errors: {errors}"
        )


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client for POSTing prepared ballots.

    httpx costs about 5 ms of CPU per request here, which on two cores would make the
    load generator, not the server, the bottleneck (it shares the machine). This writes
    a prepared request and reads status, headers and a Content-Length body: ~0.1 ms.
    """

    def __init__(self, host: str, port: int, connections: int) -> None:
        self.host, self.port = host, port
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self._missing = connections

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle.empty() and self._missing > 0:
            self._missing -= 1
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                self._missing += 1
                raise
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            return reader, writer
        return await self._idle.get()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        return await self.send(path, body, "Content-Type: application/json\r\n")

    async def send(self, path: str, body: bytes, headers: str) -> tuple[int, bytes]:
        """POST ``body`` with ``headers`` (whole lines, each ending in CRLF) on a kept-alive
        connection; the status and the response body."""
        reader, writer = await self._connection()
        try:
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"{headers}Content-Length: {len(body)}\r\n\r\n"
            )
            writer.write(head.encode("ascii") + body)
            status_line = await reader.readuntil(b"\r\n")
            response_head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in response_head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            writer.close()
            self._missing += 1
            raise
        self._idle.put_nowait((reader, writer))
        return int(status_line.split()[1]), answer

    async def close(self) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()


async def _cast_step(
    http: RawHttp, path: str, ballots: Sequence[bytes], rate: int
) -> tuple[Step, list[dict[str, Any]]]:
    """Open loop: ballot i is due at i/rate seconds; latency counts from that moment.

    At most `IN_FLIGHT` requests are on the wire; a ballot that is due while all are
    busy waits here, and that wait is part of its latency (no coordinated omission).
    """
    latencies: list[float] = []
    errors: dict[str, int] = {}
    receipts: list[dict[str, Any]] = []
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(i: int, due: float) -> None:
        async with gate:
            try:
                status, answer = await http.post(path, ballots[i])
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                return
        latencies.append(time.perf_counter() - due)
        if status == HTTP_CREATED:
            receipts.append(json.loads(answer)["receipt"])
        else:
            code = f"{status} {json.loads(answer or b'{}').get('error', '?')}"
            errors[code] = errors.get(code, 0) + 1

    start = await open_loop([i / rate for i in range(len(ballots))], one)
    elapsed = time.perf_counter() - start
    step = Step(rate, len(ballots), len(receipts), errors, elapsed, latencies)
    return step, receipts


async def run_load(
    base: str, election_id: uuid.UUID, ballots: list[bytes], rates: Sequence[int], seconds: float
) -> list[dict[str, Any]]:
    host, port = base.removeprefix("http://").split(":")
    path = f"/api/elections/{election_id}/ballots"
    http = RawHttp(host, int(port), IN_FLIGHT)
    receipts: list[dict[str, Any]] = []
    position = 0
    try:
        for rate in rates:
            count = min(int(rate * seconds), len(ballots) - position)
            if count <= 0:
                print(f"target {rate:4d}/s: no ballots left")
                continue
            cpu = time.process_time()
            step, got = await _cast_step(http, path, ballots[position : position + count], rate)
            used = time.process_time() - cpu
            position += count
            receipts.extend(got)
            print(f"{step.line()}; load generator CPU {used / step.seconds:.0%}", flush=True)
            if step.ok / step.seconds < SATURATED * rate:
                print(f"saturated below {SATURATED:.0%} of the target: higher rates skipped")
                break
    finally:
        await http.close()
    return receipts


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[100, 200, 300, 400])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per step")
    parser.add_argument(
        "--voters", type=int, default=0, help="ballots to make (default: enough for all steps)"
    )
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--pool", type=int, default=os.cpu_count() or 1, help="ballot makers")
    parser.add_argument("--batch-min", type=int, default=10, help="board batch size at least")
    parser.add_argument("--batch-wait", type=float, default=0.25, help="board batch wait, s")
    args = parser.parse_args(argv)
    voters = args.voters or int(sum(args.rates) * args.seconds)
    admin_url = os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_PG)
    print(f"machine: {machine()}")
    print(f"database: PostgreSQL (fresh scratch database); server workers: {args.server_workers}")
    print(f"board batches: at least {args.batch_min} ballots or {args.batch_wait} s, shuffled")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with (
        tempfile.TemporaryDirectory(prefix="stimmwerk-cast-") as tmp,
        scratch_postgres(admin_url) as url,
    ):
        scratch = Path(tmp)
        started = time.perf_counter()
        election = make_election(url, voters, scratch, workers=args.pool)
        print(
            f"made {len(election.ballots)} voters, credentials and ballots in "
            f"{time.perf_counter() - started:.1f} s"
        )
        server = Server(
            url, scratch, workers=args.server_workers, batch=(args.batch_min, args.batch_wait)
        )
        try:
            server.wait_ready()
            receipts = asyncio.run(
                run_load(
                    server.base, election.election_id, election.ballots, args.rates, args.seconds
                )
            )
        finally:
            server.stop()
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        started = time.perf_counter()
        counted, status = finish(election, scratch / "record")
        print(
            f"record written and verified in {time.perf_counter() - started:.1f} s: verifier "
            f"{'OK' if status == 0 else f'FAILED (exit {status})'}; ballots counted {counted}, "
            f"receipts {len(receipts)}: {'match' if counted == len(receipts) else 'MISMATCH'}"
        )
    return 0 if status == 0 and counted == len(receipts) else 1


if __name__ == "__main__":
    sys.exit(main())
