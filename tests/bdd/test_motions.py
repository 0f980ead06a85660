"""Steps for motions/initiative_*.feature: the Mitgliederbegehren in members' and staff's
words, through the real app (Litestar TestClient) on SQLite and PostgreSQL.

Members, staff, board and commission use the HTML forms as a browser without JavaScript
posts them. Only the setting (rules rows, an initiative already admitted, the clock of
the deadline) is arranged in the database; the schedule runs as beat runs it.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import totp
from app.accounts.models import Account, Role
from app.core.audit import AuditEvent
from app.core.db import Database, utcnow
from app.core.settings import Settings
from app.discussions.models import Discussion, Post
from ballots.models import Election
from motions import commitment, entscheid, notifications, services
from motions import rules as rules_service
from motions.models import Initiative, InitiativeRules, InitiativeStatus, Initiator, Signature
from referendums.models import Referendum
from tests.bdd.conftest import (
    Browsers,
    Organisation,
    People,
    body_of,
    fresh_session,
    subject_of,
    visible_text,
)
from tests.bdd.initiative_dashboard_steps import *  # noqa: F403 - the overview's steps
from tests.conftest import TEST_PASSWORD, MailCatcher
from tests.factories import grant, make_account
from tests.helpers import submit
from tests.support.referendums_world import ReferendumWorld, advance

scenarios(
    "motions/initiative_rules.feature",
    "motions/initiative_start.feature",
    "motions/initiative_signing.feature",
    "motions/initiative_outcome.feature",
    "motions/initiative_story.feature",
    "motions/initiative_receipts.feature",
    "motions/initiative_paper_withdrawal.feature",
    "motions/initiative_discussion.feature",
    "motions/initiative_entscheid_form.feature",
    "motions/initiative_dashboard.feature",
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def state() -> dict[str, Any]:
    return {}


def _initiative(database: Database, title: str) -> Initiative:
    with fresh_session(database) as session:
        found = session.scalar(select(Initiative).where(Initiative.title == title))
        assert found is not None, f"no initiative {title!r}"
        session.expunge(found)
        return found


def _page(initiative: Initiative) -> str:
    return f"/initiatives/{initiative.id}"


# -- Given ----------------------------------------------------------------------------------


@given(parsers.parse('{name:w} is on the election commission of "{unit_name}"'))
def on_commission(
    db: Session, settings: Settings, org: Organisation, people: People, name: str, unit_name: str
) -> None:
    """A commission login (second factor set up long ago), not a member."""
    person = people.add(name, full_name=f"{name} Kommission")
    account = make_account(db, settings, person.email, person.password, name=person.full_name)
    person.account_id = account.id
    person.totp_secret = totp.new_secret()
    account.totp_secret = totp.seal_secret(settings.security.secret_key, person.totp_secret)
    grant(db, account, Role.COMMISSION, org.unit(unit_name))
    db.commit()


@given(parsers.parse('the rules of "{unit_name}" ask for {count:d} initiators'))
@given(
    parsers.parse(
        'the rules of "{unit_name}" ask for {count:d} initiator and {percent:d} % of the members'
    )
)
def unit_rules(
    db: Session, org: Organisation, unit_name: str, count: int, percent: int = 10
) -> None:
    values = rules_service.DEFAULTS
    db.add(
        InitiativeRules(
            unit_id=org.unit(unit_name).id,
            valid_from=utcnow().date() - timedelta(days=30),
            threshold_percent=percent,
            signing_days=values.signing_days,
            min_initiators=count,
            board_days=values.board_days,
            quorum_kind=values.quorum_kind,
            quorum_percent=values.quorum_percent,
            binding_months=values.binding_months,
            overturn_body=values.overturn_body,
            overturn_numerator=values.overturn_numerator,
            overturn_denominator=values.overturn_denominator,
        )
    )
    db.commit()


@given(parsers.parse('the initiative "{title}" of "{unit_name}" is open for signing'))
def open_initiative(
    db: Session, org: Organisation, people: People, title: str, unit_name: str
) -> None:
    """Started by Anna and admitted yesterday (what the start feature does through the pages)."""
    unit = org.unit(unit_name)
    anna = people["Anna"]
    moment = utcnow() - timedelta(days=1)
    rules = rules_service.effective(db, unit, moment.date())
    initiative = Initiative(
        unit_id=unit.id,
        rules_id=rules.id,
        title=title,
        proposal="Die Mitglieder wählen den Vorstand direkt.",
        reasons="Mehr Mitbestimmung stärkt die Partei.",
        arguments_for="Die Mitglieder entscheiden selbst.",
        started_by_id=anna.account_id,
        status=InitiativeStatus.SIGNING,
        created_at=moment,
        submitted_at=moment,
        checked_at=moment,
        opens_at=moment,
        closes_at=moment + timedelta(days=rules.signing_days),
        reference_date=moment.date(),
    )
    initiative.member_count = services.members_at(db, unit, moment.date())
    initiative.threshold = services.threshold_for(initiative.member_count, rules.threshold_percent)
    db.add(initiative)
    db.flush()
    db.add(Initiator(initiative_id=initiative.id, member_id=anna.member_id, confirmed_at=moment))
    db.commit()


@given(parsers.parse('the signing deadline of "{title}" has passed'))
def deadline_passed(db: Session, title: str) -> None:
    initiative = db.scalar(select(Initiative).where(Initiative.title == title))
    assert initiative is not None
    initiative.closes_at = utcnow() - timedelta(minutes=1)
    db.commit()


@given(parsers.parse('three members of the election commission of "{unit_name}"'))
def three_commission(
    db: Session, settings: Settings, org: Organisation, state: dict[str, Any], unit_name: str
) -> None:
    trustees = []
    for i in range(3):
        account = make_account(
            db, settings, f"kommission{i + 1}@example.org", TEST_PASSWORD, name=f"K{i + 1}"
        )
        grant(db, account, Role.COMMISSION, org.unit(unit_name))
        trustees.append(account)
    db.commit()
    state["trustees"] = trustees


# -- When -----------------------------------------------------------------------------------


def _post(browsers: Browsers, who: str, page: str, action: str, data: dict[str, str]) -> Response:
    response = submit(browsers.of(who), page, action, data)
    if response.status_code in {302, 303}:
        return browsers.of(who).get(response.headers["location"])
    return response


@when(
    parsers.parse(
        '{name:w} saves the rules of "{unit_name}" with {percent:d} % of the members and {count:d} initiators'
    ),
    target_fixture="response",
)
def saves_rules(
    browsers: Browsers, org: Organisation, name: str, unit_name: str, percent: int, count: int
) -> Response:
    unit = org.unit(unit_name)
    page = f"/initiative-rules/{unit.id}"
    values = rules_service.DEFAULTS
    data = {
        "threshold_percent": str(percent),
        "signing_days": str(values.signing_days),
        "min_initiators": str(count),
        "board_days": str(values.board_days),
        "quorum_kind": "turnout",
        "quorum_percent": "20",
        "binding_months": "24",
        "overturn_body": "Parteitag",
        "overturn_numerator": "2",
        "overturn_denominator": "3",
        "valid_from": utcnow().date().isoformat(),
    }
    return _post(browsers, name, page, page, data)


@when(parsers.parse('the visitor opens the initiative "{title}"'), target_fixture="response")
@when(parsers.parse('{name:w} opens the initiative "{title}"'), target_fixture="response")
def opens_initiative(
    browsers: Browsers, database: Database, title: str, name: str = "visitor"
) -> Response:
    return browsers.of(name).get(_page(_initiative(database, title)))


@when(
    parsers.parse(
        '{name:w} starts the initiative "{title}" in "{unit_name}" with {other:w} as co-initiator'
    ),
    target_fixture="response",
)
def starts(
    browsers: Browsers,
    org: Organisation,
    people: People,
    name: str,
    title: str,
    unit_name: str,
    other: str,
) -> Response:
    data = {
        "unit_id": str(org.unit(unit_name).id),
        "title": title,
        "proposal": "Die Mitglieder wählen den Vorstand direkt.",
        "reasons": "Mehr Mitbestimmung stärkt die Partei.",
        "arguments_for": "",
        "co_initiators": people[other].membership_number or "",
    }
    return _post(browsers, name, "/initiatives/new", "/initiatives/new", data)


@when(
    parsers.parse('{name:w} confirms that he is an initiator of "{title}"'),
    target_fixture="response",
)
def confirms(browsers: Browsers, database: Database, name: str, title: str) -> Response:
    page = _page(_initiative(database, title))
    return _post(browsers, name, page, f"{page}/confirm", {})


@when(parsers.parse('{name:w} submits "{title}" for the check'), target_fixture="response")
def submits(browsers: Browsers, database: Database, name: str, title: str) -> Response:
    page = _page(_initiative(database, title))
    return _post(browsers, name, page, f"{page}/submit", {})


@when(parsers.parse('{name:w} admits "{title}"'), target_fixture="response")
def admits(browsers: Browsers, database: Database, name: str, title: str) -> Response:
    page = _page(_initiative(database, title))
    return _post(browsers, name, page, f"{page}/admit", {})


@when(parsers.parse('{name:w} refuses "{title}" because "{reason}"'), target_fixture="response")
def refuses(browsers: Browsers, database: Database, name: str, title: str, reason: str) -> Response:
    page = _page(_initiative(database, title))
    return _post(browsers, name, page, f"{page}/refuse", {"reason": reason})


@given(parsers.parse('{name:w} signs "{title}"'), target_fixture="response")
@when(parsers.parse('{name:w} signs "{title}"'), target_fixture="response")
def signs(browsers: Browsers, database: Database, name: str, title: str) -> Response:
    page = _page(_initiative(database, title))
    return _post(browsers, name, page, f"{page}/sign", {})


@when(parsers.parse('{name:w} withdraws her signature from "{title}"'), target_fixture="response")
def withdraws(browsers: Browsers, database: Database, name: str, title: str) -> Response:
    page = _page(_initiative(database, title))
    return _post(browsers, name, page, f"{page}/withdraw", {})


@given(
    parsers.parse('{name:w} enters the paper list "{names}" for "{title}"'),
    target_fixture="response",
)
@when(
    parsers.parse('{name:w} enters the paper list "{names}" for "{title}"'),
    target_fixture="response",
)
def paper_list(
    browsers: Browsers, database: Database, people: People, name: str, names: str, title: str
) -> Response:
    numbers = [
        people[entry].membership_number if entry in people else entry
        for entry in (part.strip() for part in names.split(","))
    ]
    page = f"{_page(_initiative(database, title))}/paper"
    return _post(browsers, name, page, page, {"numbers": "\n".join(n or "" for n in numbers)})


@when(parsers.parse('{name:w} opens the signers of "{title}"'), target_fixture="response")
def opens_signers(browsers: Browsers, database: Database, name: str, title: str) -> Response:
    return browsers.of(name).get(f"{_page(_initiative(database, title))}/signers")


@when(parsers.parse('the signing deadline of "{title}" passes and the schedule runs'))
def deadline_runs(db: Session, database: Database, title: str) -> None:
    initiative = _initiative(database, title)
    assert initiative.closes_at is not None
    with fresh_session(database) as session:
        report = services.run_deadlines(session, now=initiative.closes_at + timedelta(minutes=1))
    assert initiative.id in report.decided


@when(parsers.parse("the schedule of the initiatives runs again a minute later"))
def initiatives_schedule_again(database: Database) -> None:
    """Beat's next run (``motions.tasks.tick_task``): deadlines, then the mail pass that
    queues what is missing of recent mailings."""
    with fresh_session(database) as session:
        latest = session.scalar(select(func.max(AuditEvent.occurred_at)))
        moment = (latest or utcnow()) + timedelta(minutes=1)
        services.run_deadlines(session, now=moment)
        notifications.run_mail_schedule(session, now=moment)


@then(
    parsers.parse('{name:w} receives exactly one e-mail with the subject "{subject}"'),
)
def receives_one_mail(mailbox: MailCatcher, people: People, name: str, subject: str) -> None:
    subjects = [subject_of(m) for m in mailbox.to(people[name].email)]
    assert subjects.count(subject) == 1, subjects


@then(parsers.parse("the mail to {name:w} names none of {first:w} and {second:w}"))
def mail_names_nobody_else(
    mailbox: MailCatcher, people: People, name: str, first: str, second: str
) -> None:
    bodies = " ".join(body_of(m) + subject_of(m) for m in mailbox.to(people[name].email))
    assert bodies
    for other in (first, second):
        assert other not in bodies
        assert people[other].email not in bodies


@then(parsers.parse('the mail to {name:w} about the board\'s adoption holds "{text}"'))
def adoption_mail_holds(mailbox: MailCatcher, people: People, name: str, text: str) -> None:
    [mail] = [
        m
        for m in mailbox.to(people[name].email)
        if subject_of(m).startswith("Der Vorstand hat das Mitgliederbegehren übernommen")
    ]
    assert text in body_of(mail)


@when(parsers.parse('{name:w} adopts "{title}" answering "{answer}"'), target_fixture="response")
def adopts(browsers: Browsers, database: Database, name: str, title: str, answer: str) -> Response:
    page = _page(_initiative(database, title))
    return _post(browsers, name, page, f"{page}/adopt", {"answer": answer})


@when(
    parsers.parse(
        'the board\'s response period of "{title}" ends without adoption and the schedule runs'
    )
)
def board_period_ends(database: Database, title: str) -> None:
    initiative = _initiative(database, title)
    assert initiative.board_deadline is not None
    with fresh_session(database) as session:
        report = services.run_deadlines(
            session, now=initiative.board_deadline + timedelta(minutes=1)
        )
    assert initiative.id in report.referendum_due


@when(parsers.parse('{name:w} prepares the member referendum on "{title}" with the commission'))
def prepares(
    db: Session,
    settings: Settings,
    database: Database,
    people: People,
    state: dict[str, Any],
    tmp_path: Path,
    name: str,
    title: str,
) -> None:
    """Through the referendum module's creation service, on the test worlds' clock."""
    initiative = _initiative(database, title)
    start = utcnow().replace(microsecond=0) - timedelta(days=3)
    staff = db.get(Account, people[name].account_id)
    assert staff is not None
    trustees = state["trustees"]
    referendum = entscheid.prepare(
        db,
        settings,
        staff,
        initiative.id,
        trustee_ids=[t.id for t in trustees],
        schedule=entscheid.Schedule(
            cutoff_at=start + timedelta(days=1),
            opens_at=start + timedelta(days=2),
            closes_at=start + timedelta(days=9),
            trustees=3,
            threshold=2,
        ),
        now=start,
    )
    state["world"] = ReferendumWorld(
        session=db,
        settings=settings,
        tmp=tmp_path,
        staff=staff,
        trustees=list(trustees),
        postal_clerks=list(trustees[:2]),
        start=start,
        election_id=referendum.election_id,
    )


@when(parsers.parse("{first:w} and {second:w} vote yes and the votes are counted"))
def vote_and_count(people: People, state: dict[str, Any], first: str, second: str) -> None:
    votes = {int(people[n].member_id or 0): {"q1": ["yes"]} for n in (first, second)}
    advance(state["world"], "tallied", votes=votes)


# -- Then -----------------------------------------------------------------------------------


@then(
    parsers.parse(
        'the rules in force for "{unit_name}" ask for {percent:d} % and {count:d} initiators'
    )
)
def rules_in_force(
    database: Database, org: Organisation, unit_name: str, percent: int, count: int
) -> None:
    with fresh_session(database) as session:
        unit = session.get(type(org.unit(unit_name)), org.unit(unit_name).id)
        assert unit is not None
        found = rules_service.rules_for(session, unit, utcnow().date())
        assert found is not None
        assert (found.threshold_percent, found.min_initiators) == (percent, count)


@then(parsers.parse('the rules in force for "{unit_name}" are the defaults'))
def rules_default(database: Database, org: Organisation, unit_name: str) -> None:
    with fresh_session(database) as session:
        unit = session.get(type(org.unit(unit_name)), org.unit(unit_name).id)
        assert unit is not None
        assert (
            rules_service.as_draft(rules_service.rules_for(session, unit, utcnow().date()))
            == rules_service.DEFAULTS
        )


@then(parsers.parse('"{unit_name}" has no rules of its own'))
def no_rules(database: Database, org: Organisation, unit_name: str) -> None:
    with fresh_session(database) as session:
        unit = session.get(type(org.unit(unit_name)), org.unit(unit_name).id)
        assert unit is not None
        assert rules_service.own_versions(session, unit) == []


@then(
    parsers.parse(
        '"{title}" is open for signing with a threshold computed from the members of "{unit_name}"'
    )
)
def is_open(database: Database, org: Organisation, title: str, unit_name: str) -> None:
    initiative = _initiative(database, title)
    assert initiative.status == InitiativeStatus.SIGNING
    with fresh_session(database) as session:
        unit = session.get(type(org.unit(unit_name)), org.unit(unit_name).id)
        assert unit is not None
        members = services.members_at(session, unit, utcnow().date())
    assert initiative.member_count == members
    assert initiative.threshold == services.threshold_for(members, 10)


@then(parsers.parse('"{title}" is still collecting initiators'))
def still_draft(database: Database, title: str) -> None:
    assert _initiative(database, title).status == InitiativeStatus.DRAFT


@then(parsers.parse('there is no initiative "{title}"'))
def no_initiative(database: Database, title: str) -> None:
    with fresh_session(database) as session:
        assert (
            session.scalar(select(func.count(Initiative.id)).where(Initiative.title == title)) == 0
        )


@then(parsers.parse('"{title}" counts {count:d} signature'))
@then(parsers.parse('"{title}" counts {count:d} signatures'))
def counts(database: Database, title: str, count: int) -> None:
    initiative = _initiative(database, title)
    assert initiative.live_count == count
    with fresh_session(database) as session:  # the counter agrees with the rows
        rows = session.scalars(
            select(Signature).where(Signature.initiative_id == initiative.id)
        ).all()
        assert sum(1 for row in rows if row.counts) == count


@then(parsers.parse('"{title}" has no signature stored'))
def nothing_stored(database: Database, title: str) -> None:
    initiative = _initiative(database, title)
    with fresh_session(database) as session:
        assert (
            session.scalar(
                select(func.count(Signature.id)).where(Signature.initiative_id == initiative.id)
            )
            == 0
        )
    assert initiative.live_count == 0


@then(parsers.parse('the visitor sees {count:d} signature on the count of "{title}"'))
def public_count(browsers: Browsers, database: Database, count: int, title: str) -> None:
    response = browsers.of("visitor").get(f"{_page(_initiative(database, title))}/count")
    assert response.status_code == 200
    assert f"{count} von" in visible_text(response), visible_text(response)


@then(parsers.parse("{name:w}'s page shows her receipt"))
def shows_receipt(browsers: Browsers, response: Response, name: str) -> None:
    assert 'id="receipt-leaf"' in response.text


@then(
    parsers.parse(
        '"{title}" has {outcome:w} with {count:d} of {threshold:d} signatures, recorded in the audit log'
    )
)
def decided(database: Database, title: str, outcome: str, count: int, threshold: int) -> None:
    initiative = _initiative(database, title)
    assert initiative.status.value == outcome
    assert (initiative.final_count, initiative.threshold) == (count, threshold)
    with fresh_session(database) as session:
        event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == f"initiative:{outcome}",
                AuditEvent.object_id == str(initiative.id),
            )
        )
    assert event is not None
    assert (event.details["count"], event.details["threshold"]) == (count, threshold)


@then(
    parsers.parse(
        'the published signature list of "{title}" checks out with the auditor\'s command'
    )
)
def auditor_checks(browsers: Browsers, database: Database, tmp_path: Path, title: str) -> None:
    initiative = _initiative(database, title)
    response = browsers.of("visitor").get(f"{_page(initiative)}/signatures.json")
    assert response.status_code == 200
    document = response.json()
    assert document["root"] == initiative.commitment_root
    assert document["count"] == initiative.final_count == len(document["leaves"])
    path = tmp_path / "signatures.json"
    path.write_text(json.dumps(document))
    ok = subprocess.run(
        [sys.executable, "-m", "app.cli", "initiative-check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    document["count"] += 1  # a count that the leaves do not back
    path.write_text(json.dumps(document))
    bad = subprocess.run(
        [sys.executable, "-m", "app.cli", "initiative-check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr


@then(parsers.parse('{name:w} finds her receipt in the published list of "{title}"'))
def finds_receipt(
    browsers: Browsers, database: Database, people: People, name: str, title: str
) -> None:
    initiative = _initiative(database, title)
    page = browsers.of(name).get(_page(initiative))
    marker = 'id="receipt-leaf">'
    leaf = page.text.split(marker, 1)[1].split("<", 1)[0].strip()
    with fresh_session(database) as session:
        member_number = people[name].membership_number or ""
        own = session.scalar(
            select(Signature).where(
                Signature.initiative_id == initiative.id,
                Signature.member_id == people[name].member_id,
            )
        )
        assert own is not None
    assert leaf == commitment.leaf(initiative.id, member_number, own.salt).hex()
    response = submit(
        browsers.of(name), _page(initiative), f"{_page(initiative)}/check", {"leaf": leaf}
    )
    assert response.status_code == 200
    assert "Gefunden" in visible_text(response)


@then(parsers.parse('"{title}" is adopted'))
def adopted(database: Database, title: str) -> None:
    assert _initiative(database, title).status == InitiativeStatus.ADOPTED


@then(parsers.parse('a member referendum on "{title}" is due'))
def referendum_due(database: Database, title: str) -> None:
    assert _initiative(database, title).status == InitiativeStatus.REFERENDUM_DUE


@then(
    parsers.parse(
        "the member referendum asks the initiative's question with a turnout quorum of {percent:d} %"
    )
)
def referendum_quorum(database: Database, state: dict[str, Any], percent: int) -> None:
    with fresh_session(database) as session:
        election = session.get(Election, state["world"].id)
        referendum = session.get(Referendum, state["world"].id)
        initiative = session.scalar(
            select(Initiative).where(Initiative.election_id == state["world"].id)
        )
        assert election is not None
        assert referendum is not None
        assert initiative is not None
        assert election.quorum_percent == percent
        assert election.manifest["questions"][0]["text"] == initiative.proposal
        assert referendum.explanation == initiative.reasons
        assert referendum.arguments_for == initiative.arguments_for
        assert referendum.arguments_against == ""
        assert initiative.status == InitiativeStatus.REFERENDUM


@then(
    parsers.parse(
        "the result page of the member referendum says it binds until {months:d} months after the vote"
    )
)
def binds(browsers: Browsers, database: Database, state: dict[str, Any], months: int) -> None:
    world = state["world"]
    with fresh_session(database) as session:
        binding = entscheid.binding_of(session, world.id)
    assert binding is not None
    assert binding.binding
    until = entscheid.add_months(world.closes.date(), months)
    assert binding.binding_until == until
    response = browsers.of("visitor").get(f"/referendums/{world.id}/results")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Verbindlichkeit" in text, text
    assert f"bindend bis zum {until.strftime('%d.%m.%Y')}" in text, text
    assert "2/3" in text
    assert "Parteitag" in text


# -- Receipts: the signer checks her signature is counted ---------------------------------------

_RECEIPT = re.compile(r'id="receipt-(initiative|number|salt|leaf)">([^<]*)<')


def _receipt(response: Response) -> dict[str, str]:
    found = dict(_RECEIPT.findall(response.text))
    assert set(found) == {"initiative", "number", "salt", "leaf"}, response.text[-3000:]
    return {key: value.strip() for key, value in found.items()}


def _run_check(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "initiative-check", str(path), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _published_file(browsers: Browsers, database: Database, tmp_path: Path, title: str) -> Path:
    response = browsers.of("visitor").get(f"{_page(_initiative(database, title))}/signatures.json")
    assert response.status_code == 200
    path = tmp_path / "signatures.json"
    path.write_text(response.text)
    return path


@then(parsers.parse("{name:w}'s receipt shows her membership number and a salt"))
def receipt_shows(response: Response, people: People, state: dict[str, Any], name: str) -> None:
    receipt = _receipt(response)
    assert receipt["number"] == people[name].membership_number
    assert re.fullmatch(r"[0-9a-f]{32}", receipt["salt"]), receipt
    state.setdefault("receipts", {})[name] = receipt


@then(
    parsers.parse(
        "the code on {name:w}'s receipt is the SHA-256 the receipt's recipe makes of her "
        "membership number and salt"
    )
)
def receipt_recomputed(
    response: Response, database: Database, state: dict[str, Any], name: str
) -> None:
    """Recomputed here with hashlib from the recipe the receipt states, not with the app's code."""
    receipt = state["receipts"][name]
    assert receipt["initiative"] == str(_initiative(database, "Mehr Mitbestimmung").id)
    recipe = 'SHA-256("stimmwerk/initiative-signature/v1" 0x00 | initiative id (16 bytes)'
    assert recipe in visible_text(response)
    data = (
        b"stimmwerk/initiative-signature/v1\x00"
        + uuid.UUID(receipt["initiative"]).bytes
        + receipt["number"].encode()
        + b"\x00"
        + bytes.fromhex(receipt["salt"])
    )
    assert hashlib.sha256(data).hexdigest() == receipt["leaf"]


@then(parsers.parse("the page does not show {name:w}'s salt"))
def salt_not_shown(response: Response, database: Database, people: People, name: str) -> None:
    with fresh_session(database) as session:
        salt = session.scalar(
            select(Signature.salt).where(Signature.member_id == people[name].member_id)
        )
    assert salt is not None
    assert response.status_code == 200
    assert salt not in response.text
    assert 'id="receipt-salt"' not in response.text


@given(parsers.parse("{name:w} notes {pronoun:w} receipt"))
@when(parsers.parse("{name:w} notes {pronoun:w} receipt"))
def notes_receipt(
    browsers: Browsers, database: Database, state: dict[str, Any], name: str, pronoun: str
) -> None:
    page = browsers.of(name).get(_page(_initiative(database, "Mehr Mitbestimmung")))
    state.setdefault("receipts", {})[name] = _receipt(page)


@when(
    parsers.parse('{name:w} checks {pronoun:w} noted receipt on the page of "{title}"'),
    target_fixture="response",
)
def checks_noted(
    browsers: Browsers,
    database: Database,
    state: dict[str, Any],
    name: str,
    pronoun: str,
    title: str,
) -> Response:
    receipt = state["receipts"][name]
    page = _page(_initiative(database, title))
    data = {"number": receipt["number"], "salt": receipt["salt"]}
    return submit(browsers.of(name), page, f"{page}/check", data)


@when(
    parsers.parse(
        '{name:w} checks the salt "{salt}" with her membership number on the page of "{title}"'
    ),
    target_fixture="response",
)
def checks_salt(
    browsers: Browsers, database: Database, people: People, name: str, salt: str, title: str
) -> Response:
    page = _page(_initiative(database, title))
    data = {"number": people[name].membership_number or "", "salt": salt}
    return submit(browsers.of(name), page, f"{page}/check", data)


@then(
    parsers.parse(
        "the auditor's command finds {name:w}'s noted receipt in the published list of "
        '"{title}" by salt and number'
    )
)
def command_finds_by_salt(
    browsers: Browsers,
    database: Database,
    state: dict[str, Any],
    tmp_path: Path,
    name: str,
    title: str,
) -> None:
    receipt = state["receipts"][name]
    path = _published_file(browsers, database, tmp_path, title)
    done = _run_check(path, "--salt", receipt["salt"], "--number", receipt["number"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok   the receipt's leaf {receipt['leaf']} is in the list" in done.stdout
    other = _run_check(path, "--salt", "0" * 32, "--number", receipt["number"])
    assert other.returncode == 1, other.stdout + other.stderr  # another salt: not found


@then(
    parsers.parse(
        "the auditor's command finds {name:w}'s noted receipt in the published list of "
        '"{title}" by its code'
    )
)
def command_finds_by_leaf(
    browsers: Browsers,
    database: Database,
    state: dict[str, Any],
    tmp_path: Path,
    name: str,
    title: str,
) -> None:
    receipt = state["receipts"][name]
    path = _published_file(browsers, database, tmp_path, title)
    done = _run_check(path, "--leaf", receipt["leaf"])
    assert done.returncode == 0, done.stdout + done.stderr


@then(
    parsers.parse(
        "the auditor's command does not find {name:w}'s noted receipt in the published list "
        'of "{title}"'
    )
)
def command_does_not_find(
    browsers: Browsers,
    database: Database,
    state: dict[str, Any],
    tmp_path: Path,
    name: str,
    title: str,
) -> None:
    receipt = state["receipts"][name]
    path = _published_file(browsers, database, tmp_path, title)
    assert json.loads(path.read_text())["count"] == 1  # Ben's signature is there
    done = _run_check(path, "--salt", receipt["salt"], "--number", receipt["number"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL the receipt's leaf" in done.stdout


# -- Paper signatures withdrawn in writing -------------------------------------------------------


@when(
    parsers.parse('{name:w} withdraws the paper signature of {other:w} from "{title}"'),
    target_fixture="response",
)
def withdraws_paper(
    browsers: Browsers, database: Database, people: People, name: str, other: str, title: str
) -> Response:
    page = _page(_initiative(database, title))  # its forms carry the CSRF token for anyone
    data = {"number": people[other].membership_number or ""}
    return submit(browsers.of(name), page, f"{page}/paper/withdraw", data)


@then(
    parsers.parse(
        'the audit log records that a paper signature of "{title}" was withdrawn by {name:w}, '
        "without naming {other:w}"
    )
)
def paper_withdrawal_audited(
    database: Database, people: People, title: str, name: str, other: str
) -> None:
    initiative = _initiative(database, title)
    with fresh_session(database) as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "initiative:withdrawn",
                AuditEvent.object_id == str(initiative.id),
            )
        ).all()
    assert len(events) == 1
    event = events[0]
    assert event.actor_id == people[name].account_id
    assert event.details.get("on_paper") is True
    person = people[other]
    told = json.dumps(event.details, default=str)
    for clue in (person.membership_number or "?", str(person.member_id), str(person.account_id)):
        assert clue not in told, (clue, told)
    assert person.full_name.split()[0] not in told


# -- The discussion on the initiative's page -----------------------------------------------------

_POST_FORM = re.compile(r'action="/discussions/([0-9a-f-]{36})/posts"')


@when(
    parsers.re(r'(?P<name>\w+) posts "(?P<text>[^"]*)" on the page of "(?P<title>[^"]+)"'),
    target_fixture="response",
)
def posts_on_page(
    browsers: Browsers, database: Database, name: str, text: str, title: str
) -> Response:
    page = _page(_initiative(database, title))
    shown = browsers.of(name).get(page)
    form = _POST_FORM.search(shown.text)
    assert form, "no post form on the initiative page"
    return _post(browsers, name, page, f"/discussions/{form.group(1)}/posts", {"body": text})


@then(parsers.parse('the page of "{title}" shows the post "{text}"'))
def page_shows_post(browsers: Browsers, database: Database, title: str, text: str) -> None:
    response = browsers.of("visitor").get(_page(_initiative(database, title)))
    assert response.status_code == 200
    assert text in visible_text(response)


@then("the page offers no signing button")
def no_sign_button(response: Response) -> None:
    assert response.status_code == 200
    assert 'id="sign-button"' not in response.text
    assert '/sign"' not in response.text


@then(parsers.parse('the discussion of "{title}" has no posts'))
def no_posts(database: Database, title: str) -> None:
    initiative = _initiative(database, title)
    with fresh_session(database) as session:
        count = session.scalar(
            select(func.count(Post.id))
            .join(Discussion, Discussion.id == Post.discussion_id)
            .where(Discussion.subject_id == initiative.id)
        )
    assert count == 0


# -- The staff's form for the Entscheid ---------------------------------------------------------


@given(parsers.parse('{first:w} and {second:w} have signed "{title}" and the deadline has passed'))
def signed_and_decided(
    browsers: Browsers, database: Database, first: str, second: str, title: str
) -> None:
    for name in (first, second):
        assert signs(browsers, database, name, title).status_code == 200
    deadline_runs(None, database, title)  # type: ignore[arg-type]
    assert _initiative(database, title).status == InitiativeStatus.SUCCEEDED


@given(parsers.parse('the board\'s response period of "{title}" has ended without adoption'))
def board_period_ended(database: Database, title: str) -> None:
    board_period_ends(database, title)


@when(
    parsers.parse('{name:w} opens the form for the member referendum on "{title}"'),
    target_fixture="response",
)
def opens_entscheid_form(browsers: Browsers, database: Database, name: str, title: str) -> Response:
    return browsers.of(name).get(f"{_page(_initiative(database, title))}/entscheid")


@when(
    parsers.parse(
        '{name:w} prepares the member referendum on "{title}" on the form with the three '
        "commission members"
    ),
    target_fixture="response",
)
def prepares_on_form(
    browsers: Browsers,
    database: Database,
    state: dict[str, Any],
    name: str,
    title: str,
) -> Response:
    page = _page(_initiative(database, title))
    today = utcnow().date()
    data: dict[str, Any] = {
        "trustees": [str(t.id) for t in state["trustees"]],
        "threshold": "2",
        "opens_on": (today + timedelta(days=14)).isoformat(),
        "closes_on": (today + timedelta(days=28)).isoformat(),
    }
    return submit(browsers.of(name), page, f"{page}/entscheid", data)


@then(parsers.parse("{name:w} is taken to the new member referendum's page"))
def taken_to_referendum(
    browsers: Browsers, database: Database, response: Response, state: dict[str, Any], name: str
) -> None:
    assert response.status_code in {302, 303}, (response.status_code, visible_text(response))
    initiative = _initiative(database, "Mehr Mitbestimmung")
    assert initiative.election_id is not None
    assert response.headers["location"] == f"/referendums/{initiative.election_id}/manage"
    assert browsers.of(name).get(response.headers["location"]).status_code == 200
    state["world"] = SimpleNamespace(id=initiative.election_id)


@then(parsers.parse('the preparation of the member referendum on "{title}" is in the audit log'))
def preparation_audited(database: Database, people: People, title: str) -> None:
    initiative = _initiative(database, title)
    with fresh_session(database) as session:
        event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "initiative:referendum_prepared",
                AuditEvent.object_id == str(initiative.id),
            )
        )
    assert event is not None
    assert event.actor_id == people["Sven"].account_id
    assert event.details["election"] == str(initiative.election_id)


def _entscheide(database: Database, title: str) -> int:
    with fresh_session(database) as session:
        return int(
            session.scalar(
                select(func.count(Election.id)).where(
                    Election.title == f"Mitgliederentscheid: {title}"
                )
            )
            or 0
        )


@then(parsers.parse('no member referendum on "{title}" exists'))
def no_entscheid(database: Database, title: str) -> None:
    assert _entscheide(database, title) == 0
    assert _initiative(database, title).election_id is None


@then(parsers.parse('exactly one member referendum on "{title}" exists'))
def one_entscheid(database: Database, title: str) -> None:
    assert _entscheide(database, title) == 1
    assert _initiative(database, title).status == InitiativeStatus.REFERENDUM
