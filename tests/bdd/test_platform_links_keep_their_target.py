"""Steps for links_keep_their_target.feature: next= across the login, ended sessions."""

from __future__ import annotations

from datetime import timedelta

from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select

from app.accounts.models import WebSession
from app.core.db import Database, utcnow
from tests.bdd.access_steps import *  # noqa: F403 - the shared steps
from tests.bdd.access_steps import follow, press_button
from tests.bdd.conftest import Browsers, People, fresh_session
from tests.helpers import csrf_token

scenarios("platform/links_keep_their_target.feature")


@when(parsers.parse('{name:w} opens "{path}" while logged out'), target_fixture="response")
def opens_logged_out(browsers: Browsers, name: str, path: str) -> Response:
    return follow(browsers.of(name), browsers.of(name).get(path, follow_redirects=False))


@then("she is asked to log in")
def asked_to_log_in(response: Response) -> None:
    assert response.url.path == "/login", response.url
    assert "next=" in str(response.url)


@when(parsers.parse("{name:w} logs in on that page"), target_fixture="landing")
def logs_in_on_page(browsers: Browsers, people: People, response: Response, name: str) -> str:
    fields = {"email": people[name].email, "password": people[name].password}
    answer = press_button(browsers.of(name), response, "Anmelden", fields)
    assert answer.status_code in {302, 303}
    return str(answer.headers["location"])


@when(parsers.parse('{name:w} logs in with the target "{target}"'), target_fixture="landing")
def logs_in_with_target(browsers: Browsers, people: People, name: str, target: str) -> str:
    browser = browsers.of(name)
    token = csrf_token(browser, "/login")
    data = {
        "email": people[name].email,
        "password": people[name].password,
        "next": target,
        "_csrf_token": token,
    }
    answer = browser.post("/login", data=data, follow_redirects=False)
    return str(answer.headers["location"])


@then(parsers.parse('{name:w} lands on "{path}"'))
def lands_on(browsers: Browsers, landing: str, name: str, path: str) -> None:
    assert landing == path
    assert browsers.of(name).get(landing).status_code == 200


@given(parsers.parse("{name:w}'s session has ended while she was away"))
def session_ended(database: Database) -> None:
    with fresh_session(database) as session:
        for row in session.scalars(select(WebSession)):
            row.last_seen_at = utcnow() - timedelta(hours=2)
        session.commit()


@when(
    parsers.parse("{name:w} sends the reminder form on her own data page"),
    target_fixture="response",
)
def sends_form(browsers: Browsers, name: str) -> Response:
    browser = browsers.of(name)
    # The page was loaded before the session ended; meanwhile the browser was restarted
    # and dropped its CSRF cookie (the session cookie lives longer).
    page_token = csrf_token(browser, "/login")
    browser.cookies.delete("__Host-csrftoken")
    answer = browser.post(
        "/me/reminders",
        data={"reminders": "on", "_csrf_token": page_token},
        follow_redirects=False,
    )
    return follow(browser, answer)
