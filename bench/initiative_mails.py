"""Benchmark: what the initiatives' mail schedule costs at federal size.

Run: ``.venv/bin/python -m bench.initiative_mails [--members 460000] [--without-login 0.0]
[--passes 5] [--signers 46000]``

For two days after each step of an initiative (`motions.notifications.REQUEUE_FOR`), the
schedule's run every minute (`run_mail_schedule`: beat's motions tick, `stimmwerk tick`,
the embedded schedule) queues whatever of that step's mailing is missing: lost chunk
messages, refused mails, members who got a login since. To find them it walks the
mailing's list in member id order (`app.core.mail_batches.keyset_fetch`): for the notice
of a federal initiative, every member of the party. Members without a login are never
marked, so every run reads them again. Now a run first asks who is missing
(`notifications.missing_members`, one statement): nobody ends the run, up to a chunk are
queued without the walk, more are walked.

1. A fresh PostgreSQL database with ``--members`` members with accounts and a federal
   initiative open for signing (`bench.initiative_signing.seed`: the real services);
   ``--without-login`` of the accounts lose their password (they cannot be mailed:
   no activated login).
2. **The first queuing** of the notice (`notifications.send(..., "admitted")`): markers
   and one chunk message per chunk of the list's 500 with someone due, to a Redis
   broker nobody reads (emptied afterwards, also on failure), counted there. Timed.
3. **A run with nothing to do** (`run_mail_schedule`, every marker present, after the
   VACUUM ANALYZE autovacuum would make of the new markers): ``--passes``
   runs, median, and what that costs a day at one run a minute (the run holds one
   database connection; its CPU is shared between this process and PostgreSQL). Then
   the same runs as before the question (the walk of the whole list every time), the
   baseline measured in the same run.
4. **A run that finds one refused mail given back** (its marker deleted before each
   run, as `deliver_chunk` does; a server that keeps refusing an address makes every
   run of the two days such a run): now, and as with a yes/no check before the walk
   (the question says yes, the whole list is walked for the one member).
5. With ``--signers``: the same for the outcome mail to the signers (the initiative is
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
from typing import Any

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


def timed_passes(
    database: object, passes: int, *, now: object = None, give_back: str | None = None
) -> list[float]:
    """``passes`` runs of the schedule, each timed; with ``give_back`` (a kind), each run
    first finds the marker of that mailing's last member deleted, as a refused mail's is."""
    from sqlalchemy import text

    from motions.notifications import run_mail_schedule

    seconds = []
    for _ in range(passes):
        with database.session() as session:  # type: ignore[attr-defined]
            if give_back:
                session.execute(
                    text(
                        "DELETE FROM initiative_mail_markers WHERE kind = :kind AND member_id = "
                        "(SELECT max(member_id) FROM initiative_mail_markers WHERE kind = :kind)"
                    ),
                    {"kind": give_back},
                )
                session.commit()
            began = time.perf_counter()
            queued = run_mail_schedule(session, now=now)  # type: ignore[arg-type]
            seconds.append(time.perf_counter() - began)
        if queued != (1 if give_back else 0):
            print(f"  (a run queued {queued})")
    return seconds


def as_before(
    database: object,
    passes: int,
    *,
    now: object = None,
    give_back: str | None = None,
    checked: bool = False,
) -> list[float]:
    """The same runs as the schedule made them before `notifications.missing_members`:
    walking the list every time, or (``checked``) whenever anyone is missing (a yes/no
    question first, then the walk)."""
    from unittest import mock

    from motions import notifications

    real = notifications.missing_members

    def walk_always(*_: object) -> None:
        return None

    def walk_if_any(*args: Any) -> list[int] | None:
        return None if real(*args) else []

    with mock.patch.object(
        notifications, "missing_members", walk_if_any if checked else walk_always
    ):
        return timed_passes(database, passes, now=now, give_back=give_back)


def in_broker(broker: str) -> int:
    """The chunk messages waiting in the broker (nobody reads it), counted where the
    queuing sent them (the steps' own notify messages are there too)."""
    import json

    import redis

    messages = redis.Redis.from_url(broker).lrange("celery", 0, -1)
    return sum(json.loads(m)["headers"]["task"] == "stimmwerk.motions.mail_chunk" for m in messages)


def report(label: str, seconds: list[float]) -> None:
    median = statistics.median(seconds)
    listed = " ".join(f"{s:.2f}" for s in seconds)
    print(
        f"{label}: median {median:.2f} s ({listed}); at one run a minute "
        f"{median * RUNS_A_DAY / 60:.0f} min a day, for the two days of REQUEUE_FOR "
        f"{median * RUNS_A_DAY * 2 / 3600:.1f} h"
    )


def runs(database: object, passes: int, what: str, kind: str, *, now: object = None) -> None:
    """Steps 3 and 4 for the mailing ``kind``, now and as before, in this order."""
    report(f"a run with nothing to do ({what}), now", timed_passes(database, passes, now=now))
    report("  as before: the walk every run", as_before(database, passes, now=now))
    report(
        f"a run with one refused mail given back ({what}), now",
        timed_passes(database, passes, now=now, give_back=kind),
    )
    report(
        "  with a yes/no question first: yes, then the walk",
        as_before(database, passes, now=now, give_back=kind, checked=True),
    )


def measure(args: argparse.Namespace, url: str, broker: str) -> None:
    """Seeds the scratch database and prints the figures (module docstring)."""
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
    before = in_broker(broker)
    with database.session() as session:
        began = time.perf_counter()
        queued = notifications.send(session, world.initiative_id, "admitted")
    took = time.perf_counter() - began
    print(
        f"first queuing of the notice: {queued} members in {took:.1f} s "
        f"({queued / max(took, 1e-9):.0f}/s, {in_broker(broker) - before} chunk messages)"
    )
    settle(url)
    runs(database, args.passes, "notice", "admitted")

    if args.signers:
        sign_online(url, world.initiative_id, args.signers)
        before = in_broker(broker)
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
        print(
            f"first queuing of the outcome ({kind}): {queued} signers in {took:.1f} s "
            f"({in_broker(broker) - before} chunk messages)"
        )
        settle(url)
        later = moment + timedelta(minutes=1)
        # once decided, the notice no longer stands and is not walked
        runs(database, args.passes, "outcome", kind, now=later)
    database.dispose()


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
        try:
            measure(args, url, broker)
        finally:
            import redis

            redis.Redis.from_url(broker).flushdb()  # this benchmark's own Redis database only
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
