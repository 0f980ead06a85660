"""Survey credentials follow the ballot core's issuance rules (``ballots.issuance``).

One credential per member, only the day kept, a retry of the same request answered the
same, any other request refused; at the close, every entry is rewritten in one statement
so the database's row versions no longer give the order in which members asked (on
PostgreSQL: one ``xmin`` for all entries).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.settings import Settings
from surveys import client, services
from surveys.models import SurveyRollEntry
from tests import factories
from tests.surveys_support import answer_as, example_definition, good_answers

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DURING = START + timedelta(days=1)


def test_one_credential_per_member_day_only_and_the_order_blurred_at_the_close(
    db: Session, settings: Settings
) -> None:
    tree = factories.make_tree(db)
    staff = factories.make_account(db, settings, "s@t.de", "pw-123456789")
    factories.grant(db, staff, Role.STAFF, tree["UB1"])
    members = []
    for n in range(3):
        member = factories.make_member(db, tree["OV-A"], "M", f"n{n}", email=f"m{n}@t.de")
        members.append(
            factories.make_account(db, settings, f"m{n}@t.de", "pw-123456789", member=member)
        )
    db.commit()
    survey = services.create_survey(
        db, staff, tree["UB1"], example_definition(), opens_at=START,
        closes_at=START + timedelta(days=7),
    )  # fmt: skip
    survey = services.open_survey(db, settings, staff, survey.id, key_bits=2048)

    issuer = services.issuer_public(survey, "members")
    request = client.request_credential(issuer, str(survey.id), "members")
    first = services.issue_credential(
        db, settings, survey.id, members[0], request.blinded_msg, now=DURING
    )
    again = services.issue_credential(
        db, settings, survey.id, members[0], request.blinded_msg, now=DURING + timedelta(hours=5)
    )
    assert again == first  # a lost response: the same request gets the same answer
    other = client.request_credential(issuer, str(survey.id), "members")
    with pytest.raises(services.CredentialTaken):
        services.issue_credential(db, settings, survey.id, members[0], other.blinded_msg)
    day = db.scalar(
        select(SurveyRollEntry.credential_issued_on).where(
            SurveyRollEntry.member_id == members[0].member_id
        )
    )
    assert day == DURING.date()  # the day, not the time

    for account in members[1:]:
        answer_as(db, settings, survey, account, good_answers(), now=DURING)
    services.close_survey(db, settings, staff, survey.id)
    if db.get_bind().dialect.name == "postgresql":
        versions = db.scalar(
            text(
                "SELECT count(DISTINCT xmin::text) FROM survey_roll_entries "
                "WHERE survey_id = :survey"
            ),
            {"survey": survey.id},
        )
        assert versions == 1
