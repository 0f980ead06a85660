"""Steps shared by the election commission's features (commission, postal votes,
guidance): the referendum and its ceremony, the JSON answers, the audit log, the page.

Each test module provides the ``commission`` fixture (`tests.support.referendums_commission`)
and imports these with ``from tests.bdd.commission_steps import *`` (pytest-bdd finds
steps in the test module and in conftest.py only).
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.

from __future__ import annotations

from pytest_bdd import given, parsers, then, when
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.audit import AuditEvent
from app.core.db import Database
from app.core.settings import Settings
from ballots.models import ElectionStatus
from referendums.notifications.tasks import run_schedule
from tests import ballots_support as support
from tests.bdd.conftest import Person, fresh_session, visible_text
from tests.conftest import TEST_PASSWORD
from tests.factories import make_account
from tests.support.referendums_commission import COMMISSION, Commission


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace(" and ", ",").split(",") if n.strip()]


@given(
    "a member referendum of the Landesverband with the trustees Karla, Kai and Kim, "
    "2 of whom must decrypt"
)
def referendum(commission: Commission) -> None:
    support.create(commission.world, trustees=3, threshold=2)


@given("Karla, Kai and Kim have registered their sealing keys")
@when("Karla, Kai and Kim have registered their sealing keys")
def registered(commission: Commission) -> None:
    for name in COMMISSION:
        assert commission.register(name).status_code == 200


@given("the key ceremony is done")
def ceremony_done(commission: Commission) -> None:
    commission.full_ceremony()
    assert commission.world.election().status == ElectionStatus.KEYS


@given("the key ceremony is done and the election is open")
def ceremony_and_open(commission: Commission, db: Session, settings: Settings) -> None:
    ceremony_done(commission)
    run_schedule(db, settings, now=commission.world.opens)
    assert commission.world.election().status == ElectionStatus.OPEN


@given(parsers.parse("{name:w} is a member with an account"))
def member_with_account(commission: Commission, db: Session, settings: Settings, name: str) -> None:
    member = commission.world.members[name.lower()]
    email = f"{name.lower()}@example.org"
    account = make_account(db, settings, email, TEST_PASSWORD, name=name, member=member)
    db.commit()
    commission.people[name] = Person(name=name, email=email, account_id=account.id)


@then(parsers.parse('the answer is the error "{code}" with status {status:d}'))
def answer_error(commission: Commission, code: str, status: int) -> None:
    answer = commission.answer
    assert answer is not None
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == code, answer.text


@then(parsers.parse('the answer\'s message says "{text}"'))
def answer_message(commission: Commission, text: str) -> None:
    assert commission.answer is not None
    assert text in commission.answer.json()["message"], commission.answer.text


@then(parsers.parse('the audit log records "{first}" and "{second}"'))
@then(parsers.parse('the audit log records "{first}"'))
def audit_records(
    commission: Commission, database: Database, first: str, second: str | None = None
) -> None:
    with fresh_session(database) as session:
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_id == str(commission.world.id))
            )
        )
    for action in (first, second):
        if action:
            assert action in actions, actions


@then(parsers.parse('{name:w}\'s commission page says "{text}"'))
def page_says(commission: Commission, name: str, text: str) -> None:
    page = commission.pages.pop(name, None) or commission.browser(name).get(commission.page_url)
    assert text in visible_text(page), visible_text(page)[:4000]
