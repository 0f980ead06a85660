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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Select, String, select
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
    unit_id: Mapped[int | None] = mapped_column(index=True)
    """The unit the event is about (its object's unit, else the actor's member unit):
    what scopes the log for admins of a part of the tree. No foreign key: the log must
    stay writable and readable whatever happens to the tree."""


UnitResolver = Callable[[Session, str], "int | None"]
_RESOLVERS: dict[str, UnitResolver] = {}
_ACTOR = "account"


def register_unit_resolver(object_type: str, resolver: UnitResolver) -> None:
    """Let a package say which unit its objects belong to (``"member"`` -> member's unit).

    The packages above the core register theirs (``app.registry`` imports them); the
    core itself knows no feature tables.
    """
    _RESOLVERS[object_type] = resolver


def _unit_of(
    session: Session, object_type: str | None, object_id: str | None, actor_id: uuid.UUID | None
) -> int | None:
    resolver = _RESOLVERS.get(object_type or "")
    if resolver is not None and object_id is not None:
        try:
            unit_id = resolver(session, object_id)
        except (ValueError, TypeError):  # an id of another shape: no unit
            unit_id = None
        if unit_id is not None:
            return unit_id
    actor = _RESOLVERS.get(_ACTOR)
    if actor is not None and actor_id is not None:
        return actor(session, str(actor_id))
    return None


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
    shown_id = None if object_id is None else str(object_id)
    with session.no_autoflush:  # resolving reads; the caller's pending rows stay pending
        unit_id = _unit_of(session, object_type, shown_id, actor_id)
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=shown_id,
        details=details,
        unit_id=unit_id,
    )
    session.add(event)
    return event


def pseudonym(secret_key: str, value: str) -> str:
    """A keyed hash that lets admins correlate events without storing the value."""
    key = hashlib.sha256(b"stimmwerk/audit-pseudonym/v1" + secret_key.encode()).digest()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class AuditFilter:
    """What the reader asked for; every part optional."""

    action: str | None = None
    """An action (``login:failed``) or the start of one (``login:``)."""
    actor_ids: Sequence[uuid.UUID] | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None


def recent_events(
    session: Session,
    *,
    limit: int = 100,
    before_id: int | None = None,
    action: str | None = None,
    unit_ids: Select[Any] | None = None,
    where: AuditFilter | None = None,
) -> list[AuditEvent]:
    """The newest events first. ``unit_ids`` (a subquery) limits them to a part of the
    tree; ``None`` means the whole log (only for admins of the root unit)."""
    where = where or AuditFilter(action=action, before_id=before_id)
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if unit_ids is not None:
        query = query.where(AuditEvent.unit_id.in_(unit_ids))
    if where.before_id is not None:
        query = query.where(AuditEvent.id < where.before_id)
    if where.action:
        query = query.where(AuditEvent.action.startswith(where.action, autoescape=True))
    if where.actor_ids is not None:
        query = query.where(AuditEvent.actor_id.in_(list(where.actor_ids)))
    if where.since is not None:
        query = query.where(AuditEvent.occurred_at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.occurred_at < where.until)
    return list(session.scalars(query))


def known_actions(session: Session) -> list[str]:
    """Every action that occurs in the log (for the filter's choices)."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
