"""Every package's models, loaded in one place.

SQLAlchemy resolves a foreign key only against tables already on ``Base.metadata``: a
process that imports ``app.core.audit`` without ``app.accounts.models`` cannot map
``audit_events.actor_id`` (``NoReferencedTableError``). Whatever opens a database (the
web app, every CLI command, the Celery worker, Alembic) calls :func:`load_models`
first, so no code path depends on which modules happened to be imported before.
"""

from __future__ import annotations

MODEL_MODULES = (
    "app.accounts.models",
    "app.core.audit",
    "app.discussions.models",
    "app.organisations.models",
    "ballots.models",
    "motions.models",
    "referendums.commission.models",
    "referendums.models",
    "referendums.notifications.models",
    "surveys.models",
)
"""Every module that declares tables; a test fails if a new one is missing here."""


def load_models() -> None:
    """Import every module that declares tables (idempotent, cheap after the first call)."""
    import importlib

    from sqlalchemy.orm import configure_mappers

    for name in MODEL_MODULES:
        importlib.import_module(name)
    # Resolve every relationship and foreign key now, where a missing model fails loudly.
    configure_mappers()
    _register_audit_scopes()


def _register_audit_scopes() -> None:
    """Which unit an audit event is about, per object type (``app.core.audit``)."""
    import uuid

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.core.audit import register_unit_resolver
    from app.organisations import audit_view
    from ballots.models import Election

    # Each resolver reads one column: it runs for every audited event (every signature).
    def election_unit(session: Session, object_id: str) -> int | None:
        return session.scalar(select(Election.unit_id).where(Election.id == uuid.UUID(object_id)))

    audit_view.register()
    _register_discussion_subjects()

    def discussion_unit(session: Session, object_id: str) -> int | None:
        from app.discussions.models import Discussion

        found = select(Discussion.unit_id).where(Discussion.id == uuid.UUID(object_id))
        return session.scalar(found)

    register_unit_resolver("discussion", discussion_unit)

    def survey_unit(session: Session, object_id: str) -> int | None:
        from surveys.models import Survey

        found = select(Survey.unit_id).where(Survey.id == uuid.UUID(object_id))
        return session.scalar(found)

    register_unit_resolver("survey", survey_unit)
    for kind in ("election", "referendum"):
        register_unit_resolver(kind, election_unit)

    def initiative_unit(session: Session, object_id: str) -> int | None:
        from motions.models import Initiative

        found = select(Initiative.unit_id).where(Initiative.id == uuid.UUID(object_id))
        return session.scalar(found)

    register_unit_resolver("initiative", initiative_unit)


def _register_discussion_subjects() -> None:
    """Who may read the discussion of another module's object (``app.discussions``)."""
    from app.discussions.services import register_subject_reader
    from referendums.services import may_read_subject

    register_subject_reader("referendum", may_read_subject)
    from motions.services import may_read_subject as initiative_readable

    register_subject_reader("initiative", initiative_readable)
