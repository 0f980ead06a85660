"""The surveys' schedule: close every open survey whose closing time has passed.

Celery beat runs `tick_task` every minute; ``stimmwerk tick`` and the embedded schedule
of ``stimmwerk serve`` run `close_due` directly. Answers are already refused after the
closing time (``services.submit_answer`` checks the window); closing builds the results
and the record. Each survey is closed in its own transactions (``close_survey`` claims
it with a conditional UPDATE), so runs side by side close each survey once. A survey
whose paper line waits for its confirmation is not closed (the close would drop paper
answers staff are counting): it is logged and tried again on the next run.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.celery import celery_app
from app.core.runtime import get_runtime
from app.core.settings import Settings
from surveys import services
from surveys.models import Survey, SurveyStatus

log = logging.getLogger(__name__)


@dataclass
class CloseReport:
    """Survey ids only (no personal data)."""

    closed: list[uuid.UUID] = field(default_factory=list)
    waiting: list[uuid.UUID] = field(default_factory=list)


def close_due(session: Session, settings: Settings, *, now: datetime | None = None) -> CloseReport:
    """Close every open survey whose ``closes_at`` is at or before ``now``."""
    moment = now or datetime.now(UTC)
    due = list(
        session.scalars(
            select(Survey.id)
            .where(Survey.status == SurveyStatus.OPEN, Survey.closes_at <= moment)
            .order_by(Survey.closes_at)
        )
    )
    session.rollback()  # no transaction held while the records are built
    report = CloseReport()
    for survey_id in due:
        try:
            services.close_survey(session, settings, None, survey_id)
        except services.PaperUnconfirmed:
            session.rollback()
            report.waiting.append(survey_id)
            log.warning("survey %s not closed: its paper line waits for confirmation", survey_id)
        except services.SurveyNotOpen:
            session.rollback()  # closed meanwhile by staff or another run
        else:
            report.closed.append(survey_id)
    return report


@celery_app.task(name="stimmwerk.surveys.tick")  # type: ignore[untyped-decorator]
def tick_task(now: str | None = None) -> None:
    """Beat entry point; ``now`` (ISO 8601) only for tests and manual catch-up runs."""
    runtime = get_runtime()
    moment = datetime.fromisoformat(now) if now else None
    with runtime.database.session() as session:
        report = close_due(session, runtime.settings, now=moment)
    log.info("survey tick closed=%d waiting=%d", len(report.closed), len(report.waiting))
