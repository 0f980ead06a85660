"""The surveys' schedule: invite, remind once, close every survey whose time has passed.

Invitations go to the members of the frozen audience, once the survey is open; one
reminder goes 48 hours before the close to those who have no credential yet (and did not
switch reminders off: the account's reminder opt-out, as for referendums). A member who
has no usable login yet (imported from the register, never activated) gets both with an
activation link that lands on the survey (`app.organisations.activation_invites`, shared
with the referendums); a member without an e-mail address and without a login is not
reachable online.
Mails are queued in chunks of `CHUNK`, each chunk in its own short transaction with its
markers (``SurveyMailMarker``, UNIQUE per member and kind), so queuing for 400,000
members never holds one long transaction and overlapping runs send each mail once.
Members without an e-mail address are not reachable online (`reachability`).

Celery beat runs `tick_task` every minute; ``stimmwerk tick`` and the embedded schedule
of ``stimmwerk serve`` run `close_due` directly. Answers are already refused after the
closing time (``services.submit_answer`` checks the window); closing builds the results
and the record. Each survey is closed in its own transactions (``close_survey`` claims
it with a conditional UPDATE), so runs side by side close each survey once. A survey
whose paper line waits for its confirmation is not closed (the close would drop paper
answers staff are counting): it is logged and tried again on the next run.
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core import i18n
from app.core.audit import record_event
from app.core.celery import celery_app
from app.core.i18n import N_
from app.core.mail import queue_mail
from app.core.mail_batches import queue_in_chunks
from app.core.runtime import get_runtime
from app.core.settings import Settings
from app.core.templating import render_text
from app.organisations.activation_invites import queue_activation_invitation
from app.organisations.models import Member
from surveys import services
from surveys.models import Survey, SurveyMailMarker, SurveyRollEntry, SurveyStatus


class MailKind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"


INVITATION: Final = MailKind.INVITATION
REMINDER: Final = MailKind.REMINDER
REMINDER_BEFORE: Final = timedelta(hours=48)
CHUNK: Final = 500
INVITATION_SUBJECT = N_("Member survey: %(title)s")
REMINDER_SUBJECT = N_("Reminder: the member survey closes soon: %(title)s")
Recipient = tuple[int, Account | None, str | None]
"""Member id, the member's account (None: none yet) and the register's address."""

log = logging.getLogger(__name__)


@dataclass
class CloseReport:
    """Survey ids only (no personal data)."""

    closed: list[uuid.UUID] = field(default_factory=list)
    waiting: list[uuid.UUID] = field(default_factory=list)
    invitations: int = 0
    reminders: int = 0


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
        mailed = send_due_mails(session, runtime.settings, now=moment)
    log.info(
        "survey tick closed=%d waiting=%d invitations=%d reminders=%d",
        len(report.closed),
        len(report.waiting),
        mailed.invitations,
        mailed.reminders,
    )


# --- invitations and the reminder --------------------------------------------------------


def reachability(session: Session, survey_id: uuid.UUID) -> dict[str, int]:
    """Members of the frozen audience, and how many have no e-mail address (not
    reachable online: staff print paper questionnaires for them)."""
    no_address = func.coalesce(Member.email, "") == ""
    rows = session.execute(
        select(func.count(), func.count().filter(no_address))
        .select_from(SurveyRollEntry)
        .join(Member, Member.id == SurveyRollEntry.member_id)
        .where(SurveyRollEntry.survey_id == survey_id)
    ).one()
    return {"eligible": int(rows[0]), "not_reachable": int(rows[1])}


def send_due_mails(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> CloseReport:
    """Invitations for every open survey, the reminder where it is due."""
    moment = now or datetime.now(UTC)
    report = CloseReport()
    open_surveys = list(
        session.execute(
            select(Survey.id, Survey.opens_at, Survey.closes_at).where(
                Survey.status == SurveyStatus.OPEN, Survey.closes_at > moment
            )
        )
    )
    session.rollback()
    for survey_id, opens_at, closes_at in open_surveys:
        report.invitations += send_mails(session, settings, survey_id, INVITATION)
        reminder_from = closes_at - REMINDER_BEFORE
        if moment >= reminder_from and opens_at < reminder_from:
            report.reminders += send_mails(session, settings, survey_id, REMINDER)
    return report


def _recipients(
    session: Session, survey_id: uuid.UUID, kind: MailKind, after: int = 0
) -> tuple[list[Recipient], int | None]:
    """Who is due among the next `CHUNK` members of the list after member id ``after``,
    and the last member id looked at (None: the list is done).

    Three index range scans, each bounded by the chunk: the next members of the list
    (keyset, where the last chunk ended), which of them already have a marker, their
    register addresses and accounts. Due: a usable login with an address, or (for the
    activation mail) no usable login but an address in the register; never a disabled
    account, nor an account that switched reminders off.

    One query with ``NOT EXISTS`` over the markers let the planner sort all
    markers on every chunk (and skip everyone marked before), which made queuing for
    400,000 members quadratic.
    """
    candidates_query = (
        select(SurveyRollEntry.member_id)
        .where(SurveyRollEntry.survey_id == survey_id, SurveyRollEntry.member_id > after)
        .order_by(SurveyRollEntry.member_id)
        .limit(CHUNK)
    )
    if kind == REMINDER:
        candidates_query = candidates_query.where(SurveyRollEntry.credential_issued_on.is_(None))
    candidates = list(session.scalars(candidates_query))
    if not candidates:
        return [], None
    marked = set(
        session.scalars(
            select(SurveyMailMarker.member_id).where(
                SurveyMailMarker.survey_id == survey_id,
                SurveyMailMarker.kind == kind.value,
                SurveyMailMarker.member_id.in_(candidates),
            )
        )
    )
    todo = [member_id for member_id in candidates if member_id not in marked]
    query = (
        select(Member.id, Member.email, Account)
        .outerjoin(Account, Account.member_id == Member.id)
        .where(Member.id.in_(todo))
        .order_by(Member.id)
    )
    rows: list[Recipient] = [
        (int(member_id), account, email)
        for member_id, email, account in session.execute(query)
        if _due(kind, account, email)
    ]
    return rows, candidates[-1]


def _due(kind: MailKind, account: Account | None, register_email: str | None) -> bool:
    if account is not None and (
        account.is_disabled or (kind == REMINDER and account.referendum_reminders_opt_out)
    ):
        return False
    if account is not None and account.can_log_in:
        return bool(account.email)
    return bool(register_email)  # the activation link goes to the register's address


def send_mails(session: Session, settings: Settings, survey_id: uuid.UUID, kind: MailKind) -> int:
    """Queue ``kind`` for everyone due who has not had it, one chunk per transaction
    (``app.core.mail_batches``)."""

    current: list[Survey] = []  # read once per chunk by due()

    def due() -> bool:
        survey = session.get(Survey, survey_id, populate_existing=True)
        current[:] = [survey] if survey is not None else []
        return survey is not None and survey.status == SurveyStatus.OPEN

    def queue_one(row: Recipient) -> None:
        # no query per mail: the markers go in with the chunk's commit, in one statement
        member_id, account, _email = row
        session.add(SurveyMailMarker(survey_id=survey_id, member_id=member_id, kind=kind.value))
        if account is not None and account.can_log_in:
            _queue(session, settings, current[0], account, kind)
        else:
            _queue_activation(session, settings, current[0], member_id, kind)

    def after_chunk(count: int) -> None:
        record_event(
            session,
            f"survey:{kind.value}s_sent",
            object_type="survey",
            object_id=survey_id,
            count=count,
        )

    cursor = [0]  # the last member id fetched

    def fetch() -> list[Recipient]:
        while True:  # past chunks of the list where nobody is due (all mailed, no address)
            rows, last = _recipients(session, survey_id, kind, after=cursor[0])
            if last is None:
                return []
            cursor[0] = last
            if rows:
                return rows

    return queue_in_chunks(
        session,
        due=due,
        fetch=fetch,
        key=lambda row: row[0],
        queue_one=queue_one,
        after_chunk=after_chunk,
    )


def _marker(survey: Survey, member_id: int | None, kind: MailKind) -> dict[str, object]:
    """The sent-marker a mail deletes if it finally fails: the next run retries."""
    return {
        "table": SurveyMailMarker.__tablename__,
        "where": {"survey_id": str(survey.id), "member_id": member_id, "kind": kind.value},
    }


def _queue_activation(
    session: Session, settings: Settings, survey: Survey, member_id: int, kind: MailKind
) -> None:
    """The invitation or reminder of a member without a usable login: activate, then
    answer (the link lands on the survey page)."""
    member = session.get(Member, member_id)
    if member is None:
        return
    queue_activation_invitation(
        session,
        settings,
        member,
        title=survey.title,
        subject=INVITATION_SUBJECT if kind == INVITATION else REMINDER_SUBJECT,
        template=f"emails/survey_{kind.value}_activate.txt",
        next_path=f"/surveys/{survey.id}",
        closes_at=survey.closes_at,
        marker=_marker(survey, member_id, kind),
        page=f"{settings.base_url}/surveys/{survey.id}",
    )


def _queue(
    session: Session, settings: Settings, survey: Survey, account: Account, kind: MailKind
) -> None:
    base = settings.base_url
    context = {
        "name": account.display_name,
        "title": survey.title,
        "closes_at": survey.closes_at,
        "link": f"{base}/surveys/{survey.id}",
        "opt_out": f"{base}/me" if kind == REMINDER else "",
    }
    subject = INVITATION_SUBJECT if kind == INVITATION else REMINDER_SUBJECT
    with i18n.using_locale(account.locale):
        translated = i18n.gettext(subject) % {"title": survey.title}
    body = render_text(f"emails/survey_{kind.value}.txt", account.locale, base_url=base, **context)
    marker = _marker(survey, account.member_id, kind)
    queue_mail(session, to=account.email, subject=translated, body=body, marker=marker)
