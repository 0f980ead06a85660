"""Migration 0025: guest credential entries lose their autoincrement id and keep their data.

A database at the revision before gets a survey with three guest entries; after the
upgrade each entry is still there, keyed by (survey, account), and a second entry for
the same guest is refused. Downgrading numbers them again. Runs on SQLite and, with
STIMMWERK_TEST_POSTGRES_URL, on PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from app.core import migrate
from tests.integration.test_discussions_migration import _bindable, _insert, empty_url

__all__ = ["empty_url"]  # the fixture, on both backends

REVISION = "0025_survey_guest_entry_key"


def _before(url: str) -> str:
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    down = script.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


def _seed(url: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    survey_id, accounts = uuid.uuid4(), [uuid.uuid4() for _ in range(3)]
    with engine.begin() as conn:
        _insert(conn, meta.tables["units"], id=7, code="UB1", name="Unterbezirk", path="/7/")
        _insert(conn, meta.tables["surveys"], id=survey_id, unit_id=7)
        for n, account in enumerate(accounts):
            _insert(conn, meta.tables["accounts"], id=account, email=f"gast{n}@test.de")
            _insert(
                conn,
                meta.tables["survey_guest_entries"],
                survey_id=survey_id,
                account_id=account,
                credential_issued_on=date(2026, 12, 2),
                blinded_request_hash=f"{n:064x}",
                blind_signature=bytes([n]) * 8,
            )
    engine.dispose()
    return survey_id, accounts


def _entries(conn: sa.Connection) -> list[tuple[str, str, bytes]]:
    rows = conn.execute(
        sa.text(
            "SELECT account_id, blinded_request_hash, blind_signature FROM survey_guest_entries"
        )
    ).all()
    return sorted((str(uuid.UUID(str(a))), h, bytes(s)) for a, h, s in rows)


def test_guest_entries_survive_without_their_counter_and_come_back_numbered(
    empty_url: str,
) -> None:
    migrate.upgrade(empty_url, _before(empty_url))
    survey_id, accounts = _seed(empty_url)
    expected = sorted((str(a), f"{n:064x}", bytes([n]) * 8) for n, a in enumerate(accounts))
    migrate.upgrade(empty_url, REVISION)
    engine = sa.create_engine(empty_url)
    with engine.connect() as conn:
        assert _entries(conn) == expected
        table = sa.inspect(conn)
        columns = {c["name"] for c in table.get_columns("survey_guest_entries")}
        key = table.get_pk_constraint("survey_guest_entries")["constrained_columns"]
    assert "id" not in columns
    assert sorted(key) == ["account_id", "survey_id"]
    meta = sa.MetaData()
    meta.reflect(engine)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        _insert(
            conn,
            meta.tables["survey_guest_entries"],
            survey_id=survey_id,
            account_id=accounts[0],
            credential_issued_on=date(2026, 12, 3),
            blinded_request_hash="f" * 64,
            blind_signature=b"again",
        )
    engine.dispose()

    command.downgrade(migrate.alembic_config(empty_url), _before(empty_url))
    engine = sa.create_engine(empty_url)
    with engine.connect() as conn:
        assert _entries(conn) == expected
        ids = conn.scalars(sa.text("SELECT id FROM survey_guest_entries")).all()
    assert len(set(ids)) == len(accounts)
    assert all(isinstance(value, int) for value in ids)
    # The old code's insert (no id given) numbers the row; the same guest twice is refused.
    _old_insert(engine, survey_id, _account(engine, "gast3@test.de"))
    with pytest.raises(sa.exc.IntegrityError):
        _old_insert(engine, survey_id, accounts[0])
    engine.dispose()


def _account(engine: sa.Engine, email: str) -> uuid.UUID:
    meta = sa.MetaData()
    meta.reflect(engine, only=["accounts"])
    account = uuid.uuid4()
    with engine.begin() as conn:
        _insert(conn, meta.tables["accounts"], id=account, email=email)
    return account


def _old_insert(engine: sa.Engine, survey_id: uuid.UUID, account: uuid.UUID) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO survey_guest_entries (survey_id, account_id, credential_issued_on,"
                " blinded_request_hash, blind_signature) VALUES (:s, :a, :d, :h, :b)"
            ),
            {
                "s": _bindable(conn, survey_id),
                "a": _bindable(conn, account),
                "d": date(2026, 12, 3),
                "h": "f" * 64,
                "b": b"again",
            },
        )
