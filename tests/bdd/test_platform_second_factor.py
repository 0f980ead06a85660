"""Steps for the second-factor features: enrolment, code at login, replay, forced set-up,
limits on guessing, recovery codes and passkeys (a software authenticator)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import pyotp
import pytest
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.db import Database
from tests.bdd.conftest import (
    BASE_URL,
    SESSION_COOKIE,
    Browsers,
    CommandResult,
    Organisation,
    People,
    enrol_second_factor,
    fresh_session,
    is_redirect_to_login,
    log_in_fully,
    logs_out,
    subject_of,
    visible_text,
)
from tests.conftest import MailCatcher
from tests.helpers import submit
from tests.support.soft_authenticator import SoftAuthenticator, options_on, post_from_page

scenarios("platform/second_factor.feature")


@when(
    parsers.parse("{name:w} sets up the second factor with her authenticator app"),
    target_fixture="response",
)
def sets_up(browsers: Browsers, people: People, name: str) -> Response:
    response = enrol_second_factor(browsers.of(name), people[name])
    assert response.status_code == 200, visible_text(response)
    assert len(people[name].recovery_codes) == 10, "no recovery codes shown at set-up"
    return response


@given(parsers.parse("{name:w} has set up the second factor"))
def has_set_up(browsers: Browsers, people: People, name: str) -> None:
    log_in_fully(browsers.of(name), people[name])
    sets_up(browsers, people, name)
    logs_out(browsers, people, name)


@given(parsers.parse("{name:w} has logged in with password and code and logged out again"))
def logged_in_with_code(browsers: Browsers, people: People, name: str) -> None:
    response = log_in_fully(browsers.of(name), people[name])
    assert response.headers["location"] == "/dashboard"
    logs_out(browsers, people, name)


@then(parsers.parse("{name:w} is asked for the code from her authenticator app"))
def asked_for_code(browsers: Browsers, people: People, response: Response, name: str) -> None:
    assert response.headers.get("location") == "/login/totp", response.status_code
    people[name].old_session = browsers.of(name).cookies.get(SESSION_COOKIE)
    page = browsers.of(name).get("/login/totp")
    assert "Gib den sechsstelligen Code aus deiner Authenticator-App ein." in visible_text(page)


@then(parsers.parse("{name:w} cannot open the dashboard yet"))
def no_dashboard_yet(browsers: Browsers, name: str) -> None:
    assert is_redirect_to_login(browsers.of(name).get("/dashboard", follow_redirects=False))


def _enter_code(browsers: Browsers, name: str, code: str) -> Response:
    return submit(browsers.of(name), "/login/totp", "/login/totp", {"code": code})


@when(parsers.parse("{name:w} enters a wrong code"), target_fixture="response")
def enters_wrong_code(browsers: Browsers, people: People, name: str) -> Response:
    generator = pyotp.TOTP(people[name].totp_secret or "")
    now = time.time()
    # Any six digits except the codes of the steps the server accepts (one either way).
    valid = {generator.at(now + offset * generator.interval) for offset in (-1, 0, 1, 2)}
    wrong = next(code for code in (f"{n:06d}" for n in range(10)) if code not in valid)
    return _enter_code(browsers, name, wrong)


@when(
    parsers.parse("{name:w} enters the code her authenticator app shows"), target_fixture="response"
)
def enters_code(browsers: Browsers, people: People, name: str) -> Response:
    person = people[name]
    before = person.last_totp_step
    response = _enter_code(browsers, name, person.next_totp_code())
    if response.headers.get("location") != "/dashboard":
        person.last_totp_step = before  # refused unchecked: the code is still unused
    return response


@when(parsers.parse("{name:w} enters the same code as last time"), target_fixture="response")
def replays_code(browsers: Browsers, people: People, name: str) -> Response:
    person = people[name]
    assert person.totp_secret
    assert person.last_totp_step is not None
    generator = pyotp.TOTP(person.totp_secret)
    return _enter_code(browsers, name, generator.at(person.last_totp_step * generator.interval))


@then("the session id changed when the code was accepted")
def session_rotated(browsers: Browsers, people: People) -> None:
    (person,) = [p for p in people.values() if p.old_session]
    assert browsers.of(person.name).cookies.get(SESSION_COOKIE) != person.old_session


@then("the session id of the half-finished login opens nothing any more")
def pending_session_dead(browsers: Browsers, people: People) -> None:
    (person,) = [p for p in people.values() if p.old_session]
    replay = browsers.of("replay")
    replay.cookies.set(
        SESSION_COOKIE, person.old_session or "", domain="testserver.local", path="/"
    )
    response = replay.get("/login/totp", follow_redirects=False)
    assert is_redirect_to_login(response), response.status_code


@then(parsers.parse("{name:w} is taken to the set-up page of the second factor"))
def taken_to_setup(browsers: Browsers, response: Response, name: str) -> None:
    assert response.headers.get("location") == "/account/totp"
    page = browsers.of(name).get("/account/totp")
    assert "Zweiten Faktor einrichten" in visible_text(page)


@then(parsers.parse("{name:w} can open the dashboard"))
def can_open_dashboard(browsers: Browsers, name: str) -> None:
    assert browsers.of(name).get("/dashboard", follow_redirects=False).status_code == 200


# -- limits (second_factor_limits.feature) ----------------------------------------------------

scenarios("platform/second_factor_limits.feature")
scenarios("platform/second_factor_recovery_codes.feature")
scenarios("platform/second_factor_passkeys.feature")


@when(parsers.parse("{name:w} enters a wrong code {times:d} times"), target_fixture="response")
def enters_wrong_code_times(browsers: Browsers, people: People, name: str, times: int) -> Response:
    responses = [enters_wrong_code(browsers, people, name) for _ in range(times)]
    return responses[-1]


@then(parsers.parse('{name:w} gets an e-mail "{subject}"'))
def gets_mail(mailbox: MailCatcher, people: People, name: str, subject: str) -> None:
    subjects = [subject_of(m) for m in mailbox.to(people[name].email)]
    assert subjects.count(subject) == 1, subjects


@then(parsers.parse('the audit log has one entry "{action}" for {name:w}'))
def one_audit_entry(database: Database, people: People, action: str, name: str) -> None:
    with fresh_session(database) as session:
        count = session.scalar(
            select(func.count()).where(
                AuditEvent.action == action, AuditEvent.actor_id == people[name].account_id
            )
        )
    assert count == 1, count


@given(parsers.parse("{name:w} cannot open the role administration"))
@then(parsers.parse("{name:w} cannot open the role administration"))
def no_role_administration(browsers: Browsers, name: str) -> None:
    assert browsers.of(name).get("/admin/roles", follow_redirects=False).status_code != 200


@then(parsers.parse("{name:w} can open the role administration"))
def role_administration(browsers: Browsers, name: str) -> None:
    assert browsers.of(name).get("/admin/roles", follow_redirects=False).status_code == 200


@when(parsers.parse('{name:w} is made an admin of "{unit_name}" on the command line'))
def made_admin(
    command_line: Callable[[str], CommandResult],
    org: Organisation,
    people: People,
    name: str,
    unit_name: str,
) -> None:
    code = org.unit(unit_name).code
    result = command_line(
        f"stimmwerk grant-role --email {people[name].email} --role admin --unit {code}"
    )
    assert result.exit_code == 0, result.err


# -- recovery codes (second_factor_recovery_codes.feature) --------------------------------------


@when(parsers.parse("{name:w} enters her first recovery code"), target_fixture="response")
def enters_recovery_code(browsers: Browsers, people: People, name: str) -> Response:
    assert people[name].recovery_codes, f"{name} has no recovery codes"
    return _enter_code(browsers, name, people[name].recovery_codes[0])


@given(parsers.parse("{name:w} has logged in with her first recovery code and logged out again"))
def used_recovery_code(browsers: Browsers, people: People, name: str) -> None:
    person = people[name]
    submit(
        browsers.of(name), "/login", "/login", {"email": person.email, "password": person.password}
    )
    response = enters_recovery_code(browsers, people, name)
    assert response.headers.get("location") == "/dashboard", visible_text(response)
    logs_out(browsers, people, name)


@when(
    parsers.parse("{name:w} makes new recovery codes with a wrong password"),
    target_fixture="response",
)
def new_codes_wrong_password(browsers: Browsers, name: str) -> Response:
    return submit(
        browsers.of(name),
        "/account/security",
        "/account/recovery-codes",
        {"password": "not it at all"},
    )


@when(
    parsers.parse("{name:w} makes new recovery codes with her password"), target_fixture="response"
)
def new_codes(browsers: Browsers, people: People, name: str) -> Response:
    person = people[name]
    response = submit(
        browsers.of(name),
        "/account/security",
        "/account/recovery-codes",
        {"password": person.password},
    )
    assert response.status_code == 200, visible_text(response)
    fresh = re.findall(r"<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>", response.text)
    assert len(fresh) == 10
    assert not set(fresh) & set(person.recovery_codes)
    return response


# -- passkeys (second_factor_passkeys.feature) -----------------------------------------------------


@pytest.fixture
def authenticators() -> dict[str, SoftAuthenticator]:
    """Each person's passkey: a software authenticator with a real P-256 key."""
    return {}


@when(parsers.parse('{name:w} adds a passkey on the page "{title}"'), target_fixture="response")
def adds_passkey(
    browsers: Browsers, authenticators: dict[str, SoftAuthenticator], name: str, title: str
) -> Response:
    browser = browsers.of(name)
    page = browser.get("/account/security")
    assert title in visible_text(page)
    authenticator = authenticators.setdefault(name, SoftAuthenticator(origin=BASE_URL))
    credential = authenticator.register(options_on(page.text))
    data = {"credential": json.dumps(credential), "name": "Telefon"}
    response = post_from_page(browser, page.text, "/account/passkeys", data)
    assert response.status_code in {200, 302}, visible_text(response)
    return response


@given(parsers.parse("{name:w} has added a passkey"))
def has_passkey(
    browsers: Browsers, authenticators: dict[str, SoftAuthenticator], name: str
) -> None:
    adds_passkey(browsers, authenticators, name, "Anmeldesicherheit")


@then(parsers.parse("{name:w} is asked for her second factor"))
def asked_for_second_factor(browsers: Browsers, response: Response, name: str) -> None:
    assert response.headers.get("location") == "/login/totp", response.status_code
    page = browsers.of(name).get("/login/totp")
    assert "Mit Passkey bestätigen" in visible_text(page)


def _passkey_answer(
    browsers: Browsers, authenticators: dict[str, SoftAuthenticator], name: str, origin: str | None
) -> Response:
    browser = browsers.of(name)
    page = browser.get("/login/totp").text
    assertion = authenticators[name].sign(options_on(page), origin=origin)
    return post_from_page(browser, page, "/login/passkey", {"credential": json.dumps(assertion)})


@when(parsers.parse("{name:w} confirms with her passkey"), target_fixture="response")
def confirms_with_passkey(
    browsers: Browsers, authenticators: dict[str, SoftAuthenticator], name: str
) -> Response:
    return _passkey_answer(browsers, authenticators, name, None)


@when(
    parsers.parse('{name:w}\'s passkey answers a login page at "{origin}"'),
    target_fixture="response",
)
def answers_elsewhere(
    browsers: Browsers, authenticators: dict[str, SoftAuthenticator], name: str, origin: str
) -> Response:
    return _passkey_answer(browsers, authenticators, name, origin)


@when(parsers.parse("{name:w} removes her passkey"), target_fixture="response")
def removes_passkey(browsers: Browsers, name: str) -> Response:
    browser = browsers.of(name)
    page = browser.get("/account/security")
    match = re.search(r'action="(/account/passkeys/\d+/delete)"', page.text)
    assert match, "no passkey listed"
    response = submit(browser, "/account/security", match.group(1), {})
    assert response.status_code in {302, 303}, visible_text(response)
    return browser.get(response.headers["location"])
