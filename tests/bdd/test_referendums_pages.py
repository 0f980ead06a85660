"""Steps for referendums/prepare, read_and_discuss and results: the Mitgliederentscheid pages.

The people and their browsers are the shared platform steps of ``tests/bdd/conftest.py``;
referendums that a scenario needs "already" (prepared, open, counted) are built through
the real services by `tests.support.referendums_world`, everything a person does is done
in their browser on the real app.
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from httpx import Response
from nacl.public import PrivateKey
from pypdf import PdfReader
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.audit import AuditEvent
from app.core.db import Database, utcnow
from app.core.settings import Settings
from app.core.templating import format_when
from app.discussions.models import Discussion, Post
from app.organisations.models import Member
from ballots import services as ballot_services
from ballots.models import Election
from ballots.tally import PostalLine
from crypto.signing import Ed25519SecretKey
from referendums.commission import backups
from referendums.models import Referendum
from referendums.notifications.tasks import run_schedule
from referendums.pages.forms import local_input, parse_local_time
from tests.bdd.audit_steps import *  # noqa: F403 - the shared steps
from tests.bdd.conftest import (
    Browsers,
    CommandResult,
    Organisation,
    People,
    account_of,
    body_of,
    fresh_session,
    subject_of,
    visible_text,
)
from tests.bdd.referendum_steps import *  # noqa: F403 - the shared steps
from tests.conftest import MailCatcher
from tests.factories import grant
from tests.helpers import submit
from tests.support.referendums_world import ReferendumWorld, advance, build_referendum

scenarios(
    "referendums/prepare.feature",
    "referendums/read_and_discuss.feature",
    "referendums/results.feature",
    "referendums/plain_words.feature",
    "referendums/staff_tools.feature",
    "referendums/questions_form_pages.feature",
    "referendums/trustee_backups_pages.feature",
)

# A machine timestamp a person should never read: 2026-12-18T17:00:00Z, 2026-12-18 17:00,
# "UTC" (issue 10, point 5). Dates inside links and hidden inputs do not count.
ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})|\bUTC\b")

ANSWERS = {"Ja": "yes", "Nein": "no", "Enthaltung": "abstain"}
HTMX = {"hx-request": "true"}


@pytest.fixture
def commission() -> list[str]:
    """Names of the commission members, in the order the Given steps named them."""
    return []


@pytest.fixture
def referendums() -> dict[str, ReferendumWorld]:
    return {}


@pytest.fixture
def downloads() -> dict[str, Path]:
    return {}


@pytest.fixture
def changes() -> dict[str, str]:
    """What a When step changed in a form, for the Then steps to look for."""
    return {}


def _staff(db: Session, people: People) -> Account:
    return account_of(db, people, "Sabine")


# -- Given -----------------------------------------------------------------------------------


@given(parsers.parse('{name:w} is on the election commission of "{unit_name}"'))
def on_commission(
    db: Session,
    org: Organisation,
    people: People,
    commission: list[str],
    name: str,
    unit_name: str,
) -> None:
    grant(db, account_of(db, people, name), Role.COMMISSION, org.unit(unit_name))
    db.commit()
    commission.append(name)


@pytest.fixture
def build(
    db: Session,
    settings: Settings,
    tmp_path: Path,
    org: Organisation,
    people: People,
    commission: list[str],
    referendums: dict[str, ReferendumWorld],
) -> Callable[..., ReferendumWorld]:
    """Builds a referendum of the scenario's staff and commission at ``stage``."""

    def build_at(title: str, unit_name: str, stage: str, **options: object) -> ReferendumWorld:
        world = build_referendum(
            db,
            settings,
            tmp_path,
            staff=_staff(db, people),
            trustees=[account_of(db, people, name) for name in commission],
            unit_code=org.unit(unit_name).code,
            title=title,
            stage=stage,
            **options,  # type: ignore[arg-type]
        )
        referendums[title] = world
        return world

    return build_at


STAGES = {
    "has been prepared": "created",
    "is ready to open": "ceremony",
    "is open for voting": "open",
}


@given(
    parsers.re(
        r'the member referendum "(?P<title>[^"]+)" of "(?P<unit_name>[^"]+)" '
        r"(?P<state>has been prepared|is ready to open|is open for voting)"
    )
)
def referendum_at(
    build: Callable[..., ReferendumWorld], title: str, unit_name: str, state: str
) -> None:
    build(title, unit_name, STAGES[state])


@given(parsers.parse('the election commission has held the key ceremony for "{title}"'))
def ceremony_held(referendums: dict[str, ReferendumWorld], title: str) -> None:
    advance(referendums[title], "ceremony")


@given(parsers.parse('{name:w} has registered {pronoun:w} key for "{title}"'))
def registered_key(
    db: Session,
    people: People,
    referendums: dict[str, ReferendumWorld],
    name: str,
    pronoun: str,
    title: str,
) -> None:
    key = PrivateKey.generate().public_key.encode()
    signing = Ed25519SecretKey.generate().public_key.raw
    account = account_of(db, people, name)
    ballot_services.register_sealing_key(db, referendums[title].id, account, key, signing)


@given(
    parsers.re(
        r'(?P<name>\w+) has saved a backup of (?P<pronoun>\w+) key share for "(?P<title>[^"]+)"'
        r"(?P<tested> and tested it in another browser)?"
    )
)
def saved_backup(
    db: Session,
    people: People,
    referendums: dict[str, ReferendumWorld],
    name: str,
    title: str,
    tested: str | None,
) -> None:
    world = referendums[title]
    account = account_of(db, people, name)
    digest = hashlib.sha256(f"backup of {name}".encode()).hexdigest()
    backups.confirm_backup(db, world.id, account, digest)
    if tested:
        backups.confirm_backup_test(db, world.id, account, digest)


@given(
    parsers.parse(
        'the member referendum "{title}" of "{unit_name}" is open and {name:w} has voted "{answer}"'
    )
)
def open_with_a_vote(
    build: Callable[..., ReferendumWorld],
    people: People,
    title: str,
    unit_name: str,
    name: str,
    answer: str,
) -> None:
    build(title, unit_name, "open", votes={people[name].member_id: {"q1": [ANSWERS[answer]]}})


@given(
    parsers.parse(
        'the member referendum "{title}" of "{unit_name}" with a quorum of {quorum:d} % '
        "has been counted: {story}"
    )
)
def counted(
    build: Callable[..., ReferendumWorld],
    people: People,
    title: str,
    unit_name: str,
    quorum: int,
    story: str,
) -> None:
    """``story``: 'Anna and Ben voted "Ja", Cem voted "Nein", and one postal vote "Ja"'."""
    votes: dict[int, dict[str, list[str]]] = {}
    for names, answer in re.findall(r'(\w+(?: and \w+)*) voted "(\w+)"', story):
        for name in names.split(" and "):
            member_id = people[name].member_id
            assert member_id is not None
            votes[member_id] = {"q1": [ANSWERS[answer]]}
    postal = None
    match = re.search(r'one postal vote "(\w+)"', story)
    if match:
        row = tuple(int(option == ANSWERS[match.group(1)]) for option in ANSWERS.values())
        postal = PostalLine((row,), (0,), 1)
    build(title, unit_name, "tallied", votes=votes, postal=postal, quorum_percent=quorum)


# -- When ------------------------------------------------------------------------------------


def _new_form(unit_code: str, trustee_ids: list[str], threshold: int) -> dict[str, object]:
    now = utcnow()
    return {
        "title": "Neue Satzung",
        "unit_code": unit_code,
        "explanation": "Die Satzung wird neu gefasst.\n\nSie gilt ab dem nächsten Jahr.",
        "arguments_for": "Sie ist kürzer.",
        "arguments_against": "Sie ist neu.",
        "q1_text": "Soll die neue Satzung gelten?",
        "q1_method": "yes_no_abstain",
        "q2_text": "Wo soll der Parteitag stattfinden?",
        "q2_method": "one_of",
        "q2_options": "Berlin\nBonn\n",
        "q3_text": "Wen wählt ihr in den Beirat?",
        "q3_method": "up_to",
        "q3_options": "Anna\nBen\nCem",
        "q3_k": "2",
        "cutoff_at": local_input(now + timedelta(days=1)),
        "opens_at": local_input(now + timedelta(days=2)),
        "closes_at": local_input(now + timedelta(days=9)),
        "quorum": "20",
        "trustees": trustee_ids,
        "threshold": str(threshold),
    }


def _send_new(
    browsers: Browsers,
    org: Organisation,
    people: People,
    name: str,
    unit_name: str,
    trustees: list[str],
    threshold: int = 2,
    **changes: object,
) -> Response:
    """``name`` sends the new-referendum form of ``unit_name`` with ``trustees`` (names,
    seat order) and ``changes`` to the filled-in form."""
    ids = [str(people[trustee].account_id) for trustee in trustees]
    data = _new_form(org.unit(unit_name).code, ids, threshold) | changes
    return submit(browsers.of(name), "/referendums/new", "/referendums/new", data)


@when(
    parsers.parse(
        '{name:w} prepares the member referendum "{title}" for "{unit_name}" with a fifth '
        'question "{text}"'
    ),
    target_fixture="response",
)
def prepares_with_fifth(
    browsers: Browsers,
    org: Organisation,
    people: People,
    name: str,
    title: str,
    unit_name: str,
    text: str,
) -> Response:
    fifth = {"q5_text": text, "q5_method": "yes_no_abstain"}
    return _send_new(browsers, org, people, name, unit_name, ["Karla", "Kai"], title=title, **fifth)


@when(
    parsers.parse(
        '{name:w} prepares the member referendum "{title}" for "{unit_name}" with {first:w} '
        "and {second:w} as trustees, any {threshold:d} of whom can count"
    ),
    target_fixture="response",
)
def prepares(
    browsers: Browsers,
    org: Organisation,
    people: People,
    name: str,
    title: str,
    unit_name: str,
    first: str,
    second: str,
    threshold: int,
) -> Response:
    trustees = [first, second]
    return _send_new(browsers, org, people, name, unit_name, trustees, threshold, title=title)


@when(
    parsers.parse(
        "{name:w} sends the new referendum form without a title and with the voting closing "
        "before it opens"
    ),
    target_fixture="response",
)
def sends_invalid_form(
    browsers: Browsers, org: Organisation, people: People, commission: list[str], name: str
) -> Response:
    closes_at = local_input(utcnow() + timedelta(days=1, hours=12))
    return _send_new(
        browsers,
        org,
        people,
        name,
        "Landesverband Eins",
        commission,
        title="  ",
        closes_at=closes_at,
    )


@when(
    parsers.parse("{name:w} opens the page for a new member referendum"),
    target_fixture="response",
)
def opens_new(browsers: Browsers, name: str) -> Response:
    return browsers.of(name).get("/referendums/new", follow_redirects=False)


def _form_again(browsers: Browsers, name: str, response: Response, **changes: object) -> Response:
    """Send the form on ``response`` back as the browser would, with ``changes`` applied
    (``do`` names the button: ``add``, ``remove-N`` or ``save``)."""
    assert response.status_code in {200, 400}, visible_text(response)[:2000]
    action = re.search(r'<form method="post" action="(/referendums/[^"]*)"', response.text)
    assert action, "no referendum form on the page"
    fields = {**_form_fields(response, action.group(1)), **changes}
    return browsers.of(name).post(action.group(1), data=fields, follow_redirects=False)


FORM_BUTTONS = {"adds another question": "add", "saves the form": "save"}


@when(
    parsers.parse('{name:w} writes "{text}" as question {n:d} and {button}'),
    target_fixture="response",
)
def writes_and_presses(
    browsers: Browsers, response: Response, name: str, text: str, n: int, button: str
) -> Response:
    do = FORM_BUTTONS[button]
    return _form_again(browsers, name, response, **{f"q{n}_text": text, "do": do})


@when(parsers.parse("{name:w} adds another question"), target_fixture="response")
def adds_question(browsers: Browsers, response: Response, name: str) -> Response:
    return _form_again(browsers, name, response, do="add")


@when(parsers.parse("{name:w} removes question {n:d}"), target_fixture="response")
def removes_question(browsers: Browsers, response: Response, name: str, n: int) -> Response:
    assert f'name="do" value="remove-{n}"' in response.text, "no button to remove it"
    return _form_again(browsers, name, response, do=f"remove-{n}")


@when(
    parsers.parse(
        '{name:w} completes the form as "{title}" for "{unit_name}" with {first:w} and '
        "{second:w} as trustees and saves it"
    ),
    target_fixture="response",
)
def completes_and_saves(
    browsers: Browsers,
    org: Organisation,
    people: People,
    response: Response,
    name: str,
    title: str,
    unit_name: str,
    first: str,
    second: str,
) -> Response:
    trustees = [str(people[first].account_id), str(people[second].account_id)]
    whole = _new_form(org.unit(unit_name).code, trustees, 2)
    rest = {key: value for key, value in whole.items() if not key.startswith("q")}
    return _form_again(browsers, name, response, **{**rest, "title": title, "do": "save"})


def _many_questions(count: int, options: int) -> dict[str, object]:
    """``count`` question blocks: yes/no/abstain, or one of ``options`` options."""
    fields: dict[str, object] = {}
    for n in range(1, count + 1):
        fields[f"q{n}_text"] = f"Frage {n}?"
        fields[f"q{n}_method"] = "one_of" if options else "yes_no_abstain"
        fields[f"q{n}_options"] = "\n".join(f"Option {i}" for i in range(1, options + 1))
        fields[f"q{n}_k"] = ""
    return fields


def _many(
    browsers: Browsers, org: Organisation, people: People, name: str, **fields: object
) -> Response:
    trustees = [str(people["Karla"].account_id), str(people["Kai"].account_id)]
    data = _new_form(org.unit("Landesverband Eins").code, trustees, 2)
    data = {key: value for key, value in data.items() if not key.startswith("q")}
    data |= {"title": "Viele Fragen", **fields}
    return submit(browsers.of(name), "/referendums/new", "/referendums/new", data)


@when(
    parsers.re(
        r"(?P<name>\w+) saves a new referendum with (?P<count>\d+) "
        r"(?:yes-no questions|questions of (?P<options>\d+) options each)",
    ),
    converters={"count": int},
    target_fixture="response",
)
def saves_many(
    browsers: Browsers,
    org: Organisation,
    people: People,
    name: str,
    count: int,
    options: str | None,
) -> Response:
    """Yes-no questions, or questions of ``options`` options each."""
    questions = _many_questions(count, int(options or 0))
    return _many(browsers, org, people, name, **questions, do="save")


@when(
    parsers.parse("{name:w} asks for another question on a form with {count:d} questions"),
    target_fixture="response",
)
def adds_beyond(
    browsers: Browsers, org: Organisation, people: People, name: str, count: int
) -> Response:
    page = browsers.of(name).get("/referendums/new")
    assert 'id="add-question"' in page.text
    return _many(browsers, org, people, name, **_many_questions(count, 0), do="add")


@when(parsers.parse('{name:w} opens the management page of "{title}"'), target_fixture="response")
def opens_manage(
    browsers: Browsers, referendums: dict[str, ReferendumWorld], name: str, title: str
) -> Response:
    path = f"/referendums/{referendums[title].id}/manage"
    return browsers.of(name).get(path, follow_redirects=False)


class _FormFields(HTMLParser):
    """The values a browser would send with the form posting to ``action``."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: dict[str, str | list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = found.get("action") == self.action
        if not self.inside or ("name" not in found and tag != "option"):
            return
        if tag == "input":
            self._input(found)
        elif tag == "textarea":
            self._textarea = found["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select = found["name"]
        elif tag == "option" and self._select and "selected" in found:
            self.fields[self._select] = found["value"]

    def _input(self, found: dict[str, str]) -> None:
        if found.get("type") == "checkbox":
            chosen = self.fields.setdefault(found["name"], [])
            if "checked" in found:
                assert isinstance(chosen, list)
                chosen.append(found["value"])
        else:
            self.fields[found["name"]] = found.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea] = str(self.fields[self._textarea]) + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _form_fields(response: Response, action: str) -> dict[str, str | list[str]]:
    parser = _FormFields(action)
    parser.feed(response.text)
    assert parser.fields, f"no form posting to {action}"
    return parser.fields


def _moment(when: str) -> str:
    """'20 days from now' or '2 days ago' as a ``datetime-local`` value."""
    match = re.fullmatch(r"(\d+) days (from now|ago)", when)
    assert match, when
    days = timedelta(days=int(match.group(1)))
    return local_input(utcnow() + days if match.group(2) == "from now" else utcnow() - days)


@when(
    parsers.parse(
        '{name:w} changes the question of "{title}" to "{text}" and the closing to {when}'
    ),
    target_fixture="response",
)
def changes_question(
    browsers: Browsers,
    referendums: dict[str, ReferendumWorld],
    changes: dict[str, str],
    name: str,
    title: str,
    text: str,
    when: str,
) -> Response:
    """Open the edit page, keep what it shows except the question text and the closing."""
    world = referendums[title]
    edit = f"/referendums/{world.id}/edit"
    page = browsers.of(name).get(edit)
    assert page.status_code == 200, visible_text(page)[:2000]
    fields = _form_fields(page, edit)
    election = world.election()
    assert fields["title"] == election.title
    assert fields["q1_text"] == election.manifest["questions"][0]["text"]
    assert fields["explanation"] == "Die Mitglieder entscheiden über die neue Satzung."
    assert sorted(fields["trustees"]) == sorted(str(t.account_id) for t in election.trustees)
    assert fields["closes_at"] == local_input(election.closes_at)
    assert "unit_code" not in fields, "the unit stays"
    fields["q1_text"] = text
    fields["closes_at"] = changes["closes_at"] = _moment(when)
    return browsers.of(name).post(edit, data=fields, follow_redirects=False)


@when(parsers.parse('{name:w} sends a changed question for "{title}"'), target_fixture="response")
def sends_changed_question(
    browsers: Browsers,
    org: Organisation,
    people: People,
    commission: list[str],
    referendums: dict[str, ReferendumWorld],
    name: str,
    title: str,
) -> Response:
    """Post the edit form straight away (as if an old edit page were still open)."""
    trustees = [str(people[n].account_id) for n in commission]
    data = _new_form(org.unit("Landesverband Eins").code, trustees, 2)
    data["title"] = title
    data["q1_text"] = "Eine ganz andere Frage?"
    action = f"/referendums/{referendums[title].id}/edit"
    return submit(browsers.of(name), "/referendums", action, data)


def _manage_action(
    browsers: Browsers,
    world: ReferendumWorld,
    name: str,
    action: str,
    data: dict[str, object] | None = None,
) -> Response:
    manage = f"/referendums/{world.id}/manage"
    response = submit(browsers.of(name), manage, f"/referendums/{world.id}/{action}", data or {})
    assert response.status_code in {302, 303}, visible_text(response)[:2000]
    return browsers.of(name).get(manage)


MANAGE_ACTIONS = {"fixes the voter roll of": "freeze", "opens voting for": "open"}


@when(
    parsers.re(
        r'(?P<name>\w+) (?P<act>fixes the voter roll of|opens voting for) "(?P<title>[^"]+)"'
    ),
    target_fixture="response",
)
def manages(
    browsers: Browsers, referendums: dict[str, ReferendumWorld], name: str, act: str, title: str
) -> Response:
    return _manage_action(browsers, referendums[title], name, MANAGE_ACTIONS[act])


@when(
    parsers.parse('{name:w} opens voting for "{title}" and confirms the warning'),
    target_fixture="response",
)
def opens_voting_confirmed(
    browsers: Browsers, referendums: dict[str, ReferendumWorld], name: str, title: str
) -> Response:
    page = browsers.of(name).get(f"/referendums/{referendums[title].id}/manage")
    assert 'id="backup-warning"' in page.text, "no warning to confirm"
    assert 'name="confirm" value="yes"' in page.text
    return _manage_action(browsers, referendums[title], name, "open", {"confirm": "yes"})


@when(
    parsers.parse('{name:w} opens voting for "{title}" without confirming the warning'),
    target_fixture="response",
)
def opens_voting_unconfirmed(
    browsers: Browsers, referendums: dict[str, ReferendumWorld], name: str, title: str
) -> Response:
    base = f"/referendums/{referendums[title].id}"
    return submit(browsers.of(name), f"{base}/manage", f"{base}/open", {})


# What a person opens or downloads: the page of a referendum below /referendums/<id>.
PAGES = {
    "opens the page": "",
    "opens the edit page": "/edit",
    "opens the vote page": "/vote",
    "opens the results": "/results",
    "opens the voter roll by Ortsverein": "/roll-figures",
    "downloads the election record": "/record.zip",
    "downloads the results as PDF": "/results.pdf",
    "downloads the postal voters' addresses": "/postal-voters.csv",
    "downloads the postal letters": "/postal-letters.pdf",
}


@when(
    parsers.re(
        r"(?P<who>a visitor|the visitor|\w+) (?P<what>"
        + "|".join(map(re.escape, PAGES))
        + r') of "(?P<title>[^"]+)"'
    ),
    target_fixture="response",
)
def opens_page(
    browsers: Browsers, referendums: dict[str, ReferendumWorld], who: str, what: str, title: str
) -> Response:
    browser = browsers.of("visitor" if who.endswith("visitor") else who)
    return browser.get(f"/referendums/{referendums[title].id}{PAGES[what]}")


@when(
    parsers.parse("{name:w} looks at {pronoun:w} open member referendums"),
    target_fixture="response",
)
def looks_at_mine(browsers: Browsers, name: str, pronoun: str) -> Response:
    dashboard = browsers.of(name).get("/dashboard")
    assert 'hx-get="/referendums/mine"' in dashboard.text
    return browsers.of(name).get("/referendums/mine", headers=HTMX)


@when(
    parsers.re(
        r'(?:(?P<name>\w+) comments|a visitor tries to comment) "(?P<text>[^"]*)" '
        r'on "(?P<title>[^"]+)"'
    ),
    target_fixture="response",
)
def comments_on(
    browsers: Browsers,
    referendums: dict[str, ReferendumWorld],
    name: str | None,
    text: str,
    title: str,
) -> Response:
    page = f"/referendums/{referendums[title].id}"
    return submit(browsers.of(name or "visitor"), page, f"{page}/comments", {"body": text})


@given(parsers.parse('{name:w} has commented "{text}" on "{title}"'))
def has_commented(
    browsers: Browsers, referendums: dict[str, ReferendumWorld], name: str, text: str, title: str
) -> None:
    response = comments_on(browsers, referendums, name, text, title)
    assert response.status_code in {302, 303}, visible_text(response)[:2000]


@when(parsers.parse('{name:w} hides the comment "{text}" on "{title}"'), target_fixture="response")
def hides_comment(
    browsers: Browsers,
    database: Database,
    referendums: dict[str, ReferendumWorld],
    name: str,
    text: str,
    title: str,
) -> Response:
    world = referendums[title]
    with fresh_session(database) as session:
        comment_id = session.scalar(select(Post.id).where(Post.body == text))
    assert comment_id is not None
    page = f"/referendums/{world.id}"
    return submit(browsers.of(name), page, f"{page}/comments/{comment_id}/hide", {})


@when("a visitor opens the list of member referendums", target_fixture="response")
def visitor_opens_list(browsers: Browsers) -> Response:
    return browsers.of("visitor").get("/referendums")


@given(parsers.parse('{name:w} lives at "{street}", "{place}"'))
def lives_at(db: Session, people: People, name: str, street: str, place: str) -> None:
    member = db.get(Member, people[name].member_id)
    assert member is not None
    member.street = street
    member.postcode, _, member.city = place.partition(" ")
    db.commit()


@when(
    parsers.parse('{name:w} sends the reminder for "{title}" {how}'),
    target_fixture="response",
)
def sends_reminder(
    browsers: Browsers, referendums: dict[str, ReferendumWorld], name: str, title: str, how: str
) -> Response:
    base = f"/referendums/{referendums[title].id}"
    data = {"confirm": "yes"} if how == "and confirms it" else {}
    response = submit(browsers.of(name), f"{base}/roll-figures", f"{base}/remind", data)
    if response.is_redirect:
        return browsers.of(name).get(response.headers["location"])
    return response


@pytest.fixture
def pages() -> dict[str, Response]:
    return {}


@when(parsers.parse('{name:w} opens the pages of "{title}" a member reads'))
def opens_member_pages(
    browsers: Browsers,
    referendums: dict[str, ReferendumWorld],
    pages: dict[str, Response],
    name: str,
    title: str,
) -> None:
    base = f"/referendums/{referendums[title].id}"
    browser = browsers.of(name)
    for path in (
        "/referendums",
        base,
        f"{base}/board",
        f"{base}/roll-check",
        f"{base}/vote",
        f"{base}/results",
        "/dashboard",
    ):
        response = browser.get(path)
        if response.status_code == 200:
            pages[path] = response
    pages["/referendums/mine"] = browser.get("/referendums/mine", headers=HTMX)
    assert base in pages, "the referendum page did not open"


@when("the scheduler opens the vote and later sends the reminders")
def scheduler_runs(
    db: Session, settings: Settings, referendums: dict[str, ReferendumWorld]
) -> None:
    (world,) = referendums.values()
    run_schedule(db, settings, now=world.opens)
    closes = ballot_services.get_election(db, world.id).closes_at
    run_schedule(db, settings, now=closes - timedelta(hours=47))


# -- Then ------------------------------------------------------------------------------------


@then(parsers.parse('{name:w} sees the management page of "{title}"'), target_fixture="response")
def sees_manage(
    browsers: Browsers, database: Database, response: Response, name: str, title: str
) -> Response:
    assert response.status_code in {302, 303}, visible_text(response)[:3000]
    with fresh_session(database) as session:
        election = session.scalar(select(Election).where(Election.title == title))
        assert election is not None
    assert response.headers["location"] == f"/referendums/{election.id}/manage"
    page = browsers.of(name).get(response.headers["location"])
    assert page.status_code == 200, visible_text(page)[:2000]
    assert title in visible_text(page)
    return page


def _preview_question(response: Response, text: str) -> str:
    assert '<div id="ballot-form"' in response.text
    pattern = r"<fieldset class=\"ballot-question\".*?</fieldset>"
    for block in re.findall(pattern, response.text, re.DOTALL):
        if text in html.unescape(block):
            assert " disabled" in block.split(">", 1)[0], "the preview must not be votable"
            return str(block)
    raise AssertionError(f"no question {text!r} in the preview")


def _choices(block: str, kind: str) -> list[str]:
    # The options (the booth's own "I abstain" box has no data-name: not an option).
    inputs = [tag for tag in re.findall(r"<input [^>]*>", block) if "data-abstain" not in tag]
    assert inputs
    assert all(f'type="{kind}"' in tag for tag in inputs), inputs
    assert all(re.search(r'name="q-q\d+" value="o?[a-z0-9]+"', tag) for tag in inputs), inputs
    labels = re.findall(
        r'<label class="ballot-option" [^>]*><input [^>]*><span>([^<]*)</span>', block
    )
    return [html.unescape(x) for x in labels]


@then(parsers.parse('the preview shows the question "{text}" with the answers "{answers}"'))
def preview_shows(response: Response, text: str, answers: str) -> None:
    block = _preview_question(response, text)
    assert _choices(block, "radio") == answers.split(", ")


@then(
    parsers.parse('the preview shows the question "{text}" with up to {k:d} of "{answers}" to tick')
)
def preview_shows_up_to(response: Response, text: str, k: int, answers: str) -> None:
    block = _preview_question(response, text)
    assert _choices(block, "checkbox") == answers.split(", ")
    assert f'data-max="{k}"' in block
    assert f"Wähle bis zu {k} Optionen." in html.unescape(block)


@then(parsers.parse("the form has {count:d} question block"))
@then(parsers.parse("the form has {count:d} question blocks"))
def form_has_blocks(response: Response, count: int) -> None:
    assert response.status_code in {200, 400}, visible_text(response)[:2000]
    assert response.text.count('<fieldset class="question-block"') == count
    assert ("remove-1" in response.text) == (count > 1), "a single block cannot be removed"


@then(parsers.parse('question {n:d} of the form reads "{text}"'))
def form_question_reads(response: Response, n: int, text: str) -> None:
    action = re.search(r'<form method="post" action="(/referendums/[^"]*)"', response.text)
    assert action
    assert _form_fields(response, action.group(1))[f"q{n}_text"] == text


@then(parsers.parse('the backup of {name:w} reads "{text}"'))
def backup_reads(db: Session, people: People, response: Response, name: str, text: str) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    display = html.escape(account_of(db, people, name).display_name)
    row = re.search(
        rf"<tr><td>\d+\. {display}</td>.*?<td class=\"backup-state\"[^>]*>(.*?)</td>",
        response.text,
        re.DOTALL,
    )
    assert row, f"no trustee row for {name}"
    assert html.unescape(row.group(1)) == text


@then(parsers.parse('"{title}" is not open yet'))
def not_open_yet(database: Database, referendums: dict[str, ReferendumWorld], title: str) -> None:
    with fresh_session(database) as session:
        election = session.get(Election, referendums[title].id)
        assert election is not None
        assert election.status.value == "roll_frozen"


@then("the page offers to change the referendum")
def offers_edit(response: Response) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert re.search(r'id="edit-link" href="/referendums/[0-9a-f-]+/edit"', response.text)
    assert "Mitgliederentscheid ändern" in visible_text(response)


@then("the page does not offer to change the referendum")
def offers_no_edit(response: Response) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert 'id="edit-link"' not in response.text


@then("the page shows the changed closing time")
def shows_closing(response: Response, changes: dict[str, str]) -> None:
    closes = parse_local_time(changes["closes_at"])
    assert closes is not None
    assert format_when(closes) in visible_text(response), visible_text(response)


def _created_hash(session: Session, world: ReferendumWorld) -> str:
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "election:created", AuditEvent.object_id == str(world.id)
        )
    )
    assert event is not None
    return str(event.details["manifest_hash"])


@then(parsers.parse('the election hash of "{title}" has changed, its id has not'))
def hash_changed(database: Database, referendums: dict[str, ReferendumWorld], title: str) -> None:
    world = referendums[title]
    with fresh_session(database) as session:
        election = session.get(Election, world.id)
        assert election is not None
        manifest = ballot_services.manifest_of(election)
        assert manifest.election_id == str(world.id)
        assert election.manifest_hash == manifest.hash_hex != _created_hash(session, world)
        seats = [trustee.account_id for trustee in election.trustees]
        assert seats == [trustee.id for trustee in world.trustees], "the seats keep their order"


@then(parsers.parse('"{title}" is unchanged'))
def unchanged(database: Database, referendums: dict[str, ReferendumWorld], title: str) -> None:
    world = referendums[title]
    with fresh_session(database) as session:
        election = session.get(Election, world.id)
        referendum = session.get(Referendum, world.id)
        assert election is not None
        assert referendum is not None
        assert election.manifest_hash == _created_hash(session, world)
        assert election.manifest["questions"][0]["text"] == "Soll die Satzung geändert werden?"
        assert election.closes_at == world.closes
        assert referendum.explanation == "Die Mitglieder entscheiden über die neue Satzung."
        changed = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action.in_(["election:updated", "referendum:updated"]),
                AuditEvent.object_id == str(world.id),
            )
        )
        assert changed == 0


@then("there is no member referendum")
def no_referendum(database: Database) -> None:
    with fresh_session(database) as session:
        assert session.scalar(select(func.count()).select_from(Referendum)) == 0
        assert session.scalar(select(func.count()).select_from(Election)) == 0


@then("the page offers no vote button")
def no_vote_button(response: Response) -> None:
    assert response.status_code == 200
    assert 'id="vote-link"' not in response.text
    assert "Jetzt abstimmen" not in visible_text(response)


@then("the page offers to log in to vote, and to activate a login first")
def offers_login_to_vote(response: Response) -> None:
    assert response.status_code == 200
    assert re.search(r'href="/login\?next=/referendums/[0-9a-f-]+/vote"', response.text)
    text = visible_text(response)
    assert "Anmelden und abstimmen" in text
    assert "Als Mitglied aktivierst du sie auf der Anmeldeseite" in text


@then("the page offers the vote button")
def vote_button(response: Response) -> None:
    assert response.status_code == 200
    assert re.search(r'id="vote-link" href="/referendums/[0-9a-f-]+/vote"', response.text)
    assert "Jetzt abstimmen" in visible_text(response)


@then("the page shows the comment as text, not as markup")
def comment_escaped(response: Response) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Meinung" in response.text
    assert "<script>alert(1)" not in response.text


@then(parsers.parse('there is no comment on "{title}"'))
def no_comment(database: Database, referendums: dict[str, ReferendumWorld], title: str) -> None:
    with fresh_session(database) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Post)
            .join(Discussion, Discussion.id == Post.discussion_id)
            .where(Discussion.subject_id == referendums[title].id)
        )
    assert count == 0


@then(
    parsers.parse(
        'the result for "{label}" is {online:d} online, {postal:d} by post, {total:d} in total'
    )
)
def result_row(response: Response, label: str, online: int, postal: int, total: int) -> None:
    assert f"{label} {online} {postal} {total}" in visible_text(response), visible_text(response)


@then(parsers.parse('the result for "{label}" has the share "{share}"'))
def result_share(response: Response, label: str, share: str) -> None:
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", response.text)
    cells = {html.unescape(label_): re.findall(r"<td>(.*?)</td>", rest) for label_, rest in rows}
    assert cells[label][-1].replace("\u00a0", " ") == share, cells


@then(parsers.parse("the page shows a chart of question {index:d} with a text alternative"))
def shows_chart(response: Response, index: int) -> None:
    # The chart is an image with a name; the same figures are in the table after it.
    assert f'role="img" aria-labelledby="chart-title-{index}"' in response.text
    assert f'<title id="chart-title-{index}">' in response.text
    assert "<caption>" in response.text


@then(parsers.parse('the download is a PDF that says "{text}"'))
def pdf_says(response: Response, text: str) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert response.headers["content-type"].startswith("application/pdf")
    reader = PdfReader(io.BytesIO(response.content))
    words = " ".join((page.extract_text() or "") for page in reader.pages)
    assert text in words, words[:2000]


@then("the page links the voter roll by Ortsverein")
def links_roll_figures(response: Response) -> None:
    assert 'id="roll-figures-link"' in response.text
    assert "/roll-figures" in response.text


@then(parsers.parse('the download is a CSV file with the line "{line}"'))
def csv_has_line(response: Response, line: str) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = response.text.splitlines()
    assert rows[0] == "Mitgliedsnummer;Vorname;Nachname;Straße;PLZ;Ort;Ortsverein", rows[0]
    assert any(row.endswith(line) for row in rows), rows


@then(parsers.parse("the CSV file has no line for {name:w}"))
def csv_lacks(response: Response, people: People, name: str) -> None:
    assert people[name].membership_number not in response.text


@then(parsers.parse('the PDF says "{text}"'))
def pdf_also_says(response: Response, text: str) -> None:
    pdf_says(response, text)


@then("no page shows a time as ISO 8601 or in UTC")
def no_iso_on_pages(pages: dict[str, Response], request: pytest.FixtureRequest) -> None:
    shown = dict(pages)
    response = request.getfixturevalue("response") if "response" in request.fixturenames else None
    if isinstance(response, Response):
        shown[str(response.request.url.path)] = response
    assert len(shown) >= 5, list(shown)
    for path, page in shown.items():
        found = ISO_TIME.findall(visible_text(page))
        assert not found, f"{path} shows {found}"


@then(parsers.parse('the page of "{title}" says when voting ends in words'))
def says_end_in_words(
    db: Session, pages: dict[str, Response], referendums: dict[str, ReferendumWorld], title: str
) -> None:
    election = ballot_services.get_election(db, referendums[title].id)
    text = visible_text(pages[f"/referendums/{election.id}"])
    assert f"bis {format_when(election.closes_at)}" in text, text
    assert re.search(r"\w+tag, \d{1,2}\. \w+ \d{4}, \d{2}:\d{2} Uhr", text), text


@then(parsers.parse('the page of "{title}" says "{text}"'))
def referendum_page_says(
    pages: dict[str, Response], referendums: dict[str, ReferendumWorld], title: str, text: str
) -> None:
    page = pages[f"/referendums/{referendums[title].id}"]
    assert text in visible_text(page), visible_text(page)


@then(parsers.parse("{name:w} receives the invitation and the reminder"))
def gets_invitation_and_reminder(mailbox: MailCatcher, people: People, name: str) -> None:
    subjects = [subject_of(message) for message in mailbox.to(people[name].email)]
    assert any(subject.startswith("Abstimmung geöffnet") for subject in subjects), subjects
    assert any(subject.startswith("Erinnerung") for subject in subjects), subjects


@then("no mail shows a time as ISO 8601 or in UTC")
def no_iso_in_mails(mailbox: MailCatcher) -> None:
    assert mailbox.messages
    for message in mailbox.messages:
        found = ISO_TIME.findall(body_of(message) + subject_of(message))
        assert not found, f"{subject_of(message)} shows {found}"


@then(parsers.parse("every mail to {name:w} says when voting ends in words"))
def mails_say_end(
    db: Session,
    mailbox: MailCatcher,
    people: People,
    referendums: dict[str, ReferendumWorld],
    name: str,
) -> None:
    (world,) = referendums.values()
    closes = format_when(ballot_services.get_election(db, world.id).closes_at)
    for message in mailbox.to(people[name].email):
        assert closes in " ".join(body_of(message).split()), body_of(message)


@then("the download is a zip file")
def is_zip(
    response: Response, browsers: Browsers, tmp_path: Path, downloads: dict[str, Path]
) -> None:
    assert response.status_code == 200, visible_text(response)[:2000]
    assert response.headers["content-type"].startswith("application/zip")
    assert "attachment" in response.headers.get("content-disposition", "")
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        assert "tally.json" in bundle.namelist()
    # Stored once, not rebuilt per download: the same bytes and ETag again, and a
    # conditional request gets 304 without a body.
    etag = response.headers["etag"]
    again = browsers.of("visitor").get(response.request.url.path)
    assert again.headers["etag"] == etag
    assert again.content == response.content
    cached = browsers.of("visitor").get(response.request.url.path, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert not cached.content
    path = tmp_path / "downloaded-record.zip"
    path.write_bytes(response.content)
    downloads["record"] = path


@then("stimmwerk verify accepts the downloaded record")
def verify_accepts(
    command_line: Callable[[str], CommandResult], downloads: dict[str, Path]
) -> None:
    result = command_line(f"stimmwerk verify --workers 1 {downloads['record']}")
    assert result.exit_code == 0, result.out + result.err
