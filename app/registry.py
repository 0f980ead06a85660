"""Every package's models, loaded in one place.

SQLAlchemy resolves a foreign key only against tables already on ``Base.metadata``: a
process that imports ``app.core.audit`` without ``app.accounts.models`` cannot map
``audit_events.actor_id`` (``NoReferencedTableError``). Whatever opens a database (the
web app, every CLI command, the Celery worker, Alembic) calls :func:`load_models`
first, so no code path depends on which modules happened to be imported before.
"""

from __future__ import annotations


def load_models() -> None:
    """Import every module that declares tables (idempotent, cheap after the first call)."""
    from sqlalchemy.orm import configure_mappers

    import referendums.commission.models
    import referendums.models
    import referendums.notifications.models  # noqa: F401 - registers the tables on Base.metadata

    # Resolve every relationship and foreign key now, where a missing model fails loudly.
    configure_mappers()
