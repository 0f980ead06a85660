"""Steps for session_security.feature: fixation, logout, cookie flags, timeouts, headers."""

# Step functions get fixtures and step arguments by name from pytest-bdd, never by position.
# ruff: noqa: PLR0917

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select, update

from app.accounts.models import WebSession
from app.core.db import Database, utcnow
from tests.bdd.conftest import (
    SESSION_COOKIE,
    Browsers,
    People,
    fresh_session,
    is_redirect_to_login,
    session_count,
)

scenarios("platform/session_security.feature")


@given(parsers.parse('an attacker has planted the session cookie "{value}" in {name:w}\'s browser'))
def planted_cookie(browsers: Browsers, name: str, value: str) -> None:
    browsers.of(name).cookies.set(SESSION_COOKIE, value, domain="testserver.local", path="/")


@then(parsers.parse('{name:w}\'s browser holds a new session id, not "{value}"'))
def new_session_id(browsers: Browsers, name: str, value: str) -> None:
    current = browsers.of(name).cookies.get(SESSION_COOKIE)
    assert current
    assert current != value


@then(parsers.parse('the planted session id "{value}" opens no session'))
def planted_id_dead(browsers: Browsers, database: Database, value: str) -> None:
    with fresh_session(database) as session:
        hashed = hashlib.sha256(value.encode()).hexdigest()
        assert session.get(WebSession, hashed) is None
    attacker = browsers.of("attacker")
    attacker.cookies.set(SESSION_COOKIE, value, domain="testserver.local", path="/")
    assert is_redirect_to_login(attacker.get("/dashboard", follow_redirects=False))


def _session_cookie_header(response: Response) -> str:
    (header,) = [
        h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}=")
    ]
    return header


@then(
    parsers.parse(
        'the session cookie is named "{cookie_name}" and set with "{a}", "{b}", "{c}" and "{d}"'
    )
)
def cookie_flags(response: Response, cookie_name: str, a: str, b: str, c: str, d: str) -> None:
    assert cookie_name == SESSION_COOKIE
    attributes = [part.strip() for part in _session_cookie_header(response).split(";")[1:]]
    for wanted in (a, b, c, d):
        assert wanted in attributes, attributes


@then("the session cookie names no domain")
def cookie_without_domain(response: Response) -> None:
    assert not re.search(r";\s*domain=", _session_cookie_header(response), re.IGNORECASE)


def _shift_session(database: Database, people: People, name: str, **ages: timedelta) -> None:
    now = utcnow()
    with fresh_session(database) as session:
        (row,) = session.scalars(
            select(WebSession).where(WebSession.account_id == people[name].account_id)
        )
        values = {column: now - age for column, age in ages.items()}
        session.execute(
            update(WebSession).where(WebSession.token_hash == row.token_hash).values(**values)
        )
        session.commit()


@given(parsers.parse("{name:w}'s session was last used {minutes:d} minutes ago"))
def idle_session(database: Database, people: People, name: str, minutes: int) -> None:
    _shift_session(database, people, name, last_seen_at=timedelta(minutes=minutes))


@given(
    parsers.re(
        r"(?P<name>\w+)'s session was started (?P<hours>\d+) hours ago,? "
        r"(?:and|although it was) used a minute ago"
    ),
    converters={"hours": int},
)
def old_session(database: Database, people: People, name: str, hours: int) -> None:
    _shift_session(
        database,
        people,
        name,
        created_at=timedelta(hours=hours),
        last_seen_at=timedelta(minutes=1),
    )


@when(parsers.parse("{name:w} opens the dashboard"), target_fixture="response")
def opens_dashboard(browsers: Browsers, name: str) -> Response:
    return browsers.of(name).get("/dashboard", follow_redirects=False)


@then(parsers.parse("{name:w} is sent to the login page for good"))
def sent_to_login_for_good(
    browsers: Browsers, database: Database, people: People, response: Response, name: str
) -> None:
    assert is_redirect_to_login(response)
    assert session_count(database, people[name].account_id) == 0


@when(parsers.parse('a visitor opens "{path}"'), target_fixture="response")
def visitor_opens(client: TestClient[Litestar], path: str) -> Response:
    return client.get(path, follow_redirects=False)


@then(parsers.parse("the answer has status {status:d}"))
def has_status(response: Response, status: int) -> None:
    assert response.status_code == status


@then("the response carries these security headers:")
def security_headers(response: Response, datatable: list[list[str]]) -> None:
    for header, fragment in datatable[1:]:
        assert fragment in response.headers.get(header, ""), (header, dict(response.headers))
