"""`stimmwerk demo` (run by `make run`): loadable twice, with a referendum to try out."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.settings import Settings
from app.demo import DEMO_REFERENDUM_TITLE, load_demo
from ballots import services
from ballots.models import Election, ElectionStatus, Trustee
from referendums.models import Referendum


def test_demo_loads_twice_and_offers_a_referendum_for_the_commission(
    db: Session, settings: Settings
) -> None:
    first = load_demo(db, settings)
    second = load_demo(db, settings)

    assert first.accounts == second.accounts
    assert db.scalar(select(func.count()).select_from(Election)) == 1
    election = db.scalar(select(Election).where(Election.title == DEMO_REFERENDUM_TITLE))
    assert election is not None
    assert election.status == ElectionStatus.DRAFT
    assert db.get(Referendum, election.id) is not None
    trustees = db.scalars(
        select(Account.email)
        .join(Trustee, Trustee.account_id == Account.id)
        .where(Trustee.election_id == election.id)
        .order_by(Trustee.index)
    ).all()
    assert trustees == [f"kommission{i}@demo.stimmwerk.example" for i in (1, 2, 3)]
    assert election.threshold < election.trustee_count  # a margin: one lost share is no loss
    assert [q.id for q in services.manifest_of(election).questions] == ["satzung", "termin"]
    logins = [email for email, _ in first.accounts]
    assert "kommission1@demo.stimmwerk.example" in logins
