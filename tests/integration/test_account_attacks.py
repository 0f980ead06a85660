"""Attacks on logins, registration, links and redirects, against the real app and database
(issue 9, findings 2, 4, 5, 6, 7, 11, 15; issue 10, points 1 and 2).

Each test does what an attacker would and checks that it fails: parallel password
guesses, a reset flood from one network, a registration flood and a 9 MB name,
phishing text in a name, telling known from unknown addresses by the work done,
mail scanners opening links, a stolen session moving the account, open redirects.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.accounts import passwords
from app.accounts.models import Account, LoginAttempt, OneTimeToken, WebSession
from app.accounts.services import AccountService, LoginFailed
from app.core.db import Database, utcnow
from app.core.errors import TooManyAttempts, ValidationFailed
from app.core.settings import Settings
from app.organisations.access import MemberAccess
from app.organisations.models import Member
from tests.conftest import TEST_PASSWORD, MailCatcher, with_overrides
from tests.factories import make_account, make_member, make_tree
from tests.helpers import csrf_token, log_in, submit

BASE = "https://testserver.local"
BROWSER = {"accept": "text/html"}
EMAIL = "anna@example.org"


@pytest.fixture
def anna(db: Session, settings: Settings) -> Account:
    tree = make_tree(db)
    member = make_member(db, tree["OV-A"], "Anna", "Ahorn", email=EMAIL)
    account = make_account(db, settings, EMAIL, TEST_PASSWORD, name="Anna Ahorn", member=member)
    db.commit()
    return account


@pytest.fixture
def verified_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification the server really ran (a counting spy)."""
    seen: list[str] = []
    lock = threading.Lock()
    real = PasswordHasher.verify

    def spy(self: PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
        with lock:
            seen.append(str(password))
        return real(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return seen


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every new argon2 hash the server computed."""
    seen: list[str] = []
    real = passwords.hash_password

    def spy(hasher: PasswordHasher, password: str) -> str:
        seen.append(password)
        return real(hasher, password)

    monkeypatch.setattr(passwords, "hash_password", spy)
    return seen


def _browser(app: Litestar) -> TestClient[Litestar]:
    client = TestClient(app, base_url=BASE)
    client.headers.update(BROWSER)
    return client


# -- 9.4: parallel guesses -------------------------------------------------------------------


def test_ten_parallel_wrong_passwords_check_at_most_the_limit(
    client: TestClient[Litestar], settings: Settings, anna: Account, verified_hashes: list[str]
) -> None:
    """Ten requests post a wrong password for one name at the same instant.

    They go through the app (its login handler runs each check in a worker thread)
    to the real database; before the fix all ten reached argon2.
    """
    count = 10
    token = csrf_token(client, "/login")
    statuses: list[int] = []
    barrier = threading.Barrier(count, timeout=30)

    def guess(index: int) -> None:
        data = {"email": EMAIL, "password": f"falsch {index}", "_csrf_token": token}
        barrier.wait()
        statuses.append(client.post("/login", data=data, follow_redirects=False).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    guesses = [p for p in verified_hashes if p.startswith("falsch")]
    assert len(statuses) == count
    assert len(guesses) <= settings.security.login_max_failures, statuses
    assert statuses.count(429) >= count - settings.security.login_max_failures
    assert set(statuses) <= {400, 429}


def test_a_locked_name_is_not_kept_locked_by_refused_attempts(
    database: Database, settings: Settings, anna: Account
) -> None:
    """Refused attempts are not recorded, so hammering does not extend the lock."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    for attempt in range(30):
        with database.sessions() as session, contextlib.suppress(LoginFailed, TooManyAttempts):
            AccountService(session, settings, hasher).log_in(
                EMAIL, f"falsch {attempt}", address="198.51.100.7", replaces_token=None
            )
    with database.sessions() as session:
        failures = session.scalar(select(func.count()).where(LoginAttempt.succeeded.is_(False)))
    assert failures == settings.security.login_max_failures


# -- 9.5: separate counters -------------------------------------------------------------------


def test_fifty_reset_requests_do_not_lock_the_network_out(
    client: TestClient[Litestar], anna: Account
) -> None:
    for number in range(50):
        submit(client, "/password/forgot", "/password/forgot", {"email": f"x{number}@example.org"})
    response = log_in(client, EMAIL, TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["location"] == "/dashboard"


def test_an_address_over_its_limit_is_slowed_not_refused(
    settings: Settings, database: Database, anna: Account
) -> None:
    from app.server import create_app

    fast = with_overrides(settings, login_max_per_address=3, login_address_delay_seconds=0.3)
    app = create_app(fast, database)
    with _browser(app) as browser:
        for number in range(3):
            log_in(browser, f"nobody{number}@example.org", "falsch geraten")
        import time

        started = time.monotonic()
        response = log_in(browser, EMAIL, TEST_PASSWORD)
        waited = time.monotonic() - started
    assert response.headers["location"] == "/dashboard"
    assert waited >= 0.3


# -- 9.6 / 9.7: registration ------------------------------------------------------------------


def _register(client: TestClient[Litestar], name: str, email: str) -> Any:
    data = {
        "display_name": name,
        "email": email,
        "password": "lange genug und geheim",
        "accept_terms": "yes",
    }
    return submit(client, "/register", "/register", data)


def test_a_registration_flood_is_stopped_before_hashing(
    client: TestClient[Litestar], mailbox: MailCatcher, hashed: list[str], settings: Settings
) -> None:
    answers = [_register(client, "Jemand", "opfer@example.org").status_code for _ in range(8)]
    limit = settings.security.requests_max_per_name
    assert answers[:limit] == [302] * limit
    assert answers[limit:] == [429] * (8 - limit)
    assert len(hashed) == limit  # refused requests cost no argon2 hash
    assert len(mailbox.to("opfer@example.org")) <= limit


def test_invalid_registrations_cost_no_hash_and_store_nothing(
    client: TestClient[Litestar], database: Database, hashed: list[str]
) -> None:
    for name in ["x" * 101, "Gustav\nKlicken Sie hier", "Gustav https://evil.example", ""]:
        response = _register(client, name, "opfer@example.org")
        assert response.status_code == 400
    huge = _register(client, "G" * 9_000_000, "opfer@example.org")
    assert huge.status_code in {400, 413}
    assert hashed == []
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0


def test_the_verification_mail_repeats_nothing_the_stranger_typed(
    client: TestClient[Litestar], mailbox: MailCatcher
) -> None:
    assert _register(client, "Dringend Konto sperren", "opfer@example.org").status_code == 302
    (mail,) = mailbox.to("opfer@example.org")
    assert "Dringend" not in mail.get_payload(decode=True).decode()


# -- 9.11: same work for known and unknown addresses ----------------------------------------------


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(re.sub(r"\s+", " ", statement))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_a_reset_request_does_the_same_work_for_known_and_unknown_addresses(
    database: Database, settings: Settings, anna: Account, mailbox: MailCatcher
) -> None:
    """The answer to the request depends on nothing about the address: the same SQL
    statements, no mail queued; the lookup happens after the response."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    work = {}
    for address in (EMAIL, "niemand@example.org"):
        with database.sessions() as session, _statements(database) as seen:
            AccountService(session, settings, hasher).request_password_reset(
                address, address="198.51.100.7"
            )
            work[address] = (seen, dict(session.info))
    assert work[EMAIL][0] == work["niemand@example.org"][0]
    assert work[EMAIL][1] == work["niemand@example.org"][1] == {}
    assert mailbox.messages == []


def test_a_reset_answer_is_identical_for_known_and_unknown_addresses(
    client: TestClient[Litestar], anna: Account, mailbox: MailCatcher
) -> None:
    known = submit(client, "/password/forgot", "/password/forgot", {"email": EMAIL})
    unknown = submit(client, "/password/forgot", "/password/forgot", {"email": "n@example.org"})
    assert (known.status_code, known.headers["location"]) == (
        unknown.status_code,
        unknown.headers["location"],
    )
    assert known.text == unknown.text
    assert [m["To"] for m in mailbox.messages] == [EMAIL]


# -- 9.2: pre-registration takeover, mail scanners -------------------------------------------------


def test_pre_registration_cannot_take_over_a_members_account(
    client: TestClient[Litestar],
    db: Session,
    database: Database,
    settings: Settings,
    mailbox: MailCatcher,
) -> None:
    """The attack of the review: register the member's address first, never confirm,
    wait for the invitation, let a scanner open every link; then log in as the member."""
    attacker_password = "vom Angreifer gewählt"
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    guest = AccountService(db, settings, hasher)
    guest.deliver_registration(  # before the member is in the register
        guest.check_registration(
            email="mia@example.org",
            display_name="Mia",
            password=attacker_password,
            locale="de",
            accepted_privacy_notice=True,
            address="203.0.113.9",
        )
    )
    tree = make_tree(db)
    member = make_member(db, tree["OV-A"], "Mia", "Meier", email="mia@example.org")
    db.commit()
    from app.organisations.activation import invite_members

    invite_members(db, settings, hasher, tree["OV-A"], actor=None)
    scanner = _browser(client.app)  # type: ignore[arg-type]
    with scanner:
        for mail in mailbox.to("mia@example.org"):
            for link in re.findall(
                r"https://testserver\.local(/\S+)", mail.get_payload(decode=True).decode()
            ):
                scanner.get(link)
        response = log_in(scanner, "mia@example.org", attacker_password)
    assert response.status_code == 400
    with database.sessions() as session:
        account = session.scalar(select(Account).where(Account.email == "mia@example.org"))
        assert account is not None
        assert account.password_hash is None  # the attacker's password is gone
        assert account.email_verified_at is None  # nothing acted on a GET
        assert account.member_id is None  # linked only when the member's own link is used
    assert member.id


def test_following_a_mailed_link_changes_nothing(
    client: TestClient[Litestar], database: Database, mailbox: MailCatcher
) -> None:
    assert _register(client, "Gustav", "gustav@example.org").status_code == 302
    (link,) = re.findall(
        r"https://testserver\.local(/\S+)",
        mailbox.to("gustav@example.org")[0].get_payload(decode=True).decode(),
    )
    for _ in range(3):
        assert client.get(link).status_code == 200
    with database.sessions() as session:
        account = session.scalar(select(Account).where(Account.email == "gustav@example.org"))
        assert account is not None
        assert account.email_verified_at is None
        assert (
            session.scalar(
                select(func.count())
                .select_from(OneTimeToken)
                .where(OneTimeToken.used_at.is_not(None))
            )
            == 0
        )


def test_an_activation_cannot_link_an_account_of_another_member(
    db: Session, settings: Settings, database: Database
) -> None:
    """A letter code names an address already used by another member's login: refused."""
    tree = make_tree(db)
    other = make_member(db, tree["OV-A"], "Bea", "Buche", email="bea@example.org")
    make_account(db, settings, "bea@example.org", TEST_PASSWORD, name="Bea", member=other)
    lonely = make_member(db, tree["OV-A"], "Kai", "Kranz")
    db.commit()
    access = MemberAccess(db, settings)
    (row,) = [
        r for r in access.issue_letter_codes(tree["OV-A"], actor=None) if r.name == "Kai Kranz"
    ]
    with pytest.raises(ValidationFailed):
        access.request_by_code(lonely.membership_number, row.code, "bea@example.org", address="x")
    with database.sessions() as session:
        bea = session.scalar(select(Account).where(Account.email == "bea@example.org"))
        assert bea is not None
        assert bea.member_id == other.id


# -- 9.15: e-mail change with a stolen session -------------------------------------------------------


def test_a_stolen_session_cannot_move_the_account_to_another_mailbox(
    client: TestClient[Litestar], anna: Account, mailbox: MailCatcher, database: Database
) -> None:
    log_in(client, EMAIL, TEST_PASSWORD)
    token = csrf_token(client, "/me/")
    for guess in ("", "falsch geraten", "123456789012"):
        response = client.post(
            "/me/email",
            data={"email": "dieb@example.org", "current_password": guess, "_csrf_token": token},
        )
        assert response.status_code == 400
    assert mailbox.to("dieb@example.org") == []
    with database.sessions() as session:
        assert session.get(Account, anna.id).email == EMAIL  # type: ignore[union-attr]


# -- 10.1: membership number guessing ------------------------------------------------------------


def test_a_wrong_membership_number_reveals_nothing_and_is_throttled(
    client: TestClient[Litestar], anna: Account, db: Session, settings: Settings
) -> None:
    member = db.get(Member, anna.member_id)
    assert member is not None
    member_answer = submit(
        client, "/activate/start", "/activate/start", {"membership_number": "1", "email": EMAIL}
    )
    stranger_answer = submit(
        client,
        "/activate/start",
        "/activate/start",
        {"membership_number": "1", "email": "fremd@example.org"},
    )
    assert member_answer.status_code == stranger_answer.status_code == 400
    assert _main(member_answer.text) == _main(stranger_answer.text)
    answers = [
        submit(
            client,
            "/activate/start",
            "/activate/start",
            {"membership_number": str(n), "email": EMAIL},
        ).status_code
        for n in range(10)
    ]
    assert 429 in answers


def _main(page: str) -> str:
    """The refusal as the reader sees it (the form keeps what was typed)."""
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', page)[0]


# -- 10.2: the target is kept, never another site ----------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "evil.example",
        "/%0a/evil",
    ],
)
def test_no_open_redirect_after_login(
    client: TestClient[Litestar], anna: Account, target: str
) -> None:
    page = client.get("/login", params={"next": target})
    assert 'value="//' not in page.text
    assert "evil" not in page.text.split('name="next"', 1)[1][:80]
    token = csrf_token(client, "/login")
    data = {"email": EMAIL, "password": TEST_PASSWORD, "next": target, "_csrf_token": token}
    response = client.post("/login", data=data, follow_redirects=False)
    location = response.headers["location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "\\" not in location
    assert "evil" not in location or location.startswith("/%0a")


def test_a_page_reached_logged_out_is_the_target_after_login(
    client: TestClient[Litestar], anna: Account
) -> None:
    first = client.get("/units/OV-A?tab=1", follow_redirects=False)
    assert first.headers["location"] == "/login?next=/units/OV-A%3Ftab%3D1"
    login_page = client.get(first.headers["location"])
    assert 'name="next" value="/units/OV-A?tab=1"' in login_page.text
    token = csrf_token(client, "/login")
    target = "/units/OV-A?tab=1"
    data = {"email": EMAIL, "password": TEST_PASSWORD, "next": target, "_csrf_token": token}
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.headers["location"] == target
    assert client.get(target).status_code == 200


def _expire_sessions(database: Database) -> None:
    with database.sessions() as session:
        for row in session.scalars(select(WebSession)):
            row.last_seen_at = utcnow() - timedelta(hours=1)
        session.commit()


def test_an_ended_session_says_logged_out_and_keeps_the_page(
    client: TestClient[Litestar], anna: Account, database: Database
) -> None:
    log_in(client, EMAIL, TEST_PASSWORD)
    _expire_sessions(database)
    response = client.get("/me/", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/me"
    page = client.get(response.headers["location"])
    assert "Du wurdest abgemeldet" in page.text


def test_a_form_sent_after_the_session_ended_goes_to_login_not_a_csrf_error(
    client: TestClient[Litestar], anna: Account, database: Database
) -> None:
    log_in(client, EMAIL, TEST_PASSWORD)
    token = csrf_token(client, "/me/")
    _expire_sessions(database)
    client.cookies.delete("__Host-csrftoken")  # e.g. the browser was restarted meanwhile
    response = client.post(
        "/me/reminders", data={"reminders": "on", "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code in {302, 303}
    assert response.headers["location"] == "/login?next=/me"
    page = client.get(response.headers["location"])
    assert "Du wurdest abgemeldet" in page.text
    assert "Das Formular ist abgelaufen" not in page.text


def test_a_forged_form_without_a_session_still_gets_the_csrf_refusal(
    client: TestClient[Litestar], anna: Account
) -> None:
    response = client.post("/me/reminders", data={"reminders": "on"}, follow_redirects=False)
    assert response.status_code == 403


def test_the_target_survives_the_second_factor(
    client: TestClient[Litestar], db: Session, settings: Settings, anna: Account
) -> None:
    import pyotp

    from app.accounts import totp

    secret = totp.new_secret()
    account = db.get(Account, anna.id)
    assert account is not None
    account.totp_secret = totp.seal_secret(settings.security.secret_key, secret)
    db.commit()
    token = csrf_token(client, "/login")
    data = {"email": EMAIL, "password": TEST_PASSWORD, "next": "/units/OV-A", "_csrf_token": token}
    first = client.post("/login", data=data, follow_redirects=False)
    assert first.headers["location"] == "/login/totp"
    second = submit(client, "/login/totp", "/login/totp", {"code": pyotp.TOTP(secret).now()})
    assert second.headers["location"] == "/units/OV-A"
    assert client.get("/units/OV-A").status_code == 200


def test_a_guest_confirmation_link_never_confirms_a_members_account(
    client: TestClient[Litestar], db: Session, settings: Settings, database: Database
) -> None:
    """An account linked to a member by an older version, never confirmed: its guest
    link must not make the password someone registered with usable."""
    from app.accounts import tokens

    tree = make_tree(db)
    member = make_member(db, tree["OV-A"], "Mia", "Meier", email="mia@example.org")
    account = make_account(db, settings, "mia@example.org", "vom Angreifer gewählt", member=member)
    account.email_verified_at = None
    token = tokens.issue_token(
        db, purpose=tokens.VERIFY_EMAIL, account_id=account.id, valid_for=timedelta(hours=1)
    )
    db.commit()
    page = client.get(f"/register/verify?token={token}")
    response = client.post(
        "/register/verify",
        data={"token": token, "_csrf_token": csrf_token(client, "/login")},
        follow_redirects=False,
    )
    assert page.status_code == 200
    assert response.status_code == 400
    with database.sessions() as session:
        assert session.get(Account, account.id).email_verified_at is None  # type: ignore[union-attr]


def test_a_former_guests_second_factors_do_not_stay_on_the_members_account(
    client: TestClient[Litestar],  # the app wires mail delivery
    db: Session,
    settings: Settings,
    database: Database,
    mailbox: MailCatcher,
) -> None:
    """A guest account set up a TOTP app, recovery codes and a passkey, then the address
    turned out to be a member's: after the member's own activation none of them opens it."""
    from app.accounts import recovery, totp
    from app.accounts.models import Passkey, RecoveryCode

    tree = make_tree(db)
    member = make_member(db, tree["OV-A"], "Mia", "Meier", email="mia@example.org")
    guest = make_account(db, settings, "mia@example.org", "vom Gast gewählt", name="Mia")
    guest.totp_secret = totp.seal_secret(settings.security.secret_key, totp.new_secret())
    recovery.generate(db, settings.security.secret_key, guest.id)
    db.add(Passkey(account_id=guest.id, credential_id="Z3Vlc3Q", public_key=b"k", name="Gast"))
    db.commit()
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    access = MemberAccess(db, settings, hasher)
    assert access.offer_activation(member) == "sent"
    db.commit()
    token = re.findall(r"token=([\w-]+)", mailbox.last_link("mia@example.org"))[-1]
    account, _ = access.complete_activation(token, "ein neues langes Passwort")
    assert account.id == guest.id
    with database.sessions() as session:
        owned = session.get(Account, guest.id)
        assert owned is not None
        assert owned.member_id == member.id
        assert owned.totp_secret is None
        held = [RecoveryCode.account_id == guest.id, Passkey.account_id == guest.id]
        assert session.scalar(select(func.count()).where(held[0])) == 0
        assert session.scalar(select(func.count()).where(held[1])) == 0
