"""The surveys' schedule against a real database: due surveys close once, with record."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from app.core.db import Database
from app.core.runtime import set_runtime
from app.core.settings import Settings
from surveys import services, tasks
from surveys.models import SurveyStatus
from surveys.verifier import verify_record
from tests import factories
from tests.conftest import MailCatcher
from tests.surveys_support import good_answers, paper_line
from tests.unit.surveys.test_survey_services import (
    DURING,
    END,
    World,
    _answer,
    _credential,
    _open,
)


@pytest.fixture
def world(db: Session, settings: Settings) -> World:
    return World(db, settings)


def test_a_survey_closes_at_its_closing_time_once_with_its_record(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    _answer(
        db, settings, survey, _credential(db, settings, survey, world.members[0]), good_answers()
    )
    assert tasks.close_due(db, settings, now=DURING).closed == []
    report = tasks.close_due(db, settings, now=END)
    assert report.closed == [survey.id]
    closed = services.get_survey(db, survey.id)
    assert closed.status == SurveyStatus.CLOSED
    assert json.loads(str(closed.results))["members"]["respondents"] == 1
    assert verify_record(services.build_record_files(db, settings, closed)).ok
    # a second run (or staff pressing close) finds nothing to do
    assert tasks.close_due(db, settings, now=END).closed == []


def test_a_survey_whose_paper_line_waits_is_not_closed_until_confirmed(
    db: Session, settings: Settings, world: World
) -> None:
    survey = _open(db, settings, world)
    services.enter_paper_line(db, world.staff, survey.id, paper_line(2))
    report = tasks.close_due(db, settings, now=END)
    assert report.waiting == [survey.id]
    assert services.get_survey(db, survey.id).status == SurveyStatus.OPEN
    services.discard_paper_line(db, world.staff, survey.id)
    assert tasks.close_due(db, settings, now=END).closed == [survey.id]


def test_invitations_once_then_one_reminder_to_those_without_a_credential(
    db: Session,
    database: Database,
    settings: Settings,
    world: World,
    mailbox: MailCatcher,
) -> None:
    set_runtime(settings, database)  # what the mail task reads
    # a member of the audience without an e-mail address: not reachable online
    factories.make_member(db, world.tree["OV-A"], "Ohne", "Adresse", email=None)
    db.commit()
    survey = _open(db, settings, world)
    member = world.members[0]
    _credential(db, settings, survey, member)
    first = tasks.send_due_mails(db, settings, now=DURING)
    eligible = services.get_survey(db, survey.id).eligible_members
    assert first.invitations == len(world.members) + 1  # the members and staff with accounts
    assert first.reminders == 0
    assert len(mailbox.to(member.email)) == 1
    assert "Mitgliederbefragung" in mailbox.to(member.email)[0]["subject"]
    assert tasks.send_due_mails(db, settings, now=DURING).invitations == 0  # once only
    # 48 hours before the close: one reminder, not to who already has a credential
    late = tasks.send_due_mails(db, settings, now=END - timedelta(hours=47))
    assert late.reminders == first.invitations - 1
    assert len(mailbox.to(member.email)) == 1
    assert len(mailbox.to(world.members[1].email)) == 2
    assert tasks.send_due_mails(db, settings, now=END - timedelta(hours=46)).reminders == 0
    reach = tasks.reachability(db, survey.id)
    assert reach == {"eligible": eligible, "not_reachable": 1}
    assert eligible == first.invitations + 1  # everyone but the member without an address


def test_who_without_a_login_gets_an_activation_link_and_who_gets_nothing(
    db: Session,
    database: Database,
    settings: Settings,
    world: World,
    mailbox: MailCatcher,
) -> None:
    """Register address but no login: the invitation and the reminder with an activation
    link. Not activated and reminders switched off: the invitation only. A disabled login,
    or no address at all: nothing (not reachable online)."""
    set_runtime(settings, database)
    unit = world.tree["OV-A"]
    fresh = factories.make_member(db, unit, "Neu", "Importiert", email="neu@test.de")
    quiet = factories.make_member(db, unit, "Still", "Leise", email="still@test.de")
    quiet_account = factories.make_account(
        db, settings, "still@test.de", "pw-123456789", member=quiet, verified=False
    )
    quiet_account.referendum_reminders_opt_out = True
    off = factories.make_member(db, unit, "Ab", "Geschaltet", email="ab@test.de")
    factories.make_account(
        db, settings, "ab@test.de", "pw-123456789", member=off
    ).is_disabled = True
    factories.make_member(db, unit, "Ohne", "Adresse", email=None)
    db.commit()
    survey = _open(db, settings, world)
    tasks.send_due_mails(db, settings, now=DURING)
    tasks.send_due_mails(db, settings, now=END - timedelta(hours=47))

    def bodies(address: str) -> list[str]:
        return [str(m.get_payload(decode=True).decode()) for m in mailbox.to(address)]

    invited, reminded = bodies(str(fresh.email))
    for body in (invited, reminded):
        assert "/activate?token=" in body
        assert f"/surveys/{survey.id}" in body
    [only_invited] = bodies("still@test.de")
    assert "/activate?token=" in only_invited
    assert bodies("ab@test.de") == []
    assert tasks.reachability(db, survey.id)["not_reachable"] == 1
