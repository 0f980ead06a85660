"""Account rules: login, second factor, guest registration, verification, password reset.

Every function takes the caller's SQLAlchemy session and commits its own unit of work,
with the audit event in the same transaction. Responses never reveal whether an
e-mail address has an account (registration and reset answer the same either way).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
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
        throttle.check_allowed(self.session, security, login_key, address_key)
        account = find_by_email(self.session, login)
        ok, new_hash = passwords.verify_and_update(
            self.hasher, account.password_hash if account else None, password
        )
        if account is None or not ok or not account.can_log_in:
            throttle.record_attempt(self.session, login_key, address_key, succeeded=False)
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
        throttle.record_attempt(self.session, login_key, address_key, succeeded=True)
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

    def log_out(self, account_id: uuid.UUID | None, token: str) -> None:
        sessions.end_session(self.session, token)
        if account_id is not None:
            record_event(self.session, "logout", actor_id=account_id)
        self.session.commit()

    # -- guests -------------------------------------------------------------------------

    def register_guest(
        self,
        *,
        email: str,
        display_name: str,
        password: str,
        locale: str,
        accepted_privacy_notice: bool,
    ) -> None:
        errors: dict[str, str] = {}
        try:
            address = normalise_email(email)
        except ValidationFailed as invalid:
            errors.update(invalid.errors)
            address = ""
        if not display_name.strip():
            errors["display_name"] = N_("Please enter your name.")
        problem = passwords.password_problem(password, email=address)
        if problem:
            errors["password"] = PASSWORD_MESSAGES[problem]
        if not accepted_privacy_notice:
            errors["accept_terms"] = N_("Please accept the privacy notice.")
        if errors:
            raise ValidationFailed(errors)
        existing = find_by_email(self.session, address)
        # Hash in both branches: a faster answer for known addresses would reveal them.
        password_hash = passwords.hash_password(self.hasher, password)
        if existing is not None:
            # Do not reveal that the address is known: tell its owner by mail instead.
            self._mail(
                address,
                existing.locale,
                "emails/already_registered.txt",
                subject=N_("Your Stimmwerk account"),
            )
            self.session.commit()
            return
        account = Account(
            email=address,
            display_name=display_name.strip(),
            password_hash=password_hash,
            locale=locale,
        )
        self.session.add(account)
        self.session.flush()
        self._send_link(
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
        found = tokens.consume_token(self.session, token, tokens.VERIFY_EMAIL)
        if found is None:
            raise InvalidLink
        account = self.session.get(Account, found.account_id)
        if account is None:
            raise InvalidLink
        account.email_verified_at = account.email_verified_at or utcnow()
        record_event(self.session, "account:email_verified", actor_id=account.id)
        self.session.commit()
        return account

    def link_is_valid(self, token: str, purpose: str) -> bool:
        """Whether an e-mailed link can still be used (checked before asking for input)."""
        return tokens.find_valid_token(self.session, token, purpose) is not None

    # -- member activation (accounts created for imported members) -----------------------

    def activate(self, token: str, password: str) -> Account:
        account = self._set_password_by_link(token, tokens.ACTIVATE, password)
        account.email_verified_at = account.email_verified_at or utcnow()
        record_event(self.session, "account:activated", actor_id=account.id)
        self.session.commit()
        return account

    def send_activation(self, account: Account) -> None:
        """Queue an activation link (valid for a week) for a member's new account."""
        self._send_link(
            account,
            tokens.ACTIVATE,
            "emails/activate.txt",
            N_("Activate your Stimmwerk account"),
            valid_for=timedelta(days=7),
        )

    # -- password reset -----------------------------------------------------------------

    def request_password_reset(self, email: str, *, address: str) -> None:
        security = self.settings.security
        login = email.strip().lower()
        login_key, address_key = throttle.keys_for(security, "reset:" + login, address)
        throttle.check_allowed(self.session, security, login_key, address_key)
        throttle.record_attempt(self.session, login_key, address_key, succeeded=False)
        account = find_by_email(self.session, login)
        if account is not None and not account.is_disabled and account.email_verified_at:
            self._send_link(
                account,
                tokens.RESET_PASSWORD,
                "emails/reset_password.txt",
                N_("Reset your password"),
                valid_for=timedelta(hours=2),
            )
            record_event(self.session, "account:password_reset_requested", actor_id=account.id)
        self.session.commit()

    def reset_password(self, token: str, password: str) -> Account:
        account = self._set_password_by_link(token, tokens.RESET_PASSWORD, password)
        sessions.end_all_sessions(self.session, account.id)
        record_event(self.session, "account:password_reset", actor_id=account.id)
        self.session.commit()
        return account

    # -- e-mail address change -------------------------------------------------------------

    def request_email_change(self, account: Account, new_email: str) -> None:
        """Mail a confirmation link to the new address; nothing changes until it is used.

        An address already in use by another account gets the same answer (no
        enumeration); its owner is told instead.
        """
        address = normalise_email(new_email)
        if address == account.email:
            raise ValidationFailed({"email": N_("This is already your e-mail address.")})
        if find_by_email(self.session, address) is not None:
            self._mail(
                address,
                account.locale,
                "emails/already_registered.txt",
                subject=N_("Your Stimmwerk account"),
            )
        else:
            self._send_link(
                account,
                tokens.CHANGE_EMAIL,
                "emails/change_email.txt",
                N_("Please confirm your new e-mail address"),
                payload=address,
                to=address,
            )
        record_event(self.session, "account:email_change_requested", actor_id=account.id)
        self.session.commit()

    def confirm_email_change(self, token: str) -> tuple[Account, str]:
        """Switch the login address to the confirmed one; return the account and it.

        The caller commits, so that a member's register entry changes in the same
        transaction.
        """
        found = tokens.consume_token(self.session, token, tokens.CHANGE_EMAIL)
        account = self.session.get(Account, found.account_id) if found else None
        if found is None or account is None or not found.payload:
            raise InvalidLink
        if find_by_email(self.session, found.payload) is not None:
            raise InvalidLink
        account.email = found.payload
        record_event(self.session, "account:email_changed", actor_id=account.id)
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

    # -- mail helpers ---------------------------------------------------------------------

    def _send_link(
        self,
        account: Account,
        purpose: str,
        template: str,
        subject: str,
        *,
        valid_for: timedelta | None = None,
        payload: str | None = None,
        to: str | None = None,
    ) -> None:
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
        )

    def _mail(
        self, to: str, locale: str, template: str, *, subject: str, **context: object
    ) -> None:
        with i18n.using_locale(locale):
            translated_subject = i18n.gettext(subject)
        body = render_text(template, locale, base_url=self.settings.base_url, **context)
        queue_mail(self.session, to=to, subject=translated_subject, body=body)


LINK_PATHS = {
    tokens.VERIFY_EMAIL: "/register/verify",
    tokens.ACTIVATE: "/activate",
    tokens.RESET_PASSWORD: "/password/reset",
    tokens.CHANGE_EMAIL: "/me/email/confirm",
}

PASSWORD_MESSAGES = {
    "password_too_short": N_("The password must have at least 12 characters."),
    "password_too_long": N_("The password is too long."),
    "password_is_email": N_("The password must not be your e-mail address."),
}
