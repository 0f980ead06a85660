"""Steps for referendums/reminders.feature: the scheduler's opening, mails and closing.

The scheduler is `referendums.notifications.tasks.run_schedule` called with a ``now``
from the election's window (what the beat task does every minute), and once the real
Celery task sent through the in-process Celery app. Mail arrives at the test SMTP
server (``mailbox``).
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.celery import celery_app
from app.core.db import Database
from app.core.settings import Settings
from ballots import services
from ballots.models import ElectionStatus
from referendums.notifications.tasks import run_schedule
from tests import ballots_support as support
from tests.bdd.conftest import Browsers, Person, body_of, fresh_session, log_in_fully, subject_of
from tests.conftest import TEST_PASSWORD, MailCatcher
from tests.factories import make_account
from tests.helpers import csrf_token

scenarios("referendums/reminders.feature")


@dataclass
class Scheduler:
    world: support.ElectionWorld
    people: dict[str, Person] = field(default_factory=dict)
    last_run: datetime | None = None


@pytest.fixture
def scheduler(db: Session, settings: Settings, tmp_path: Path) -> Scheduler:
    world = support.make_world(db, settings, tmp_path, postal=("paul",))
    return Scheduler(world)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace(" and ", ",").split(",") if n.strip()]


def _run(db: Session, settings: Settings, scheduler: Scheduler, moment: datetime) -> None:
    run_schedule(db, settings, now=moment)
    scheduler.last_run = moment


def _mails(mailbox: MailCatcher, scheduler: Scheduler, name: str, subject: str) -> list[str]:
    return [
        body_of(m)
        for m in mailbox.to(scheduler.people[name].email)
        if _unfolded(subject_of(m)) == subject
    ]


def _unfolded(header: str) -> str:
    """A long subject arrives folded over lines; a reader sees one line."""
    return " ".join(header.split())


# -- Given -------------------------------------------------------------------------------


@given("a member referendum of the Landesverband whose key ceremony is done")
def referendum_with_keys(scheduler: Scheduler) -> None:
    support.create(scheduler.world, trustees=3, threshold=2)
    support.ceremony(scheduler.world)
    assert scheduler.world.election().status == ElectionStatus.KEYS


@given("the members Anna, Ben, Cem and Dora have accounts, and Paul votes by post")
def member_accounts(scheduler: Scheduler, db: Session, settings: Settings) -> None:
    for key, member in scheduler.world.members.items():
        name = key.title()
        email = f"{key}@example.org"
        account = make_account(db, settings, email, TEST_PASSWORD, name=name, member=member)
        scheduler.people[name] = Person(name=name, email=email, account_id=account.id)
    db.commit()
    assert scheduler.world.members["paul"].postal_vote


@given(parsers.parse("{name:w} reads Stimmwerk in English"))
def reads_english(scheduler: Scheduler, db: Session, name: str) -> None:
    account = db.get(Account, scheduler.people[name].account_id)
    assert account is not None
    account.locale = "en"
    db.commit()


@given("the scheduler has opened the election")
def opened(scheduler: Scheduler, db: Session, settings: Settings, mailbox: MailCatcher) -> None:
    _run(db, settings, scheduler, scheduler.world.opens)
    assert scheduler.world.election().status == ElectionStatus.OPEN
    mailbox.messages.clear()  # the invitations are another scenario's subject


@given(parsers.parse("{name:w} has obtained her voting credential"))
def has_credential(scheduler: Scheduler, name: str) -> None:
    support.credential(scheduler.world, name.lower())


@given(parsers.parse("{name:w} has switched off reminders on his own data page"))
def switched_off(scheduler: Scheduler, browsers: Browsers, name: str) -> None:
    browser = browsers.of(name)
    log_in_fully(browser, scheduler.people[name])
    page = browser.get("/me/")
    assert "Erinnerungen" in page.text
    token = csrf_token(browser, "/me/")
    # An unticked checkbox is not sent at all.
    response = browser.post("/me/reminders", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code in {302, 303}, response.text


# -- When ----------------------------------------------------------------------------------


@when("the scheduler runs when the window has started")
def runs_at_start(scheduler: Scheduler, db: Session, settings: Settings) -> None:
    _run(db, settings, scheduler, scheduler.world.opens)


@when("the scheduler runs when the window has ended")
def runs_at_end(scheduler: Scheduler, db: Session, settings: Settings) -> None:
    _run(db, settings, scheduler, scheduler.world.closes)


@when(parsers.parse("the scheduler runs {hours:d} hours before the end of the window"))
def runs_before_end(scheduler: Scheduler, db: Session, settings: Settings, hours: int) -> None:
    _run(db, settings, scheduler, scheduler.world.closes - timedelta(hours=hours))


@when("the scheduler runs again a minute later")
def runs_again(scheduler: Scheduler, db: Session, settings: Settings) -> None:
    assert scheduler.last_run is not None
    _run(db, settings, scheduler, scheduler.last_run + timedelta(minutes=1))


@when(
    parsers.parse(
        "two scheduler runs start at the same moment {hours:d} hours before the end of the window"
    )
)
def concurrent_runs(
    scheduler: Scheduler, database: Database, settings: Settings, hours: int
) -> None:
    moment = scheduler.world.closes - timedelta(hours=hours)
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def one_run() -> None:
        try:
            with database.session() as session:
                barrier.wait(timeout=10)
                run_schedule(session, settings, now=moment)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    runs = [threading.Thread(target=one_run) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)
    assert not failures, failures


@when(parsers.parse('the Celery task "{task_name}" runs when the window has started'))
def celery_task_runs(scheduler: Scheduler, app: object, task_name: str) -> None:
    # The app fixture set the runtime (settings, database) the task uses.
    task = celery_app.tasks[task_name]
    task.delay(now=scheduler.world.opens.isoformat())


@when(parsers.parse("{name:w} follows the opt-out link in the reminder and confirms"))
def follows_opt_out(
    scheduler: Scheduler, browsers: Browsers, mailbox: MailCatcher, name: str
) -> None:
    bodies = _mails(
        mailbox,
        scheduler,
        name,
        "Erinnerung: Die Abstimmung endet bald: Mitgliederentscheid zur Satzung",
    )
    assert bodies, mailbox.messages
    links = re.findall(r"https://testserver\.local(/referendums/reminders/opt-out\S*)", bodies[-1])
    assert links, bodies[-1]
    browser = browsers.of(f"{name} (no login)")
    page = browser.get(links[-1])
    assert page.status_code == 200, page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    opt_out_token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    assert opt_out_token
    response = browser.post(
        "/referendums/reminders/opt-out",
        data={"_csrf_token": token.group(1), "token": opt_out_token.group(1)},
    )
    assert response.status_code == 200, response.text


# -- Then ------------------------------------------------------------------------------------


@then("the election is open")
def is_open(scheduler: Scheduler, database: Database) -> None:
    with fresh_session(database) as session:
        assert services.get_election(session, scheduler.world.id).status == ElectionStatus.OPEN


@then("the election is closed")
def is_closed(scheduler: Scheduler, database: Database) -> None:
    with fresh_session(database) as session:
        assert services.get_election(session, scheduler.world.id).status == ElectionStatus.CLOSED


@then(parsers.parse('{names} each receive exactly one e-mail "{subject}"'))
@then(parsers.parse('{names} receives exactly one e-mail "{subject}"'))
def exactly_one(scheduler: Scheduler, mailbox: MailCatcher, names: str, subject: str) -> None:
    for name in _names(names):
        bodies = _mails(mailbox, scheduler, name, subject)
        got = [subject_of(m) for m in mailbox.to(scheduler.people[name].email)]
        assert len(bodies) == 1, (name, got)
        assert f"/referendums/{scheduler.world.id}/vote" in bodies[0]


@then(parsers.parse("{name:w}'s invitation shows the fingerprint of the vote"))
def invitation_fingerprint(scheduler: Scheduler, mailbox: MailCatcher, name: str) -> None:
    subject = "Abstimmung geöffnet: Mitgliederentscheid zur Satzung"
    (body,) = _mails(mailbox, scheduler, name, subject)
    fingerprint = scheduler.world.election().fingerprint
    assert fingerprint is not None
    assert "Fingerabdruck dieser Abstimmung" in body
    assert fingerprint in body


@then(parsers.parse('{names} receive no e-mail "{subject}"'))
def none_with_subject(scheduler: Scheduler, mailbox: MailCatcher, names: str, subject: str) -> None:
    for name in _names(names):
        assert _mails(mailbox, scheduler, name, subject) == [], name


@then(parsers.parse("{name:w} receives no e-mail"))
def no_mail(scheduler: Scheduler, mailbox: MailCatcher, name: str) -> None:
    assert mailbox.to(scheduler.people[name].email) == []


@then(parsers.parse("{name:w}'s reminders are switched off"))
def reminders_off(scheduler: Scheduler, database: Database, name: str) -> None:
    with fresh_session(database) as session:
        account = session.get(Account, scheduler.people[name].account_id)
        assert account is not None
        assert account.referendum_reminders_opt_out
