"""Steps for second_factor.feature: enrolment, code at login, replay, forced set-up."""

from __future__ import annotations

import time

import pyotp
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when

from tests.bdd.conftest import (
    SESSION_COOKIE,
    Browsers,
    People,
    enrol_second_factor,
    is_redirect_to_login,
    log_in_fully,
    logs_out,
    visible_text,
)
from tests.helpers import submit

scenarios("platform/second_factor.feature")


@when(
    parsers.parse("{name:w} sets up the second factor with her authenticator app"),
    target_fixture="response",
)
def sets_up(browsers: Browsers, people: People, name: str) -> Response:
    response = enrol_second_factor(browsers.of(name), people[name])
    assert response.status_code in {302, 303}, visible_text(response)
    return browsers.of(name).get(response.headers["location"], follow_redirects=True)


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
    return _enter_code(browsers, name, people[name].next_totp_code())


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
