"""Steps for referendums/commission_guidance.feature: backups, tasks, mails, early close, statement.

Karla, Kai and Kim are the commission accounts of ``tests.ballots_support`` (trustees
1-3); they use their own browsers (``tests.bdd.conftest.Browsers``) on the real app.
Python crypto stands in for trustee.js (``tests.support.referendums_commission``); a
"fresh browser" is a new TestClient that logs in again. Mail goes through the test
SMTP server; the scheduler is the beat task's ``run_schedule``.
"""

from __future__ import annotations

import hashlib
import io
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from pypdf import PdfReader
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.audit import AuditEvent
from app.core.db import Database
from app.core.settings import Settings
from ballots import services
from ballots.models import ElectionStatus, Trustee
from referendums.commission.models import TrusteeBackup
from referendums.models import Referendum
from referendums.notifications.tasks import run_schedule
from tests import ballots_support as support
from tests.bdd.commission_steps import *  # noqa: F403 - the shared steps
from tests.bdd.commission_steps import _names, ceremony_and_open
from tests.bdd.conftest import Browsers, fresh_session, log_in_fully, visible_text
from tests.conftest import MailCatcher
from tests.helpers import csrf_token, submit
from tests.support.referendums_commission import COMMISSION, Commission

scenarios("referendums/commission_guidance.feature")

OPTIONS = ("yes", "no", "abstain")


@pytest.fixture
def commission(db: Session, settings: Settings, tmp_path: Path, browsers: Browsers) -> Commission:
    world = support.make_world(db, settings, tmp_path, postal=("paul",))
    return Commission(world, browsers)


def _mail_subjects(mailbox: MailCatcher, email: str) -> list[str]:
    return [
        " ".join(str(make_header(decode_header(m["Subject"]))).split()) for m in mailbox.to(email)
    ]


def _mail_bodies(mailbox: MailCatcher, email: str) -> list[str]:
    return [m.get_payload(decode=True).decode() for m in mailbox.to(email)]


# -- Given ---------------------------------------------------------------------------------


@given("Karla, Kai and Kim have registered their sealing keys and dealt their shares")
def registered_and_dealt(commission: Commission) -> None:
    for step in (commission.register, commission.deal):
        for name in COMMISSION:
            assert step(name).status_code == 200


@given(parsers.parse("{name:w} has registered her sealing key"))
@when(parsers.parse("{name:w} registers his sealing key"))
def one_registers(commission: Commission, name: str) -> None:
    assert commission.register(name).status_code == 200


@given(parsers.parse('the vote has been counted with {yes:d} "yes" and {no:d} "no"'))
def counted(commission: Commission, db: Session, settings: Settings, yes: int, no: int) -> None:
    world = commission.world
    db.add(Referendum(election_id=world.id, explanation="Soll der Landesverband …?"))
    db.commit()
    ceremony_and_open(commission, db, settings)
    voters = ["anna", "ben", "cem"][: yes + no]
    for i, member in enumerate(voters):
        choice = "yes" if i < yes else "no"
        support.cast(world, support.credential(world, member), {"q1": [choice]})
    run_schedule(db, settings, now=world.closes)
    postal_votes(commission)
    for name in ("Karla", "Kim"):
        assert commission.decrypt(name).status_code == 200
    commission.send_form("Kim", "/tally", {})
    db.expire_all()
    assert world.election().status == ElectionStatus.TALLIED


# -- When ----------------------------------------------------------------------------------


@when("Karla enters the postal votes and Kai confirms them")
def postal_votes(commission: Commission) -> None:
    empty = {"envelopes": "0", "invalid-q1": "0"} | {f"count-q1-{o}": "0" for o in OPTIONS}
    # Record §7.3: each trustee's browser signs the figures with their key.
    entered = {"signature": commission.postal_signature("Karla", "entered", empty)}
    confirmed = {"signature": commission.postal_signature("Kai", "confirmed", empty)}
    commission.send_form("Karla", "/postal", empty | entered)
    commission.send_form("Kai", "/postal/confirm", empty | confirmed)
    assert "Das Briefwahlergebnis ist bestätigt." in visible_text(commission.pages.pop("Kai"))


@when(parsers.parse("{name:w} confirms the shares she received without having saved a backup"))
def confirm_without_backup(commission: Commission, name: str) -> None:
    commission.answer = commission.check(name, backup=False)


@when(parsers.parse("{name:w} saves the backup of her key share and confirms her shares"))
def backup_and_confirm(commission: Commission, name: str) -> None:
    response = commission.check(name)
    assert response.status_code == 200, response.text


@when(
    parsers.parse("{name:w} restores her backup in a fresh browser and it matches her public key")
)
def restores_backup(commission: Commission, browsers: Browsers, name: str) -> None:
    fresh = browsers.of(f"{name}-fresh")
    log_in_fully(fresh, commission.person(name))
    # What trustee.js checks before it reports: the share in the file matches the
    # trustee's public verification key (sum of the dealers' share images).
    doc = fresh.get(commission.api_url + "/ceremony", headers={"accept": "application/json"})
    assert doc.status_code == 200, doc.text
    share = commission.secrets[name].share
    assert share is not None
    digest = hashlib.sha256(b"backup of " + share.encoded).hexdigest()
    token = csrf_token(fresh, commission.page_url)
    response = fresh.post(
        commission.api_url + "/ceremony/backup-test",
        json={"digest": digest},
        headers={"x-csrftoken": token, "accept": "application/json"},
    )
    assert response.status_code == 200, response.text


@when("the scheduler runs")
@when("the scheduler runs again")
def scheduler_runs(commission: Commission, db: Session, settings: Settings) -> None:
    run_schedule(db, settings)


@pytest.fixture
def seen() -> dict[str, str]:
    """What each waiting page showed when it was loaded (its signature)."""
    return {}


@when(parsers.parse("{name:w}'s waiting page asks whether anything changed"))
def poll(commission: Commission, seen: dict[str, str], name: str) -> None:
    browser = commission.browser(name)
    if name not in seen:
        page = browser.get(commission.page_url)
        assert 'id="commission-poll"' in page.text, "the waiting page does not poll"
        seen[name] = page.text.split("status?seen=", 1)[1].split('"', 1)[0]
    commission.answer = browser.get(
        commission.page_url + "/status?seen=" + seen[name], headers={"HX-Request": "true"}
    )


@when(parsers.parse("{name:w} closes the vote early without giving a reason"))
def close_without_reason(commission: Commission, name: str) -> None:
    commission.send_form(name, "/close", {"reason": "  ", "confirm": "yes"})


@when(parsers.parse('{name:w} closes the vote early with the reason "{reason}"'))
def close_with_reason(commission: Commission, name: str, reason: str) -> None:
    commission.send_form(name, "/close", {"reason": reason, "confirm": "yes"})


@when(parsers.parse('{name:w} tries to close the vote early with the reason "{reason}"'))
def other_closes(commission: Commission, browsers: Browsers, name: str, reason: str) -> None:
    browser = browsers.of(name)
    log_in_fully(browser, commission.people[name])
    commission.answer = submit(
        browser, "/dashboard", commission.page_url + "/close", {"reason": reason, "confirm": "yes"}
    )


@when(parsers.parse("{name:w} reports a saved backup before everybody has dealt"))
@when(parsers.parse("{name:w} reports a saved backup"))
def reports_backup(commission: Commission, browsers: Browsers, name: str) -> None:
    body = {"digest": "ab" * 32}
    if name in COMMISSION:
        commission.answer = commission.post(name, "/ceremony/backup", body)
        return
    browser = browsers.of(name)
    log_in_fully(browser, commission.people[name])
    token = csrf_token(browser, "/dashboard")
    commission.answer = browser.post(
        commission.api_url + "/ceremony/backup",
        json=body,
        headers={"x-csrftoken": token, "accept": "application/json"},
    )


@when(parsers.parse("{name:w} reports a saved backup with a malformed checksum"))
def reports_bad_backup(commission: Commission, name: str) -> None:
    commission.answer = commission.post(name, "/ceremony/backup", {"digest": "not hex"})


@when(parsers.parse("{name:w} tries to state the result"))
def other_states(commission: Commission, browsers: Browsers, name: str) -> None:
    browser = browsers.of(name)
    log_in_fully(browser, commission.people[name])
    commission.answer = submit(browser, "/dashboard", commission.page_url + "/result/state", {})


@when(parsers.parse("{name:w} states the result"))
def state(commission: Commission, name: str) -> None:
    commission.send_form(name, "/result/state", {})


@when(parsers.parse("{name:w} confirms the result herself"))
@when(parsers.parse("{name:w} confirms the result"))
def confirm(commission: Commission, name: str) -> None:
    commission.send_form(name, "/result/confirm", {})


# -- Then ------------------------------------------------------------------------------------


def _trustee(session: Session, commission: Commission, name: str) -> Trustee:
    trustee = session.scalar(
        select(Trustee).where(
            Trustee.election_id == commission.world.id, Trustee.index == COMMISSION[name] + 1
        )
    )
    assert trustee is not None
    return trustee


@then(parsers.parse("{name:w} has not confirmed her shares"))
def not_confirmed(commission: Commission, database: Database, name: str) -> None:
    with fresh_session(database) as session:
        assert _trustee(session, commission, name).shares_verified_at is None
        backup = session.get(TrusteeBackup, (commission.world.id, COMMISSION[name] + 1))
        assert backup is None


@then("no trustee has a backup on record")
def no_backups(commission: Commission, database: Database) -> None:
    with fresh_session(database) as session:
        rows = session.scalars(
            select(TrusteeBackup).where(TrusteeBackup.election_id == commission.world.id)
        ).all()
    assert rows == []


@then(parsers.parse("{name:w} has confirmed her shares"))
def confirmed(commission: Commission, database: Database, name: str) -> None:
    with fresh_session(database) as session:
        assert _trustee(session, commission, name).shares_verified_at is not None


@then(parsers.parse('the audit log records the reason "{reason}"'))
def audit_reason(commission: Commission, database: Database, reason: str) -> None:
    with fresh_session(database) as session:
        event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.object_id == str(commission.world.id),
                AuditEvent.action == "election:close_early_reason",
            )
        )
        assert event is not None
        assert event.details["reason"] == reason
        assert event.actor_id is not None


def _dashboard_tasks(commission: Commission, name: str) -> str:
    page = commission.browser(name).get("/referendums/commission-tasks")
    assert page.status_code == 200, page.text
    return visible_text(page)


@then(parsers.parse('{name:w}\'s dashboard lists "{text}"'))
def dashboard_lists(commission: Commission, name: str, text: str) -> None:
    dashboard = commission.browser(name).get("/dashboard")
    assert "/referendums/commission-tasks" in dashboard.text
    tasks = _dashboard_tasks(commission, name)
    assert text in tasks, tasks


@then(parsers.parse('{name:w}\'s dashboard no longer lists "{text}"'))
def dashboard_not_lists(commission: Commission, name: str, text: str) -> None:
    tasks = _dashboard_tasks(commission, name)
    assert text not in tasks, tasks


@then(parsers.parse('the commission page shows {name:w}\'s backup as "{text}"'))
def backup_shown(commission: Commission, name: str, text: str) -> None:
    page = commission.browser("Kim").get(commission.page_url)
    row = page.text.split(f"<td>{COMMISSION[name] + 1}", 1)[1].split("</tr>", 1)[0]
    assert text in row, row


@then(parsers.parse('{names} each get one mail saying "{text}"'))
def each_get_mail(commission: Commission, mailbox: MailCatcher, names: str, text: str) -> None:
    for name in _names(names):
        email = commission.person(name).email
        bodies = [b for b in _mail_bodies(mailbox, email) if text in b]
        assert len(bodies) == 1, (name, _mail_bodies(mailbox, email))
        assert f"/referendums/{commission.world.id}/commission" in bodies[0]
        assert "Ihre Stimme" not in bodies[0]
    subjects = _mail_subjects(mailbox, commission.person(_names(names)[0]).email)
    assert any(commission.world.election().title in s for s in subjects), subjects


@then("nobody gets a second mail about that step")
def no_second_mail(commission: Commission, mailbox: MailCatcher) -> None:
    for name in COMMISSION:
        bodies = _mail_bodies(mailbox, commission.person(name).email)
        assert len(bodies) == 1, (name, bodies)


@then("nothing has changed")
def nothing_changed(commission: Commission) -> None:
    assert commission.answer is not None
    assert commission.answer.status_code == 204, commission.answer.text


@then(parsers.parse("{name:w}'s page reloads itself"))
def reloads(commission: Commission, name: str) -> None:
    assert commission.answer is not None
    assert commission.answer.status_code == 200
    assert commission.answer.headers.get("HX-Refresh") == "true"


@then("the election is still open")
def still_open(commission: Commission, database: Database) -> None:
    with fresh_session(database) as session:
        assert services.get_election(session, commission.world.id).status == ElectionStatus.OPEN


@then("the election is closed")
def is_closed(commission: Commission, database: Database) -> None:
    with fresh_session(database) as session:
        election = services.get_election(session, commission.world.id)
        assert election.status == ElectionStatus.CLOSED
        assert election.closed_at is not None
        assert election.closed_at < election.closes_at


@then(parsers.parse("the request is refused with status {status:d}"))
def refused(commission: Commission, status: int) -> None:
    assert commission.answer is not None
    assert commission.answer.status_code == status


@then(parsers.parse('the results page says "{text}"'))
def results_page_says(commission: Commission, browsers: Browsers, text: str) -> None:
    page = browsers.of("visitor").get(f"/referendums/{commission.world.id}/results")
    assert page.status_code == 404
    assert text in visible_text(page), visible_text(page)[:2000]


@then("the election record cannot be downloaded")
def no_record(commission: Commission, browsers: Browsers) -> None:
    response = browsers.of("visitor").get(f"/referendums/{commission.world.id}/record.zip")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


@then("the results page shows the result")
def results_shown(commission: Commission, browsers: Browsers) -> None:
    page = browsers.of("visitor").get(f"/referendums/{commission.world.id}/results")
    assert page.status_code == 200, visible_text(page)[:2000]


@then(
    "the minutes name Karla and Kai as the confirming members, with the turnout and the fingerprint"
)
def minutes(commission: Commission) -> None:
    response = commission.browser("Kim").get(commission.page_url + "/minutes.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "niederschrift.pdf" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "the minutes are a tagged PDF (PDF/UA)"
    assert root["/Lang"] == "de"
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    flat = " ".join(text.split())
    election = commission.world.election()
    karla, kai = (commission.world.commission[COMMISSION[n]].display_name for n in ("Karla", "Kai"))
    assert f"Festgestellt von {karla}," in flat, flat
    assert f"Bestätigt von {kai}," in flat, flat
    for expected in ("Niederschrift", "Teilgenommen 3 (60,00 %)", "Das Quorum ist erreicht"):
        assert expected in flat, flat
    fingerprint = getattr(election, "fingerprint", None) or election.manifest_hash
    assert fingerprint in flat.replace(" ", ""), flat


@then(parsers.parse("{name:w} cannot download the minutes yet"))
def no_minutes(commission: Commission, name: str) -> None:
    response = commission.browser(name).get(commission.page_url + "/minutes.pdf")
    assert response.status_code == 404
