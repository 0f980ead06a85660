"""Nothing stored, logged or published links a ballot to a member (issue 8, points 1, 7, 8).

Twenty members get their credentials and cast at different moments (virtual time,
through the real services, the board sequencer and the database). Afterwards an
operator reading every table, the audit log and the captured logs, and anyone reading
the public board, must find no fine issuance time and no board order that follows the
order of issuance. Also: a replay costs no proof check; a second device re-derives the
credential from the recovery code; the voter API's rate limits answer 429 in German.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import DateTime, inspect, select, text
from sqlalchemy.orm import Session

from app.core.audit import AuditEvent
from app.core.db import Database
from app.core.settings import Settings
from app.server import create_app
from ballots import client, recovery, services
from ballots.errors import AlreadyVoted, CredentialAlreadyIssued
from ballots.models import CastBallot, Checkpoint, RollEntry
from ballots.services import _casting
from ballots.services._sequencer import BoardSequencer
from tests import ballots_support as support
from tests.conftest import TEST_PASSWORD
from tests.factories import make_account
from tests.helpers import csrf_token, log_in

VOTERS = [f"m{i:02d}" for i in range(20)]


def _spearman(xs: list[int], ys: list[int]) -> float:
    n = len(xs)
    d2 = sum((x - y) ** 2 for x, y in zip(xs, ys, strict=True))
    return 1 - 6 * d2 / (n * (n * n - 1))


def test_twenty_members_at_different_moments_leave_no_link(  # noqa: PLR0915 - one story
    db: Session,
    database: Database,
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    world = support.open_for_voting(support.make_world(db, settings, tmp_path, members=VOTERS))
    keys = world.keys()
    audit_before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    moments: list[datetime] = []
    credentials = []
    # The members' hours all on the voting day (from 08:00 UTC, about five and a half
    # hours in all): started at the current time of day, a run after 18:30 UTC crossed
    # midnight and the issuance days below were two.
    morning = world.voting.replace(hour=8, minute=0, second=0)
    for i, name in enumerate(VOTERS):  # issuance in the order m00 … m19, 17 min apart
        moment = morning + timedelta(minutes=17 * i, seconds=i)
        moments.append(moment)
        request = client.request_credential(keys.issuer, str(world.id))
        answer = services.issue_credential(
            db, settings, world.id, world.members[name].id, request.blinded_msg, now=moment
        )
        credentials.append(client.finish_credential(keys.issuer, request, answer))

    # Casting in the same order, each a few minutes after its issuance, through the
    # sequencer of a web server (batches of at least 20, or 30 s).
    voting = replace(settings.voting, board_batch_min=20, board_batch_wait_seconds=30)
    sequencer = BoardSequencer(database, replace(settings, voting=voting))
    futures = []
    for i, credential in enumerate(credentials):
        line = client.ballot_bytes(client.make_ballot(keys, credential, {"q1": ["yes"]}))
        moment = moments[i] + timedelta(minutes=3)
        moments.append(moment)
        with database.session() as session:
            checked = services.check_for_board(session, world.id, line, now=moment)
        futures.append(sequencer.submit(world.id, checked, now=moment))
    receipts = [future.result(timeout=60) for future in futures]

    # The public board: its order does not follow issuance (or casting) order.
    board_order = [receipt.index for receipt in receipts]
    assert sorted(board_order) == list(range(20))
    assert board_order != list(range(20))
    assert _spearman(list(range(20)), board_order) < 0.9
    # Checkpoints carry no time: origin, size, root and signatures only.
    for note in db.scalars(select(Checkpoint.note).where(Checkpoint.election_id == world.id)):
        body = note.split("\n\n")[0].split("\n")
        assert len(body) == 3, note
    # The rows of cast_ballots (ids) follow the board order, not arrival.
    rows = db.execute(
        select(CastBallot.id, CastBallot.leaf_index)
        .where(CastBallot.election_id == world.id)
        .order_by(CastBallot.id)
    ).all()
    assert [row.leaf_index for row in rows] == list(range(20))

    # The database: issuance kept as a day only, and no column of any table holds a
    # time within the hours in which the members were active.
    db.expire_all()
    days = set(db.scalars(select(RollEntry.credential_issued_on))) - {None}
    assert days == {morning.date()}
    assert all(type(day) is date for day in days)
    first, last = min(moments), max(moments)
    for table in inspect(database.engine).get_table_names():
        columns = inspect(database.engine).get_columns(table)
        timed = [c["name"] for c in columns if isinstance(c["type"], DateTime)]
        for column in timed:
            values = db.execute(text(f'SELECT "{column}" FROM "{table}"')).scalars()
            for value in values:
                if value is None:
                    continue
                stamp = value if isinstance(value, datetime) else datetime.fromisoformat(value)
                stamp = stamp.replace(tzinfo=first.tzinfo)
                assert not first - timedelta(minutes=1) <= stamp <= last, (table, column, value)

    # The audit log: no row per issuance or per cast; the count comes with the closing.
    new_events = list(db.scalars(select(AuditEvent).where(AuditEvent.id > (audit_before or 0))))
    assert new_events == []
    services.close_election(db, world.id, None, now=world.closes)
    closed = db.scalar(select(AuditEvent).where(AuditEvent.action == "election:closed"))
    assert closed is not None
    assert closed.details["credentials_issued"] == 20
    assert not list(db.scalars(select(AuditEvent).where(AuditEvent.action.like("credential%"))))

    # The logs name no member and no credential key.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for name, member in world.members.items():
        assert member.membership_number not in logged, name
    for credential in credentials:
        assert credential.public_key_hex not in logged


def test_a_replayed_ballot_is_refused_before_any_proof_is_checked(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    world = support.open_for_voting(support.make_world(db, settings, tmp_path))
    ballot, _ = support.cast(world, support.credential(world, "anna"), {"q1": ["yes"]})
    line = client.ballot_bytes(ballot)
    before = _casting.proof_checks.value
    with pytest.raises(AlreadyVoted):
        services.check_for_board(db, world.id, line, now=world.voting)
    assert _casting.proof_checks.value == before
    # A fresh ballot is checked in full (the counter moves).
    support.cast(world, support.credential(world, "ben"), {"q1": ["no"]})
    assert _casting.proof_checks.value == before + 1


def test_a_second_device_recovers_the_one_credential_from_the_code(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    world = support.open_for_voting(support.make_world(db, settings, tmp_path))
    keys = world.keys()
    member = world.members["anna"].id
    code_text = recovery.format_code(b"\x07" * recovery.CODE_BYTES)

    def fetch(code: str) -> client.Credential:
        request = recovery.recoverable_request(
            keys.issuer, str(world.id), recovery.parse_code(code)
        )
        answer = services.issue_credential(
            db, settings, world.id, member, request.blinded_msg, now=world.voting
        )
        return client.finish_credential(keys.issuer, request, answer)

    first = fetch(code_text)  # the first device
    second = fetch(code_text.lower().replace("-", " "))  # another browser, typed by hand
    assert second.public_key_hex == first.public_key_hex
    issued = db.scalars(select(RollEntry).where(RollEntry.credential_issued_on.is_not(None)))
    assert len(list(issued)) == 1
    with pytest.raises(CredentialAlreadyIssued):  # a different code: still one credential
        fetch(recovery.format_code(b"\x08" * recovery.CODE_BYTES))
    support.cast(world, second, {"q1": ["yes"]})
    with pytest.raises(AlreadyVoted):  # and one ballot
        support.cast(world, first, {"q1": ["no"]})


@pytest.fixture
def limited_client(settings: Settings, database: Database) -> TestClient[Litestar]:
    voting = replace(settings.voting, cast_per_minute=2, credential_per_minute=1)
    app = create_app(replace(settings, voting=voting), database)
    return TestClient(app, base_url="https://testserver.local")


def test_casting_is_rate_limited_per_address(
    limited_client: TestClient[Litestar],
) -> None:
    url = f"/api/elections/{uuid.uuid4()}"
    with limited_client as http:
        for _ in range(2):
            assert http.post(f"{url}/ballots", content=b"{}").status_code != 429
        refused = http.post(f"{url}/ballots", content=b"{}")
        assert refused.status_code == 429
        assert refused.json()["error"] == "rate_limited"
        assert "Zu viele Anfragen" in refused.json()["message"]
        assert refused.headers["retry-after"] == "60"


def test_credential_requests_are_rate_limited_per_address(
    db: Session, database: Database, settings: Settings, tmp_path: Path
) -> None:
    world = support.make_world(db, settings, tmp_path, members=("anna",), postal=())
    make_account(db, settings, "anna@example.org", TEST_PASSWORD, member=world.members["anna"])
    db.commit()
    voting = replace(settings.voting, credential_per_minute=2)
    app = create_app(replace(settings, voting=voting), database)
    url = f"/api/elections/{uuid.uuid4()}/credential"
    with TestClient(app, base_url="https://testserver.local") as http:
        log_in(http, "anna@example.org", TEST_PASSWORD)
        token = csrf_token(http, "/dashboard")
        headers = {"x-csrftoken": token}
        for _ in range(2):  # an unknown election: refused, but counted
            assert http.post(url, json={"blinded_msg": "00"}, headers=headers).status_code == 404
        refused = http.post(url, json={"blinded_msg": "00"}, headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"] == "rate_limited"
        assert "Zu viele Anfragen" in refused.json()["message"]
