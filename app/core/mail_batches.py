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
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from celery import Task
from sqlalchemy import Table, Uuid, delete, update
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
from app.core.settings import MailSettings

log = logging.getLogger(__name__)

Row = TypeVar("Row")
CHUNK = 500
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


# -- the markers of a mailing --------------------------------------------------------------


def _marker_table(marker: Marker) -> tuple[Table, list[ColumnElement[bool]]]:
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


def forget_pending(session: Session, marker: Marker, member_ids: Sequence[int]) -> int:
    """Delete the markers of ``member_ids`` whose mail was not sent (``done_at`` NULL),
    so the next run of the schedule queues them again; commits; how many."""
    if not member_ids:
        return 0
    table, conditions = _marker_table(marker)
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
    table, conditions = _marker_table(marker)
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
                if is_permanent(error):
                    log.warning(
                        "mail chunk: member %s refused (%s)", member_id, type(error).__name__
                    )
                    outcome.refused.append(member_id)
                elif isinstance(error, smtplib.SMTPException):  # 4xx: busy, try later
                    outcome.later.append(member_id)
                    outcome.error = error
                else:
                    log.exception("mail chunk: the mail of member %s failed", member_id)
                    outcome.refused.append(member_id)
                continue
            session.commit()
            if mails:
                outcome.sent += 1
            else:
                outcome.nothing += 1
    forget_pending(session, marker, outcome.refused)
    return outcome


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
                exc=outcome.error,
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
