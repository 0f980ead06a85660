"""The initiatives' schedule for Celery beat (``stimmwerk tick`` runs the same step)."""

from __future__ import annotations

import logging
from datetime import datetime

from app.core.celery import celery_app
from app.core.runtime import get_runtime
from motions.notifications import run_mail_schedule
from motions.services import run_deadlines

log = logging.getLogger(__name__)


@celery_app.task(name="stimmwerk.motions.tick")  # type: ignore[untyped-decorator]
def tick_task(now: str | None = None) -> None:
    """Decide initiatives whose deadline passed; move unadopted ones on to the Entscheid;
    queue what is missing of recent initiative mails (``motions.notifications``)."""
    moment = datetime.fromisoformat(now) if now else None
    with get_runtime().database.session() as session:
        report = run_deadlines(session, now=moment)
        mails = run_mail_schedule(session, now=moment)
    log.info(
        "initiative tick decided=%d referendum_due=%d mails_queued=%d",
        len(report.decided),
        len(report.referendum_due),
        mails,
    )
