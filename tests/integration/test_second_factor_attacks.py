"""Attacks on the second factor, performed against the real app (issue 9, findings 1, 8, 17).

Each test does what an attacker would: guess codes by the thousand, race parallel
guesses, replay a code, keep a session across a role grant, post a chosen TOTP key,
reuse recovery codes, forge or replay passkey answers. Each must fail.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import passkeys, recovery, sessions, totp
from app.accounts.models import Account, LoginAttempt, Passkey, Role, WebSession
from app.accounts.passwords import make_hasher
from app.accounts.second_factor import InvalidCode, SecondFactorService, TooManyWrongCodes
from app.core.audit import AuditEvent
from app.core.db import Database
from app.core.errors import TooManyAttempts
from app.core.settings import Settings
from app.organisations import roles
from tests.conftest import TEST_PASSWORD, MailCatcher
from tests.factories import make_account, make_member, make_tree
from tests.helpers import csrf_token, log_in, session_cookie, submit
from tests.support.soft_authenticator import SoftAuthenticator, options_on, post_from_page

EMAIL = "ada@example.org"
ORIGIN = "https://testserver.local"


@pytest.fixture
def world(db: Session, settings: Settings) -> dict[str, Any]:
    tree = make_tree(db)
    member = make_member(db, tree["OV-A"], "Ada", "Adler", email=EMAIL)
    account = make_account(db, settings, EMAIL, TEST_PASSWORD, name="Ada", member=member)
    secret = totp.new_secret()
    account.totp_secret = totp.seal_secret(settings.security.secret_key, secret)
    db.commit()
    return {"tree": tree, "account_id": account.id, "secret": secret}


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every code the server actually checked against the TOTP key (a counting spy)."""
    seen: list[str] = []
    lock = threading.Lock()
    real = totp.matching_step

    def counting(secret: str, code: str, **kwargs: Any) -> int | None:
        with lock:
            seen.append(code)
        return real(secret, code, **kwargs)

    monkeypatch.setattr(totp, "matching_step", counting)
    return seen


def _wrong(secret: str) -> str:
    generator = pyotp.TOTP(secret)
    valid = {generator.at(time.time() + k * 30) for k in (-1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(20)) if c not in valid)


def _count(database: Database, model: Any, *where: Any) -> int:
    with database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _audit(database: Database, action: str) -> int:
    return _count(database, AuditEvent, AuditEvent.action == action)


def _password_login(client: TestClient[Litestar]) -> None:
    response = log_in(client, EMAIL, TEST_PASSWORD)
    assert response.headers["location"] == "/login/totp", response.status_code


# -- finding 1: guessing the code --------------------------------------------------------------


def test_two_thousand_wrong_codes_are_not_all_checked(
    client: TestClient[Litestar], database: Database, world: dict[str, Any], checked: list[str]
) -> None:
    _password_login(client)
    token = csrf_token(client, "/login/totp")
    wrong = _wrong(world["secret"])
    statuses = []
    for _ in range(2000):
        response = client.post(
            "/login/totp", data={"code": wrong, "_csrf_token": token}, follow_redirects=False
        )
        statuses.append(response.status_code)
    assert len(checked) == 5, "only five codes per half-finished login are checked"
    assert statuses[:4] == [400] * 4
    assert statuses[4] == 429
    assert set(statuses[5:]) == {302}  # the half-login is gone: back to the password form
    # The right code no longer helps this session ...
    right = pyotp.TOTP(world["secret"]).now()
    response = client.post(
        "/login/totp", data={"code": right, "_csrf_token": token}, follow_redirects=False
    )
    assert response.headers["location"].startswith("/login")
    assert client.get("/dashboard", follow_redirects=False).status_code != 200
    # ... and the audit log got one row for the tripped limit, not 2,000.
    assert _audit(database, "login:second_factor_limit") == 1
    assert _audit(database, "login:second_factor_failed") == 0
    # A fresh password login gets new tries, and the right code works.
    _password_login(client)
    response = submit(client, "/login/totp", "/login/totp", {"code": right})
    assert response.headers["location"] == "/dashboard"


def test_limit_message_is_german_and_the_session_ends(
    client: TestClient[Litestar], world: dict[str, Any]
) -> None:
    _password_login(client)
    wrong = _wrong(world["secret"])
    for _ in range(4):
        submit(client, "/login/totp", "/login/totp", {"code": wrong})
    response = submit(client, "/login/totp", "/login/totp", {"code": wrong})
    assert response.status_code == 429
    assert "Zu viele falsche Codes. Bitte melde dich noch einmal mit deinem Passwort an." in (
        response.text
    )
    assert session_cookie(client) is None


def test_account_limit_holds_across_fresh_password_logins(
    client: TestClient[Litestar],
    database: Database,
    world: dict[str, Any],
    mailbox: MailCatcher,
    checked: list[str],
) -> None:
    wrong = _wrong(world["secret"])
    for _ in range(2):  # two half-logins, five wrong codes each: ten for the account
        _password_login(client)
        for _ in range(5):
            submit(client, "/login/totp", "/login/totp", {"code": wrong})
    assert len(checked) == 10
    assert _audit(database, "login:second_factor_locked") == 1
    assert len(mailbox.to(EMAIL)) == 1  # the owner is told once
    _password_login(client)
    right = pyotp.TOTP(world["secret"]).now()
    response = submit(client, "/login/totp", "/login/totp", {"code": right})
    assert response.status_code == 429
    assert "Zu viele Versuche. Bitte warte 15 Minuten" in response.text
    assert len(checked) == 10, "a code is not even checked while the account waits"
    # The wait is over once the failures are older than the window.
    with database.sessions() as session:
        for attempt in session.scalars(select(LoginAttempt)):
            attempt.occurred_at -= timedelta(minutes=16)
        session.commit()
    response = submit(client, "/login/totp", "/login/totp", {"code": right})
    assert response.headers["location"] == "/dashboard"
    assert _audit(database, "login:second_factor_locked") == 1


def _half_login(database: Database, settings: Settings, account_id: Any) -> sessions.LoadedSession:
    with database.sessions() as session:
        account = session.get(Account, account_id)
        assert account is not None
        token = sessions.start_session(session, account, second_factor_done=False)
        session.commit()
        loaded = sessions.load_session(session, token, settings.security)
        assert loaded is not None
        session.expunge(loaded.account)
        return loaded


def _in_parallel(count: int, work: Callable[[], str]) -> list[str]:
    results: list[str] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except (InvalidCode, TooManyWrongCodes, TooManyAttempts) as error:
            results.append(type(error).__name__)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_parallel_guesses_are_counted_before_they_are_checked(
    database: Database, settings: Settings, world: dict[str, Any], checked: list[str]
) -> None:
    pending = _half_login(database, settings, world["account_id"])
    wrong = _wrong(world["secret"])
    hasher = make_hasher(settings.security)

    def guess() -> str:
        with database.sessions() as session:
            return SecondFactorService(session, settings, hasher).check_code(
                pending, wrong, address="203.0.113.9"
            )

    results = _in_parallel(16, guess)
    assert len(results) == 16
    assert len(checked) <= 5, f"{len(checked)} parallel guesses were checked"


def test_one_code_opens_one_session_even_in_parallel(
    database: Database, settings: Settings, world: dict[str, Any]
) -> None:
    halves = [_half_login(database, settings, world["account_id"]) for _ in range(6)]
    right = pyotp.TOTP(world["secret"]).now()
    hasher = make_hasher(settings.security)
    queue = list(halves)
    lock = threading.Lock()

    def use() -> str:
        with lock:
            pending = queue.pop()
        with database.sessions() as session:
            return SecondFactorService(session, settings, hasher).check_code(
                pending, right, address="203.0.113.9"
            )

    results = _in_parallel(6, use)
    assert sum(1 for r in results if r != "InvalidCode") == 1, results


def test_an_accepted_code_is_refused_at_the_next_login(
    client: TestClient[Litestar], world: dict[str, Any]
) -> None:
    right = pyotp.TOTP(world["secret"]).now()
    _password_login(client)
    assert submit(client, "/login/totp", "/login/totp", {"code": right}).status_code == 302
    submit(client, "/dashboard", "/logout", {})
    _password_login(client)
    response = submit(client, "/login/totp", "/login/totp", {"code": right})
    assert response.status_code == 400


# -- finding 8: a role granted during a session --------------------------------------------------


def test_role_granted_mid_session_needs_the_second_factor(
    client: TestClient[Litestar], db: Session, database: Database, settings: Settings
) -> None:
    tree = make_tree(db)
    member = make_member(db, tree["OV-A"], "Bea", "Birke", email="bea@example.org")
    make_account(db, settings, "bea@example.org", TEST_PASSWORD, member=member)
    db.commit()
    assert log_in(client, "bea@example.org", TEST_PASSWORD).headers["location"] == "/dashboard"
    assert client.get("/admin/roles", follow_redirects=False).status_code == 403
    with database.sessions() as session:
        roles.grant_role(session, None, email="bea@example.org", role="admin", unit_code="LV1")
    response = client.get("/admin/roles", follow_redirects=False)
    assert response.status_code != 200
    assert response.headers["location"].startswith("/login")
    assert client.get("/dashboard", follow_redirects=False).status_code != 200
    # The same session may now only set up the second factor, and then it works.
    page = client.get("/account/totp")
    assert page.status_code == 200
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
    assert secret
    code = pyotp.TOTP(secret.group(1)).now()
    assert submit(client, "/account/totp", "/account/totp", {"code": code}).status_code == 200
    assert client.get("/admin/roles", follow_redirects=False).status_code == 200


def test_commission_role_granted_to_an_enrolled_member_asks_for_the_code(
    client: TestClient[Litestar], db: Session, world: dict[str, Any]
) -> None:
    """A session that never checked the code loses its rights once the code is needed."""
    account = db.get(Account, world["account_id"])
    assert account is not None
    # Logged in before the factor existed: the session is complete but never checked it.
    secret, account.totp_secret = account.totp_secret, None
    db.commit()
    assert log_in(client, EMAIL, TEST_PASSWORD).headers["location"] == "/dashboard"
    account.totp_secret = secret
    db.commit()
    roles.grant_role(db, None, email=EMAIL, role=Role.COMMISSION.value, unit_code="LV1")
    assert client.get("/dashboard", follow_redirects=False).status_code != 200
    assert client.get("/login/totp").status_code == 200


# -- finding 17: the TOTP key comes from the server -----------------------------------------------


def test_a_posted_totp_key_is_ignored(
    client: TestClient[Litestar], db: Session, settings: Settings
) -> None:
    tree = make_tree(db)
    member = make_member(db, tree["OV-A"], "Cem", "Chaussee", email="cem@example.org")
    account = make_account(db, settings, "cem@example.org", TEST_PASSWORD, member=member)
    db.commit()
    log_in(client, "cem@example.org", TEST_PASSWORD)
    chosen = "JBSWY3DPEHPK3PXP" * 2  # the attacker's key, known to the attacker
    # Without an offer from the server nothing can be enabled at all.
    response = submit(
        client,
        "/dashboard",
        "/account/totp",
        {"secret": chosen, "code": pyotp.TOTP(chosen).now()},
    )
    assert response.status_code == 400
    db.refresh(account)
    assert account.totp_secret is None
    page = client.get("/account/totp")
    offered = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
    assert offered
    assert 'name="secret"' not in page.text
    # The attacker's key with its own code is refused ...
    response = submit(
        client, "/dashboard", "/account/totp", {"secret": chosen, "code": pyotp.TOTP(chosen).now()}
    )
    assert response.status_code == 400
    db.refresh(account)
    assert account.totp_secret is None
    # ... and a code of the offered key stores the offered key, whatever else is posted.
    code = pyotp.TOTP(offered.group(1)).now()
    response = submit(client, "/dashboard", "/account/totp", {"secret": chosen, "code": code})
    assert response.status_code == 200
    db.refresh(account)
    assert account.totp_secret is not None
    assert totp.open_secret(settings.security.secret_key, account.totp_secret) == offered.group(1)


def test_a_malformed_posted_key_is_no_error(
    client: TestClient[Litestar], world: dict[str, Any]
) -> None:
    submit(client, "/login", "/login", {"email": EMAIL, "password": TEST_PASSWORD})
    response = submit(
        client, "/login/totp", "/login/totp", {"code": pyotp.TOTP(world["secret"]).now()}
    )
    assert response.status_code == 302
    client.get("/account/totp")
    response = submit(client, "/dashboard", "/account/totp", {"secret": "!!!", "code": "12"})
    assert response.status_code == 400


def test_a_half_login_cannot_replace_the_second_factor(
    client: TestClient[Litestar], world: dict[str, Any]
) -> None:
    _password_login(client)
    assert client.get("/account/totp", follow_redirects=False).status_code != 200
    token = csrf_token(client, "/login/totp")
    response = client.post(
        "/account/passkeys",
        data={"credential": "{}", "name": "x", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code != 200
    assert response.headers["location"].startswith("/login")


# -- recovery codes ----------------------------------------------------------------------------


def _enrol_with_codes(client: TestClient[Litestar], email: str) -> tuple[str, list[str]]:
    log_in(client, email, TEST_PASSWORD)
    page = client.get("/account/totp")
    offered = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
    assert offered
    response = submit(
        client, "/dashboard", "/account/totp", {"code": pyotp.TOTP(offered.group(1)).now()}
    )
    codes = re.findall(r"<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>", response.text)
    return offered.group(1), codes


def _guest(db: Session, settings: Settings, email: str) -> Account:
    account = make_account(db, settings, email, TEST_PASSWORD)
    db.commit()
    return account


def test_recovery_codes_are_single_use_hashed_and_reported(
    client: TestClient[Litestar],
    db: Session,
    database: Database,
    settings: Settings,
    mailbox: MailCatcher,
) -> None:
    account = _guest(db, settings, "dora@example.org")
    _, codes = _enrol_with_codes(client, "dora@example.org")
    assert len(codes) == 10
    assert len(set(codes)) == 10
    with database.sessions() as session:
        stored = session.scalars(select(recovery.RecoveryCode.code_hash)).all()
    assert all(code.replace("-", "") not in " ".join(stored) for code in codes)
    submit(client, "/dashboard", "/logout", {})
    log_in(client, "dora@example.org", TEST_PASSWORD)
    response = submit(client, "/login/totp", "/login/totp", {"code": codes[0].upper()})
    assert response.headers["location"] == "/dashboard"
    assert _audit(database, "login:recovery_code_used") == 1
    assert any(
        "Wiederherstellungscode" in str(m["Subject"]) or "recovery" in str(m["Subject"]).lower()
        for m in mailbox.to("dora@example.org")
    )
    assert recovery.remaining(db, account.id) == 9
    submit(client, "/dashboard", "/logout", {})
    log_in(client, "dora@example.org", TEST_PASSWORD)
    response = submit(client, "/login/totp", "/login/totp", {"code": codes[0]})
    assert response.status_code == 400


def test_new_recovery_codes_need_the_password_and_retire_the_old(
    client: TestClient[Litestar], db: Session, settings: Settings
) -> None:
    _guest(db, settings, "emil@example.org")
    _, old = _enrol_with_codes(client, "emil@example.org")
    response = submit(
        client, "/account/security", "/account/recovery-codes", {"password": "wrong one"}
    )
    assert response.status_code == 400
    assert "Das Passwort stimmt nicht." in response.text
    response = submit(
        client, "/account/security", "/account/recovery-codes", {"password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    new = re.findall(r"<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>", response.text)
    assert len(new) == 10
    assert not set(new) & set(old)
    submit(client, "/dashboard", "/logout", {})
    log_in(client, "emil@example.org", TEST_PASSWORD)
    assert submit(client, "/login/totp", "/login/totp", {"code": old[1]}).status_code == 400
    response = submit(client, "/login/totp", "/login/totp", {"code": new[1]})
    assert response.headers["location"] == "/dashboard"


# -- passkeys -----------------------------------------------------------------------------------


def _add_passkey(
    client: TestClient[Litestar], authenticator: SoftAuthenticator, **kwargs: Any
) -> Any:
    page = client.get("/account/security")
    assert page.status_code == 200
    credential = authenticator.register(options_on(page.text), **kwargs)
    data = {"credential": json.dumps(credential), "name": "Laptop"}
    return post_from_page(client, page.text, "/account/passkeys", data)


def test_passkey_registration_and_login(
    client: TestClient[Litestar], db: Session, database: Database, settings: Settings
) -> None:
    account = _guest(db, settings, "finn@example.org")
    log_in(client, "finn@example.org", TEST_PASSWORD)
    authenticator = SoftAuthenticator(origin=ORIGIN)
    response = _add_passkey(client, authenticator)
    assert response.status_code == 200  # first factor: the recovery codes are shown
    assert len(re.findall(r"<li><code>", response.text)) == 10
    assert _count(database, Passkey, Passkey.account_id == account.id) == 1
    submit(client, "/dashboard", "/logout", {})
    assert log_in(client, "finn@example.org", TEST_PASSWORD).headers["location"] == "/login/totp"
    page = client.get("/login/totp")
    options = options_on(page.text)
    assert options["rpId"] == "testserver.local"
    assertion = authenticator.sign(options)
    data = {"credential": json.dumps(assertion)}
    response = post_from_page(client, page.text, "/login/passkey", data)
    assert response.headers["location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_forged_and_replayed_passkey_answers_are_refused(
    client: TestClient[Litestar], db: Session, settings: Settings
) -> None:
    _guest(db, settings, "gina@example.org")
    log_in(client, "gina@example.org", TEST_PASSWORD)
    real = SoftAuthenticator(origin=ORIGIN)
    # A registration made for another site (a phishing copy) is refused.
    assert _add_passkey(client, real, origin="https://stimmwerk.example.net").status_code == 400
    assert _add_passkey(client, real).status_code == 200
    submit(client, "/dashboard", "/logout", {})
    log_in(client, "gina@example.org", TEST_PASSWORD)

    def answer(authenticator: SoftAuthenticator, **kwargs: Any) -> Any:
        page = client.get("/login/totp").text
        assertion = authenticator.sign(options_on(page), **kwargs)
        data = {"credential": json.dumps(assertion)}
        return assertion, post_from_page(client, page, "/login/passkey", data)

    # Another key that claims the real credential id: the signature does not verify.
    impostor = SoftAuthenticator(origin=ORIGIN, credential_id=real.credential_id)
    assert answer(impostor)[1].status_code == 400
    # The real key answering for another origin.
    assert answer(real, origin="https://stimmwerk.example.net")[1].status_code == 400
    # The real key for this site works; keep its answer for a replay.
    old, response = answer(real)
    assert response.headers["location"] == "/dashboard"
    submit(client, "/dashboard", "/logout", {})
    log_in(client, "gina@example.org", TEST_PASSWORD)
    # A replay of that answer: its challenge was spent.
    page = client.get("/login/totp").text
    response = post_from_page(client, page, "/login/passkey", {"credential": json.dumps(old)})
    assert response.status_code == 400
    # A cloned authenticator whose signature counter went backwards.
    real.sign_count = 0
    assert answer(real)[1].status_code == 400
    # Garbage is a clear refusal, not an error.
    page = client.get("/login/totp").text
    response = post_from_page(client, page, "/login/passkey", {"credential": "x" * 50_000})
    assert response.status_code == 400
    assert client.get("/dashboard", follow_redirects=False).status_code != 200


def test_the_relying_party_follows_base_url() -> None:
    party = passkeys.relying_party("https://stimmen.example.org:8443")
    assert party.id == "stimmen.example.org"
    assert party.origin == "https://stimmen.example.org:8443"


def test_session_rows_hold_no_plain_totp_key(
    client: TestClient[Litestar], database: Database, world: dict[str, Any]
) -> None:
    submit(client, "/login", "/login", {"email": EMAIL, "password": TEST_PASSWORD})
    submit(client, "/login/totp", "/login/totp", {"code": pyotp.TOTP(world["secret"]).now()})
    page = client.get("/account/totp")
    offered = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
    assert offered
    with database.sessions() as session:
        stored = session.scalars(select(WebSession.pending_totp_secret)).all()
    assert offered.group(1) not in " ".join(s or "" for s in stored)


def test_switching_off_the_app_cannot_be_guessed_either(
    client: TestClient[Litestar], db: Session, world: dict[str, Any], checked: list[str]
) -> None:
    """A logged-in (perhaps borrowed) session guessing the code to switch the app off."""
    right = pyotp.TOTP(world["secret"])
    _password_login(client)
    submit(client, "/login/totp", "/login/totp", {"code": right.now()})
    wrong = _wrong(world["secret"])
    statuses = [
        submit(client, "/account/security", "/account/totp/disable", {"code": wrong}).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
    # Even the right (next) code is not checked while the account waits.
    response = submit(
        client,
        "/account/security",
        "/account/totp/disable",
        {"code": right.at(time.time() + 30)},
    )
    assert response.status_code == 429
    db.expire_all()
    account = db.get(Account, world["account_id"])
    assert account is not None
    assert account.totp_secret is not None
    assert len(checked) == 11  # the login code and ten wrong ones


def test_a_new_admin_may_enrol_a_passkey_instead_of_an_app(
    client: TestClient[Litestar], db: Session, settings: Settings
) -> None:
    tree = make_tree(db)
    member = make_member(db, tree["OV-A"], "Ida", "Ilex", email="ida@example.org")
    make_account(db, settings, "ida@example.org", TEST_PASSWORD, member=member)
    db.commit()
    roles.grant_role(db, None, email="ida@example.org", role="admin", unit_code="LV1")
    assert log_in(client, "ida@example.org", TEST_PASSWORD).headers["location"] == "/account/totp"
    assert client.get("/admin/roles", follow_redirects=False).status_code != 200
    page = client.get("/account/totp")
    authenticator = SoftAuthenticator(origin=ORIGIN)
    credential = authenticator.register(options_on(page.text))
    data = {"credential": json.dumps(credential), "name": "Schlüssel"}
    response = post_from_page(client, page.text, "/account/passkeys", data)
    assert response.status_code == 200
    assert client.get("/admin/roles", follow_redirects=False).status_code == 200
    # Her only factor cannot be removed while the role needs one.
    page = client.get("/account/security")
    action = re.search(r'action="(/account/passkeys/\d+/delete)"', page.text)
    assert action
    response = post_from_page(client, page.text, action.group(1), {})
    assert response.status_code == 400
    assert "Deine Rollen erfordern einen zweiten Faktor" in response.text


def test_recovery_code_input_is_forgiving_but_strict() -> None:
    assert recovery.normalise(" AB1CD-EF2GH ") == "ab1cdef2gh"
    assert recovery.normalise("o0Il1") == "00111"
    assert recovery.looks_like_code("abcde-fghjk")
    assert not recovery.looks_like_code("123456")
    assert not recovery.looks_like_code("abcde-fghju")  # u is not in the alphabet
