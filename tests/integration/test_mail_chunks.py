"""Invitations and reminders go out in chunk tasks (issue 12, point 7).

The schedule queues one Celery task per chunk of members (ids only); the task sends the
chunk's mails itself, each marked done in its own transaction. Against a real SMTP server
(aiosmtpd) and, where Redis is reachable, the real worker (``stimmwerk worker``):

- every member due gets exactly one mail, in chunks; disabled logins, members without an
  address and (for the reminder) those who switched reminders off or already have a
  credential get none;
- a chunk that runs again (a retry, a message delivered twice, two copies at once) sends
  nobody's mail twice, and sends what an interrupted run left;
- an address the server refuses does not stop the chunk: the others get their mail, the
  refused one's marker is given back and the next run sends it; a busy answer (4xx) is
  retried; a server that cannot be reached gives all markers back.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from litestar import Litestar
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.audit import AuditEvent
from app.core.celery import celery_app, configure_celery
from app.core.db import Database, utcnow
from app.core.runtime import set_runtime
from app.core.settings import Settings
from referendums.notifications import tasks as referendum_tasks
from referendums.notifications.models import MailKind, ReferendumMailMarker
from surveys import tasks
from surveys.models import Survey, SurveyMailMarker
from tests import factories
from tests.conftest import MailCatcher, free_port, make_settings
from tests.integration.test_celery_worker import REDIS_URL, _redis_available
from tests.integration.test_celery_worker import (  # the fixtures
    redis_queue as redis_queue,  # noqa: PLC0414
)
from tests.integration.test_celery_worker import (
    worker as worker,  # noqa: PLC0414
)
from tests.security.support import make_cast
from tests.support.referendums_world import build_referendum
from tests.unit.surveys.test_survey_services import DURING, END, World, _credential, _open

SMALL_CHUNK = 3  # seven chunks for the world below, so chunk boundaries are crossed


@dataclass
class Picky(MailCatcher):
    """A mail server that refuses some recipients for good (550) and answers "busy"
    (451) to others a given number of times."""

    refuse: set[str] = field(default_factory=set)
    busy: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd API
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        del server, session, rcpt_options
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Picky]]:
    handler = Picky()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def server(smtp: tuple[Controller, Picky]) -> Picky:
    return smtp[1]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp: tuple[Controller, Picky]) -> Settings:
    """This module's mail goes to its own server (`Picky`), the worker's too."""
    return make_settings(database_url, tmp_path, smtp[0].port)


@dataclass
class Audience:
    world: World
    survey: Survey
    due: list[str]  # addresses that get the invitation (members and staff with a login)
    fresh: str  # no login yet: the activation link
    quiet: str  # a login that switched reminders off
    disabled: str
    answered: str  # has a credential: no reminder


@pytest.fixture
def audience(db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Audience:
    monkeypatch.setattr(tasks, "CHUNK", SMALL_CHUNK)
    world = World(db, settings)
    unit = world.tree["OV-A"]
    factories.make_member(db, unit, "Neu", "Importiert", email="neu@test.de")
    quiet = factories.make_member(db, unit, "Still", "Leise", email="still@test.de")
    factories.make_account(
        db, settings, "still@test.de", "pw-123456789", member=quiet
    ).referendum_reminders_opt_out = True
    off = factories.make_member(db, unit, "Ab", "Geschaltet", email="ab@test.de")
    factories.make_account(
        db, settings, "ab@test.de", "pw-123456789", member=off
    ).is_disabled = True
    factories.make_member(db, unit, "Ohne", "Adresse", email=None)
    for n in range(8):  # more members with logins: the list spans several chunks
        member = factories.make_member(db, unit, "Viele", f"M{n}", email=f"v{n}@test.de")
        factories.make_account(db, settings, f"v{n}@test.de", "pw-123456789", member=member)
    db.commit()
    survey = _open(db, settings, world)
    logins = [a.email for a in [world.staff, *world.members]]
    due = [*logins, *(f"v{n}@test.de" for n in range(8)), "still@test.de", "neu@test.de"]
    return Audience(
        world, survey, due, "neu@test.de", "still@test.de", "ab@test.de", world.members[0].email
    )


def _survey_mails(catcher: MailCatcher, address: str, prefix: str) -> list[str]:
    return [
        _body(m)
        for m in catcher.to(address)
        if " ".join(str(make_header(decode_header(m["Subject"]))).split()).startswith(prefix)
    ]


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def _invitations(catcher: MailCatcher, address: str) -> list[str]:
    return _survey_mails(catcher, address, "Mitgliederbefragung:")


def _reminders(catcher: MailCatcher, address: str) -> list[str]:
    return _survey_mails(catcher, address, "Erinnerung:")


def _markers(db: Session, survey_id: Any, *, done: bool | None = None) -> int:
    db.expire_all()
    query = select(func.count()).select_from(SurveyMailMarker)
    query = query.where(SurveyMailMarker.survey_id == survey_id)
    if done is not None:
        query = query.where(
            SurveyMailMarker.done_at.is_not(None) if done else SurveyMailMarker.done_at.is_(None)
        )
    return int(db.scalar(query) or 0)


def _chunk_sizes(db: Session, survey_id: Any, kind: str) -> list[int]:
    """How many mails each queued chunk held (one audit event per chunk)."""
    details = db.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == f"survey:{kind}s_sent", AuditEvent.object_id == str(survey_id)
        )
    )
    return [int(detail["count"]) for detail in details]


def _member_ids(db: Session, survey_id: Any, kind: str) -> list[int]:
    return sorted(
        db.scalars(
            select(SurveyMailMarker.member_id).where(
                SurveyMailMarker.survey_id == survey_id, SurveyMailMarker.kind == kind
            )
        )
    )


def _with_port(settings: Settings, port: int) -> Settings:
    return replace(settings, mail=replace(settings.mail, smtp_port=port))


# -- in-process (the embedded mode runs the same task code right after each commit) ---------


def test_every_member_due_gets_one_invitation_and_one_reminder_in_chunks(
    db: Session, database: Database, settings: Settings, audience: Audience, server: Picky
) -> None:
    set_runtime(settings, database)
    survey = audience.survey
    _credential(db, settings, survey, audience.world.members[0])
    first = tasks.send_due_mails(db, settings, now=DURING)
    assert first.invitations == len(audience.due)
    # one Celery message (and one audit event) per chunk of the list, not per mail
    chunks = _chunk_sizes(db, survey.id, "invitation")
    assert sum(chunks) == len(audience.due)
    assert max(chunks) == SMALL_CHUNK
    assert len(chunks) <= math.ceil((audience.survey.eligible_members or 0) / SMALL_CHUNK)
    for address in audience.due:
        assert len(_invitations(server, address)) == 1, address
    assert "/activate?token=" in _invitations(server, audience.fresh)[0]
    assert _invitations(server, audience.disabled) == []
    assert {m["To"] for m in server.messages} == set(audience.due)  # nobody else
    assert _markers(db, survey.id, done=False) == 0
    assert tasks.send_due_mails(db, settings, now=DURING).invitations == 0

    late = tasks.send_due_mails(db, settings, now=END - tasks.REMINDER_BEFORE)
    no_reminder = {audience.quiet, audience.answered}
    assert late.reminders == len(audience.due) - len(no_reminder)
    for address in audience.due:
        assert len(_reminders(server, address)) == (0 if address in no_reminder else 1), address
    assert "/activate?token=" in _reminders(server, audience.fresh)[0]
    assert _reminders(server, audience.disabled) == []
    assert tasks.send_due_mails(db, settings, now=END - tasks.REMINDER_BEFORE).reminders == 0


def test_a_chunk_that_runs_again_sends_nobody_twice(
    db: Session, database: Database, settings: Settings, audience: Audience, server: Picky
) -> None:
    set_runtime(settings, database)
    survey = audience.survey
    tasks.send_due_mails(db, settings, now=DURING)
    sent = len(server.messages)
    marker = tasks._marker(survey.id, tasks.INVITATION)
    ids = _member_ids(db, survey.id, "invitation")

    # the whole list as one chunk again (a retry, a message the broker delivered twice)
    tasks.mail_chunk_task.apply(args=(marker, ids))
    assert len(server.messages) == sent

    # a run that stopped after some mails: the rest goes out, the sent ones do not
    left = [ids[1], ids[4]]
    db.execute(
        update(SurveyMailMarker)
        .where(SurveyMailMarker.survey_id == survey.id, SurveyMailMarker.member_id.in_(left))
        .values(done_at=None)
    )
    db.commit()
    runs = [  # two copies of the same chunk at the same time
        threading.Thread(target=tasks.mail_chunk_task.apply, args=((marker, ids),))
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)
    again = {
        str(db.scalar(select(Account.email).where(Account.member_id == member_id)))
        for member_id in left
    }
    counts = Counter(str(message["To"]) for message in server.messages)
    assert {address for address, count in counts.items() if count > 1} == again
    assert all(counts[address] == 2 for address in again)
    assert sum(counts.values()) == sent + len(left)
    assert _markers(db, survey.id, done=False) == 0


def test_a_refused_address_does_not_stop_the_chunk_and_the_next_run_sends_it(
    db: Session, database: Database, settings: Settings, audience: Audience, server: Picky
) -> None:
    set_runtime(settings, database)
    refused = audience.world.members[2].email  # in the middle of a chunk
    busy = audience.world.members[3].email
    server.refuse = {refused, audience.fresh}
    server.busy = {busy: 1}  # in-process there is no broker to wait on: the next run
    first = tasks.send_due_mails(db, settings, now=DURING)
    assert first.invitations == len(audience.due)
    assert sorted(m["To"] for m in server.messages) == sorted(
        set(audience.due) - {refused, audience.fresh, busy}
    )
    # the refused mails were not counted as sent: their markers are gone, nothing pending
    assert _markers(db, audience.survey.id) == len(audience.due) - 3
    assert _markers(db, audience.survey.id, done=False) == 0

    server.refuse = set()
    server.messages.clear()
    second = tasks.send_due_mails(db, settings, now=DURING + timedelta(minutes=1))
    assert second.invitations == 3
    assert sorted(m["To"] for m in server.messages) == sorted([refused, audience.fresh, busy])
    assert "/activate?token=" in _invitations(server, audience.fresh)[0]
    assert _markers(db, audience.survey.id, done=True) == len(audience.due)


def test_an_unreachable_server_gives_every_marker_back(
    db: Session, database: Database, settings: Settings, audience: Audience, server: Picky
) -> None:
    nobody = _with_port(settings, free_port())  # nothing listens there
    set_runtime(nobody, database)
    first = tasks.send_due_mails(db, nobody, now=DURING)
    assert first.invitations == len(audience.due)
    assert _markers(db, audience.survey.id) == 0  # retries used up: all given back
    assert server.messages == []

    set_runtime(settings, database)
    tasks.send_due_mails(db, settings, now=DURING)
    assert sorted(m["To"] for m in server.messages) == sorted(audience.due)


def test_a_chunk_message_lost_an_hour_ago_is_queued_again_and_a_young_one_waits(
    db: Session, database: Database, settings: Settings, audience: Audience, server: Picky
) -> None:
    """Markers a queuing run left pending (its chunk message lost, or still on its way):
    the schedule deletes those an hour old and queues their mails; younger ones wait
    for their own message (without the pass the lost member is never mailed)."""
    set_runtime(settings, database)
    lost, slow = audience.world.members[1], audience.world.members[2]
    for account, age in ((lost, timedelta(minutes=61)), (slow, timedelta(minutes=5))):
        db.add(
            SurveyMailMarker(
                survey_id=audience.survey.id,
                member_id=account.member_id,
                kind="invitation",
                sent_at=utcnow() - age,
            )
        )
    db.commit()
    report = tasks.send_due_mails(db, settings, now=DURING)
    assert report.lost_mails == 1
    assert report.invitations == len(audience.due) - 1
    assert len(_invitations(server, lost.email)) == 1
    assert _invitations(server, slow.email) == []
    assert _markers(db, audience.survey.id, done=False) == 1


# -- the real worker on Redis ---------------------------------------------------------------


@pytest.fixture
def on_redis(settings: Settings) -> Iterator[Settings]:
    """The app side queues onto Redis (as production does); restored afterwards."""
    queued = replace(settings, broker_url=REDIS_URL)
    configure_celery(celery_app, queued)
    yield queued
    configure_celery(celery_app, settings)


def _wait_for(condition: Any, worker_process: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker_process.poll() is None, "the worker died"
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not {what}")
        time.sleep(0.2)


@pytest.mark.redis
@pytest.mark.skipif(not _redis_available(), reason=f"Redis not reachable at {REDIS_URL}")
def test_the_worker_sends_each_chunk_once_retries_a_busy_answer_and_sends_no_copy_twice(  # noqa: PLR0917
    db: Session,
    database: Database,
    audience: Audience,
    server: Picky,
    worker: Any,
    on_redis: Settings,
) -> None:
    set_runtime(on_redis, database)
    survey = audience.survey
    refused = audience.world.members[2].email
    busy = audience.world.members[3].email
    server.refuse = {refused}
    server.busy = {busy: 1}  # "try again later" once: the chunk's retry (after 10 s) sends it
    report = tasks.send_due_mails(db, on_redis, now=DURING)
    assert report.invitations == len(audience.due)
    expected = sorted(set(audience.due) - {refused})
    _wait_for(lambda: len(server.messages) >= len(expected), worker, "send the invitations")
    _wait_for(lambda: _markers(db, survey.id, done=False) == 0, worker, "finish the chunks")
    assert sorted(m["To"] for m in server.messages) == expected
    assert _invitations(server, audience.disabled) == []
    assert _markers(db, survey.id) == len(expected)  # the refused one's was given back

    # every chunk once more, as the broker would redeliver them; then a chunk of one
    # member whose mail is still to go: once that arrives, the copies before it are done
    marker = tasks._marker(survey.id, tasks.INVITATION)
    *ids, last = _member_ids(db, survey.id, "invitation")
    for start in range(0, len(ids), SMALL_CHUNK):
        tasks.mail_chunk_task.apply_async(args=(marker, ids[start : start + SMALL_CHUNK]))
    db.execute(
        update(SurveyMailMarker)
        .where(SurveyMailMarker.survey_id == survey.id, SurveyMailMarker.member_id == last)
        .values(done_at=None)
    )
    db.commit()
    tasks.mail_chunk_task.apply_async(args=(marker, [last]))
    _wait_for(lambda: len(server.messages) > len(expected), worker, "send the last mail")
    time.sleep(1)  # nothing else may follow
    assert len(server.messages) == len(expected) + 1
    assert redis.Redis.from_url(REDIS_URL).llen("celery") == 0


# -- referendums take the same path ---------------------------------------------------------


def test_referendum_invitations_go_in_chunks_and_a_chunk_run_again_sends_nobody_twice(  # noqa: PLR0917
    db: Session,
    database: Database,
    settings: Settings,
    app: Litestar,
    tmp_path: Path,
    server: Picky,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(referendum_tasks, "CHUNK", SMALL_CHUNK)
    cast = make_cast(db, settings, app, tmp_path)
    # no login yet: the invitation holds the activation link (app.organisations.activation_invites)
    factories.make_member(db, cast.units["OV-A"], "Lena", "Loginlos", email="lena@example.org")
    db.commit()
    world = build_referendum(
        db,
        settings,
        tmp_path,
        staff=cast.accounts["staff_own"],
        trustees=[cast.accounts["commission_own"]],
        unit_code="UB1",
        stage="roll_frozen",
    )
    set_runtime(settings, database)
    report = referendum_tasks.run_schedule(db, settings, now=world.opens + timedelta(minutes=1))
    assert report.invitations > SMALL_CHUNK
    counts = Counter(str(m["To"]) for m in server.messages)
    assert sum(counts.values()) == report.invitations
    assert set(counts.values()) == {1}
    [lena] = server.to("lena@example.org")
    body = _body(lena)
    assert "/activate?token=" in body
    assert f"/referendums/{world.id}" in body

    ids = sorted(db.scalars(select(ReferendumMailMarker.member_id)))
    marker = referendum_tasks._marker(world.id, MailKind.INVITATION)
    referendum_tasks.mail_chunk_task.apply(args=(marker, ids))
    assert len(server.messages) == report.invitations
    again = referendum_tasks.run_schedule(db, settings, now=world.opens + timedelta(minutes=2))
    assert again.invitations == 0
    assert len(server.messages) == report.invitations
