"""One Alembic history for both backends: the models and the migrations agree."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from app.core import migrate


def test_models_and_migrations_agree(database_url):
    migrate.check(database_url)


def test_audit_log_triggers_exist(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            names = {
                row[0]
                for row in connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                )
            }
            assert {"audit_events_no_update", "audit_events_no_delete"} <= names
        else:
            names = {
                row[0]
                for row in connection.execute(
                    text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
                )
            }
            assert {"audit_events_no_change", "audit_events_no_truncate"} <= names
        assert "audit_events" in inspect(connection).get_table_names()
    engine.dispose()
