"""Account rules: login, second factor, guest registration, verification, password reset.

Every function takes the caller's SQLAlchemy session and commits its own unit of work,
with the audit event in the same transaction. Responses never reveal whether an
e-mail address has an account (registration and reset answer the same either way).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts import factors, passwords, sessions, throttle, tokens
from app.accounts.factors import requires_second_factor
from app.accounts.models import Account
from app.core import i18n
from app.core.audit import pseudonym, record_event
from app.core.db import utcnow
from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import N_
from app.core.mail import queue_mail
from app.core.settings import Settings
from app.core.templating import render_text


class LoginFailed(DomainError):
    message = N_("E-mail address or password is wrong, or the account is not active yet.")


class InvalidLink(DomainError):
    message = N_("This link is invalid, was already used or has expired.")


MAX_EMAIL_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 100
# Names end up on pages and (for members) in mails: one line of plain text, no links.
_LINK_LIKE = re.compile(
    r"(://|www\.|\.(de|com|org|net|eu|info|io|ru|cn|xyz|top|link|ly|me|co|app|online)\b)",
    re.IGNORECASE,
)


def display_name_problem(raw: str) -> str | None:
    """A message id if ``raw`` is not an acceptable display name, else None."""
    name = raw.strip()
    if not name:
        return N_("Please enter your name.")
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        return N_("The name may have at most 100 characters.")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"} for ch in name):
        return N_("The name must be one line of text without control characters.")
    if _LINK_LIKE.search(name) or "@" in name:
        return N_("The name must not contain a web or e-mail address.")
    return None


def clean_display_name(raw: str) -> str:
    return " ".join(raw.split())


@dataclass(frozen=True)
class Registration:
    """A checked registration request, waiting to be acted on after the response."""

    email: str
    display_name: str
    password_hash: str
    locale: str


def normalise_email(raw: str) -> str:
    """Validate syntax (no DNS lookup) and return the normalised address."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValidationFailed({"email": N_("Please enter a valid e-mail address.")}) from error


def find_by_email(session: Session, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == email.strip().lower()))


@dataclass(frozen=True)
class LoginResult:
    account: Account
    session_token: str
    second_factor_pending: bool
    needs_enrolment: bool = False
    """No second factor yet, but the account's roles require one: set it up first."""


class AccountService:
    def __init__(self, session: Session, settings: Settings, hasher: PasswordHasher) -> None:
        self.session = session
        self.settings = settings
        self.hasher = hasher

    # -- login ---------------------------------------------------------------------

    def log_in(
        self, email: str, password: str, *, address: str, replaces_token: str | None
    ) -> LoginResult:
        security = self.settings.security
        login = email.strip().lower()
        login_key, address_key = throttle.keys_for(security, login, address)
        # Counted (and committed) before argon2 runs: parallel guesses cannot all slip in.
        attempt = throttle.claim_login_attempt(self.session, security, login_key, address_key)
        account = find_by_email(self.session, login)
        ok, new_hash = passwords.verify_and_update(
            self.hasher, account.password_hash if account else None, password
        )
        if account is None or not ok or not account.can_log_in:
            record_event(
                self.session,
                "login:failed",
                actor_id=account.id if account else None,
                login=pseudonym(security.secret_key, login),
            )
            self.session.commit()
            raise LoginFailed
        if new_hash:
            account.password_hash = new_hash
            record_event(self.session, "account:password_rehashed", actor_id=account.id)
        attempt.succeeded = True
        pending = requires_second_factor(self.session, account)
        token = sessions.start_session(
            self.session, account, second_factor_done=not pending, replaces=replaces_token
        )
        if not pending:
            account.last_login_at = utcnow()
        record_event(
            self.session, "login:password_ok" if pending else "login:succeeded", actor_id=account.id
        )
        enrol = pending and not factors.has_second_factor(self.session, account)
        self.session.commit()
        return LoginResult(
            account=account,
            session_token=token,
            second_factor_pending=pending,
            needs_enrolment=enrol,
        )

    def login_delay(self, address: str) -> float:
        """Seconds to hold a login from ``address`` before checking it (see throttle)."""
        security = self.settings.security
        _, address_key = throttle.keys_for(security, "", address)
        return throttle.address_delay(self.session, security, address_key)

    def log_out(self, account_id: uuid.UUID | None, token: str) -> None:
        sessions.end_session(self.session, token)
        if account_id is not None:
            record_event(self.session, "logout", actor_id=account_id)
        self.session.commit()

    # -- guests -------------------------------------------------------------------------

    def check_registration(
        self,
        *,
        email: str,
        display_name: str,
        password: str,
        locale: str,
        accepted_privacy_notice: bool,
        address: str,
    ) -> Registration:
        """Validate and throttle a registration, then hash its password.

        Everything that depends on whether the address is known (a new guest account, a
        member's activation, a note to an existing account) happens afterwards, in
        ``deliver_registration`` or the member equivalent, after the response is sent:
        the answer and its timing are the same for every address. Refused requests
        (invalid input, throttled) cost no argon2 hash.
        """
        errors: dict[str, str] = {}
        try:
            recipient = normalise_email(email)
        except ValidationFailed as invalid:
            errors.update(invalid.errors)
            recipient = ""
        name_problem = display_name_problem(display_name)
        if name_problem:
            errors["display_name"] = name_problem
        problem = passwords.password_problem(password, email=recipient)
        if problem:
            errors["password"] = PASSWORD_MESSAGES[problem]
        if not accepted_privacy_notice:
            errors["accept_terms"] = N_("Please accept the privacy notice.")
        if errors:
            raise ValidationFailed(errors)
        security = self.settings.security
        name_key, address_key = throttle.keys_for(
            security, recipient, address, scope=throttle.REGISTER
        )
        throttle.claim_request(self.session, security, name_key, address_key)
        return Registration(
            email=recipient,
            display_name=clean_display_name(display_name),
            password_hash=passwords.hash_password(self.hasher, password),
            locale=locale,
        )

    def deliver_registration(self, registration: Registration) -> None:
        """Create the guest account and mail the confirmation link, or tell the owner."""
        existing = find_by_email(self.session, registration.email)
        if existing is not None:
            # Do not reveal that the address is known: tell its owner by mail instead.
            self._mail(
                registration.email,
                existing.locale,
                "emails/already_registered.txt",
                subject=N_("Your Stimmwerk account"),
            )
            self.session.commit()
            return
        account = Account(
            email=registration.email,
            display_name=registration.display_name,
            password_hash=registration.password_hash,
            locale=registration.locale,
        )
        self.session.add(account)
        try:
            self.session.flush()
        except IntegrityError:  # a parallel registration of the same address won
            self.session.rollback()
            return
        self.send_link(
            account,
            tokens.VERIFY_EMAIL,
            "emails/verify_email.txt",
            N_("Please confirm your e-mail address"),
        )
        record_event(
            self.session,
            "guest:registered",
            actor_id=account.id,
            object_type="account",
            object_id=account.id,
        )
        self.session.commit()

    def verify_email(self, token: str) -> Account:
        """Confirm a guest's address (only ever on POST: the mailed link opens a page
        with a button, so a mail scanner fetching the link changes nothing)."""
        found = tokens.consume_token(self.session, token, tokens.VERIFY_EMAIL)
        if found is None:
            raise InvalidLink
        account = self.session.get(Account, found.account_id)
        if account is None or account.member_id is not None:
            # A member's account is confirmed only by the member's activation, which
            # also sets a new password; a guest link can never make it usable.
            self.session.rollback()
            raise InvalidLink
        account.email_verified_at = account.email_verified_at or utcnow()
        record_event(self.session, "account:email_verified", actor_id=account.id)
        self.session.commit()
        return account

    def link_is_valid(self, token: str, purpose: str) -> bool:
        """Whether an e-mailed link can still be used (checked before asking for input)."""
        return tokens.find_valid_token(self.session, token, purpose) is not None

    # -- password reset -----------------------------------------------------------------

    def request_password_reset(self, email: str, *, address: str) -> str:
        """Count the request; return the address to help (after the response).

        Only the throttle runs here, the same for every address: whether an account,
        a not yet activated member or nobody is behind the address is looked up
        afterwards (``send_password_help``), so the answer time reveals nothing. The
        counters are the reset scope's own: reset requests are not failed logins.
        """
        security = self.settings.security
        login = email.strip().lower()[:MAX_EMAIL_LENGTH]
        name_key, address_key = throttle.keys_for(security, login, address, scope=throttle.RESET)
        throttle.claim_request(self.session, security, name_key, address_key)
        return login

    def send_password_help(self, email: str) -> bool:
        """Mail a reset link if an active account has this address; return whether it did."""
        account = find_by_email(self.session, email)
        if account is None or account.is_disabled or not account.can_log_in:
            return False
        self.send_link(
            account,
            tokens.RESET_PASSWORD,
            "emails/reset_password.txt",
            N_("Reset your password"),
            valid_for=timedelta(hours=2),
        )
        record_event(self.session, "account:password_reset_requested", actor_id=account.id)
        self.session.commit()
        return True

    def reset_password(self, token: str, password: str) -> Account:
        account = self._set_password_by_link(token, tokens.RESET_PASSWORD, password)
        sessions.end_all_sessions(self.session, account.id)
        record_event(self.session, "account:password_reset", actor_id=account.id)
        self.session.commit()
        return account

    # -- e-mail address change -------------------------------------------------------------

    def request_email_change(
        self,
        account: Account,
        new_email: str,
        password: str,
        *,
        address: str,
        keep_session: str | None,
    ) -> None:
        """Check the password, then mail a confirmation link to the new address.

        A stolen session alone cannot move the account to another mailbox: the password
        is asked (wrong ones count in the login throttle), and every other session of
        the account ends. An address already in use by another account gets the same
        answer (no enumeration); its owner is told instead.
        """
        new_address = normalise_email(new_email)
        if new_address == account.email:
            raise ValidationFailed({"email": N_("This is already your e-mail address.")})
        security = self.settings.security
        login_key, address_key = throttle.keys_for(security, account.email, address)
        attempt = throttle.claim_login_attempt(self.session, security, login_key, address_key)
        ok, _ = passwords.verify_and_update(self.hasher, account.password_hash, password)
        if not ok:
            record_event(self.session, "account:email_change_refused", actor_id=account.id)
            self.session.commit()
            raise ValidationFailed({"current_password": N_("The password is not correct.")})
        attempt.succeeded = True
        if find_by_email(self.session, new_address) is not None:
            self._mail(
                new_address,
                account.locale,
                "emails/already_registered.txt",
                subject=N_("Your Stimmwerk account"),
            )
        else:
            self.send_link(
                account,
                tokens.CHANGE_EMAIL,
                "emails/change_email.txt",
                N_("Please confirm your new e-mail address"),
                payload=new_address,
                to=new_address,
            )
        sessions.end_other_sessions(self.session, account.id, keep=keep_session)
        record_event(self.session, "account:email_change_requested", actor_id=account.id)
        self.session.commit()

    def confirm_email_change(
        self, token: str, *, keep_session: str | None = None
    ) -> tuple[Account, str]:
        """Switch the login address to the confirmed one; return the account and it.

        The old address is told, with a link that undoes the change (valid a week);
        every other session ends. The caller commits, so that a member's register
        entry changes in the same transaction.
        """
        found = tokens.consume_token(self.session, token, tokens.CHANGE_EMAIL)
        account = self.session.get(Account, found.account_id) if found else None
        if found is None or account is None or not found.payload:
            raise InvalidLink
        if find_by_email(self.session, found.payload) is not None:
            raise InvalidLink
        old_address = account.email
        account.email = found.payload
        self.send_link(
            account,
            tokens.UNDO_EMAIL_CHANGE,
            "emails/email_changed.txt",
            N_("Your e-mail address was changed"),
            valid_for=timedelta(days=7),
            payload=old_address,
            to=old_address,
            new_address=found.payload,
        )
        sessions.end_other_sessions(self.session, account.id, keep=keep_session)
        record_event(self.session, "account:email_changed", actor_id=account.id)
        return account, found.payload

    def undo_email_change(self, token: str, password: str) -> tuple[Account, str]:
        """Give the account back to the old address, with a new password, everywhere logged out.

        Whoever changed the address may know the password, so the old mailbox's owner
        sets a new one. The caller commits (the member's register entry changes too).
        """
        found = tokens.find_valid_token(self.session, token, tokens.UNDO_EMAIL_CHANGE)
        account = self.session.get(Account, found.account_id) if found else None
        if found is None or account is None or not found.payload:
            raise InvalidLink
        other = find_by_email(self.session, found.payload)
        if other is not None and other.id != account.id:
            raise InvalidLink
        account = self._set_password_by_link(token, tokens.UNDO_EMAIL_CHANGE, password)
        account.email = found.payload
        tokens.revoke_tokens(self.session, account.id, tokens.CHANGE_EMAIL)
        sessions.end_all_sessions(self.session, account.id)
        record_event(self.session, "account:email_change_undone", actor_id=account.id)
        return account, found.payload

    def _set_password_by_link(self, token: str, purpose: str, password: str) -> Account:
        """Check the link and the password, then use up the link and set the password.

        The password is checked before the token is consumed, so a too-short password
        does not burn the member's link.
        """
        found = tokens.find_valid_token(self.session, token, purpose)
        account = self.session.get(Account, found.account_id) if found else None
        if account is None:
            raise InvalidLink
        problem = passwords.password_problem(password, email=account.email)
        if problem:
            raise ValidationFailed({"password": PASSWORD_MESSAGES[problem]})
        if tokens.consume_token(self.session, token, purpose) is None:
            raise InvalidLink
        account.password_hash = passwords.hash_password(self.hasher, password)
        return account

    def set_password_by_link(self, token: str, purpose: str, password: str) -> Account:
        """Public form of ``_set_password_by_link`` for the member activation service."""
        return self._set_password_by_link(token, purpose, password)

    # -- mail helpers ---------------------------------------------------------------------

    def send_link(
        self,
        account: Account,
        purpose: str,
        template: str,
        subject: str,
        *,
        valid_for: timedelta | None = None,
        payload: str | None = None,
        to: str | None = None,
        mail_marker: dict[str, Any] | None = None,
        **extra: object,
    ) -> None:
        """Issue a one-time link for ``account`` and queue the mail holding it."""
        lifetime = valid_for or timedelta(hours=self.settings.security.token_hours)
        token = tokens.issue_token(
            self.session,
            purpose=purpose,
            account_id=account.id,
            valid_for=lifetime,
            payload=payload,
        )
        link = f"{self.settings.base_url}{LINK_PATHS[purpose]}?token={token}"
        self._mail(
            to or account.email,
            account.locale,
            template,
            subject=subject,
            link=link,
            name=account.display_name,
            hours=int(lifetime.total_seconds() // 3600),
            days=int(lifetime.total_seconds() // 86400),
            mail_marker=mail_marker,
            **extra,
        )

    def mail(self, to: str, locale: str, template: str, *, subject: str, **context: Any) -> None:
        self._mail(to, locale, template, subject=subject, **context)

    def _mail(
        self,
        to: str,
        locale: str,
        template: str,
        *,
        subject: str,
        mail_marker: dict[str, Any] | None = None,
        **context: object,
    ) -> None:
        """Queue one mail; ``mail_marker`` names a sent-marker row that the mail deletes
        if it finally fails, so the caller's next run retries (``app.core.mail``)."""
        with i18n.using_locale(locale):
            translated_subject = i18n.gettext(subject)
        body = render_text(template, locale, base_url=self.settings.base_url, **context)
        queue_mail(self.session, to=to, subject=translated_subject, body=body, marker=mail_marker)


LINK_PATHS = {
    tokens.VERIFY_EMAIL: "/register/verify",
    tokens.ACTIVATE: "/activate",
    tokens.RESET_PASSWORD: "/password/reset",
    tokens.CHANGE_EMAIL: "/me/email/confirm",
    tokens.UNDO_EMAIL_CHANGE: "/me/email/undo",
}

PASSWORD_MESSAGES = {
    "password_too_short": N_("The password must have at least 12 characters."),
    "password_too_long": N_("The password is too long."),
    "password_is_email": N_("The password must not be your e-mail address."),
}
