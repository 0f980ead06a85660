"""Members' own way in: activation by e-mail link, by membership number, or by letter code.

Rules (docs/accounts/actions.md):

- A member's account becomes usable only through an activation link mailed to the
  member's own address (or to the address a member with a letter code gives). The
  activation sets a new password; nothing anyone chose before (a guest registration
  with the member's address, say) survives it. An unverified account is never linked
  to a member.
- The links open a page; only the form on it (POST) changes anything, so a mail
  scanner fetching a link does nothing.
- No answer tells a stranger whether an address belongs to a member: registration and
  "forgot password" answer the same for every address, and only the mail differs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts import factors, sessions, throttle, tokens
from app.accounts.models import Account
from app.accounts.redirects import safe_path
from app.accounts.services import (
    AccountService,
    InvalidLink,
    Registration,
    find_by_email,
    normalise_email,
)
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.errors import DomainError, Forbidden, ValidationFailed
from app.core.i18n import N_
from app.core.settings import Settings
from app.organisations import policies
from app.organisations.models import ActivationCode, Member, MemberStatus, Unit
from app.organisations.units import subtree_filter

ACTIVATION_VALID = timedelta(days=7)
LETTER_CODE_VALID = timedelta(days=90)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed from paper
MAX_NUMBER_LENGTH = 32
MAX_CODE_LENGTH = 32


class ActivationRefused(DomainError):
    """Number and address (or code) do not fit. Worded so it reveals no membership."""

    message = N_(
        "The membership number and the e-mail address do not belong together, or the "
        "code is not valid. Please check both; the address must be the one in the "
        "member register."
    )


# -- the activation link's payload ------------------------------------------------------------


@dataclass(frozen=True)
class ActivationPayload:
    """What an activation link stands for, kept with its one-time token."""

    member_id: int
    code_id: int | None = None
    next_path: str | None = None

    def encode(self) -> str:
        parts = [f"m={self.member_id}"]
        if self.code_id is not None:
            parts.append(f"c={self.code_id}")
        if self.next_path:
            parts.append(f"n={self.next_path}")
        return ";".join(parts)

    @classmethod
    def decode(cls, raw: str | None) -> ActivationPayload | None:
        if not raw:
            return None
        fields = dict(part.split("=", 1) for part in raw.split(";", 2) if "=" in part)
        try:
            member_id = int(fields["m"])
            code_id = int(fields["c"]) if "c" in fields else None
        except (KeyError, ValueError):
            return None
        return cls(member_id=member_id, code_id=code_id, next_path=safe_path(fields.get("n")))


@dataclass(frozen=True)
class InvitationPreview:
    """What a mass mailing for a unit would do; shown before staff confirm it."""

    to_invite: int
    without_email: int
    already_active: int


@dataclass(frozen=True)
class LetterCode:
    """One row of the letter export: who gets which code (shown once)."""

    membership_number: str
    name: str
    street: str
    postcode: str
    city: str
    code: str


class MemberAccess:
    """Activation of members' accounts, and the member-aware parts of registration and
    password help. Takes the caller's session and commits its own unit of work."""

    def __init__(
        self, session: Session, settings: Settings, hasher: PasswordHasher | None = None
    ) -> None:
        self.session = session
        self.settings = settings
        self.accounts = AccountService(session, settings, hasher)  # type: ignore[arg-type]

    # -- sending activation links -------------------------------------------------------------

    def offer_activation(
        self,
        member: Member,
        *,
        email: str | None = None,
        next_path: str | None = None,
        code_id: int | None = None,
        valid_for: timedelta = ACTIVATION_VALID,
        template: str = "emails/activate.txt",
        subject: str = N_("Activate your Stimmwerk account"),
        mail_marker: dict[str, Any] | None = None,
        **extra: object,
    ) -> str:
        """Queue an activation link for ``member``; return what was done.

        ``"sent"``; ``"already_active"`` (the owner gets a note instead, with the way to
        a new password); ``"without_email"``; ``"disabled"``; ``"conflict"`` (the
        address is another member's login). The caller commits.
        """
        address = email or member.email
        if not address:
            return "without_email"
        account = self._account_to_activate(member, address)
        if isinstance(account, str):
            return account
        payload = ActivationPayload(member.id, code_id, safe_path(next_path))
        self.accounts.send_link(
            account,
            tokens.ACTIVATE,
            template,
            subject,
            valid_for=valid_for,
            payload=payload.encode(),
            to=address,
            member_name=member.full_name,
            mail_marker=mail_marker,
            **extra,
        )
        record_event(
            self.session,
            "member:activation_sent",
            object_type="member",
            object_id=member.id,
        )
        return "sent"

    def _account_to_activate(self, member: Member, address: str) -> Account | str:
        """The account the activation link will open, or why no link goes out
        (``"disabled"``, ``"already_active"``, ``"conflict"``)."""
        account = self.session.scalar(select(Account).where(Account.member_id == member.id))
        if account is not None and account.is_disabled:
            return "disabled"  # staff switched this login off; no link reopens it
        if account is not None and account.can_log_in:
            self.accounts.mail(
                account.email,
                account.locale,
                "emails/already_registered.txt",
                subject=N_("Your Stimmwerk account"),
            )
            return "already_active"
        holder = find_by_email(self.session, address)
        if holder is not None and (holder.member_id not in {None, member.id}):
            return "conflict"
        if holder is not None and holder.is_disabled:
            return "disabled"
        if account is None and holder is not None:
            account = holder
            if account.email_verified_at is None:
                # Someone registered this address and never confirmed it: whatever
                # password they chose is dropped. The account only becomes the
                # member's through the activation below.
                self._discard_unconfirmed(account)
        if account is None:
            account = Account(email=address, display_name=member.full_name, member_id=member.id)
            self.session.add(account)
            self.session.flush()
        elif account.email != address:
            if holder is not None:
                return "conflict"
            account.email = address  # a letter-code member gives their address
        return account

    def login_state(self, member: Member) -> str:
        """``"active"``, ``"pending"`` (invited, not yet activated) or ``"none"``."""
        account = self.session.scalar(select(Account).where(Account.member_id == member.id))
        if account is None:
            return "none"
        return "active" if account.can_log_in else "pending"

    def _discard_unconfirmed(self, account: Account) -> None:
        account.password_hash = None
        tokens.revoke_tokens(self.session, account.id, tokens.VERIFY_EMAIL)
        sessions.end_all_sessions(self.session, account.id)
        record_event(self.session, "account:unconfirmed_password_dropped", actor_id=account.id)

    def resend(self, actor: Account, member_id: int) -> str:
        """Staff send one member's activation again (scoped like invitations)."""
        member = self.session.get(Member, member_id)
        if member is None or not policies.may_manage_roles_in(self.session, actor, member.unit):
            raise Forbidden
        if not member.is_active:
            raise ValidationFailed({}, N_("This member has left; no activation is sent."))
        outcome = self.offer_activation(member)
        record_event(
            self.session,
            "member:activation_resent",
            actor_id=actor.id,
            object_type="member",
            object_id=member.id,
            outcome=outcome,
        )
        self.session.commit()
        return outcome

    # -- completing an activation --------------------------------------------------------------

    def activation_target(self, token: str) -> Member | None:
        """The member an activation link is for, if the link can still be used."""
        found = tokens.find_valid_token(self.session, token, tokens.ACTIVATE)
        if found is None:
            return None
        payload = ActivationPayload.decode(found.payload)
        account = self.session.get(Account, found.account_id)
        member_id = payload.member_id if payload else (account.member_id if account else None)
        member = self.session.get(Member, member_id) if member_id else None
        if member is None or not member.is_active:
            return None
        other = self.session.scalar(
            select(Account.id).where(Account.member_id == member.id, Account.id != found.account_id)
        )
        return None if other is not None else member

    def complete_activation(self, token: str, password: str) -> tuple[Account, str | None]:
        """Set the member's new password from the link; return the account and its landing page.

        This is where a member's account becomes usable: the address is confirmed by the
        link itself, the account is linked to the member, any earlier sessions and a
        second factor set up by whoever held the account before end, and a letter code
        is used up.
        """
        found = tokens.find_valid_token(self.session, token, tokens.ACTIVATE)
        member = self.activation_target(token)
        if found is None or member is None:
            raise InvalidLink
        payload = ActivationPayload.decode(found.payload) or ActivationPayload(member.id)
        account = self.accounts.set_password_by_link(token, tokens.ACTIVATE, password)
        if payload.code_id is not None and not self._use_code(payload.code_id, member.id):
            self.session.rollback()
            raise InvalidLink
        if account.member_id != member.id:
            account.member_id = member.id
            factors.discard_all_factors(self.session, account)  # not the member's
        account.display_name = member.full_name
        account.email_verified_at = account.email_verified_at or utcnow()
        if member.email != account.email:
            member.email = account.email  # the member without e-mail gave this one
        tokens.revoke_tokens(self.session, account.id, tokens.VERIFY_EMAIL)
        sessions.end_all_sessions(self.session, account.id)
        record_event(
            self.session,
            "account:activated",
            actor_id=account.id,
            object_type="member",
            object_id=member.id,
            letter=payload.code_id is not None,
        )
        self.session.commit()
        return account, payload.next_path

    def _use_code(self, code_id: int, member_id: int) -> bool:
        result = self.session.execute(
            update(ActivationCode)
            .where(
                ActivationCode.id == code_id,
                ActivationCode.member_id == member_id,
                ActivationCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    # -- self-service: membership number, letter code ------------------------------------------

    def request_by_number(
        self, number: str, email: str, *, address: str, next_path: str | None = None
    ) -> None:
        """Mail an activation link if ``number`` is the member whose register address is ``email``.

        Throttled per address given (guessing numbers for a known address) and per
        client address. Any mismatch gets one refusal that does not say which part was
        wrong, or whether the address is a member's at all.
        """
        address_given = _normalised_or_refused(email)
        self._claim(address_given, address)
        member = self._member_by_number(number)
        if (
            member is None
            or not member.is_active
            or not member.email
            or member.email.strip().lower() != address_given
        ):
            record_event(self.session, "member:activation_refused", reason="number")
            self.session.commit()
            raise ActivationRefused
        self.offer_activation(member, next_path=next_path)
        self.session.commit()

    def request_by_code(
        self, number: str, code: str, email: str, *, address: str, next_path: str | None = None
    ) -> None:
        """A member with a letter code names the address the activation link goes to."""
        address_given = _normalised_or_refused(email)
        self._claim(number.strip()[:MAX_NUMBER_LENGTH], address)
        member = self._member_by_number(number)
        found = self._valid_code(member, code) if member is not None else None
        if member is None or found is None or not member.is_active:
            record_event(self.session, "member:activation_refused", reason="code")
            self.session.commit()
            raise ActivationRefused
        outcome = self.offer_activation(
            member, email=address_given, code_id=found.id, next_path=next_path
        )
        if outcome == "conflict":
            self.session.rollback()
            raise ValidationFailed(
                {"email": N_("Please use another e-mail address for your account.")}
            )
        self.session.commit()

    def _claim(self, name: str, address: str) -> None:
        security = self.settings.security
        name_key, address_key = throttle.keys_for(security, name, address, scope=throttle.ACTIVATE)
        throttle.claim_request(self.session, security, name_key, address_key)

    def _member_by_number(self, number: str) -> Member | None:
        cleaned = number.strip()
        if not cleaned or len(cleaned) > MAX_NUMBER_LENGTH:
            return None
        return self.session.scalar(select(Member).where(Member.membership_number == cleaned))

    def _valid_code(self, member: Member, code: str) -> ActivationCode | None:
        cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
        if not cleaned or len(cleaned) > MAX_CODE_LENGTH:
            return None
        return self.session.scalar(
            select(ActivationCode).where(
                ActivationCode.member_id == member.id,
                ActivationCode.code_hash == self._code_hash(cleaned),
                ActivationCode.used_at.is_(None),
                ActivationCode.expires_at > utcnow(),
            )
        )

    def _code_hash(self, cleaned: str) -> str:
        key = hashlib.sha256(
            b"stimmwerk/activation-code/v1" + self.settings.security.secret_key.encode()
        ).digest()
        return hmac.new(key, cleaned.encode(), hashlib.sha256).hexdigest()

    def issue_letter_codes(self, unit: Unit, *, actor: Account | None) -> list[LetterCode]:
        """New one-time codes for the unit's active members who have no e-mail address.

        Earlier unused codes of these members stop working. The codes are returned
        once (for the letters) and stored only as keyed hashes.
        """
        if actor is not None and not policies.may_manage_roles_in(self.session, actor, unit):
            raise Forbidden
        members = self.session.scalars(
            select(Member)
            .where(
                subtree_filter(unit),
                Member.status == MemberStatus.ACTIVE,
                (Member.email.is_(None)) | (Member.email == ""),
            )
            .order_by(Member.family_name, Member.given_name, Member.id)
        ).all()
        now = utcnow()
        rows: list[LetterCode] = []
        for member in members:
            self.session.execute(
                update(ActivationCode)
                .where(ActivationCode.member_id == member.id, ActivationCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
            self.session.add(
                ActivationCode(
                    member_id=member.id,
                    code_hash=self._code_hash(code),
                    expires_at=now + LETTER_CODE_VALID,
                )
            )
            rows.append(
                LetterCode(
                    membership_number=member.membership_number,
                    name=member.full_name,
                    street=member.street or "",
                    postcode=member.postcode or "",
                    city=member.city or "",
                    code="-".join(code[i : i + 4] for i in range(0, 12, 4)),
                )
            )
        record_event(
            self.session,
            "members:letter_codes_issued",
            actor_id=actor.id if actor else None,
            object_type="unit",
            object_id=unit.id,
            count=len(rows),
        )
        self.session.commit()
        return rows

    # -- registration and password help, member-aware -----------------------------------------

    def member_by_email(self, email: str) -> Member | None:
        """The one active member whose register address this is (None if none or several)."""
        found = self.session.scalars(
            select(Member)
            .where(
                func.lower(Member.email) == email.strip().lower(),
                Member.status == MemberStatus.ACTIVE,
            )
            .limit(2)
        ).all()
        return found[0] if len(found) == 1 else None

    def deliver_registration(self, registration: Registration) -> None:
        """After the answer: a register address gets the member's activation, not a guest.

        The password typed into the guest form is not used for a member: the member
        sets one from the activation mail, so nobody can pre-set it.
        """
        member = self.member_by_email(registration.email)
        if member is None:
            self.accounts.deliver_registration(registration)
            return
        self.offer_activation(member)
        self.session.commit()

    def send_password_help(self, email: str) -> None:
        """After the answer: a reset link, or the activation for a member not yet active."""
        if self.accounts.send_password_help(email):
            return
        member = self.member_by_email(email)
        holder = find_by_email(self.session, email)
        if member is not None and (holder is None or not holder.is_disabled):
            self.offer_activation(member)
        self.session.commit()

    # -- staff: the mass mailing -----------------------------------------------------------------

    def preview_invitations(self, unit: Unit, *, actor: Account | None) -> InvitationPreview:
        if actor is not None and not policies.may_manage_roles_in(self.session, actor, unit):
            raise Forbidden
        active_accounts = select(Account.member_id).where(
            Account.member_id.is_not(None),
            Account.password_hash.is_not(None),
            Account.email_verified_at.is_not(None),
        )
        base = select(func.count()).where(
            subtree_filter(unit), Member.status == MemberStatus.ACTIVE
        )
        has_email = (Member.email.is_not(None)) & (Member.email != "")
        already = self.session.scalar(base.where(Member.id.in_(active_accounts))) or 0
        without = self.session.scalar(base.where(~has_email)) or 0
        to_invite = (
            self.session.scalar(base.where(has_email, Member.id.not_in(active_accounts))) or 0
        )
        return InvitationPreview(int(to_invite), int(without), int(already))


def _normalised_or_refused(email: str) -> str:
    try:
        return normalise_email(email)
    except ValidationFailed as invalid:
        raise ValidationFailed(invalid.errors) from invalid
