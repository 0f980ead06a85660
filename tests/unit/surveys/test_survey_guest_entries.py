"""A guest's credential entry does not number the guests in the order they asked.

Guest entries are written when the credential is issued (guests are not frozen into a
roll), so an autoincrement key would count them in the order of issuance, finer than
the day the entry keeps. Runs on SQLite and, with STIMMWERK_TEST_POSTGRES_URL, on
PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.settings import Settings
from surveys import client, services
from surveys.models import SurveyGuestEntry
from tests import factories
from tests.surveys_support import example_definition

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DURING = START + timedelta(days=1)
GUESTS = 12
"""Enough that the order of issuance is not the key's order by chance (1 in 12!)."""


def test_guest_entries_are_keyed_by_survey_and_account_not_by_a_counter(
    db: Session, settings: Settings
) -> None:
    tree = factories.make_tree(db)
    member = factories.make_member(db, tree["UB1"], "Sonja", "Stab", email="stab@test.de")
    staff = factories.make_account(db, settings, "stab@test.de", "pw-123456789", member=member)
    factories.grant(db, staff, Role.STAFF, tree["UB1"])
    guests = [
        factories.make_account(db, settings, f"gast{n}@test.de", "pw-123456789")
        for n in range(GUESTS)
    ]
    db.commit()
    survey = services.create_survey(
        db, staff, tree["UB1"], example_definition(),
        opens_at=START, closes_at=START + timedelta(days=7), guests_allowed=True,
    )  # fmt: skip
    survey = services.open_survey(db, settings, staff, survey.id, key_bits=2048)
    issuer = services.issuer_public(survey, "guests")
    for guest in guests:  # in this order
        request = client.request_credential(issuer, str(survey.id), "guests")
        audience, _ = services.issue_credential(
            db, settings, survey.id, guest, request.blinded_msg, now=DURING
        )
        assert audience == "guests"  # all a guest is told, besides the blind signature

    table = sa.inspect(db.get_bind())
    key = table.get_pk_constraint("survey_guest_entries")["constrained_columns"]
    assert sorted(key) == ["account_id", "survey_id"]
    columns = {c["name"]: c["type"] for c in table.get_columns("survey_guest_entries")}
    assert not [name for name, kind in columns.items() if isinstance(kind, sa.Integer)]
    in_key_order = db.scalars(
        sa.select(SurveyGuestEntry.account_id)
        .where(SurveyGuestEntry.survey_id == survey.id)
        .order_by(SurveyGuestEntry.account_id)
    ).all()
    assert len(in_key_order) == GUESTS
    assert list(in_key_order) != [guest.id for guest in guests]
