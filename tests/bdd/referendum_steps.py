"""Steps and set-ups shared by the referendum features (pages, voting, roll check).

pytest-bdd finds steps in the test module and in conftest.py only: the test modules
that need these import them with ``from tests.bdd.referendum_steps import *``.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
from __future__ import annotations

from pathlib import Path

from httpx import Response
from pytest_bdd import given, parsers, then
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.settings import Settings
from app.organisations.models import Member
from tests.bdd.conftest import Organisation, People, is_redirect_to_login
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account
from tests.support.referendums_world import ReferendumWorld, build_referendum


@given(parsers.parse("{name:w} votes by post"))
def votes_by_post(db: Session, people: People, name: str) -> None:
    member = db.get(Member, people[name].member_id)
    assert member is not None
    member.postal_vote = True
    db.commit()


def open_vote(
    db: Session, settings: Settings, org: Organisation, tmp_path: Path, unit_name: str
) -> ReferendumWorld:
    """Staff (Sabine) sets a referendum up for ``unit_name``, three commission members
    (K1-K3) hold the ceremony, the roll is frozen, it opens.

    ``build_referendum`` places its clock so that the real now lies inside the window.
    """
    unit = org.unit(unit_name)
    staff = make_account(db, settings, "staff@example.org", TEST_PASSWORD, name="Sabine")
    grant(db, staff, Role.STAFF, unit)
    commission = []
    for i in range(3):
        account = make_account(
            db, settings, f"kommission{i + 1}@example.org", TEST_PASSWORD, name=f"K{i + 1}"
        )
        grant(db, account, Role.COMMISSION, unit)
        commission.append(account)
    db.commit()
    return build_referendum(
        db, settings, tmp_path, staff=staff, trustees=commission, unit_code=unit.code, stage="open"
    )


@then("the visitor is sent to the login page")
def sent_to_login(response: Response) -> None:
    assert is_redirect_to_login(response), (response.status_code, response.headers)
