"""Accounts, server-side sessions, one-time tokens and login attempts."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from app.core.db import Base, UUIDPrimaryKey, utcnow


class Account(UUIDPrimaryKey, Base):
    """A login. A member's account points to the member record; a guest's does not."""

    __tablename__ = "accounts"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), unique=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None]
    is_disabled: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(8), default="de")
    referendum_reminders_opt_out: Mapped[bool] = mapped_column(default=False)
    """No reminder mails before a Mitgliederentscheid closes (invitations still come)."""
    totp_secret: Mapped[str | None] = mapped_column(String(255))  # encrypted at rest
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def is_guest(self) -> bool:
        return self.member_id is None

    @property
    def can_log_in(self) -> bool:
        return (
            not self.is_disabled
            and self.password_hash is not None
            and self.email_verified_at is not None
        )

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None


class WebSession(Base):
    """A server-side login session, shared by every app process through the database.

    Only a hash of the session token is stored, so a leaked table does not hand out
    live sessions.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    second_factor_done: Mapped[bool] = mapped_column(default=False)
    second_factor_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A second factor was checked in this session (not merely: none was required)."""
    second_factor_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    """Wrong codes entered in this half-finished login; at the limit the session ends."""
    pending_totp_secret: Mapped[str | None] = mapped_column(String(255))
    """The TOTP key offered on the set-up page (sealed); the form never carries it."""
    webauthn_challenge: Mapped[str | None] = mapped_column(String(200))
    """``register:<b64url>`` or ``login:<b64url>``: the one open passkey challenge."""


class RecoveryCode(Base):
    """A single-use code that stands in for the second factor (keyed hash stored only)."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("account_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class Passkey(Base):
    """A WebAuthn credential registered as a second factor (public key only)."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    """base64url of the authenticator's credential id (at most 1023 bytes by spec)."""
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    """The COSE-encoded public key as the authenticator returned it."""
    sign_count: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class OneTimeToken(Base):
    """A single-use, expiring token for links sent by e-mail (hash stored only)."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Login attempts, keyed by pseudonyms of the login name and the client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_login_time", "login_key", "occurred_at"),
        Index("ix_login_attempts_address_time", "address_key", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    login_key: Mapped[str] = mapped_column(String(32))
    address_key: Mapped[str] = mapped_column(String(32))
    succeeded: Mapped[bool]


class Role(enum.StrEnum):
    ADMIN = "admin"  # keeps the member register
    STAFF = "staff"  # runs votes and surveys for the unit and its sub-units
    BOARD = "board"  # Vorstand of the unit
    COMMISSION = "commission"  # Wahlkommission: trustees
    AUDITOR = "auditor"  # Revision


ROLES_REQUIRING_TOTP = frozenset({Role.ADMIN, Role.COMMISSION})
ROLES_SEEING_MEMBERS = frozenset({Role.ADMIN, Role.STAFF, Role.BOARD})


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("account_id", "role", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
