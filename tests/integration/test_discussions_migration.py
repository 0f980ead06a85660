"""Migration 0012 moves every referendum comment into the discussion component.

A database at revision 0011 gets a referendum with three comments (one hidden by staff);
after ``upgrade head`` each comment is a post of the referendum's discussion with the
same id, author, text and time, the hidden one still hidden, and the next post gets a
fresh id (the PostgreSQL sequence moved past the copied ids). Downgrading brings the
comments back. Runs on SQLite and, with STIMMWERK_TEST_POSTGRES_URL, on PostgreSQL.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from app.core import migrate
from tests.conftest import BACKENDS, POSTGRES_URL, _pg_admin

BEFORE = "0011_commission_guidance"
_counter = itertools.count(1)


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.sqlite3'}"
        return
    name = f"sw_mig_{uuid.uuid4().hex[:8]}"
    with _pg_admin(POSTGRES_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with _pg_admin(POSTGRES_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _filler(column: sa.Column[Any]) -> Any:
    """A value for a required column the test does not care about."""
    kind = column.type
    number = next(_counter)
    if isinstance(kind, sa.Enum):
        return kind.enums[0]
    by_type: list[tuple[type[Any], Any]] = [
        (sa.Boolean, False),
        (sa.Integer, number),
        (sa.DateTime, datetime.now(UTC)),
        (sa.Uuid, uuid.uuid4()),
        (sa.JSON, {}),
        (sa.LargeBinary, b"x"),
    ]
    for type_, value in by_type:
        if isinstance(kind, type_):
            return value
    return f"x{number}"


def _insert(conn: sa.Connection, table: sa.Table, **given: Any) -> None:
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        if column.primary_key and isinstance(column.type, sa.Integer):
            continue
        row[column.name] = _filler(column)
    conn.execute(table.insert().values(**{k: _bindable(conn, v) for k, v in row.items()}))


def _bindable(conn: sa.Connection, value: Any) -> Any:
    """Reflected SQLite tables see UUID columns as CHAR(32): give them the stored form."""
    if isinstance(value, uuid.UUID) and conn.dialect.name == "sqlite":
        return value.hex
    return value


def _seed(url: str) -> tuple[uuid.UUID, uuid.UUID, datetime]:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    election_id, author_id = uuid.uuid4(), uuid.uuid4()
    written = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        _insert(conn, meta.tables["units"], id=7, code="LV1", name="Landesverband", path="/7/")
        _insert(conn, meta.tables["accounts"], id=author_id, email="anna@example.org")
        _insert(conn, meta.tables["elections"], id=election_id, unit_id=7, title="Neue Satzung")
        _insert(conn, meta.tables["referendums"], election_id=election_id)
        comments = meta.tables["referendum_comments"]
        for number, (text, hidden) in enumerate(
            [("Erster Kommentar", False), ("Zweiter **Kommentar**", False), ("Werbung", True)],
            start=1,
        ):
            _insert(
                conn,
                comments,
                id=number * 10,
                election_id=election_id,
                author_id=author_id,
                body=text,
                created_at=written + timedelta(minutes=number),
                hidden=hidden,
            )
    engine.dispose()
    return election_id, author_id, written


def test_existing_comments_survive_the_move(empty_url: str) -> None:
    migrate.upgrade(empty_url, BEFORE)
    election_id, author_id, written = _seed(empty_url)
    migrate.upgrade(empty_url)
    engine = sa.create_engine(empty_url)
    with engine.connect() as conn:
        discussion = conn.execute(
            sa.text("SELECT id, kind, unit_id, title, read_scope, post_scope FROM discussions")
        ).one()
        posts = conn.execute(
            sa.text(
                "SELECT id, discussion_id, author_id, body, created_at, hidden_at, hidden_reason"
                " FROM discussion_posts ORDER BY id"
            )
        ).all()
        tables = sa.inspect(conn).get_table_names()
    assert "referendum_comments" not in tables
    assert discussion.kind == "referendum"
    assert (discussion.unit_id, discussion.title) == (7, "Neue Satzung")
    assert (discussion.read_scope, discussion.post_scope) == ("public", "everyone")
    assert [p.id for p in posts] == [10, 20, 30]
    assert [p.body for p in posts] == ["Erster Kommentar", "Zweiter **Kommentar**", "Werbung"]
    assert {uuid.UUID(str(p.author_id)) for p in posts} == {author_id}
    assert [p.hidden_at is not None for p in posts] == [False, False, True]
    assert posts[2].hidden_reason
    first = posts[0].created_at
    first = datetime.fromisoformat(first) if isinstance(first, str) else first
    assert first.replace(tzinfo=UTC) == written + timedelta(minutes=1)
    # The referendum page finds its discussion by the election id.
    with engine.connect() as conn:
        subject = conn.execute(sa.text("SELECT subject_id FROM discussions")).scalar_one()
    assert uuid.UUID(str(subject)) == election_id
    # A new post after the move gets a fresh id (PostgreSQL: the sequence moved on).
    with engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn, only=["discussion_posts"])
        posts_table = meta.tables["discussion_posts"]
        new_id = conn.execute(
            posts_table.insert()
            .values(
                discussion_id=posts[0].discussion_id,
                author_id=posts[0].author_id,
                body="Nach der Umstellung",
                created_at=datetime.now(UTC),
                held=False,
                agree_count=0,
                disagree_count=0,
                neutral_count=0,
            )
            .returning(posts_table.c.id)
        ).scalar_one()
    assert new_id > 30
    engine.dispose()


def test_downgrade_brings_the_comments_back(empty_url: str) -> None:
    migrate.upgrade(empty_url, BEFORE)
    election_id, _, _ = _seed(empty_url)
    migrate.upgrade(empty_url)
    command.downgrade(migrate.alembic_config(empty_url), BEFORE)
    engine = sa.create_engine(empty_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, election_id, body, hidden FROM referendum_comments ORDER BY id")
        ).all()
        tables = sa.inspect(conn).get_table_names()
    engine.dispose()
    assert "discussions" not in tables
    assert [(r.id, r.body, bool(r.hidden)) for r in rows] == [
        (10, "Erster Kommentar", False),
        (20, "Zweiter **Kommentar**", False),
        (30, "Werbung", True),
    ]
    assert {uuid.UUID(str(r.election_id)) for r in rows} == {election_id}
