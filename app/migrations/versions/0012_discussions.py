"""Discussions: one component for debates of a unit and the comments of referendums.

- discussions: one thread container (kind "debate" of a unit, or "referendum" with the
  election id as subject); read scope, post scope, end (None: open-ended), whether a
  guest's first post waits for approval;
- discussion_posts: posts and replies (parent_id), quotes, edit/delete/hide marks,
  agreement counters; on PostgreSQL a GIN index over to_tsvector('german', body);
- discussion_reactions (one marker per account and post), discussion_reports,
  discussion_moderators, discussion_bans, discussion_visits (seen up to, following),
  discussion_profiles (public-name consent, digest opt-out, last digest);
- data: every row of referendum_comments moves into a "referendum" discussion per
  election with the same post id, author, text and time; hidden comments stay hidden
  (with a reason saying so). Then referendum_comments is dropped.
- Downgrade copies the referendum posts back (replies flattened, deleted posts and
  debates are lost) and drops the new tables.

Revision ID: 0012_discussions
Revises: 0011_commission_guidance
Create Date: 2026-12-04
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0012_discussions"
down_revision: str | None = "0011_commission_guidance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = app.core.db.UTCDateTime(timezone=True)
MOVED_REASON = "Von der Geschäftsstelle ausgeblendet (vor der Umstellung auf Diskussionen)."

_comments = sa.table(
    "referendum_comments",
    sa.column("id", sa.Integer()),
    sa.column("election_id", sa.Uuid()),
    sa.column("author_id", sa.Uuid()),
    sa.column("body", sa.Text()),
    sa.column("created_at", _TIME),
    sa.column("hidden", sa.Boolean()),
)
_elections = sa.table(
    "elections",
    sa.column("id", sa.Uuid()),
    sa.column("unit_id", sa.Integer()),
    sa.column("title", sa.String()),
)
_discussions = sa.table(
    "discussions",
    sa.column("id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("subject_id", sa.Uuid()),
    sa.column("unit_id", sa.Integer()),
    sa.column("title", sa.String()),
    sa.column("opening", sa.Text()),
    sa.column("read_scope", sa.String()),
    sa.column("post_scope", sa.String()),
    sa.column("hold_first_guest_post", sa.Boolean()),
    sa.column("created_at", _TIME),
)
_posts = sa.table(
    "discussion_posts",
    sa.column("id", sa.Integer()),
    sa.column("discussion_id", sa.Uuid()),
    sa.column("author_id", sa.Uuid()),
    sa.column("parent_id", sa.Integer()),
    sa.column("body", sa.Text()),
    sa.column("created_at", _TIME),
    sa.column("deleted_at", _TIME),
    sa.column("held", sa.Boolean()),
    sa.column("hidden_at", _TIME),
    sa.column("hidden_reason", sa.Text()),
    sa.column("agree_count", sa.Integer()),
    sa.column("disagree_count", sa.Integer()),
    sa.column("neutral_count", sa.Integer()),
)


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_discussion_posts_search ON discussion_posts "
            "USING gin (to_tsvector('german', body))"
        )
    _move_comments()
    op.drop_table("referendum_comments")


def _move_comments() -> None:
    """Each referendum with comments gets its discussion; every comment becomes a post."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            _comments.c.id,
            _comments.c.election_id,
            _comments.c.author_id,
            _comments.c.body,
            _comments.c.created_at,
            _comments.c.hidden,
            _elections.c.unit_id,
            _elections.c.title,
        )
        .join(_elections, _elections.c.id == _comments.c.election_id)
        .order_by(_comments.c.id)
    ).all()
    discussion_of: dict[uuid.UUID, uuid.UUID] = {}
    for row in rows:
        if row.election_id not in discussion_of:
            discussion_of[row.election_id] = uuid.uuid4()
            bind.execute(
                _discussions.insert().values(
                    id=discussion_of[row.election_id],
                    kind="referendum",
                    subject_id=row.election_id,
                    unit_id=row.unit_id,
                    title=row.title[:200],
                    opening="",
                    read_scope="public",
                    post_scope="everyone",
                    hold_first_guest_post=False,
                    created_at=row.created_at,
                )
            )
        bind.execute(
            _posts.insert().values(
                id=row.id,
                discussion_id=discussion_of[row.election_id],
                author_id=row.author_id,
                parent_id=None,
                body=row.body,
                created_at=row.created_at,
                deleted_at=None,
                held=False,
                hidden_at=row.created_at if row.hidden else None,
                hidden_reason=MOVED_REASON if row.hidden else None,
                agree_count=0,
                disagree_count=0,
                neutral_count=0,
            )
        )
    if rows and bind.dialect.name == "postgresql":
        # The ids were given explicitly: move the sequence past them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('discussion_posts', 'id'), "
            "(SELECT MAX(id) FROM discussion_posts))"
        )


def downgrade() -> None:
    op.create_table(
        "referendum_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["accounts.id"], name=op.f("fk_referendum_comments_author_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["referendums.election_id"],
            name=op.f("fk_referendum_comments_election_id_referendums"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referendum_comments")),
    )
    with op.batch_alter_table("referendum_comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referendum_comments_thread", ["election_id", "created_at"], unique=False
        )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_posts, _discussions.c.subject_id)
        .join(_discussions, _discussions.c.id == _posts.c.discussion_id)
        .where(_discussions.c.kind == "referendum", _posts.c.deleted_at.is_(None))
        .order_by(_posts.c.id)
    ).all()
    for row in rows:
        bind.execute(
            _comments.insert().values(
                id=row.id,
                election_id=row.subject_id,
                author_id=row.author_id,
                body=row.body,
                created_at=row.created_at,
                hidden=row.hidden_at is not None or row.held,
            )
        )
    if rows and bind.dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('referendum_comments', 'id'), "
            "(SELECT MAX(id) FROM referendum_comments))"
        )
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_discussion_posts_search")
    _drop_tables()


def _create_tables() -> None:
    op.create_table(
        "discussion_profiles",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("full_name_public", sa.Boolean(), nullable=False),
        sa.Column("digest_opt_out", sa.Boolean(), nullable=False),
        sa.Column("last_digest_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_discussion_profiles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_discussion_profiles")),
    )
    op.create_table(
        "discussions",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("opening", sa.Text(), nullable=False),
        sa.Column("read_scope", sa.String(length=16), nullable=False),
        sa.Column("post_scope", sa.String(length=16), nullable=False),
        sa.Column("closes_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hold_first_guest_post", sa.Boolean(), nullable=False),
        sa.Column("opened_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["accounts.id"], name=op.f("fk_discussions_opened_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_discussions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discussions")),
        sa.UniqueConstraint("kind", "subject_id", name="uq_discussions_subject"),
    )
    with op.batch_alter_table("discussions", schema=None) as batch_op:
        batch_op.create_index("ix_discussions_unit", ["unit_id", "created_at"], unique=False)

    op.create_table(
        "discussion_bans",
        sa.Column("discussion_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_discussion_bans_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["discussion_id"],
            ["discussions.id"],
            name=op.f("fk_discussion_bans_discussion_id_discussions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("discussion_id", "account_id", name=op.f("pk_discussion_bans")),
    )
    op.create_table(
        "discussion_moderators",
        sa.Column("discussion_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_discussion_moderators_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["discussion_id"],
            ["discussions.id"],
            name=op.f("fk_discussion_moderators_discussion_id_discussions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "discussion_id", "account_id", name=op.f("pk_discussion_moderators")
        ),
    )
    op.create_table(
        "discussion_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("discussion_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("quote_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("hidden_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("hidden_by_id", sa.Uuid(), nullable=True),
        sa.Column("agree_count", sa.Integer(), nullable=False),
        sa.Column("disagree_count", sa.Integer(), nullable=False),
        sa.Column("neutral_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["accounts.id"], name=op.f("fk_discussion_posts_author_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["discussion_id"],
            ["discussions.id"],
            name=op.f("fk_discussion_posts_discussion_id_discussions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"],
            ["accounts.id"],
            name=op.f("fk_discussion_posts_hidden_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["discussion_posts.id"],
            name=op.f("fk_discussion_posts_parent_id_discussion_posts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["discussion_posts.id"],
            name=op.f("fk_discussion_posts_quote_id_discussion_posts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_posts")),
    )
    with op.batch_alter_table("discussion_posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_discussion_posts_author", ["author_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_discussion_posts_thread", ["discussion_id", "parent_id", "held", "id"], unique=False
        )

    op.create_table(
        "discussion_visits",
        sa.Column("discussion_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("last_seen_post_id", sa.Integer(), nullable=False),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_discussion_visits_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["discussion_id"],
            ["discussions.id"],
            name=op.f("fk_discussion_visits_discussion_id_discussions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("discussion_id", "account_id", name=op.f("pk_discussion_visits")),
    )
    with op.batch_alter_table("discussion_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discussion_visits_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "discussion_reactions",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_discussion_reactions_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["discussion_posts.id"],
            name=op.f("fk_discussion_reactions_post_id_discussion_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "account_id", name=op.f("pk_discussion_reactions")),
    )
    op.create_table(
        "discussion_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["discussion_posts.id"],
            name=op.f("fk_discussion_reports_post_id_discussion_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["accounts.id"],
            name=op.f("fk_discussion_reports_reporter_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_reports")),
    )
    with op.batch_alter_table("discussion_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discussion_reports_post_id"), ["post_id"], unique=False
        )


def _drop_tables() -> None:
    with op.batch_alter_table("discussion_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discussion_reports_post_id"))

    op.drop_table("discussion_reports")
    op.drop_table("discussion_reactions")
    with op.batch_alter_table("discussion_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discussion_visits_account_id"))

    op.drop_table("discussion_visits")
    with op.batch_alter_table("discussion_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_discussion_posts_thread")
        batch_op.drop_index("ix_discussion_posts_author")

    op.drop_table("discussion_posts")
    op.drop_table("discussion_moderators")
    op.drop_table("discussion_bans")
    with op.batch_alter_table("discussions", schema=None) as batch_op:
        batch_op.drop_index("ix_discussions_unit")

    op.drop_table("discussions")
    op.drop_table("discussion_profiles")
