"""Signing under concurrency, on the real databases: a double submission counts once,
nothing is lost, and the counter always equals the counted rows."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Account
from app.core.db import Database, utcnow
from app.core.settings import Settings
from motions import rules as rules_service
from motions import services
from motions.models import Initiative, InitiativeStatus, Signature
from tests.factories import make_account, make_member, make_tree

MEMBERS = 6
SUBMISSIONS = 3


def _setting(database: Database, settings: Settings) -> tuple[uuid.UUID, list[uuid.UUID]]:
    with database.session() as session:
        tree = make_tree(session)
        unit = tree["UB1"]
        accounts = []
        for i in range(MEMBERS):
            member = make_member(session, tree["OV-A"], f"M{i}", "Muster")
            account = make_account(
                session, settings, f"m{i}@example.org", "pw-unused-123", member=member
            )
            accounts.append(account.id)
        moment = utcnow() - timedelta(hours=1)
        rules = rules_service.effective(session, unit, moment.date())
        initiative = Initiative(
            unit_id=unit.id,
            rules_id=rules.id,
            title="Parallel",
            proposal="p",
            reasons="r",
            started_by_id=accounts[0],
            status=InitiativeStatus.SIGNING,
            opens_at=moment,
            closes_at=moment + timedelta(days=30),
            reference_date=moment.date(),
            member_count=MEMBERS,
            threshold=2,
        )
        session.add(initiative)
        session.commit()
        return initiative.id, accounts


def test_concurrent_double_submissions_count_once(database: Database, settings: Settings) -> None:
    initiative_id, accounts = _setting(database, settings)
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(MEMBERS * SUBMISSIONS)

    def submit(account_id: uuid.UUID) -> None:
        # Wait before taking a connection: threads holding connections while they wait
        # for each other would exhaust the pool (10 + 10) and never meet at the barrier.
        barrier.wait(timeout=60)
        with database.session() as session:
            account = session.get(Account, account_id)
            try:
                services.sign(session, account, initiative_id)
                result = "signed"
            except services.Refused:
                result = "refused"
            except Exception as error:  # noqa: BLE001 - SQLite may be busy: reported below
                result = f"error {type(error).__name__}"
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=submit, args=(account_id,))
        for account_id in accounts
        for _ in range(SUBMISSIONS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a submission hung"
    assert outcomes.count("signed") == MEMBERS, outcomes
    assert outcomes.count("refused") == MEMBERS * (SUBMISSIONS - 1), outcomes
    with database.session() as session:
        initiative = session.get(Initiative, initiative_id)
        rows = session.scalars(select(Signature).where(Signature.initiative_id == initiative_id))
        assert initiative is not None
        assert initiative.signature_count == MEMBERS
        assert sum(1 for row in rows if row.counts) == MEMBERS


def test_no_signature_lands_after_the_decision(database: Database, settings: Settings) -> None:
    initiative_id, accounts = _setting(database, settings)
    with database.session() as session:
        services.sign(session, session.get(Account, accounts[0]), initiative_id)
        closes = session.get(Initiative, initiative_id).closes_at  # type: ignore[union-attr]
        assert closes is not None
        report = services.run_deadlines(session, now=closes + timedelta(seconds=1))
        assert report.decided == [initiative_id]
    with database.session() as session:
        # The request's clock still says "open", the row no longer does: refused.
        with pytest.raises(services.Refused):
            services.sign(
                session,
                session.get(Account, accounts[1]),
                initiative_id,
                now=closes - timedelta(seconds=1),
            )
        initiative = session.get(Initiative, initiative_id)
        assert initiative is not None
        assert initiative.signature_count == initiative.final_count == 1
