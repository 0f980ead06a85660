"""Append-only audit log: who did what to which object.

Rows are only ever inserted; the migration installs triggers on SQLite and PostgreSQL
that reject UPDATE and DELETE, so not even a bug in this code can rewrite history.
Details never hold personal data in clear (no names, e-mail addresses or membership
numbers): objects are referred to by id, unknown login names by a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record_event(
    session: Session,
    action: str,
    *,
    actor_id: uuid.UUID | None = None,
    object_type: str | None = None,
    object_id: object | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits with the change)."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
    )
    session.add(event)
    return event


def pseudonym(secret_key: str, value: str) -> str:
    """A keyed hash that lets admins correlate events without storing the value."""
    key = hashlib.sha256(b"stimmwerk/audit-pseudonym/v1" + secret_key.encode()).digest()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def recent_events(
    session: Session, *, limit: int = 100, before_id: int | None = None, action: str | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    return list(session.scalars(query))
