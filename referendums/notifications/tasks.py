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
anybody twice even if the locks were bypassed. Mails are queued after the commit that
wrote their markers (`app.core.mail.queue_mail`).

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core import i18n
from app.core.audit import record_event
from app.core.celery import celery_app
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.mail import queue_mail
from app.core.runtime import get_runtime
from app.core.settings import Settings
from app.core.templating import render_text
from app.organisations.access import MemberAccess
from app.organisations.models import Member
from ballots import services
from ballots.manifest import format_time
from ballots.models import Election, ElectionStatus, RollEntry
from ballots.services._common import take_lock
from referendums.notifications.models import MailKind, ReferendumMailMarker

log = logging.getLogger(__name__)

REMINDER_BEFORE = timedelta(hours=48)
TICK_SECONDS = 60.0
_CHUNK = 500
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


def _recipients(
    session: Session, election_id: uuid.UUID, kind: MailKind
) -> list[tuple[int, Account | None]]:
    already = exists().where(
        ReferendumMailMarker.election_id == election_id,
        ReferendumMailMarker.member_id == RollEntry.member_id,
        ReferendumMailMarker.kind == kind.value,
    )
    query = (
        select(RollEntry.member_id, Account)
        .outerjoin(Account, Account.member_id == RollEntry.member_id)
        .join(Member, Member.id == RollEntry.member_id)
        .where(RollEntry.election_id == election_id, RollEntry.postal.is_(False), ~already)
        .order_by(RollEntry.member_id)
        .limit(_CHUNK)
    )
    if kind == MailKind.REMINDER:
        query = query.where(
            Account.is_disabled.is_(False),
            Account.password_hash.is_not(None),
            RollEntry.credential_issued_on.is_(None),
            Account.referendum_reminders_opt_out.is_(False),
        )
    else:
        # Members without a (usable) login are invited too: their mail holds an
        # activation link that lands on the vote (app.organisations.access).
        has_address = and_(Member.email.is_not(None), Member.email != "")
        query = query.where(
            or_(Account.is_disabled.is_(False), and_(Account.id.is_(None), has_address))
        )
    return [(member_id, account) for member_id, account in session.execute(query).all()]


def send_mails(
    session: Session,
    settings: Settings,
    election_id: uuid.UUID,
    kind: MailKind,
    moment: datetime,
) -> int:
    """Queue the invitation or reminder for everyone due who has not had it; return how many."""
    sent = 0
    # A mail that fails gives its marker back (app.core.mail) and is retried by the next
    # run, not by this one: without this, a refusing server would be asked forever.
    tried: set[int] = set()
    while True:
        take_lock(session, election_id)  # one run at a time per election
        election = services.get_election(session, election_id)
        if election.status != ElectionStatus.OPEN:
            session.rollback()
            return sent
        batch = [row for row in _recipients(session, election_id, kind) if row[0] not in tried]
        tried.update(member_id for member_id, _ in batch)
        if not batch:
            session.rollback()
            return sent
        for member_id, account in batch:
            session.add(
                ReferendumMailMarker(
                    election_id=election_id, member_id=member_id, kind=kind.value, sent_at=moment
                )
            )
            if account is None or not account.can_log_in:
                _queue_activation(session, settings, election, member_id)
            else:
                _queue(session, settings, election, account, kind)
        record_event(
            session,
            f"referendum:{kind.value}s_sent",
            object_type="election",
            object_id=election_id,
            count=len(batch),
        )
        try:
            session.commit()
        except IntegrityError:  # a concurrent run marked someone first: its mails stand
            session.rollback()
            return sent
        sent += len(batch)


def _queue_activation(
    session: Session, settings: Settings, election: Election, member_id: int
) -> None:
    """The invitation for a member without a usable login: activate, then vote.

    The activation link stays valid until the vote closes and, once the member has
    chosen a password and logged in, lands on the voting page.
    """
    member = session.get(Member, member_id)
    if member is None:
        return
    base = settings.base_url
    with i18n.using_locale(settings.default_locale):
        subject = i18n.gettext(INVITATION_SUBJECT) % {"title": election.title}
    valid_for = max(election.closes_at - utcnow(), timedelta(days=1))
    MemberAccess(session, settings).offer_activation(
        member,
        next_path=f"/referendums/{election.id}/vote",
        valid_for=valid_for,
        template="emails/referendum_invitation_activate.txt",
        subject=subject,
        title=election.title,
        closes_at=format_time(election.closes_at),
        page=f"{base}/referendums/{election.id}",
        fingerprint=election.fingerprint or "",
        mail_marker=_marker(election, member_id, MailKind.INVITATION),
    )


def _marker(election: Election, member_id: int | None, kind: MailKind) -> dict[str, Any]:
    """The sent-marker a mail deletes if it finally fails: the next run retries."""
    return {
        "table": ReferendumMailMarker.__tablename__,
        "where": {"election_id": str(election.id), "member_id": member_id, "kind": kind.value},
    }


def _queue(
    session: Session, settings: Settings, election: Election, account: Account, kind: MailKind
) -> None:
    base = settings.base_url
    context = {
        "name": account.display_name,
        "title": election.title,
        "closes_at": format_time(election.closes_at),
        "link": f"{base}/referendums/{election.id}/vote",
        "page": f"{base}/referendums/{election.id}",
        "fingerprint": election.fingerprint or "",
    }
    if kind == MailKind.REMINDER:
        token = opt_out_token(settings.security.secret_key, account.id)
        context["opt_out"] = f"{base}/referendums/reminders/opt-out?token={token}"
    subject = INVITATION_SUBJECT if kind == MailKind.INVITATION else REMINDER_SUBJECT
    with i18n.using_locale(account.locale):
        translated = i18n.gettext(subject) % {"title": election.title}
    body = render_text(
        f"emails/referendum_{kind.value}.txt", account.locale, base_url=base, **context
    )
    marker = _marker(election, account.member_id, kind)
    queue_mail(session, to=account.email, subject=translated, body=body, marker=marker)
