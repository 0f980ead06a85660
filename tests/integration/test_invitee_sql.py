"""The survey and referendum mailings' "who is due" rule, in Python and in SQL, agree.

The schedule asks the database whether anyone is missing a mail before it walks a
roll (`app.organisations.activation_invites.anyone_due`), with the rule written again
in SQL (`_due_sql`) beside the rule the walk applies (`_due` on `Invitee`). If the two
ever differed, a member the walk would mail could be skipped for good. So every state
an invitee can be in (no account; an account disabled or not, with or without a
password, verified or not, reminders on or off; a register address present, empty or
missing; an empty account address) is made, on SQLite and PostgreSQL, and both rules
must pick the same members for each kind of mail.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Account
from app.core.db import utcnow
from app.organisations.activation_invites import Invitee, load_invitees
from app.organisations.models import Member
from referendums.notifications import tasks as referendum_mails
from surveys import tasks as survey_mails
from tests import factories

REGISTER = [None, "", "register"]


def _everyone(db: Session) -> list[int]:
    """A member for every state; their ids."""
    unit = factories.make_tree(db)["OV-A"]
    ids: list[int] = []
    number = itertools.count()

    def member(register: str | None) -> Member:
        n = next(number)
        address = f"{register}{n}@test.de" if register else register
        person = factories.make_member(db, unit, "Person", f"P{n}", email=address)
        ids.append(person.id)
        return person

    for register in REGISTER:
        member(register)  # no account
    states = itertools.product([False, True], repeat=4)
    for (disabled, password, verified, reminders_off), register in itertools.product(
        states, REGISTER
    ):
        person = member(register)
        db.add(
            Account(
                email=f"account{person.id}@test.de",
                display_name="Person",
                member_id=person.id,
                password_hash="hash" if password else None,
                email_verified_at=utcnow() - timedelta(days=1) if verified else None,
                is_disabled=disabled,
                referendum_reminders_opt_out=reminders_off,
            )
        )
    # An account whose address is empty, with a usable login (once: addresses are unique).
    person = member("register")
    db.add(
        Account(
            email="",
            display_name="Person",
            member_id=person.id,
            password_hash="hash",
            email_verified_at=utcnow(),
        )
    )
    db.commit()
    return ids


RULES: list[
    tuple[str, Callable[[Any, Invitee], bool], Callable[[Any], ColumnElement[bool]], Any]
] = [
    (f"survey-{kind.value}", survey_mails._due, survey_mails._due_sql, kind)
    for kind in (survey_mails.INVITATION, survey_mails.REMINDER)
] + [
    (f"referendum-{kind.value}", referendum_mails._due, referendum_mails._due_sql, kind)
    for kind in referendum_mails.MailKind
]


@pytest.mark.parametrize(("name", "in_python", "in_sql", "kind"), RULES, ids=[r[0] for r in RULES])
def test_the_rule_in_sql_picks_whom_the_rule_in_python_picks(
    db: Session,
    name: str,
    in_python: Callable[[Any, Invitee], bool],
    in_sql: Callable[[Any], ColumnElement[bool]],
    kind: Any,
) -> None:
    ids = _everyone(db)
    invitees = load_invitees(db, ids)
    python = {member_id for member_id in ids if in_python(kind, invitees[member_id])}
    sql = set(
        db.scalars(
            select(Member.id)
            .outerjoin(Account, Account.member_id == Member.id)
            .where(Member.id.in_(ids), in_sql(kind))
        )
    )
    assert sql == python, name
    # Neither rule is trivial here: some are due and some are not.
    assert python
    assert python != set(ids)
