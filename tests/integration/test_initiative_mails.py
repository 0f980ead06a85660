"""The mails about an initiative's outcome go in chunk tasks (issue 13, point 6).

Against a real SMTP server (aiosmtpd), on SQLite and PostgreSQL, and where Redis is
reachable with the real worker (``stimmwerk worker``):

- the initiators and the members whose signature counts, with a login, get each step's
  mail once, in chunks; a withdrawn signature, a disabled login, a signer without a
  login and a member who did not sign get none; no mail names another member;
- the initiatives' schedule queues again what is missing of a recent mailing (a mail the
  server refused) and deletes the markers of chunk messages the broker lost an hour ago,
  so those mails go out; a chunk message that is only slow mails nobody twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.signals import task_prerun
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.celery import celery_app, configure_celery
from app.core.db import Database, utcnow
from app.core.runtime import set_runtime
from app.core.settings import Settings
from app.organisations.models import Member
from motions import notifications, services
from motions import rules as rules_service
from motions.models import (
    Initiative,
    InitiativeMailMarker,
    InitiativeStatus,
    Initiator,
    Signature,
)
from tests import factories
from tests.integration.test_celery_worker import (
    REDIS_URL,
    _redis_available,
    start_worker,
    stop_worker,
)
from tests.integration.test_celery_worker import (  # the fixture
    redis_queue as redis_queue,  # noqa: PLC0414
)
from tests.integration.test_mail_chunks import (  # the mail server that refuses on demand
    Picky,
    _body,
)
from tests.integration.test_mail_chunks import (
    server as server,  # noqa: PLC0414
)
from tests.integration.test_mail_chunks import (
    settings as settings,  # noqa: PLC0414
)
from tests.integration.test_mail_chunks import (
    smtp as smtp,  # noqa: PLC0414
)

SMALL_CHUNK = 3
FAILED = "Mitgliederbegehren hat das Quorum nicht erreicht: Mehr Mitbestimmung"
SUCCEEDED = "Mitgliederbegehren hat das Quorum erreicht: Mehr Mitbestimmung"
REFERENDUM_DUE = "Auf das Mitgliederbegehren folgt ein Mitgliederentscheid: Mehr Mitbestimmung"


@dataclass
class Signers:
    initiative_id: Any
    closes_at: datetime
    due: list[str]  # the initiator and the counted signers with a login
    not_due: list[str]  # withdrew, disabled, did not sign
    names: dict[str, str]  # address -> the name in the account


def _account(db: Session, settings: Settings, member: Any, address: str, name: str) -> Any:
    return factories.make_account(db, settings, address, "pw-123456789", name=name, member=member)


@pytest.fixture
def signers(db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Signers:
    """An initiative of UB1 whose signing has just closed: its initiator, eight online
    signers, one on paper, one who withdrew, one disabled, one without a login, and a
    member who did not sign."""
    monkeypatch.setattr(notifications, "CHUNK", SMALL_CHUNK)
    tree = factories.make_tree(db)
    unit = tree["UB1"]
    names: dict[str, str] = {}

    def member(key: str, *, login: bool = True) -> Any:
        person = factories.make_member(db, tree["OV-A"], "Person", key, email=f"{key}@test.de")
        if login:
            names[f"{key}@test.de"] = f"Person {key.title()}"
            _account(db, settings, person, f"{key}@test.de", names[f"{key}@test.de"])
        return person

    moment = utcnow() - timedelta(days=1)
    rules = rules_service.effective(db, unit, moment.date())
    initiator = member("ini")
    starter = db.scalar(select(Account).where(Account.member_id == initiator.id))
    initiative = Initiative(
        unit_id=unit.id,
        rules_id=rules.id,
        title="Mehr Mitbestimmung",
        proposal="Die Mitglieder wählen den Vorstand direkt.",
        reasons="Mehr Mitbestimmung.",
        started_by_id=starter.id,
        status=InitiativeStatus.SIGNING,
        opens_at=moment,
        closes_at=moment + timedelta(hours=1),
        reference_date=moment.date(),
        member_count=20,
        threshold=5,
    )
    db.add(initiative)
    db.flush()
    db.add(Initiator(initiative_id=initiative.id, member_id=initiator.id, confirmed_at=moment))
    online = [member(f"s{n}") for n in range(8)]
    paper = member("paper")
    withdrew = member("withdrew")
    disabled = member("disabled")
    no_login = member("nologin", login=False)
    member("bystander")
    for person in [*online, disabled]:
        db.add(
            Signature(
                initiative_id=initiative.id, member_id=person.id, salt="0" * 32, online_at=moment
            )
        )
    db.add(
        Signature(initiative_id=initiative.id, member_id=paper.id, salt="1" * 32, paper_at=moment)
    )
    db.add(
        Signature(
            initiative_id=initiative.id, member_id=no_login.id, salt="2" * 32, paper_at=moment
        )
    )
    db.add(
        Signature(
            initiative_id=initiative.id,
            member_id=withdrew.id,
            salt="3" * 32,
            online_at=moment,
            withdrawn_at=moment,
        )
    )
    db.execute(update(Account).where(Account.email == "disabled@test.de").values(is_disabled=True))
    db.commit()
    due = ["ini@test.de", *(f"s{n}@test.de" for n in range(8)), "paper@test.de"]
    not_due = ["withdrew@test.de", "disabled@test.de", "bystander@test.de"]
    assert initiative.closes_at is not None
    return Signers(initiative.id, initiative.closes_at, due, not_due, names)


def _subject(message: Message) -> str:
    return " ".join(str(make_header(decode_header(message["Subject"]))).split())  # unfolded


def _subjects(server: Picky, address: str) -> list[str]:
    return [_subject(message) for message in server.to(address)]


def _markers(db: Session, signers: Signers, *, done: bool | None = None) -> int:
    db.expire_all()
    query = select(func.count()).select_from(InitiativeMailMarker)
    query = query.where(InitiativeMailMarker.initiative_id == signers.initiative_id)
    if done is not None:
        column = InitiativeMailMarker.done_at
        query = query.where(column.is_not(None) if done else column.is_(None))
    return int(db.scalar(query) or 0)


@pytest.fixture
def chunk_runs() -> Iterator[list[int]]:
    """The size of every initiative mail chunk task that runs in this process."""
    sizes: list[int] = []

    def count(sender: Any = None, args: Any = None, **_: Any) -> None:
        if getattr(sender, "name", "") == "stimmwerk.motions.mail_chunk":
            sizes.append(len(args[1]))

    task_prerun.connect(count, weak=False)
    yield sizes
    task_prerun.disconnect(count)


# -- in-process (the embedded mode runs the same task code right after each commit) ---------


def test_the_initiator_and_counted_signers_get_each_outcome_mail_once_in_chunks(  # noqa: PLR0917
    db: Session,
    database: Database,
    settings: Settings,
    signers: Signers,
    server: Picky,
    chunk_runs: list[int],
) -> None:
    set_runtime(settings, database)
    decided = signers.closes_at + timedelta(minutes=1)
    assert services.run_deadlines(db, now=decided).decided == [signers.initiative_id]
    for address in signers.due:
        assert _subjects(server, address) == [SUCCEEDED], address
    for address in signers.not_due:
        assert server.to(address) == [], address
    # one Celery message per chunk of the list, not per mail
    assert sum(chunk_runs) == len(signers.due)
    assert max(chunk_runs) == SMALL_CHUNK
    assert _markers(db, signers, done=False) == 0
    for message in server.messages:  # a mail names its recipient, nobody else
        body = _body(message)
        others = [name for address, name in signers.names.items() if address != message["To"]]
        assert signers.names[str(message["To"])] in body
        assert not [name for name in others if name in body]
        assert not [address for address in signers.names if address in body]

    # the schedule's next runs find every mail of the step queued: nothing again
    assert notifications.run_mail_schedule(db, now=decided + timedelta(minutes=1)) == 0
    board_over = db.scalar(
        select(Initiative.board_deadline).where(Initiative.id == signers.initiative_id)
    )
    assert board_over is not None
    services.run_deadlines(db, now=board_over + timedelta(minutes=1))
    assert notifications.run_mail_schedule(db, now=board_over + timedelta(minutes=2)) == 0
    counts = Counter((str(m["To"]), _subject(m)) for m in server.messages)
    assert set(counts.values()) == {1}
    for address in signers.due:
        assert _subjects(server, address) == [SUCCEEDED, REFERENDUM_DUE], address


def test_a_refused_mail_is_queued_again_by_the_schedule(
    db: Session, database: Database, settings: Settings, signers: Signers, server: Picky
) -> None:
    set_runtime(settings, database)
    refused = signers.due[4]
    server.refuse = {refused}
    decided = signers.closes_at + timedelta(minutes=1)
    services.run_deadlines(db, now=decided)
    assert server.to(refused) == []
    assert _markers(db, signers) == len(signers.due) - 1  # given back, not counted as sent

    server.refuse = set()
    assert notifications.run_mail_schedule(db, now=decided + timedelta(minutes=1)) == 1
    assert _subjects(server, refused) == [SUCCEEDED]
    # after REQUEUE_FOR the step's mailing is left alone
    late = decided + notifications.REQUEUE_FOR + timedelta(minutes=1)
    db.execute(
        InitiativeMailMarker.__table__.delete().where(
            InitiativeMailMarker.initiative_id == signers.initiative_id
        )
    )
    db.commit()
    assert notifications.run_mail_schedule(db, now=late) == 0


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry for every walk of a mailing's list (`keyset_fetch`) from here on."""
    walked: list[str] = []
    walk = notifications.keyset_fetch

    def counted(*args: Any, **kwargs: Any) -> Any:
        walked.append("walk")
        return walk(*args, **kwargs)

    monkeypatch.setattr(notifications, "keyset_fetch", counted)
    return walked


def test_a_run_asks_who_is_missing_and_queues_a_few_without_walking_the_list(  # noqa: PLR0917
    db: Session,
    database: Database,
    settings: Settings,
    signers: Signers,
    server: Picky,
    walks: list[str],
) -> None:
    """The run asks one question first (`missing_members`): nobody, and it ends; up to a
    chunk, and it queues them as that chunk. It must find whoever the walk would queue."""
    set_runtime(settings, database)
    decided = signers.closes_at + timedelta(minutes=1)
    services.run_deadlines(db, now=decided)
    assert sorted({str(m["To"]) for m in server.messages}) == sorted(signers.due)
    assert walks == ["walk"]  # the step's first queuing: more than a chunk
    later = decided + timedelta(minutes=1)
    # Everyone with a login has the mail; the signer without one and the disabled one
    # are never marked, and still nothing is missing: no walk.
    assert notifications.run_mail_schedule(db, now=later) == 0
    assert walks == ["walk"]

    # The signer on paper without a login activates one: missing, queued, sent.
    no_login = db.scalar(
        select(Signature.member_id).where(
            Signature.initiative_id == signers.initiative_id, Signature.salt == "2" * 32
        )
    )
    _account(db, settings, db.get(Member, no_login), "nologin@test.de", "Person Nologin")
    assert notifications.run_mail_schedule(db, now=later) == 1
    assert _subjects(server, "nologin@test.de") == [SUCCEEDED]

    # The disabled login is enabled again, and a mail the server refused is given back:
    # both missing, both queued in one chunk.
    db.execute(update(Account).where(Account.email == "disabled@test.de").values(is_disabled=False))
    db.execute(
        InitiativeMailMarker.__table__.delete().where(
            InitiativeMailMarker.member_id
            == select(Account.member_id).where(Account.email == "s3@test.de").scalar_subquery()
        )
    )
    db.commit()
    assert notifications.run_mail_schedule(db, now=later) == 2
    assert _subjects(server, "disabled@test.de") == [SUCCEEDED]
    assert _subjects(server, "s3@test.de") == [SUCCEEDED, SUCCEEDED]
    assert notifications.run_mail_schedule(db, now=later) == 0
    assert walks == ["walk"]  # none of it walked the list


def test_more_missing_than_a_chunk_are_found_by_the_walk(  # noqa: PLR0917
    db: Session,
    database: Database,
    settings: Settings,
    signers: Signers,
    server: Picky,
    walks: list[str],
    chunk_runs: list[int],
) -> None:
    """Mails refused for more members than a chunk holds: the run walks the list and
    queues them all, chunk by chunk."""
    set_runtime(settings, database)
    refused = set(signers.due[1:6])  # five, a chunk holds SMALL_CHUNK
    server.refuse = set(refused)
    decided = signers.closes_at + timedelta(minutes=1)
    services.run_deadlines(db, now=decided)
    assert _markers(db, signers) == len(signers.due) - len(refused)
    server.refuse = set()
    chunk_runs.clear()
    assert notifications.run_mail_schedule(db, now=decided + timedelta(minutes=1)) == 5
    assert walks == ["walk", "walk"]
    assert sum(chunk_runs) == 5
    assert max(chunk_runs) <= SMALL_CHUNK  # chunks of the walk: the list's, with those due
    for address in refused:
        assert _subjects(server, address) == [SUCCEEDED], address
    assert notifications.run_mail_schedule(db, now=decided + timedelta(minutes=2)) == 0
    assert walks == ["walk", "walk"]


def _pending(db: Session, signers: Signers, addresses: list[str], age: timedelta) -> None:
    """Markers as a queuing run leaves them whose chunk message has not run (yet)."""
    ids = db.scalars(select(Account.member_id).where(Account.email.in_(addresses))).all()
    db.execute(
        insert(InitiativeMailMarker),
        [
            {
                "initiative_id": signers.initiative_id,
                "member_id": member_id,
                "kind": "succeeded",
                "sent_at": utcnow() - age,
            }
            for member_id in ids
        ],
    )
    db.commit()


def test_markers_of_a_lost_chunk_are_queued_again_after_an_hour_and_young_ones_wait(
    db: Session, database: Database, settings: Settings, signers: Signers, server: Picky
) -> None:
    """A chunk message lost an hour ago left its markers pending: the schedule deletes
    them and queues those mails (without the pass those members never get theirs). A
    marker pending for minutes may belong to a message that is only slow: left."""
    set_runtime(settings, database)
    db.execute(
        update(Initiative)
        .where(Initiative.id == signers.initiative_id)
        .values(status=InitiativeStatus.SUCCEEDED, decided_at=utcnow(), final_count=10)
    )
    db.commit()
    lost, slow = signers.due[:4], signers.due[4:6]
    _pending(db, signers, lost, timedelta(minutes=61))
    _pending(db, signers, slow, timedelta(minutes=5))

    queued = notifications.run_mail_schedule(db)
    assert queued == len(signers.due) - len(slow)
    for address in [*lost, *signers.due[6:]]:
        assert _subjects(server, address) == [SUCCEEDED], address
    for address in slow:  # its own message will send it
        assert server.to(address) == [], address
    assert _markers(db, signers, done=False) == len(slow)


# -- the real worker on Redis ---------------------------------------------------------------


@pytest.fixture
def on_redis(settings: Settings) -> Iterator[Settings]:
    queued = replace(settings, broker_url=REDIS_URL)
    configure_celery(celery_app, queued)
    yield queued
    configure_celery(celery_app, settings)


def _wait_for(condition: Any, worker: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, "the worker died"
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not {what}")
        time.sleep(0.2)


def _age_markers(db: Session, signers: Signers, age: timedelta) -> None:
    db.execute(
        update(InitiativeMailMarker)
        .where(InitiativeMailMarker.initiative_id == signers.initiative_id)
        .values(sent_at=utcnow() - age)  # they were queued a moment ago
    )
    db.commit()


@pytest.mark.redis
@pytest.mark.skipif(not _redis_available(), reason=f"Redis not reachable at {REDIS_URL}")
def test_on_the_worker_a_lost_chunk_is_sent_later_and_a_slow_one_mails_nobody_twice(  # noqa: PLR0917
    db: Session,
    database: Database,
    signers: Signers,
    server: Picky,
    on_redis: Settings,
    redis_queue: None,
    tmp_path: Path,
) -> None:
    del redis_queue
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    set_runtime(on_redis, database)
    decided = signers.closes_at + timedelta(minutes=1)
    # the decision; its mails are queued (no worker runs yet), then the broker loses them
    services.run_deadlines(db, now=decided)
    assert notifications.send(db, signers.initiative_id, "succeeded") == len(signers.due)
    assert _markers(db, signers, done=False) == len(signers.due)
    broker.flushdb()  # lost: the queuing's and the chunks' messages
    _age_markers(db, signers, timedelta(minutes=61))

    worker = start_worker(on_redis, tmp_path / "worker-var")
    try:
        notifications.run_mail_schedule(db, now=decided + timedelta(minutes=61))
        _wait_for(lambda: _markers(db, signers, done=False) == 0, worker, "send the lost chunks")
        _wait_for(lambda: len(server.messages) >= len(signers.due), worker, "send the mails")
    finally:
        stop_worker(worker)
    assert sorted(m["To"] for m in server.messages) == sorted(signers.due)

    # slow, not lost: the chunk messages still wait when the pass takes their markers
    # for lost and queues the mails again; two copies of every chunk, one mail each
    server.messages.clear()
    db.execute(
        InitiativeMailMarker.__table__.delete().where(
            InitiativeMailMarker.initiative_id == signers.initiative_id
        )
    )
    db.commit()
    assert notifications.send(db, signers.initiative_id, "succeeded") == len(signers.due)
    waiting = broker.llen("celery")
    _age_markers(db, signers, timedelta(minutes=61))
    assert notifications.run_mail_schedule(db, now=decided + timedelta(minutes=62)) == len(
        signers.due
    )
    assert broker.llen("celery") == 2 * waiting
    worker = start_worker(on_redis, tmp_path / "worker-var")
    try:
        _wait_for(lambda: broker.llen("celery") == 0, worker, "take every message")
        _wait_for(lambda: _markers(db, signers, done=False) == 0, worker, "send the chunks")
        time.sleep(2)  # the last copies run; they may send nothing
    finally:
        stop_worker(worker)
    counts = Counter(str(m["To"]) for m in server.messages)
    assert counts == dict.fromkeys(signers.due, 1)
