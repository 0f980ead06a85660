"""Migration 0023: the receipt look-up index, built CONCURRENTLY on PostgreSQL.

Upgrading to 0023, down again and up again leaves one valid index on (survey, leaf
hash); a leftover of a failed concurrent build (here: an index of that name on other
columns) is replaced, not kept. Runs on SQLite and, with STIMMWERK_TEST_POSTGRES_URL,
on PostgreSQL (the concurrent build).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from app.core import migrate
from tests.integration.test_discussions_migration import empty_url

__all__ = ["empty_url"]  # the fixture, on both backends

REVISION = "0023_survey_answer_leaf_index"
INDEX = "ix_survey_answers_leaf"


def _leaf_index(url: str) -> list[str] | None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = [i for i in sa.inspect(conn).get_indexes("survey_answers") if i["name"] == INDEX]
        if found and conn.dialect.name == "postgresql":
            valid = conn.scalar(
                sa.text("SELECT indisvalid FROM pg_index WHERE indexrelid = CAST(:n AS regclass)"),
                {"n": INDEX},
            )
            assert valid, "the index is left invalid"
    engine.dispose()
    return [str(column) for column in found[0]["column_names"]] if found else None


def test_the_leaf_index_is_built_and_a_leftover_is_replaced(empty_url: str) -> None:
    before = _before_revision(empty_url)
    migrate.upgrade(empty_url, before)
    assert _leaf_index(empty_url) is None
    migrate.upgrade(empty_url, REVISION)
    assert _leaf_index(empty_url) == ["survey_id", "leaf_hash"]

    command.downgrade(migrate.alembic_config(empty_url), before)
    assert _leaf_index(empty_url) is None
    if empty_url.startswith("postgresql"):
        # What a failed CREATE INDEX CONCURRENTLY leaves: an index of that name that is
        # not the one wanted. The upgrade must not stop at "already exists".
        engine = sa.create_engine(empty_url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE INDEX {INDEX} ON survey_answers (survey_id)"))
        engine.dispose()
    migrate.upgrade(empty_url, "head")
    assert _leaf_index(empty_url) == ["survey_id", "leaf_hash"]


def _before_revision(url: str) -> str:
    """The revision 0023 follows."""
    down = ScriptDirectory.from_config(migrate.alembic_config(url)).get_revision(REVISION)
    assert isinstance(down.down_revision, str)
    return down.down_revision
