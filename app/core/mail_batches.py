"""Mailing a large list in chunks: queued in short transactions, sent by chunk tasks (shared).

Invitations and reminders go to hundreds of thousands of members. Two halves:

**Queuing** (`queue_in_chunks`, the schedule's run): one chunk at a time, each in its own
transaction: fetch the next people without a marker, write their markers (a UNIQUE row
per person and mail, ``done_at`` NULL), commit, and send ONE Celery message for the chunk
(``app.core.celery.enqueue_after_commit``) that holds the marker's mailing and the
member ids, no address and no name. Holding one transaction for the whole list would
lock the markers for minutes and lose everything on one failure; one Celery message per
mail made the broker round trips most of the queuing time (issue 12: 65 %).

**Sending** (`deliver_chunk`, inside the chunk's task on a worker): the addresses and
names are read once for the chunk; then each member's mail in its own short transaction:
claim the marker (``UPDATE ... SET done_at WHERE done_at IS NULL``: a marker already done,
or claimed by a concurrent copy of the task, is skipped), render the mail (the caller's
``compose``, which may write, e.g. an activation link), hand it to the mail server over
the chunk's one connection, commit. So a chunk that runs again (a retry, a message the
broker delivered twice) sends nobody's mail twice; only a crash between the server's
"250 OK" and the commit can repeat that one mail. Failures are per mail:

- a refusal that will not change (SMTP 5xx, a header that cannot be sent, a mail that
  cannot be rendered): the marker is deleted and the chunk goes on; the next run of the
  schedule queues the mail again (a refused mail is never counted as sent);
- a busy answer (SMTP 4xx) for one mail: that member waits for the chunk's retry;
- the server not reachable: the rest of the chunk waits for the retry.

`MailChunkTask` retries with the members still to send (backoff, ``max_retries``); when
the retries are used up, or the message could not be queued at all, their markers are
deleted (only those not done), so the next run of the schedule queues them again.

**Lost messages** (`forget_lost`, in each schedule's run before it queues): a chunk
message the broker lost after the commit (a broker restarted without persistence, a
queue purged by hand) would leave its markers pending for ever, and those members would
never be mailed. Markers still pending `LOST_AFTER` after they were queued are deleted,
so the same run queues those mails again. A message that was only slow cannot mail
anyone twice this way: there is one marker per member and mailing, and whichever copy
claims it first sends; the other finds it done (or gone) and skips the member.

Logs and retries name no member: the counts are logged, and a retry or a final failure
carries `ChunkNotSent` (the error's type only), not the mail server's answer, which
would hold the recipients' addresses (Celery logs it with the task's name). For an
initiative's outcome mail a member id or an address beside the task would say who
signed.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, TypeVar

from celery import Task
from sqlalchemy import Select, Table, Uuid, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.core.db import Base, utcnow
from app.core.mail import (
    MailConnection,
    Marker,
    Outgoing,
    breaks_connection,
    build_message,
    check_header_values,
    is_permanent,
)
from app.core.runtime import get_runtime
from app.core.settings import MailSettings, Settings

log = logging.getLogger(__name__)

Row = TypeVar("Row")
CHUNK = 500
LOST_AFTER: Final = timedelta(hours=1)
"""How long a marker may stay pending before its chunk message counts as lost.

Twice the longest wait measured for a live message: 400,000 invitations (800 chunks)
queue in ~40 s and two worker processes send them in ~30 min, so the last chunk waits
~30 min in the broker; a chunk's retries add ~5 min of backoff. A message that is only
slower than this is not harmed (its markers are queued again and the first copy to
claim one sends, see the module docstring); it only costs a second message. A lost
message's members wait up to this long plus one schedule run for their mail."""
Compose = Callable[[Session, int], Sequence[Outgoing]]
"""The mails for one member id (usually one; none: nothing to send any more). May write
in the session (committed with the member's marker); raises to refuse the member."""


def queue_in_chunks(
    session: Session,
    *,
    due: Callable[[], bool],
    fetch: Callable[[], Sequence[Row]],
    key: Callable[[Row], Hashable],
    mark: Callable[[list[Row]], None],
    after_chunk: Callable[[list[Row]], None],
) -> int:
    """Mark and queue everyone ``fetch`` returns, chunk by chunk; how many were queued.

    Each round: ``due()`` (still wanted, e.g. the survey is still open; it may lock),
    ``fetch()`` (the next chunk of people without a marker, at most the chunk size),
    ``mark(rows)`` (adds their markers), ``after_chunk(rows)`` (queues the chunk's task
    with ``enqueue_after_commit`` and writes one audit event), commit.
    A row already tried in this run is skipped: a mail that fails gives its marker back
    and is retried by the *next* run, not this one (a refusing mail server would
    otherwise be asked forever). A concurrent run that marked someone first ends this
    run (its mails stand).
    """
    sent = 0
    tried: set[Hashable] = set()
    while True:
        if not due():
            session.rollback()
            return sent
        batch = [row for row in fetch() if key(row) not in tried]
        tried.update(key(row) for row in batch)
        if not batch:
            session.rollback()
            return sent
        try:
            mark(batch)
            after_chunk(batch)
            session.commit()
        except IntegrityError:
            session.rollback()
            return sent
        sent += len(batch)


def keyset_fetch(
    session: Session,
    marker: Marker,
    candidates: Callable[[int], Select[int]],
    keep: Callable[[list[int]], list[int]],
) -> Callable[[], list[int]]:
    """The ``fetch`` of `queue_in_chunks` for a list walked in member id order.

    ``candidates(after)`` selects the next members of the list after member id ``after``
    (ordered by member id, limited to the chunk size: the caller's list and chunk);
    ``keep(ids)`` says which of those without a marker of the mailing ``marker`` are due
    (e.g. have an address). Each call returns the next non-empty chunk of members due,
    past stretches of the list where nobody is (all mailed, no address); [] at the end.

    Three index range scans, each bounded by the chunk: the next members of the list
    (keyset, where the last chunk ended), which of them already have a marker, and
    whatever ``keep`` reads. One query with ``NOT EXISTS`` over the markers let the
    planner sort all markers on every chunk (and skip everyone marked before), which
    made queuing for 400,000 members quadratic; so did ``member_id IN (the chunk)`` on
    the markers (PostgreSQL filtered all of the mailing's markers with it, per chunk),
    hence the range.
    """
    table, conditions = marker_table(marker)
    cursor = 0  # the last member id looked at

    def fetch() -> list[int]:
        nonlocal cursor
        while True:
            ids = list(session.scalars(candidates(cursor)))
            if not ids:
                return []
            marked = set(
                session.scalars(
                    select(table.c.member_id).where(
                        *conditions, table.c.member_id > cursor, table.c.member_id <= ids[-1]
                    )
                )
            )
            cursor = ids[-1]
            due = keep([member_id for member_id in ids if member_id not in marked])
            if due:
                return due

    return fetch


# -- the markers of a mailing --------------------------------------------------------------


def marker_table(marker: Marker) -> tuple[Table, list[ColumnElement[bool]]]:
    """The marker table and the conditions that pick the mailing (all but the member).

    Only tables named ``*_mail_markers`` with ``member_id`` and ``done_at`` qualify: the
    task's arguments come through the broker and must not reach anything else.
    """
    name = str(marker.get("table", ""))
    table = Base.metadata.tables.get(name)
    if (
        table is None
        or not name.endswith("_mail_markers")
        or "member_id" not in table.c
        or "done_at" not in table.c
    ):
        raise ValueError(f"not a table of mail markers: {name!r}")
    conditions: list[ColumnElement[bool]] = []
    for column, value in dict(marker.get("where", {})).items():
        is_uuid = isinstance(table.c[column].type, Uuid)
        conditions.append(table.c[column] == (uuid.UUID(str(value)) if is_uuid else value))
    return table, conditions


def forget_lost(session: Session, table_name: str, *, older_than: timedelta = LOST_AFTER) -> int:
    """Delete the markers of ``table_name`` still pending ``older_than`` after they were
    queued (``sent_at``, the wall clock: the age of the chunk's message), so the
    schedule's next queuing queues those mails again; commits; how many.

    Deleting, not sending the chunk again: the run that follows re-checks everything a
    mail needs (the vote still open, the member still due) and queues through the one
    path, and a chunk that was only slow still claims the new marker and sends once.
    On PostgreSQL a marker being claimed (row locked, ``done_at`` set but not
    committed) is re-read after that commit and kept; SQLite runs one writer at a time.
    The look-up reads the table's partial index of pending markers
    (``app.core.db.pending_mail_index``).
    """
    table, _ = marker_table({"table": table_name})
    if "sent_at" not in table.c:
        raise ValueError(f"mail markers without sent_at: {table_name!r}")
    cutoff = utcnow() - older_than
    result = session.execute(
        delete(table).where(table.c.done_at.is_(None), table.c.sent_at < cutoff)
    )
    session.commit()
    lost = int(getattr(result, "rowcount", 0) or 0)
    if lost:
        log.warning("%s: %d mails pending since before %s queued again", table_name, lost, cutoff)
    return lost


def forget_pending(session: Session, marker: Marker, member_ids: Sequence[int]) -> int:
    """Delete the markers of ``member_ids`` whose mail was not sent (``done_at`` NULL),
    so the next run of the schedule queues them again; commits; how many."""
    if not member_ids:
        return 0
    table, conditions = marker_table(marker)
    result = session.execute(
        delete(table).where(
            *conditions, table.c.member_id.in_(list(member_ids)), table.c.done_at.is_(None)
        )
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


# -- sending one chunk ---------------------------------------------------------------------


@dataclass
class ChunkOutcome:
    """What one run of a chunk did (counts and member ids only)."""

    sent: int = 0
    skipped: int = 0  # already done (an earlier run of the chunk) or claimed by another
    nothing: int = 0  # nothing to send any more (e.g. the account was disabled since)
    refused: list[int] = field(default_factory=list)  # markers deleted: the next run retries
    later: list[int] = field(default_factory=list)  # for the chunk's retry
    error: BaseException | None = None  # the last failure that asks for a retry


def deliver_chunk(
    session: Session,
    settings: MailSettings,
    marker: Marker,
    member_ids: Sequence[int],
    compose: Compose,
) -> ChunkOutcome:
    """Send the mails of ``member_ids`` of the mailing ``marker``, each in its own
    transaction of ``session`` that sets the member's ``done_at`` (module docstring)."""
    table, conditions = marker_table(marker)
    outcome = ChunkOutcome()
    session.commit()  # ends what the caller read for compose (commit keeps it loaded)
    with MailConnection(settings) as connection:
        try:
            connection.open()  # outside the members' transactions
        except OSError as error:  # smtplib's errors are OSErrors too
            log.warning("mail chunk: server not reachable (%s)", type(error).__name__)
            outcome.later.extend(member_ids)
            outcome.error = error
            return outcome
        for index, member_id in enumerate(member_ids):
            claimed = session.execute(
                update(table)
                .where(*conditions, table.c.member_id == member_id, table.c.done_at.is_(None))
                .values(done_at=utcnow())
            )
            if not getattr(claimed, "rowcount", 0):
                session.commit()  # nothing changed
                outcome.skipped += 1
                continue
            try:
                mails = compose(session, member_id)
                for mail in mails:
                    check_header_values(mail.to, mail.subject)
                    connection.send(
                        build_message(settings, to=mail.to, subject=mail.subject, body=mail.body)
                    )
            except Exception as error:  # one member's mail; sorted below
                session.rollback()
                if breaks_connection(error):
                    log.warning("mail chunk: server not reachable (%s)", type(error).__name__)
                    outcome.later.extend(member_ids[index:])
                    outcome.error = error
                    break
                if is_permanent(error):  # no member id in the log (module docstring)
                    log.warning("mail chunk: a mail refused (%s)", type(error).__name__)
                    outcome.refused.append(member_id)
                elif isinstance(error, smtplib.SMTPException):  # 4xx: busy, try later
                    outcome.later.append(member_id)
                    outcome.error = error
                else:
                    log.exception("mail chunk: a mail failed")
                    outcome.refused.append(member_id)
                continue
            session.commit()
            if mails:
                outcome.sent += 1
            else:
                outcome.nothing += 1
    forget_pending(session, marker, outcome.refused)
    return outcome


ChunkSetup = Callable[[Session, Settings, dict[str, Any], list[int]], tuple[Marker, Compose]]
"""What a kind of mailing gives `MailChunkTask.run_for`: from the chunk message's
``where`` (checked: it came through the broker) the mailing's marker, rebuilt by our own
code so the table name never comes from the message, and the composer of the chunk's
members (which reads what they have in common once)."""


class ChunkNotSent(Exception):
    """Members of a chunk are still to be sent: what a retry or a final failure carries
    (and Celery logs), naming the error's type only, never the server's answer (it holds
    the recipients' addresses)."""


class MailChunkTask(Task):  # type: ignore[misc]
    """Base of the chunk tasks: ``run(marker, member_ids)``.

    `run_chunk` retries the members still to send (exponential backoff from
    ``retry_delay`` seconds, ``max_retries``; in the embedded mode, where the task runs
    in-process, their markers are given back at once). When a chunk finally fails, or
    its message could not be queued (``dispatch_failed``, called by ``app.core.celery``),
    the markers of its members that are not done are deleted: the next run queues them
    again.
    """

    max_retries = 5
    retry_delay = 10.0
    acks_late = True

    def run_for(self, marker: Marker, member_ids: Sequence[Any], setup: ChunkSetup) -> ChunkOutcome:
        """A chunk task's whole body: ``setup`` reads the message's ``where`` into the
        trusted marker and the composer, in the chunk's database session; then
        `run_chunk`."""
        runtime = get_runtime()
        where = dict(marker.get("where", {}))
        ids = [int(member_id) for member_id in member_ids]
        with runtime.database.session() as session:
            trusted, compose = setup(session, runtime.settings, where, ids)
            return self.run_chunk(session, runtime.settings.mail, trusted, ids, compose)

    def run_chunk(
        self,
        session: Session,
        settings: MailSettings,
        marker: Marker,
        member_ids: list[int],
        compose: Compose,
    ) -> ChunkOutcome:
        """Deliver the chunk (`deliver_chunk`); retry the members it could not send yet."""
        outcome = deliver_chunk(session, settings, marker, member_ids, compose)
        log.info(
            "mail chunk %s: sent=%d skipped=%d nothing=%d refused=%d later=%d",
            marker.get("table"),
            outcome.sent,
            outcome.skipped,
            outcome.nothing,
            len(outcome.refused),
            len(outcome.later),
        )
        if outcome.later and self.request.is_eager:
            # Embedded mode (the task runs in-process right after the schedule's commit):
            # no broker to wait on, so no retry here; the next run of the schedule does it.
            forget_pending(session, marker, outcome.later)
        elif outcome.later:
            retries = int(self.request.retries or 0)
            raise self.retry(
                args=(marker, outcome.later),
                kwargs={},
                countdown=self.retry_delay * 2**retries,
                exc=ChunkNotSent(type(outcome.error).__name__),
            )
        return outcome

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        del exc, task_id, einfo
        self._forget(args, kwargs)

    def dispatch_failed(self, args: Any, kwargs: Any) -> None:
        self._forget(args, kwargs)

    def _forget(self, args: Any, kwargs: Any) -> None:
        try:
            marker, member_ids = _chunk_arguments(args, kwargs)
            with get_runtime().database.session() as session:
                forget_pending(session, marker, member_ids)
        except Exception:
            log.exception("could not give back the markers of a failed mail chunk")


def _chunk_arguments(args: Any, kwargs: Any) -> tuple[Marker, list[int]]:
    values = dict(kwargs or {})
    positional = list(args or ())
    marker = values.get("marker", positional[0] if positional else None)
    member_ids = values.get("member_ids", positional[1] if len(positional) > 1 else [])
    return dict(marker or {}), [int(member_id) for member_id in member_ids]


def chunk_marker(table: str, **where: Any) -> Marker:
    """The ``marker`` argument of a chunk task: the mailing's markers (JSON-safe)."""
    plain = {
        key: str(value) if isinstance(value, uuid.UUID) else value for key, value in where.items()
    }
    return {"table": table, "where": plain}
