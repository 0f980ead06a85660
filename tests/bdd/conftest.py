"""Shared steps for the platform features: the organisation, its people, their browsers.

Every person gets their own browser (a Litestar ``TestClient`` on https, so the Secure
cookies travel), and every step drives the real app on the real test database; mail
arrives through the real SMTP server. The demo organisation is::

    Bundesverband
    ├── Landesverband Eins
    │   ├── Unterbezirk Eins ── Ortsverein Ahorn (OV-A), Ortsverein Birke (OV-B)
    │   └── Unterbezirk Zwei ── Ortsverein Chaussee (OV-C)
    └── Landesverband Zwei
        └── Unterbezirk Drei ── Ortsverein Dorf (OV-D)
"""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pyotp
import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, then, when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import totp
from app.accounts.models import Account, Role, WebSession
from app.cli import main as stimmwerk_main
from app.core.celery import celery_app, configure_celery
from app.core.db import Database
from app.core.runtime import set_runtime
from app.core.settings import Settings, get_settings
from app.organisations.models import Unit, UnitLevel
from tests.conftest import TEST_PASSWORD, MailCatcher
from tests.factories import grant, make_account, make_member, make_tree, make_unit
from tests.helpers import csrf_token, submit

BASE_URL = "https://testserver.local"
BROWSER_HEADERS = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SESSION_COOKIE = "__Host-stimmwerk"
ROLE_BY_WORD = {"board": Role.BOARD, "staff": Role.STAFF}


# -- the people and their browsers -------------------------------------------------------


@dataclass
class Person:
    name: str
    email: str
    password: str = TEST_PASSWORD
    old_password: str | None = None
    account_id: uuid.UUID | None = None
    member_id: int | None = None
    membership_number: str | None = None
    full_name: str = ""
    totp_secret: str | None = None
    last_totp_step: int | None = None
    link: str | None = None
    old_session: str | None = None
    recovery_codes: list[str] = field(default_factory=list)

    def next_totp_code(self) -> str:
        """The code the person's authenticator app shows now (or the next one, if the
        current one was already used: the app would show it seconds later)."""
        assert self.totp_secret, f"{self.name} has no second factor"
        generator = pyotp.TOTP(self.totp_secret)
        step = int(time.time() // generator.interval)
        if self.last_totp_step is not None and step <= self.last_totp_step:
            step = self.last_totp_step + 1
        assert step <= int(time.time() // generator.interval) + 1, "no fresh TOTP code left"
        self.last_totp_step = step
        return generator.at(step * generator.interval)


class People(dict[str, Person]):
    def __missing__(self, name: str) -> Person:
        raise AssertionError(f"{name} was not introduced in a Given step")

    def add(self, name: str, **details: Any) -> Person:
        person = Person(name=name, email=f"{name.lower()}@example.org", **details)
        self[name] = person
        return person


class Browsers:
    """One browser per person (and one for an anonymous visitor), opened on demand."""

    def __init__(self, app: Litestar, visitor: TestClient[Litestar], stack: ExitStack) -> None:
        self.app = app
        self.stack = stack
        self.open: dict[str, TestClient[Litestar]] = {"visitor": visitor}

    def of(self, owner: str) -> TestClient[Litestar]:
        if owner not in self.open:
            browser = TestClient(self.app, base_url=BASE_URL)
            browser.headers.update(BROWSER_HEADERS)
            self.open[owner] = self.stack.enter_context(browser)
        return self.open[owner]


@pytest.fixture
def client(app: Litestar, mailbox: MailCatcher) -> Iterator[TestClient[Litestar]]:
    """The anonymous visitor's browser. Asks for HTML like a browser does; sends no
    Accept-Language unless a step sets one. Depends on ``mailbox`` so the mailbox is
    emptied before the first step, not when a later step first looks at it."""
    with TestClient(app, base_url=BASE_URL) as browser:
        browser.headers.update(BROWSER_HEADERS)
        yield browser


@pytest.fixture
def browsers(app: Litestar, client: TestClient[Litestar]) -> Iterator[Browsers]:
    with ExitStack() as stack:
        yield Browsers(app, client, stack)


@pytest.fixture(autouse=True)
def _every_backend(browsers: Browsers) -> None:
    """Steps ask for fixtures lazily; naming the app's fixtures here lets pytest see the
    parametrised ``database_url`` at collection, so each scenario runs on every backend."""


@pytest.fixture
def people() -> People:
    return People()


@pytest.fixture
def answers() -> list[Response]:
    """Every response a When step got, in order (for comparing two answers)."""
    return []


# -- reading the database and the pages ----------------------------------------------------


def fresh_session(database: Database) -> Session:
    """A new session, so that a check sees what the app committed (not a stale snapshot)."""
    return database.sessions()


def account_of(db: Session, people: People, name: str) -> Account:
    """The stored account of the person called ``name``."""
    account = db.get(Account, people[name].account_id)
    assert account is not None, name
    return account


def stored_rows(database: Database, model: Any) -> list[dict[str, Any]]:
    """Every stored row of ``model``'s table as plain values, in id order: to compare
    the table before and after something that must leave it exactly as it was."""
    table = model.__table__
    with fresh_session(database) as session:
        rows = session.execute(select(table).order_by(table.c.id))
        return [dict(row._mapping) for row in rows]


def visible_text(response: Response) -> str:
    """The page's text as a reader sees it: no tags, entities decoded, spaces collapsed."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", response.text, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def session_count(database: Database, account_id: uuid.UUID | None) -> int:
    with fresh_session(database) as session:
        query = select(func.count()).where(WebSession.account_id == account_id)
        return int(session.scalar(query) or 0)


def is_redirect_to_login(response: Response) -> bool:
    return response.status_code in {302, 303} and response.headers["location"].startswith("/login")


def log_in_fully(browser: TestClient[Litestar], person: Person) -> Response:
    """Password, then the second factor if the account has one or needs to enrol one."""
    response = submit(
        browser, "/login", "/login", {"email": person.email, "password": person.password}
    )
    assert response.status_code == 302, visible_text(response)
    if response.headers["location"] == "/login/totp":
        response = submit(browser, "/login/totp", "/login/totp", {"code": person.next_totp_code()})
    elif response.headers["location"] == "/account/totp":
        response = enrol_second_factor(browser, person)
    assert response.status_code in {200, 302}, visible_text(response)
    return response


def password_works(browsers: Browsers, email: str, password: str) -> bool:
    """Try the login in a separate browser, so the person's own session is untouched."""
    data = {"email": email, "password": password}
    response = submit(browsers.of("a separate browser"), "/login", "/login", data)
    return response.headers.get("location") == "/dashboard"


def enrol_second_factor(browser: TestClient[Litestar], person: Person) -> Response:
    """Scan the key on the set-up page into the 'app' and confirm with its code."""
    page = browser.get("/account/totp")
    assert page.status_code == 200, visible_text(page)
    match = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
    assert match, "no TOTP key on the set-up page"
    person.totp_secret, person.last_totp_step = match.group(1), None
    code = person.next_totp_code()
    token = csrf_token(browser, "/account/totp")
    response = browser.post(
        "/account/totp", data={"code": code, "_csrf_token": token}, follow_redirects=False
    )
    # The first factor shows the recovery codes once (a page, not a redirect).
    person.recovery_codes = re.findall(
        r"<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>", response.text
    )
    return response


# -- Given: the organisation and its people --------------------------------------------------


@dataclass
class Organisation:
    by_name: dict[str, Unit] = field(default_factory=dict)

    def unit(self, name: str) -> Unit:
        assert name in self.by_name, f"no unit called {name!r} in the demo organisation"
        return self.by_name[name]


@given("the demo organisation", target_fixture="org")
def demo_organisation(db: Session) -> Organisation:
    tree = make_tree(db)
    second = make_unit(db, "LV2", "Landesverband Zwei", UnitLevel.STATE, tree["BV"])
    sub = make_unit(db, "UB3", "Unterbezirk Drei", UnitLevel.SUBDISTRICT, second)
    local = make_unit(db, "OV-D", "Ortsverein Dorf", UnitLevel.LOCAL, sub)
    db.commit()
    units = [*tree.values(), second, sub, local]
    return Organisation({unit.name: unit for unit in units})


def _add_member(
    db: Session,
    settings: Settings,
    org: Organisation,
    people: People,
    full_name: str,
    unit_name: str,
    *,
    with_account: bool = True,
) -> Person:
    given_name, _, family_name = full_name.partition(" ")
    person = people.add(given_name, full_name=full_name)
    member = make_member(
        db, org.unit(unit_name), given_name, family_name or "Muster", email=person.email
    )
    person.member_id, person.membership_number = member.id, member.membership_number
    if with_account:
        account = make_account(
            db, settings, person.email, person.password, name=full_name, member=member
        )
        person.account_id = account.id
    db.commit()
    return person


@given(parsers.parse('{full_name} is a member of "{unit_name}"'))
def a_member(
    db: Session,
    settings: Settings,
    org: Organisation,
    people: People,
    full_name: str,
    unit_name: str,
) -> None:
    _add_member(db, settings, org, people, full_name, unit_name)


@given(parsers.parse('{full_name} is a member of "{unit_name}" without an account yet'))
def a_member_without_account(
    db: Session,
    settings: Settings,
    org: Organisation,
    people: People,
    full_name: str,
    unit_name: str,
) -> None:
    _add_member(db, settings, org, people, full_name, unit_name, with_account=False)


@given("these members:")
def these_members(
    db: Session, settings: Settings, org: Organisation, people: People, datatable: list[list[str]]
) -> None:
    header, *rows = datatable
    assert header == ["name", "unit"], header
    for full_name, unit_name in rows:
        _add_member(db, settings, org, people, full_name, unit_name)


@given(parsers.parse('{name:w} is on the {role_word:w} of "{unit_name}"'))
@given(parsers.parse('{name:w} is {role_word:w} of "{unit_name}"'))
def holds_role(
    db: Session, org: Organisation, people: People, name: str, role_word: str, unit_name: str
) -> None:
    account = account_of(db, people, name)
    grant(db, account, ROLE_BY_WORD[role_word], org.unit(unit_name))
    db.commit()


@given(parsers.parse('{name:w} is an admin of "{unit_name}"'))
def an_admin(
    db: Session, settings: Settings, org: Organisation, people: People, name: str, unit_name: str
) -> None:
    """Admins must have a second factor; this one set it up long ago."""
    person = people[name]
    account = db.get(Account, person.account_id)
    assert account is not None
    person.totp_secret = totp.new_secret()
    account.totp_secret = totp.seal_secret(settings.security.secret_key, person.totp_secret)
    grant(db, account, Role.ADMIN, org.unit(unit_name))
    db.commit()


@given(parsers.parse('{name:w} is an admin of "{unit_name}" without a second factor yet'))
def an_admin_without_second_factor(
    db: Session, org: Organisation, people: People, name: str, unit_name: str
) -> None:
    account = account_of(db, people, name)
    grant(db, account, Role.ADMIN, org.unit(unit_name))
    db.commit()


@given(parsers.parse("{full_name} is a registered guest"))
def a_guest(db: Session, settings: Settings, people: People, full_name: str) -> None:
    person = people.add(full_name.split(maxsplit=1)[0], full_name=full_name)
    account = make_account(db, settings, person.email, person.password, name=full_name)
    person.account_id = account.id
    db.commit()


@given(parsers.parse("{full_name} registered as a guest but has not confirmed the address"))
def an_unconfirmed_guest(db: Session, settings: Settings, people: People, full_name: str) -> None:
    person = people.add(full_name.split(maxsplit=1)[0], full_name=full_name)
    account = make_account(
        db, settings, person.email, person.password, name=full_name, verified=False
    )
    person.account_id = account.id
    db.commit()


@given(parsers.parse("{name:w} is logged in"))
def logged_in(browsers: Browsers, people: People, name: str) -> None:
    log_in_fully(browsers.of(name), people[name])
    dashboard = browsers.of(name).get("/dashboard", follow_redirects=False)
    assert dashboard.status_code == 200, visible_text(dashboard)


# -- When: shared actions ------------------------------------------------------------------------


@when(parsers.parse("{name:w} logs in with the right password"), target_fixture="response")
def logs_in_right(
    browsers: Browsers, people: People, answers: list[Response], name: str
) -> Response:
    person = people[name]
    response = submit(
        browsers.of(name), "/login", "/login", {"email": person.email, "password": person.password}
    )
    answers.append(response)
    return response


@when(parsers.parse("{name:w} logs in with a wrong password"), target_fixture="response")
def logs_in_wrong(
    browsers: Browsers, people: People, answers: list[Response], name: str
) -> Response:
    person = people[name]
    data = {"email": person.email, "password": "not-" + person.password}
    response = submit(browsers.of(name), "/login", "/login", data)
    answers.append(response)
    return response


@when(parsers.parse("{name:w} logs out"), target_fixture="response")
def logs_out(browsers: Browsers, people: People, name: str) -> Response:
    browser = browsers.of(name)
    people[name].old_session = browser.cookies.get(SESSION_COOKIE)
    token = csrf_token(browser, "/login")
    return browser.post("/logout", data={"_csrf_token": token}, follow_redirects=False)


@when(parsers.parse("{name:w} opens {pronoun:w} own data page"), target_fixture="response")
def opens_own_data(browsers: Browsers, name: str) -> Response:
    return browsers.of(name).get("/me/", follow_redirects=False)


@when(
    parsers.parse('{name:w} follows the link in the e-mail "{subject}"'), target_fixture="response"
)
def follows_mailed_link(
    browsers: Browsers, people: People, mailbox: MailCatcher, name: str, subject: str
) -> Response:
    person = people[name]
    mails = [m for m in mailbox.to(person.email) if subject_of(m) == subject]
    assert mails, f"{name} got no mail {subject!r}"
    links = re.findall(r"https://testserver\.local(/\S+)", body_of(mails[-1]))
    assert links, body_of(mails[-1])
    person.link = links[-1]
    return browsers.of(name).get(person.link, follow_redirects=True)


# -- Then: shared checks -------------------------------------------------------------------------


@then(parsers.parse('the page says "{text}"'))
def page_says(response: Response, text: str) -> None:
    assert text in visible_text(response), visible_text(response)[:3000]


@then(parsers.parse('the page does not say "{text}"'))
def page_does_not_say(response: Response, text: str) -> None:
    assert text not in visible_text(response)


@then(parsers.parse("the request is refused with status {status:d}"))
def refused_with(response: Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, visible_text(response)[:2000])


@then("the page opens")
def page_opens(response: Response) -> None:
    assert response.status_code == 200, (response.status_code, visible_text(response)[:2000])


@then(parsers.parse("{name:w} sees the dashboard"), target_fixture="response")
def sees_dashboard(browsers: Browsers, response: Response, name: str) -> Response:
    assert response.status_code in {302, 303}, visible_text(response)[:2000]
    assert response.headers["location"] == "/dashboard"
    dashboard = browsers.of(name).get("/dashboard", follow_redirects=False)
    assert dashboard.status_code == 200, visible_text(dashboard)[:2000]
    return dashboard


@then(parsers.parse("{name:w} is logged in"))
def is_logged_in(browsers: Browsers, name: str) -> None:
    dashboard = browsers.of(name).get("/dashboard", follow_redirects=False)
    assert dashboard.status_code == 200, dashboard.headers


@then(parsers.parse("{name:w} is not logged in"))
def is_not_logged_in(browsers: Browsers, name: str) -> None:
    assert is_redirect_to_login(browsers.of(name).get("/dashboard", follow_redirects=False))


@then(parsers.parse("the old session cookie of {name:w} no longer opens the dashboard"))
def old_cookie_is_dead(browsers: Browsers, people: People, name: str) -> None:
    old = people[name].old_session
    assert old, "no session cookie was noted before"
    replay = browsers.of(f"{name}'s old session, replayed")
    replay.cookies.set(SESSION_COOKIE, old, domain="testserver.local", path="/")
    assert is_redirect_to_login(replay.get("/dashboard", follow_redirects=False))


@then(parsers.parse("the server holds no session for {name:w}"))
def no_server_session(database: Database, people: People, name: str) -> None:
    assert session_count(database, people[name].account_id) == 0


@then(parsers.parse('{name:w} receives an e-mail with the subject "{subject}"'))
def receives_mail(mailbox: MailCatcher, people: People, name: str, subject: str) -> None:
    subjects = [subject_of(m) for m in mailbox.to(people[name].email)]
    assert subject in subjects, subjects


@then(parsers.parse("{name:w} receives no e-mail"))
def receives_no_mail(mailbox: MailCatcher, people: People, name: str) -> None:
    assert mailbox.to(people[name].email) == []


@then(parsers.parse('a mail with the subject "{subject}" goes to "{address}"'))
def mail_goes_to(mailbox: MailCatcher, subject: str, address: str) -> None:
    assert subject in [subject_of(m) for m in mailbox.to(address)]


@then(parsers.parse('no mail goes to "{address}"'))
def no_mail_to(mailbox: MailCatcher, address: str) -> None:
    assert mailbox.to(address) == []


# -- a second device of the same person ----------------------------------------------------------

PHONE = "{name}'s phone"
"""The browser of a person's phone: logged in as well, to see which sessions a change ends."""


@given(parsers.parse("{name:w} is also logged in on her phone"))
def logged_in_on_phone(browsers: Browsers, people: People, name: str) -> None:
    phone = browsers.of(PHONE.format(name=name))
    log_in_fully(phone, people[name])
    assert phone.get("/dashboard", follow_redirects=False).status_code == 200


@then(parsers.parse("{name:w}'s phone is not logged in any more"))
def phone_logged_out(browsers: Browsers, name: str) -> None:
    phone = browsers.of(PHONE.format(name=name))
    assert is_redirect_to_login(phone.get("/dashboard", follow_redirects=False))


# -- the command line, as an operator runs it --------------------------------------------------


@dataclass
class CommandResult:
    exit_code: int
    out: str
    err: str


@pytest.fixture
def command_line(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    database: Database,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[[str], CommandResult]]:
    """``stimmwerk ...`` against the test database and SMTP server, in ``tmp_path``.

    The CLI reads its settings from the environment once; the cache is cleared before
    and after, and the app's runtime (which a CLI command may replace) is restored.
    """
    environment = {
        "DATABASE_URL": settings.database.url,
        "SECRET_KEY": settings.security.secret_key,
        "VAR_DIR": str(tmp_path / "cli-var"),
        "BASE_URL": settings.base_url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SENDER": settings.mail.sender,
        "SMTP_HOST": settings.mail.smtp_host,
        "SMTP_PORT": str(settings.mail.smtp_port),
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"STIMMWERK_{name}", value)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()

    def run(command: str) -> CommandResult:
        program, *argv = command.split()
        assert program == "stimmwerk"
        capsys.readouterr()
        exit_code = stimmwerk_main(argv)
        captured = capsys.readouterr()
        return CommandResult(exit_code, captured.out, captured.err)

    yield run
    get_settings.cache_clear()
    set_runtime(settings, database)
    configure_celery(celery_app, settings)


@when(parsers.parse('the administrator runs "{command}"'), target_fixture="command_result")
def runs_command(command_line: Callable[[str], CommandResult], command: str) -> CommandResult:
    return command_line(command)


@then(parsers.parse('the command succeeds and reports "{text}"'))
def command_succeeds(command_result: CommandResult, text: str) -> None:
    assert command_result.exit_code == 0, command_result.err
    assert text in command_result.out, command_result.out
