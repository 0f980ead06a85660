"""Benchmark: what the initiatives' mail schedule costs at federal size.

Run: ``.venv/bin/python -m bench.initiative_mails [--members 460000] [--without-login 0.0]
[--passes 5] [--signers 46000]``

For two days after each step of an initiative (`motions.notifications.REQUEUE_FOR`), the
schedule's run every minute (`run_mail_schedule`: beat's motions tick, `stimmwerk tick`,
the embedded schedule) queues whatever of that step's mailing is missing: lost chunk
messages, refused mails, members who got a login since. To find them it walks the
mailing's list in member id order (`app.core.mail_batches.keyset_fetch`): for the notice
of a federal initiative, every member of the party. Members without a login are never
marked, so every run reads them again.

1. A fresh PostgreSQL database with ``--members`` members with accounts and a federal
   initiative open for signing (`bench.initiative_signing.seed`: the real services);
   ``--without-login`` of the accounts lose their password (they cannot be mailed:
   no activated login).
2. **The first queuing** of the notice (`notifications.send(..., "admitted")`): markers
   and one chunk message per 500 members, to a Redis broker nobody reads (emptied
   afterwards). Timed.
3. **A run with nothing to do** (`run_mail_schedule`, every marker present, after the
   VACUUM ANALYZE autovacuum would make of the new markers): ``--passes``
   runs, median, and what that costs a day at one run a minute (the run holds one
   database connection; its CPU is shared between this process and PostgreSQL). Then
   the same runs as before the check (`notifications.anyone_missing`): the walk of the
   whole list every time, the baseline measured in the same run.
4. With ``--signers``: the same for the outcome mail to the signers (the initiative is
   decided with ``--signers`` counted online signatures), which walks the signature list
   instead; once decided, the notice no longer stands and is not walked.

Prints the machine and the load average (it may be shared). Asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.cast_load import DEFAULT_PG, machine, scratch_postgres
from bench.initiative_signing import ram, seed, vacuum
from bench.survey_load import load

RUNS_A_DAY = 24 * 60


def without_login(url: str, share: float) -> int:
    """``share`` of the accounts (not the initiators') lose their password."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        changed = conn.execute(
            text(
                "UPDATE accounts SET password_hash = NULL WHERE member_id IS NOT NULL "
                "AND member_id > (SELECT MIN(id) + 4 FROM members) "
                "AND (hashtext(id::text) & 1023) < :limit"
            ),
            {"limit": int(share * 1024)},
        ).rowcount
    engine.dispose()
    return int(changed)


def sign_online(url: str, initiative_id: object, signers: int) -> None:
    """``signers`` counted online signatures, written in bulk (signing is measured by
    `bench.initiative_signing`; here only the list matters)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO initiative_signatures (initiative_id, member_id, salt, online_at) "
                "SELECT :i, id, md5(id::text), now() FROM members ORDER BY id "
                "OFFSET 5 LIMIT :n"
            ),
            {"i": initiative_id, "n": signers},
        )
    engine.dispose()


def settle(url: str) -> None:
    """What autovacuum does shortly after the bulk of markers: statistics and the
    visibility map (an index-only scan of the markers then reads no table pages; this
    machine's PostgreSQL runs with autovacuum off)."""
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE initiative_mail_markers")
    engine.dispose()


def timed_passes(database: object, passes: int, *, now: object = None) -> list[float]:
    from motions.notifications import run_mail_schedule

    seconds = []
    for _ in range(passes):
        with database.session() as session:  # type: ignore[attr-defined]
            began = time.perf_counter()
            queued = run_mail_schedule(session, now=now)  # type: ignore[arg-type]
            seconds.append(time.perf_counter() - began)
        if queued:
            print(f"  (a run queued {queued}: something was missing)")
    return seconds


def walked(database: object, passes: int) -> list[float]:
    """The runs as before `notifications.anyone_missing`: the walk every time."""
    from motions import notifications

    check = notifications.anyone_missing
    notifications.anyone_missing = lambda *_: True
    try:
        return timed_passes(database, passes)
    finally:
        notifications.anyone_missing = check


def report(label: str, seconds: list[float]) -> None:
    median = statistics.median(seconds)
    listed = " ".join(f"{s:.2f}" for s in seconds)
    print(
        f"{label}: median {median:.2f} s ({listed}); at one run a minute "
        f"{median * RUNS_A_DAY / 60:.0f} min a day, for the two days of REQUEUE_FOR "
        f"{median * RUNS_A_DAY * 2 / 3600:.1f} h"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=460_000)
    parser.add_argument("--without-login", type=float, default=0.0, help="share of accounts")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--signers", type=int, default=46_000, help="0: no outcome mail")
    parser.add_argument("--redis-db", type=int, default=6, help="broker for the mails")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}, {ram()}, nproc {os.cpu_count()}")
    print(f"load average before: {load()}")
    admin_url = os.environ.get("STIMMWERK_BENCH_POSTGRES_URL", DEFAULT_PG)
    with (
        tempfile.TemporaryDirectory(prefix="stimmwerk-initiative-mails-") as tmp,
        scratch_postgres(admin_url) as url,
    ):
        broker = f"redis://127.0.0.1:6379/{args.redis_db}"
        os.environ.update(
            {
                "STIMMWERK_DATABASE_URL": url,
                "STIMMWERK_VAR_DIR": tmp,
                "STIMMWERK_BROKER_URL": broker,
            }
        )
        from app.core.db import Database, utcnow
        from app.core.runtime import set_runtime
        from app.core.settings import get_settings
        from motions import notifications, services

        world = seed(url, args.members, 1, 0)
        if args.without_login:
            print(f"{without_login(url, args.without_login)} accounts without a login")
        vacuum(url)
        database = Database(url)
        set_runtime(get_settings(), database)
        with database.session() as session:
            began = time.perf_counter()
            queued = notifications.send(session, world.initiative_id, "admitted")
        took = time.perf_counter() - began
        print(
            f"first queuing of the notice: {queued} members in {took:.1f} s "
            f"({queued / max(took, 1e-9):.0f}/s, {-(-queued // 500)} chunk messages)"
        )
        settle(url)
        report("a run with nothing to do (notice)", timed_passes(database, args.passes))
        report("the same run walking the list (before the check)", walked(database, args.passes))

        if args.signers:
            sign_online(url, world.initiative_id, args.signers)
            with database.session() as session:
                closes = services.get_view(session, world.initiative_id).initiative.closes_at
                assert closes is not None
                moment = max(utcnow(), closes) + timedelta(seconds=1)
                services.run_deadlines(session, now=moment)
                # Decided on the counted rows: succeeded or failed by --signers.
                kind = services.get_view(session, world.initiative_id).initiative.status.value
                began = time.perf_counter()
                queued = notifications.send(session, world.initiative_id, kind)
            took = time.perf_counter() - began
            print(f"first queuing of the outcome ({kind}): {queued} signers in {took:.1f} s")
            settle(url)
            report(
                "a run with nothing to do (outcome; the notice stops at the decision)",
                timed_passes(database, args.passes, now=moment + timedelta(minutes=1)),
            )
        database.dispose()
        import redis

        redis.Redis.from_url(broker).flushdb()
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
