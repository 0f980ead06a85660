"""The referendum scheduler: one Celery beat task that moves elections along their window.

Every run (beat: every minute, ``app.core.celery``) looks at each election that is not
yet closed and does what is due, in this order:

1. ``keys`` and the cut-off has passed: freeze the voter roll (the engine opens only a
   frozen roll; the roll is "members at the cut-off", so freezing at the first run
   after the cut-off is what the rules ask for);
2. ``roll_frozen`` and the window has started: open the ballot box;
3. ``open`` and the window has ended: close the ballot box (the trustees then decrypt);
4. ``open``: send the invitation to every online member on the roll who has an
   account (once), and from 48 hours before closing ONE reminder to those who have not
   obtained a credential and did not opt out (once). A window that opened less than
   48 hours before its end gets no reminder (the invitation has just gone out).

An election whose ceremony is not finished when its window starts stays unopened
(the commission page shows the missing steps); nothing is opened after ``closes_at``.

Idempotent under concurrent runs: every step takes the election's row lock
(`ballots.services` do for their own steps; the mail step takes it itself), and the
UNIQUE sent-marker per (election, member, kind) stops a second run from mailing
anybody twice even if the locks were bypassed. Mails are queued as the surveys' are
(``app.core.mail_batches``): chunks of 500 members, each chunk's markers in one short
transaction and ONE Celery message with its member ids after the commit
(`mail_chunk_task`, which renders and sends the chunk's mails, each marked done in its
own transaction, so a chunk that runs again sends nobody's mail twice). Each run first
deletes the markers whose chunk message the broker lost (pending for
``mail_batches.LOST_AFTER``), so the same run queues those mails again.

Who gets mail: members on the frozen roll (online voters; postal voters get paper)
whose member record has an account that is not disabled; the address and language
are the account's. A member on the roll without a usable login (none yet, or not
activated) gets the invitation with an activation link that lands on the vote;
reminders go to usable logins only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Select, and_, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.core import i18n
from app.core.audit import record_event
from app.core.celery import celery_app, enqueue_after_commit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.inputs import single_line_problem
from app.core.mail import Marker, Outgoing
from app.core.mail_batches import (
    CHUNK,
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
from ballots import services
from ballots.manifest import format_time
from ballots.models import Election, ElectionStatus, RollEntry
from ballots.services._common import take_lock
from referendums.notifications.models import MailKind, ReferendumMailMarker

log = logging.getLogger(__name__)

REMINDER_BEFORE = timedelta(hours=48)
TICK_SECONDS = 60.0
_OPT_OUT_PURPOSE = b"stimmwerk/referendum-reminder-opt-out/v1"
_SIG_BYTES = 16

INVITATION_SUBJECT = N_("Voting is open: %(title)s")
REMINDER_SUBJECT = N_("Reminder: voting closes soon: %(title)s")


@dataclass
class TickReport:
    """What one run did (for logs and tests); election ids only, no personal data."""

    frozen: list[uuid.UUID] = field(default_factory=list)
    opened: list[uuid.UUID] = field(default_factory=list)
    closed: list[uuid.UUID] = field(default_factory=list)
    invitations: int = 0
    reminders: int = 0
    commission_mails: int = 0
    lost_mails: int = 0  # markers whose chunk message was lost, queued again


# -- the opt-out link ----------------------------------------------------------------------


def _signature(secret_key: str, account_id: uuid.UUID) -> bytes:
    key = hashlib.sha256(_OPT_OUT_PURPOSE + secret_key.encode()).digest()
    return hmac.new(key, account_id.bytes, hashlib.sha256).digest()[:_SIG_BYTES]


def opt_out_token(secret_key: str, account_id: uuid.UUID) -> str:
    """A link token that lets the mail's recipient switch reminders off without a login."""
    raw = account_id.bytes + _signature(secret_key, account_id)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def account_from_token(secret_key: str, token: str) -> uuid.UUID | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 16 + _SIG_BYTES:
        return None
    account_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _signature(secret_key, account_id)):
        return None
    return account_id


# -- the task --------------------------------------------------------------------------------


@celery_app.task(name="stimmwerk.referendums.tick")  # type: ignore[untyped-decorator]
def tick_task(now: str | None = None) -> None:
    """Beat entry point; ``now`` (ISO 8601) only for tests and manual catch-up runs."""
    runtime = get_runtime()
    moment = datetime.fromisoformat(now) if now else None
    with runtime.database.session() as session:
        report = run_schedule(session, runtime.settings, now=moment)
    log.info(
        "referendum tick frozen=%d opened=%d closed=%d invitations=%d reminders=%d",
        len(report.frozen),
        len(report.opened),
        len(report.closed),
        report.invitations,
        report.reminders,
    )


def run_schedule(
    session: Session, settings: Settings, *, now: datetime | None = None
) -> TickReport:
    """Do everything that is due at ``now`` for every election not yet closed."""
    moment = now or utcnow()
    report = TickReport()
    # Chunk messages the broker lost: their mails are queued again below.
    report.lost_mails = forget_lost(session, ReferendumMailMarker.__tablename__)
    pending = session.scalars(
        select(Election.id).where(
            Election.status.in_(
                [ElectionStatus.KEYS, ElectionStatus.ROLL_FROZEN, ElectionStatus.OPEN]
            )
        )
    ).all()
    for election_id in pending:
        try:
            _advance(session, settings, election_id, moment, report)
        except DomainError as error:  # another run got there first, or a rule said no
            session.rollback()
            log.info("referendum tick: election %s skipped (%s)", election_id, type(error).__name__)
    # Imported here: the commission package imports this module (its opt-out view).
    from referendums.commission.guidance import mail_all_due_steps

    report.commission_mails = mail_all_due_steps(session, settings, moment)
    return report


def _advance(
    session: Session,
    settings: Settings,
    election_id: uuid.UUID,
    moment: datetime,
    report: TickReport,
) -> None:
    election = services.get_election(session, election_id)
    if election.status == ElectionStatus.KEYS and moment >= election.cutoff_at:
        services.freeze_roll(session, election_id, None, now=moment)
        report.frozen.append(election_id)
        election = services.get_election(session, election_id)
    if (
        election.status == ElectionStatus.ROLL_FROZEN
        and election.opens_at <= moment < election.closes_at
    ):
        services.open_election(session, settings, election_id, None, now=moment)
        report.opened.append(election_id)
        election = services.get_election(session, election_id)
    if election.status != ElectionStatus.OPEN:
        return
    if moment >= election.closes_at:
        services.close_election(session, election_id, None, now=moment)
        report.closed.append(election_id)
        return
    report.invitations += send_mails(session, settings, election_id, MailKind.INVITATION, moment)
    reminder_from = election.closes_at - REMINDER_BEFORE
    # A window shorter than 48 hours gets the invitation only, not a reminder right after it.
    opened_before = election.opened_at is not None and election.opened_at < reminder_from
    if moment >= reminder_from and opened_before:
        report.reminders += send_mails(session, settings, election_id, MailKind.REMINDER, moment)


def _listed(election_id: uuid.UUID, kind: MailKind) -> Select[int]:
    """The kind's list: the roll's online voters; for the reminder only those without a
    credential."""
    query = select(RollEntry.member_id).where(
        RollEntry.election_id == election_id, RollEntry.postal.is_(False)
    )
    if kind == MailKind.REMINDER:
        query = query.where(RollEntry.credential_issued_on.is_(None))
    return query


def _candidates(election_id: uuid.UUID, kind: MailKind) -> Callable[[int], Select[int]]:
    """The next `CHUNK` members of the list after member id ``after`` (keyset, as for
    surveys: ``app.core.mail_batches.keyset_fetch``)."""

    def after(last: int) -> Select[int]:
        return (
            _listed(election_id, kind)
            .where(RollEntry.member_id > last)
            .order_by(RollEntry.member_id)
            .limit(CHUNK)
        )

    return after


def _due(kind: MailKind, invitee: Invitee) -> bool:
    """Invitation: a login that is not disabled (a usable one gets the mail, any other
    the activation link), or no account but an address in the register. Reminder: a
    login with a password that is not disabled and did not switch reminders off."""
    if invitee.disabled:
        return False
    if kind == MailKind.REMINDER:
        return invitee.has_password and not invitee.reminders_off
    if invitee.can_log_in:
        return bool(invitee.account_email)
    return bool(invitee.register_email)  # the activation link goes to the register's address


def _due_sql(kind: MailKind) -> ColumnElement[bool]:
    """`_due` in SQL, for `anyone_due` (the two are checked to agree in every state)."""
    if kind == MailKind.REMINDER:
        return and_(~InviteeSql.disabled, InviteeSql.has_password, ~InviteeSql.reminders_off)
    return and_(
        ~InviteeSql.disabled,
        or_(
            and_(InviteeSql.can_log_in, InviteeSql.account_email),
            and_(~InviteeSql.can_log_in, InviteeSql.register_email),
        ),
    )


def _marker(election_id: uuid.UUID, kind: MailKind) -> Marker:
    """The markers of one election's invitations or reminders (a chunk task's argument)."""
    return chunk_marker(
        ReferendumMailMarker.__tablename__, election_id=election_id, kind=kind.value
    )


def send_mails(
    session: Session,
    settings: Settings,
    election_id: uuid.UUID,
    kind: MailKind,
    moment: datetime,
) -> int:
    """Queue the invitation or reminder for everyone due who has not had it: markers and
    one chunk task per transaction (``app.core.mail_batches``); how many were queued."""
    del settings, moment  # the chunk task reads its own; markers take the wall clock

    def due() -> bool:
        take_lock(session, election_id)  # one run at a time per election
        election = services.get_election(session, election_id)
        if election.status != ElectionStatus.OPEN:
            return False
        if single_line_problem(election.title):  # cannot be a subject: nothing is marked
            log.error("election %s: its title cannot go into a mail subject", election_id)
            return False
        return True

    def mark(member_ids: list[int]) -> None:
        session.execute(
            insert(ReferendumMailMarker),
            [
                # sent_at: the wall clock (its default), the age of the chunk's message
                # for `forget_lost`, not the schedule's moment
                {"election_id": election_id, "member_id": m, "kind": kind.value}
                for m in member_ids
            ],
        )

    def after_chunk(member_ids: list[int]) -> None:
        record_event(
            session,
            f"referendum:{kind.value}s_sent",
            object_type="election",
            object_id=election_id,
            count=len(member_ids),
        )
        enqueue_after_commit(session, mail_chunk_task, _marker(election_id, kind), member_ids)

    listed = _listed(election_id, kind)
    if not anyone_due(session, _marker(election_id, kind), listed, _due_sql(kind)):
        session.rollback()
        return 0
    fetch = keyset_fetch(
        session,
        _marker(election_id, kind),
        _candidates(election_id, kind),
        keep_due(session, partial(_due, kind)),
    )
    return queue_in_chunks(
        session, due=due, fetch=fetch, key=lambda m: m, mark=mark, after_chunk=after_chunk
    )


@celery_app.task(base=MailChunkTask, bind=True, name="stimmwerk.referendums.mail_chunk")  # type: ignore[untyped-decorator]
def mail_chunk_task(task: MailChunkTask, marker: Marker, member_ids: list[int]) -> None:
    """Send one chunk of an election's invitations or reminders (member ids only in the
    message: addresses and names are read here)."""
    task.run_for(marker, member_ids, _chunk)


def _chunk(
    session: Session, settings: Settings, where: dict[str, Any], ids: list[int]
) -> tuple[Marker, Compose]:
    """The chunk's mailing (``where`` checked: a UUID and a kind) and its composer."""
    election_id, kind = uuid.UUID(str(where["election_id"])), MailKind(str(where["kind"]))
    return _marker(election_id, kind), _composer(session, settings, election_id, kind, ids)


def _composer(
    session: Session, settings: Settings, election_id: uuid.UUID, kind: MailKind, ids: list[int]
) -> Callable[[Session, int], list[Outgoing]]:
    """Reads the election and the chunk's people once; the returned function renders one
    member's mail (none when the vote is no longer open, the member no longer due, or
    for a reminder has a credential by now).

    A member without a usable login gets the invitation with an activation link that
    stays valid until the vote closes and, once the member has chosen a password and
    logged in, lands on the voting page (also in place of a reminder).
    """
    election = session.get(Election, election_id)
    if election is None or election.status != ElectionStatus.OPEN:
        return lambda _session, _member_id: []
    title, closes_at, fingerprint = election.title, election.closes_at, election.fingerprint
    invitees = load_invitees(session, ids)
    voted: set[int] = set()
    if kind == MailKind.REMINDER:
        voted = set(
            session.scalars(
                select(RollEntry.member_id).where(
                    RollEntry.election_id == election_id,
                    RollEntry.member_id.in_(ids),
                    RollEntry.credential_issued_on.is_not(None),
                )
            )
        )
    base = settings.base_url
    page = f"{base}/referendums/{election_id}"

    def compose(db: Session, member_id: int) -> list[Outgoing]:
        invitee = invitees.get(member_id)
        if invitee is None or member_id in voted or not _due(kind, invitee):
            return []
        if not invitee.can_log_in:
            return activation_mails(
                db,
                settings,
                member_id,
                title=title,
                subject=INVITATION_SUBJECT,
                template="emails/referendum_invitation_activate.txt",
                next_path=f"/referendums/{election_id}/vote",
                closes_at=closes_at,
                page=page,
                fingerprint=fingerprint or "",
            )
        context = {
            "name": invitee.name,
            "title": title,
            "closes_at": format_time(closes_at),
            "link": f"{page}/vote",
            "page": page,
            "fingerprint": fingerprint or "",
        }
        if kind == MailKind.REMINDER and invitee.account_id is not None:
            token = opt_out_token(settings.security.secret_key, invitee.account_id)
            context["opt_out"] = f"{base}/referendums/reminders/opt-out?token={token}"
        subject = INVITATION_SUBJECT if kind == MailKind.INVITATION else REMINDER_SUBJECT
        with i18n.using_locale(invitee.locale):
            translated = i18n.gettext(subject) % {"title": title}
        body = render_text(
            f"emails/referendum_{kind.value}.txt", invitee.locale, base_url=base, **context
        )
        return [Outgoing(to=invitee.account_email, subject=translated, body=body)]

    return compose
