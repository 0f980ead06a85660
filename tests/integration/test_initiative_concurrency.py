"""Signing under concurrency, on the real databases: a double submission counts once,
nothing is lost, the live count always equals the counted rows, and nothing changes
the signatures after the deadline's count.

Signatures hold the initiative ``FOR KEY SHARE`` (not exclusively: they do not wait
for each other) and count on random shards; the decision takes the row ``FOR UPDATE``.
SQLite serialises writers, so the races between the two are PostgreSQL's; those tests
pause one side at the critical point.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from app.accounts.models import Account
from app.core.db import Database, utcnow
from app.core.settings import Settings
from motions import rules as rules_service
from motions import services
from motions.models import COUNT_SHARDS, Initiative, InitiativeCount, InitiativeStatus, Signature
from tests.factories import make_account, make_member, make_tree
from tests.helpers import in_thread

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
        session.flush()
        session.add_all(  # as `services.admit` makes them
            InitiativeCount(initiative_id=initiative.id, shard=shard, signatures=0)
            for shard in range(COUNT_SHARDS)
        )
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
        assert initiative.live_count == MEMBERS
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
        assert initiative.live_count == initiative.final_count == 1


postgres_only = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
WAIT = 20.0


def _closes(database: Database, initiative_id: uuid.UUID) -> Any:
    with database.session() as session:
        initiative = session.get(Initiative, initiative_id)
        assert initiative is not None
        return initiative.closes_at


@postgres_only
def test_a_signature_being_stored_when_the_count_starts_is_counted(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    initiative_id, accounts = _setting(database, settings)
    closes = _closes(database, initiative_id)
    written, release = threading.Event(), threading.Event()
    real = services._take_open

    def paused(session: Any, *args: Any) -> bool:
        written.set()  # the signature's row is written, not yet committed
        assert release.wait(WAIT)
        return real(session, *args)

    monkeypatch.setattr(services, "_take_open", paused)

    def sign() -> Any:
        with database.session() as session:
            account = session.get(Account, accounts[0])
            return services.sign(session, account, initiative_id, now=closes - timedelta(seconds=1))

    def decide() -> Any:
        with database.session() as session:
            return services.run_deadlines(session, now=closes + timedelta(seconds=1))

    signing, signed = in_thread(sign)
    assert written.wait(WAIT)
    deciding, decided = in_thread(decide)
    deciding.join(1.0)
    assert deciding.is_alive(), "the count must wait for the signature being stored"
    release.set()
    signing.join(WAIT)
    deciding.join(WAIT)
    assert "error" not in signed, signed
    assert "error" not in decided, decided
    with database.session() as session:
        initiative = session.get(Initiative, initiative_id)
        assert initiative is not None
        assert initiative.final_count == initiative.live_count == 1
        assert initiative.commitment_root is not None


@postgres_only
def test_a_withdrawal_while_the_count_holds_the_initiative_is_refused(
    database: Database, settings: Settings
) -> None:
    initiative_id, accounts = _setting(database, settings)
    closes = _closes(database, initiative_id)
    with database.session() as session:
        services.sign(session, session.get(Account, accounts[0]), initiative_id)
    with database.session() as counter:
        # What the decision does first: the row taken, then held FOR UPDATE, decided.
        counter.execute(
            update(Initiative).where(Initiative.id == initiative_id).values(decided_at=closes)
        )
        counter.execute(
            select(Initiative.id).where(Initiative.id == initiative_id).with_for_update()
        )
        counter.execute(
            update(Initiative)
            .where(Initiative.id == initiative_id)
            .values(status=InitiativeStatus.SUCCEEDED, final_count=1)
        )

        def withdraw() -> None:
            with database.session() as session:
                account = session.get(Account, accounts[0])
                services.withdraw(
                    session, account, initiative_id, now=closes - timedelta(seconds=1)
                )

        withdrawing, withdrew = in_thread(withdraw)  # checked "open" before the count commits
        withdrawing.join(1.0)
        assert withdrawing.is_alive(), "the withdrawal must wait for the count"
        counter.commit()
    withdrawing.join(WAIT)
    assert isinstance(withdrew.get("error"), services.Refused), withdrew
    with database.session() as session:
        row = session.scalar(select(Signature).where(Signature.initiative_id == initiative_id))
        assert row is not None
        assert row.withdrawn_at is None, "the counted signature stays"


@postgres_only
def test_signatures_do_not_wait_for_each_other(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One signature paused before its commit (holding the initiative) does not hold up
    another: holding is shared, and they count on shards."""
    initiative_id, accounts = _setting(database, settings)
    written, release = threading.Event(), threading.Event()
    real_take = services._take_open
    shards = iter(range(COUNT_SHARDS))  # two different shards: they share no row
    monkeypatch.setattr(services.secrets, "randbelow", lambda _n: next(shards))

    def hold_then_pause(session: Any, *args: Any) -> bool:
        taken = real_take(session, *args)
        if threading.current_thread().name == "first":
            written.set()
            assert release.wait(WAIT)
        return taken

    monkeypatch.setattr(services, "_take_open", hold_then_pause)

    def sign(index: int) -> Any:
        with database.session() as session:
            return services.sign(session, session.get(Account, accounts[index]), initiative_id)

    first = threading.Thread(target=sign, args=(0,), name="first", daemon=True)
    first.start()
    assert written.wait(WAIT)
    second, signed = in_thread(lambda: sign(1))
    second.join(WAIT)
    assert not second.is_alive(), "the second signature waited for the first"
    assert "error" not in signed, signed
    release.set()
    first.join(WAIT)
    with database.session() as session:
        initiative = session.get(Initiative, initiative_id)
        assert initiative is not None
        assert initiative.live_count == 2
