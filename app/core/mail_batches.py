"""Queuing one mail per person for a large list, in short transactions (shared).

Invitations and reminders go to hundreds of thousands of members. Each caller marks a
person as mailed in the same transaction that queues the mail (a UNIQUE marker row, so
two overlapping runs mail each person once); holding one transaction for the whole list
would lock the markers for minutes and lose everything on one failure. `queue_in_chunks`
runs the caller's steps one chunk at a time, each chunk in its own transaction: fetch
the next people without a marker, queue each (adding the marker), commit. The mails are
sent by Celery after each commit (``app.core.celery.enqueue_after_commit``).

Used by the survey schedule (``surveys/tasks.py``); the referendum schedule keeps the
same loop (``referendums/notifications/tasks.py``) and can move onto this one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def queue_in_chunks(
    session: Session,
    *,
    due: Callable[[], bool],
    fetch: Callable[[], Sequence[Row]],
    key: Callable[[Row], Hashable],
    queue_one: Callable[[Row], None],
    after_chunk: Callable[[int], None] | None = None,
) -> int:
    """Queue a mail for every row ``fetch`` returns, chunk by chunk; how many were queued.

    Each round: ``due()`` (still wanted, e.g. the survey is still open; it may lock),
    ``fetch()`` (the next chunk of people without a marker, at most the chunk size),
    ``queue_one(row)`` for each (adds the marker and queues the mail), ``after_chunk(n)``
    (e.g. one audit event per chunk), commit. A row already tried in this run is skipped:
    a mail that fails gives its marker back and is retried by the *next* run, not this
    one (a refusing mail server would otherwise be asked forever). A concurrent run that
    marked someone first ends this run (its mails stand).
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
        for row in batch:
            queue_one(row)
        if after_chunk is not None:
            after_chunk(len(batch))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return sent
        sent += len(batch)
