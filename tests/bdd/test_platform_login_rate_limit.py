"""Steps for login_rate_limit.feature: per-address and per-computer limits, pseudonyms."""

from __future__ import annotations

import re
import time

from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select

from app.accounts.models import LoginAttempt
from app.core.audit import AuditEvent
from app.core.db import Database
from app.core.settings import Settings
from tests.bdd.conftest import People, fresh_session, is_redirect_to_login
from tests.conftest import TEST_PASSWORD
from tests.factories import make_account
from tests.helpers import csrf_token

scenarios("platform/login_rate_limit.feature")

PSEUDONYM = re.compile(r"[0-9a-f]{16}")


@given(
    parsers.parse(
        "at most {failures:d} wrong passwords per address and {per_computer:d} failed logins "
        "per computer are allowed in {minutes:d} minutes"
    )
)
def limits(settings: Settings, failures: int, per_computer: int, minutes: int) -> None:
    security = settings.security
    assert security.login_max_failures == failures
    assert security.login_max_per_address == per_computer
    assert security.login_window_minutes == minutes


LAST_ANSWER_SECONDS: dict[str, float] = {}


def _try_login(computer: TestClient[Litestar], email: str, password: str) -> Response:
    token = csrf_token(computer, "/login")
    data = {"email": email, "password": password, "_csrf_token": token}
    started = time.monotonic()
    response = computer.post("/login", data=data, follow_redirects=False)
    LAST_ANSWER_SECONDS["login"] = time.monotonic() - started
    return response


@when(
    parsers.parse(
        "someone on the shared computer asks {count:d} times for a password reset link "
        "for unknown addresses"
    )
)
def many_resets(client: TestClient[Litestar], count: int) -> None:
    answers = set()
    for number in range(count):
        token = csrf_token(client, "/password/forgot")
        data = {"email": f"unbekannt{number}@example.org", "_csrf_token": token}
        answers.add(client.post("/password/forgot", data=data, follow_redirects=False).status_code)
    # The reset counter of this computer may stop it (429): that is the reset's own limit.
    assert answers <= {302, 429}, answers


@then(parsers.parse("the shared computer had to wait {seconds:d} seconds for that answer"))
def had_to_wait(seconds: int) -> None:
    assert LAST_ANSWER_SECONDS["login"] >= seconds


@then("the shared computer did not have to wait for that answer")
def did_not_wait() -> None:
    assert LAST_ANSWER_SECONDS["login"] < 1


@when(
    parsers.parse(
        "someone on the shared computer tries {count:d} wrong passwords for the address of {name:w}"
    )
)
def wrong_passwords(client: TestClient[Litestar], people: People, count: int, name: str) -> None:
    for attempt in range(count):
        response = _try_login(client, people[name].email, f"falsch geraten {attempt}")
        assert response.status_code == 400


@when(
    parsers.parse(
        "someone on the shared computer tries a wrong password for {count:d} different addresses"
    )
)
def spraying(client: TestClient[Litestar], count: int) -> None:
    for number in range(count):
        response = _try_login(client, f"person{number}@example.org", "falsch geraten")
        assert response.status_code == 400


@when(parsers.parse("{count:d} members log in with their right passwords on the shared computer"))
def many_members_log_in(
    client: TestClient[Litestar], database: Database, settings: Settings, count: int
) -> None:
    with fresh_session(database) as session:
        for number in range(count):
            make_account(session, settings, f"delegate{number}@example.org", TEST_PASSWORD)
        session.commit()
    for number in range(count):
        response = _try_login(client, f"delegate{number}@example.org", TEST_PASSWORD)
        assert response.status_code in (302, 303), response.status_code


@when(
    parsers.parse("{name:w} logs in with the right password on the shared computer"),
    target_fixture="response",
)
def logs_in_on_shared(client: TestClient[Litestar], people: People, name: str) -> Response:
    return _try_login(client, people[name].email, people[name].password)


@then("the shared computer is still logged out")
def nobody_logged_in(client: TestClient[Litestar]) -> None:
    assert is_redirect_to_login(client.get("/dashboard", follow_redirects=False))


@then(parsers.parse("{name:w} is logged in on the shared computer"))
def logged_in_on_shared(client: TestClient[Litestar], response: Response, name: str) -> None:
    assert response.headers.get("location") == "/dashboard", response.status_code
    assert client.get("/dashboard", follow_redirects=False).status_code == 200


def _attempts(database: Database) -> list[LoginAttempt]:
    with fresh_session(database) as session:
        return list(session.scalars(select(LoginAttempt)))


@then(
    parsers.parse(
        "the login records hold neither the e-mail address of {name:w} "
        "nor the computer's IP address"
    )
)
def no_clear_text(database: Database, people: People, name: str) -> None:
    client_address = "testclient"  # what Litestar's TestClient reports as the peer
    for attempt in _attempts(database):
        for key in (attempt.login_key, attempt.address_key):
            assert PSEUDONYM.fullmatch(key), key
            assert people[name].email not in key
            assert client_address not in key


@then(parsers.parse("all {count:d} records carry the same pseudonym for the address of {name:w}"))
def same_pseudonym(database: Database, count: int, name: str) -> None:
    attempts = _attempts(database)
    assert len(attempts) == count
    assert len({a.login_key for a in attempts}) == 1
    assert len({a.address_key for a in attempts}) == 1


@then("the audit log of the failed logins holds no e-mail address either")
def audit_without_address(database: Database) -> None:
    with fresh_session(database) as session:
        events = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "login:failed"))
        )
    assert events
    for event in events:
        assert "@" not in str(event.details), event.details
