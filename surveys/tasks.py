"""The surveys' schedule: invite, remind once, close every survey whose time has passed.

Invitations go to the members of the frozen audience, once the survey is open; one
reminder goes 48 hours before the close to those who have no credential yet (and did not
switch reminders off: the account's reminder opt-out, as for referendums). A member who
has no usable login yet (imported from the register, never activated) gets both with an
activation link that lands on the survey (`app.organisations.activation_invites`, shared
with the referendums); a member without an e-mail address and without a login is not
reachable online.
Mails are queued in chunks of `CHUNK`, each chunk in its own short transaction with its
markers (``SurveyMailMarker``, UNIQUE per member and kind) and ONE Celery message with
the chunk's member ids (`mail_chunk_task`), which renders and sends the chunk's mails on
a worker, each in its own short transaction that marks it done
(``app.core.mail_batches``). So queuing for 400,000 members never holds one long
transaction, overlapping runs queue each mail once and a chunk that runs again sends
nobody's mail twice. Each run first deletes the markers whose chunk message the broker
lost (pending for ``mail_batches.LOST_AFTER``), so the same run queues those mails again.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final

from sqlalchemy import Select, and_, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.core import i18n
from app.core.audit import record_event
from app.core.celery import celery_app, enqueue_after_commit
from app.core.i18n import N_
from app.core.inputs import single_line_problem
from app.core.mail import Marker, Outgoing
from app.core.mail_batches import (
    Compose,
    MailChunkTask,
    chunk_marker,
    forget_lost,
    keyset_fetch,
    queue_in_chunks,
)
from app.core.runtime import get_runtime
from app.core.settings import Settings
from app.core.templating import render_text
from app.organisations.activation_invites import (
    Invitee,
    InviteeSql,
    activation_mails,
    anyone_due,
    keep_due,
    load_invitees,
)
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

log = logging.getLogger(__name__)


@dataclass
class CloseReport:
    """Survey ids only (no personal data)."""

    closed: list[uuid.UUID] = field(default_factory=list)
    waiting: list[uuid.UUID] = field(default_factory=list)
    invitations: int = 0
    reminders: int = 0
    lost_mails: int = 0  # markers whose chunk message was lost, queued again


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
    # Chunk messages the broker lost: their mails are queued again below.
    report.lost_mails = forget_lost(session, SurveyMailMarker.__tablename__)
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


def _listed(survey_id: uuid.UUID, kind: MailKind) -> Select[int]:
    """The kind's list: the survey's roll; for the reminder only those without a
    credential."""
    query = select(SurveyRollEntry.member_id).where(SurveyRollEntry.survey_id == survey_id)
    if kind == REMINDER:
        query = query.where(SurveyRollEntry.credential_issued_on.is_(None))
    return query


def _candidates(survey_id: uuid.UUID, kind: MailKind) -> Callable[[int], Select[int]]:
    """The next `CHUNK` members of the list after member id ``after`` (keyset: the
    markers and addresses are then read for that range only,
    ``app.core.mail_batches.keyset_fetch``)."""

    def after(last: int) -> Select[int]:
        return (
            _listed(survey_id, kind)
            .where(SurveyRollEntry.member_id > last)
            .order_by(SurveyRollEntry.member_id)
            .limit(CHUNK)
        )

    return after


def _due(kind: MailKind, invitee: Invitee) -> bool:
    """A usable login with an address, or (for the activation mail) no usable login but
    an address in the register; never a disabled account, nor an account that switched
    reminders off."""
    if invitee.disabled or (kind == REMINDER and invitee.reminders_off):
        return False
    if invitee.can_log_in:
        return bool(invitee.account_email)
    return bool(invitee.register_email)  # the activation link goes to the register's address


def _due_sql(kind: MailKind) -> ColumnElement[bool]:
    """`_due` in SQL, for `anyone_due` (the two are checked to agree in every state)."""
    blocked: ColumnElement[bool] = InviteeSql.disabled
    if kind == REMINDER:
        blocked = or_(blocked, InviteeSql.reminders_off)
    return and_(
        ~blocked,
        or_(
            and_(InviteeSql.can_log_in, InviteeSql.account_email),
            and_(~InviteeSql.can_log_in, InviteeSql.register_email),
        ),
    )


def _marker(survey_id: uuid.UUID, kind: MailKind) -> Marker:
    """The markers of one survey's invitations or reminders (a chunk task's argument)."""
    return chunk_marker(SurveyMailMarker.__tablename__, survey_id=survey_id, kind=kind.value)


def send_mails(session: Session, settings: Settings, survey_id: uuid.UUID, kind: MailKind) -> int:
    """Queue ``kind`` for everyone due who has not had it: markers and one chunk task per
    transaction (``app.core.mail_batches``); how many were queued."""
    del settings  # the chunk task reads its own

    def due() -> bool:
        survey = session.get(Survey, survey_id, populate_existing=True)
        if survey is None or survey.status != SurveyStatus.OPEN:
            return False
        if single_line_problem(survey.title):  # cannot be a subject: nothing is marked
            log.error("survey %s: its title cannot go into a mail subject", survey_id)
            return False
        return True

    def mark(member_ids: list[int]) -> None:
        # one statement for the chunk's markers; a concurrent run's fails on UNIQUE
        session.execute(
            insert(SurveyMailMarker),
            [{"survey_id": survey_id, "member_id": m, "kind": kind.value} for m in member_ids],
        )

    def after_chunk(member_ids: list[int]) -> None:
        record_event(
            session,
            f"survey:{kind.value}s_sent",
            object_type="survey",
            object_id=survey_id,
            count=len(member_ids),
        )
        enqueue_after_commit(session, mail_chunk_task, _marker(survey_id, kind), member_ids)

    if not anyone_due(session, _marker(survey_id, kind), _listed(survey_id, kind), _due_sql(kind)):
        session.rollback()
        return 0
    fetch = keyset_fetch(
        session,
        _marker(survey_id, kind),
        _candidates(survey_id, kind),
        keep_due(session, partial(_due, kind)),
    )
    return queue_in_chunks(
        session, due=due, fetch=fetch, key=lambda m: m, mark=mark, after_chunk=after_chunk
    )


@celery_app.task(base=MailChunkTask, bind=True, name="stimmwerk.surveys.mail_chunk")  # type: ignore[untyped-decorator]
def mail_chunk_task(task: MailChunkTask, marker: Marker, member_ids: list[int]) -> None:
    """Send one chunk of a survey's invitations or reminders (member ids only in the
    message: addresses and names are read here)."""
    task.run_for(marker, member_ids, _chunk)


def _chunk(
    session: Session, settings: Settings, where: dict[str, Any], ids: list[int]
) -> tuple[Marker, Compose]:
    """The chunk's mailing (``where`` checked: a UUID and a kind) and its composer."""
    survey_id, kind = uuid.UUID(str(where["survey_id"])), MailKind(str(where["kind"]))
    return _marker(survey_id, kind), _composer(session, settings, survey_id, kind, ids)


def _composer(
    session: Session, settings: Settings, survey_id: uuid.UUID, kind: MailKind, ids: list[int]
) -> Callable[[Session, int], list[Outgoing]]:
    """Reads the survey and the chunk's people once; the returned function renders one
    member's mail (none when the survey is no longer open, the member no longer due, or
    for a reminder has a credential by now)."""
    survey = session.get(Survey, survey_id)
    if survey is None or survey.status != SurveyStatus.OPEN:
        return lambda _session, _member_id: []
    title, closes_at = survey.title, survey.closes_at
    invitees = load_invitees(session, ids)
    answered: set[int] = set()
    if kind == REMINDER:
        answered = set(
            session.scalars(
                select(SurveyRollEntry.member_id).where(
                    SurveyRollEntry.survey_id == survey_id,
                    SurveyRollEntry.member_id.in_(ids),
                    SurveyRollEntry.credential_issued_on.is_not(None),
                )
            )
        )
    base = settings.base_url
    subject = INVITATION_SUBJECT if kind == INVITATION else REMINDER_SUBJECT

    def compose(db: Session, member_id: int) -> list[Outgoing]:
        invitee = invitees.get(member_id)
        if invitee is None or member_id in answered or not _due(kind, invitee):
            return []
        if not invitee.can_log_in:  # activate, then answer (the link lands on the survey)
            return activation_mails(
                db,
                settings,
                member_id,
                title=title,
                subject=subject,
                template=f"emails/survey_{kind.value}_activate.txt",
                next_path=f"/surveys/{survey_id}",
                closes_at=closes_at,
                page=f"{base}/surveys/{survey_id}",
            )
        with i18n.using_locale(invitee.locale):
            translated = i18n.gettext(subject) % {"title": title}
        body = render_text(
            f"emails/survey_{kind.value}.txt",
            invitee.locale,
            base_url=base,
            name=invitee.name,
            title=title,
            closes_at=closes_at,
            link=f"{base}/surveys/{survey_id}",
            opt_out=f"{base}/me" if kind == REMINDER else "",
        )
        return [Outgoing(to=invitee.account_email, subject=translated, body=body)]

    return compose
