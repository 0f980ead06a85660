"""Second-factor rules: the code step of the login, enrolment, recovery codes, passkeys.

Guessing is limited twice, and every attempt is counted *before* it is checked:

- per half-finished login: ``second_factor_max_per_session`` codes (default 5), then
  that session ends and only a new password login gives new tries;
- per account: ``second_factor_max_failures`` wrong codes (default 10) within the
  login window (15 minutes) in the login throttle, then every try is refused unchecked
  until the window has passed. The account's owner gets one mail and the audit log one
  row when the limit is reached; single failures leave no audit row (the throttle
  table keeps them).

A TOTP code is accepted once only (the accepted time step is stored with a conditional
UPDATE, so two parallel requests cannot both use it), a recovery code once only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from webauthn import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url

from app.accounts import factors, passkeys, passwords, recovery, sessions, throttle, totp
from app.accounts.models import Account, Passkey, WebSession
from app.accounts.sessions import LoadedSession
from app.core import i18n
from app.core.audit import AuditEvent, record_event
from app.core.db import utcnow
from app.core.errors import DomainError, Forbidden, TooManyAttempts, ValidationFailed
from app.core.i18n import N_
from app.core.mail import queue_mail
from app.core.settings import Settings
from app.core.templating import render_text

_REGISTER = "register:"
_LOGIN = "login:"
PASSKEY_NAME_MAX = 60


class InvalidCode(DomainError):
    message = N_("The code is not correct. Please try again.")


class PasskeyRefused(DomainError):
    message = N_("The passkey could not be checked. Please try again.")


class TooManyWrongCodes(DomainError):
    status_code = 429
    message = N_("Too many wrong codes. Please log in again with your password.")


class SetupExpired(DomainError):
    message = N_("The set-up page has expired. Please open it again.")


class NoSecondFactor(DomainError):
    message = N_("Set up an authenticator app or a passkey first.")


class LastFactorNeeded(DomainError):
    message = N_("Your roles require a second factor; it cannot be switched off.")


@dataclass(frozen=True)
class Completed:
    """A finished step: the new session token and, on first enrolment, recovery codes."""

    token: str
    recovery_codes: list[str]


class SecondFactorService:
    def __init__(self, session: Session, settings: Settings, hasher: PasswordHasher) -> None:
        self.session = session
        self.settings = settings
        self.hasher = hasher

    @property
    def _secret_key(self) -> str:
        return self.settings.security.secret_key

    # -- the login step ---------------------------------------------------------------------

    def check_code(self, pending: LoadedSession, code: str, *, address: str) -> str:
        """Finish a half-done login with a TOTP code or a recovery code."""

        def verify(account: Account) -> str | None:
            if self._totp_matches(account, code):
                return "totp"
            if recovery.use(self.session, self._secret_key, account.id, code):
                self._tell_recovery_code_used(account)
                return "recovery_code"
            return None

        return self._attempt(pending, address, verify)

    def check_passkey(self, pending: LoadedSession, credential_json: str, *, address: str) -> str:
        """Finish a half-done login with a passkey's signature over the session's challenge."""
        challenge = self._take_challenge(pending.token_hash, _LOGIN)

        def verify(account: Account) -> str | None:
            if challenge is None:
                return None
            keys = passkeys.passkeys_of(self.session, account.id)
            used = passkeys.verify_authentication(self._rp, keys, credential_json, challenge)
            if used is None:
                return None
            used.last_used_at = utcnow()
            return "passkey"

        return self._attempt(pending, address, verify)

    def _attempt(
        self, pending: LoadedSession, address: str, verify: Callable[[Account], str | None]
    ) -> str:
        security = self.settings.security
        account = self.session.get(Account, pending.account.id)
        if account is None:
            raise TooManyWrongCodes
        if not sessions.count_second_factor_failure(
            self.session, pending.token_hash, security.second_factor_max_per_session
        ):
            # Only a race past the limit gets here: the session ended at the limit.
            self._end_half_login(pending)
            raise TooManyWrongCodes
        key = throttle.second_factor_key(security, account.id)
        address_key = throttle.keys_for(security, "", address)[1]
        attempt = throttle.claim_second_factor_attempt(self.session, security, key, address_key)
        if attempt is None:
            raise TooManyAttempts(minutes=security.login_window_minutes)
        method = verify(account)
        if method is None:
            self.session.commit()  # the failed attempt stays counted
            self._after_failure(pending, account, key)
            raise InvalidCode
        attempt.succeeded = True
        account.last_login_at = utcnow()
        token = sessions.start_session(
            self.session,
            account,
            second_factor_done=True,
            second_factor_verified=True,
            replaces_hash=pending.token_hash,
        )
        record_event(self.session, "login:succeeded", actor_id=account.id, second_factor=method)
        self.session.commit()
        return token

    def _after_failure(self, pending: LoadedSession, account: Account, key: str) -> None:
        security = self.settings.security
        if throttle.second_factor_failures(self.session, security, key) >= (
            security.second_factor_max_failures
        ):
            self._lock_account_once(account)
        row = sessions.session_row(self.session, pending.token_hash)
        if row is not None and row.second_factor_failures >= security.second_factor_max_per_session:
            record_event(
                self.session, "login:second_factor_limit", actor_id=account.id, scope="session"
            )
            self._end_half_login(pending)
            raise TooManyWrongCodes

    def _lock_account_once(self, account: Account) -> None:
        """One audit row and one mail per window when the account's limit is reached."""
        window = timedelta(minutes=self.settings.security.login_window_minutes)
        already = self.session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.actor_id == account.id,
                AuditEvent.action == "login:second_factor_locked",
                AuditEvent.occurred_at > utcnow() - window,
            )
            .limit(1)
        )
        if already is not None:
            return
        record_event(self.session, "login:second_factor_locked", actor_id=account.id)
        self._mail(
            account,
            "emails/second_factor_locked.txt",
            N_("Many wrong codes at your login"),
            minutes=self.settings.security.login_window_minutes,
        )
        self.session.commit()

    def _end_half_login(self, pending: LoadedSession) -> None:
        sessions.end_session_by_hash(self.session, pending.token_hash)
        self.session.commit()

    def _totp_matches(self, account: Account, code: str) -> bool:
        if account.totp_secret is None:
            return False
        secret = totp.open_secret(self._secret_key, account.totp_secret)
        step = totp.matching_step(secret, code, last_step=account.totp_last_step)
        return step is not None and self._claim_step(account.id, step)

    def _claim_step(self, account_id: uuid.UUID, step: int) -> bool:
        """Store the accepted time step unless an equal or later one was used already.

        A conditional UPDATE: the database, not this process's snapshot, decides, so one
        code cannot open two sessions in parallel.
        """
        result = self.session.execute(
            update(Account)
            .where(
                Account.id == account_id,
                or_(Account.totp_last_step.is_(None), Account.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def _tell_recovery_code_used(self, account: Account) -> None:
        left = recovery.remaining(self.session, account.id)
        record_event(self.session, "login:recovery_code_used", actor_id=account.id, remaining=left)
        self._mail(
            account,
            "emails/recovery_code_used.txt",
            N_("A recovery code was used"),
            remaining=left,
        )

    # -- enrolment: authenticator app ------------------------------------------------------------

    def may_enrol(self, loaded: LoadedSession) -> bool:
        """A complete session may add factors; a half-done one only the very first."""
        if loaded.second_factor_done:
            return True
        account = self.session.get(Account, loaded.account.id)
        return account is not None and not factors.has_second_factor(self.session, account)

    def offer_totp_secret(self, loaded: LoadedSession) -> str:
        """The key shown on the set-up page, kept (sealed) in the server-side session.

        The same key is shown again on reload, so a scanned key stays the right one.
        """
        row = self._row(loaded)
        if row.pending_totp_secret:
            return totp.open_secret(self._secret_key, row.pending_totp_secret)
        secret = totp.new_secret()
        row.pending_totp_secret = totp.seal_secret(self._secret_key, secret)
        self.session.commit()
        return secret

    def enable_totp(self, loaded: LoadedSession, code: str) -> Completed:
        """Switch the authenticator app on with the key this session was offered.

        Whatever key a client might send is ignored: only the server's offer counts.
        """
        row = self._row(loaded)
        account = self._account(loaded)
        if row.pending_totp_secret is None:
            raise SetupExpired
        secret = totp.open_secret(self._secret_key, row.pending_totp_secret)
        step = totp.matching_step(secret, code, last_step=None)
        if step is None:
            raise InvalidCode
        account.totp_secret = row.pending_totp_secret
        account.totp_last_step = step
        record_event(self.session, "account:totp_enabled", actor_id=account.id)
        return self._finish_enrolment(loaded, account)

    def _finish_enrolment(self, loaded: LoadedSession, account: Account) -> Completed:
        codes: list[str] = []
        if recovery.remaining(self.session, account.id) == 0:
            codes = recovery.generate(self.session, self._secret_key, account.id)
            record_event(self.session, "account:recovery_codes_generated", actor_id=account.id)
        token = sessions.start_session(
            self.session,
            account,
            second_factor_done=True,
            second_factor_verified=True,
            replaces_hash=loaded.token_hash,
        )
        self.session.commit()
        return Completed(token=token, recovery_codes=codes)

    def disable_totp(self, account: Account, code: str, *, address: str) -> None:
        """Switch the app off with a current code; wrong codes count like at login.

        Otherwise a borrowed session could guess codes here without any limit.
        """
        security = self.settings.security
        key = throttle.second_factor_key(security, account.id)
        address_key = throttle.keys_for(security, "", address)[1]
        attempt = throttle.claim_second_factor_attempt(self.session, security, key, address_key)
        if attempt is None:
            raise TooManyAttempts(minutes=security.login_window_minutes)
        if not self._totp_matches(account, code):
            self.session.commit()
            raise InvalidCode
        attempt.succeeded = True
        if factors.requires_second_factor_by_role(self.session, account) and not (
            factors.has_passkey(self.session, account)
        ):
            raise LastFactorNeeded
        account.totp_secret = None
        account.totp_last_step = None
        if not factors.has_passkey(self.session, account):
            recovery.discard(self.session, account.id)
        record_event(self.session, "account:totp_disabled", actor_id=account.id)
        self.session.commit()

    # -- recovery codes --------------------------------------------------------------------

    def remaining_recovery_codes(self, account: Account) -> int:
        return recovery.remaining(self.session, account.id)

    def regenerate_recovery_codes(
        self, account: Account, password: str, *, address: str
    ) -> list[str]:
        """New codes for the password: the old ones stop working at once.

        Wrong passwords here count in the login throttle like at the login form, so a
        borrowed session cannot be used to guess the password.
        """
        security = self.settings.security
        if not factors.has_second_factor(self.session, account):
            raise NoSecondFactor
        login_key, address_key = throttle.keys_for(security, account.email, address)
        throttle.check_allowed(self.session, security, login_key, address_key)
        ok, _ = passwords.verify_and_update(self.hasher, account.password_hash, password)
        if not ok:
            throttle.record_attempt(self.session, login_key, address_key, succeeded=False)
            self.session.commit()
            raise ValidationFailed({"password": N_("The password is not correct.")})
        codes = recovery.generate(self.session, self._secret_key, account.id)
        record_event(self.session, "account:recovery_codes_generated", actor_id=account.id)
        self.session.commit()
        return codes

    # -- passkeys ------------------------------------------------------------------------

    @property
    def _rp(self) -> passkeys.RelyingParty:
        return passkeys.relying_party(self.settings.base_url)

    def passkeys_of(self, account: Account) -> list[Passkey]:
        return passkeys.passkeys_of(self.session, account.id)

    def passkey_registration_options(self, loaded: LoadedSession) -> str:
        account = self._account(loaded)
        existing = passkeys.passkeys_of(self.session, account.id)
        options, challenge = passkeys.registration_options(
            self._rp, account.id, account.email, existing
        )
        self._row(loaded).webauthn_challenge = _REGISTER + bytes_to_base64url(challenge)
        self.session.commit()
        return options

    def passkey_login_options(self, pending: LoadedSession) -> str | None:
        """Options for the login step, or None if the account has no passkey."""
        keys = passkeys.passkeys_of(self.session, pending.account.id)
        if not keys:
            return None
        options, challenge = passkeys.authentication_options(self._rp, keys)
        self._row(pending).webauthn_challenge = _LOGIN + bytes_to_base64url(challenge)
        self.session.commit()
        return options

    def add_passkey(self, loaded: LoadedSession, credential_json: str, name: str) -> Completed:
        """Store a new passkey whose registration answered this session's challenge."""
        clean_name = " ".join(name.split())[:PASSKEY_NAME_MAX] or "Passkey"
        challenge = self._take_challenge(loaded.token_hash, _REGISTER)
        account = self._account(loaded)
        new = (
            passkeys.verify_registration(self._rp, credential_json, challenge)
            if challenge is not None
            else None
        )
        if new is None or self.session.scalar(
            select(Passkey.id).where(Passkey.credential_id == new.credential_id)
        ):
            self.session.commit()  # the challenge is spent either way
            raise PasskeyRefused
        key = Passkey(
            account_id=account.id,
            credential_id=new.credential_id,
            public_key=new.public_key,
            sign_count=new.sign_count,
            name=clean_name,
        )
        self.session.add(key)
        self.session.flush()
        record_event(
            self.session,
            "account:passkey_added",
            actor_id=account.id,
            object_type="passkey",
            object_id=key.id,
        )
        return self._finish_enrolment(loaded, account)

    def remove_passkey(self, account: Account, passkey_id: int) -> None:
        key = self.session.get(Passkey, passkey_id)
        if key is None or key.account_id != account.id:
            raise Forbidden
        others = [k for k in passkeys.passkeys_of(self.session, account.id) if k.id != key.id]
        if not others and not account.has_totp:
            if factors.requires_second_factor_by_role(self.session, account):
                raise LastFactorNeeded
            recovery.discard(self.session, account.id)
        self.session.delete(key)
        record_event(
            self.session,
            "account:passkey_removed",
            actor_id=account.id,
            object_type="passkey",
            object_id=passkey_id,
        )
        self.session.commit()

    # -- helpers ---------------------------------------------------------------------------

    def _row(self, loaded: LoadedSession) -> WebSession:
        row = sessions.session_row(self.session, loaded.token_hash)
        if row is None:
            raise SetupExpired
        return row

    def _account(self, loaded: LoadedSession) -> Account:
        account = self.session.get(Account, loaded.account.id)
        if account is None:
            raise SetupExpired
        return account

    def _take_challenge(self, token_hash: str, purpose: str) -> bytes | None:
        """The session's open challenge for ``purpose``; it is cleared (used once)."""
        row = sessions.session_row(self.session, token_hash)
        if row is None or not row.webauthn_challenge:
            return None
        stored, row.webauthn_challenge = row.webauthn_challenge, None
        self.session.flush()
        if not stored.startswith(purpose):
            return None
        return base64url_to_bytes(stored.removeprefix(purpose))

    def _mail(self, account: Account, template: str, subject: str, **context: object) -> None:
        with i18n.using_locale(account.locale):
            translated_subject = i18n.gettext(subject)
        body = render_text(template, account.locale, base_url=self.settings.base_url, **context)
        queue_mail(self.session, to=account.email, subject=translated_subject, body=body)
