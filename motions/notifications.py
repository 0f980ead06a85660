"""Mails about initiatives (issue 13, point 6), queued in chunk tasks.

- a new admitted initiative (``admitted``): to the members of its unit and the units
  below with a login, unless they opted out (the link in every such mail, signed like
  the referendum reminders' link);
- success and failure at the deadline (``succeeded``, ``failed``), the board's adoption
  with its answer (``adopted``) and the Entscheid that follows when the board did not
  adopt (``referendum_due``): to the initiators and to every member whose signature
  counts (online and not withdrawn, or on paper), if they have a login.

Queued as the invitations to member votes are (``app.core.mail_batches``; a federal
initiative has ~46,000 signers and ~460,000 members to tell of it): the services
enqueue `notify_task` after their commit; it walks the recipients in member id order
(``keyset_fetch``), writes a chunk's markers (`InitiativeMailMarker`, UNIQUE per
initiative, kind and member) and sends ONE Celery message per chunk with the member
ids (`mail_chunk_task`), which reads the addresses and renders and sends each mail in
its own transaction that marks it done. So a rerun or a redelivered chunk never mails
anyone twice.

The initiatives' schedule (`run_mail_schedule`: beat's ``motions.tasks.tick_task`` and
``stimmwerk tick``) deletes markers whose chunk message the broker lost, then queues
again, for `REQUEUE_FOR` after each step, whatever of that step's mailing is missing:
the lost mails, mails the server refused or that failed after all retries (their
markers are given back), members who got a login since.
It first asks who is missing (`missing_members`, one statement with the walk's own
conditions): nobody, nearly always, and the run ends; up to a chunk (a refused mail
given back, a new login), and they are queued as that chunk; more (a step's first
queuing, lost chunks), and the run walks the list. The walk reads the whole list
(1.6-3.1 s for the 460,000 members of a federal initiative, `bench/initiative_mails.py`)
and ran every minute, though nearly always nobody was missing.

Privacy: who gets the outcome mail says who signed. Nothing outside the database and
the chunk's message (member ids only) ties a member to the mailing: the logs and the
retries carry counts and error types (``mail_batches``), no audit event is written per
chunk, and a mail holds only its recipient's own name and address beside the
initiative's public facts (title, count, threshold, the board's answer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sqlalchemy import CompoundSelect, Select, and_, exists, insert, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Account
from app.core import i18n
from app.core.celery import celery_app, enqueue_after_commit
from app.core.db import utcnow
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
from app.organisations.models import Member, MemberStatus, Unit
from motions.models import (
    Initiative,
    InitiativeMailMarker,
    InitiativeNoticeOptOut,
    InitiativeStatus,
    Initiator,
    Signature,
)

if TYPE_CHECKING:
    from motions.services import InitiativeView

log = logging.getLogger(__name__)
_PURPOSE: Final = b"stimmwerk/initiative-notice-opt-out/v1"
_SIG_BYTES: Final = 16
SUBJECTS: Final = {
    "admitted": N_("New members' initiative: %(title)s"),
    "succeeded": N_("Members' initiative reached its threshold: %(title)s"),
    "failed": N_("Members' initiative did not reach its threshold: %(title)s"),
    "adopted": N_("The board adopted the members' initiative: %(title)s"),
    "referendum_due": N_("A member referendum follows the initiative: %(title)s"),
}
_STANDS: Final = {
    # the states in which a kind's mail is still true (and still queued)
    "admitted": {InitiativeStatus.SIGNING},
    "succeeded": {
        InitiativeStatus.SUCCEEDED,
        InitiativeStatus.ADOPTED,
        InitiativeStatus.REFERENDUM_DUE,
        InitiativeStatus.REFERENDUM,
    },
    "failed": {InitiativeStatus.FAILED},
    "adopted": {InitiativeStatus.ADOPTED},
    "referendum_due": {InitiativeStatus.REFERENDUM_DUE, InitiativeStatus.REFERENDUM},
}
REQUEUE_FOR: Final = timedelta(days=2)
"""How long after a step the schedule queues what is missing of its mailing. Longer than
``mail_batches.LOST_AFTER`` and a chunk's retries (~5 min) by far, so a lost or finally
failed chunk is queued again; bounded, because each run asks the database who of the
mailing's list is missing (`missing_members`: one anti-join over the list, 0.1-0.35 s
for a federal notice of 460,000 members) and walks the list when more than a chunk are."""


def opt_out_token(secret_key: str, account_id: uuid.UUID) -> str:
    raw = account_id.bytes + _sig(secret_key, account_id)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _sig(secret_key: str, account_id: uuid.UUID) -> bytes:
    key = hashlib.sha256(_PURPOSE + secret_key.encode()).digest()
    return hmac.new(key, account_id.bytes, hashlib.sha256).digest()[:_SIG_BYTES]


def account_from_token(secret_key: str, token: str) -> uuid.UUID | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 16 + _SIG_BYTES:
        return None
    account_id = uuid.UUID(bytes=raw[:16])
    return account_id if hmac.compare_digest(raw[16:], _sig(secret_key, account_id)) else None


def opt_out(session: Session, account_id: uuid.UUID) -> None:
    if session.get(InitiativeNoticeOptOut, account_id) is None:
        session.add(InitiativeNoticeOptOut(account_id=account_id))
        session.commit()


def queue_admitted(session: Session, view: InitiativeView) -> None:
    enqueue_after_commit(session, notify_task, str(view.id), "admitted")


def queue_outcome(session: Session, view: InitiativeView, kind: str) -> None:
    enqueue_after_commit(session, notify_task, str(view.id), kind)


@celery_app.task(name="stimmwerk.motions.notify")  # type: ignore[untyped-decorator]
def notify_task(initiative_id: str, kind: str) -> None:
    """Queue a step's mails in chunks (after the step's commit)."""
    with get_runtime().database.session() as session:
        queued = send(session, uuid.UUID(initiative_id), kind)
    log.info("initiative mails kind=%s queued=%d", kind, queued)


def _marker(initiative_id: uuid.UUID, kind: str) -> Marker:
    """The markers of one initiative's mails of ``kind`` (a chunk task's argument)."""
    return chunk_marker(InitiativeMailMarker.__tablename__, initiative_id=initiative_id, kind=kind)


_COUNTED = or_(  # a signature that counts: on paper, or online and not withdrawn
    Signature.paper_at.is_not(None),
    and_(Signature.online_at.is_not(None), Signature.withdrawn_at.is_(None)),
)


def _candidates(
    initiative_id: uuid.UUID, unit_path: str, kind: str
) -> Callable[[int], Select[int]]:
    """The next `CHUNK` members of the kind's list after member id ``after``: the
    unit's active members (``admitted``), else the initiators and counted signers."""

    def members_after(last: int) -> Select[int]:
        return (
            select(Member.id)
            .join(Unit, Unit.id == Member.unit_id)
            .where(
                Unit.path.startswith(unit_path),
                Member.status == MemberStatus.ACTIVE,
                Member.id > last,
            )
            .order_by(Member.id)
            .limit(CHUNK)
        )

    def signers_after(last: int) -> Select[int]:
        initiators = select(Initiator.member_id.label("member_id")).where(
            Initiator.initiative_id == initiative_id, Initiator.member_id > last
        )
        signers = select(Signature.member_id.label("member_id")).where(
            Signature.initiative_id == initiative_id, Signature.member_id > last, _COUNTED
        )
        both = union(initiators, signers).subquery()
        return select(both.c.member_id).order_by(both.c.member_id).limit(CHUNK)

    return members_after if kind == "admitted" else signers_after


def missing_members(
    session: Session, initiative_id: uuid.UUID, unit_path: str, kind: str
) -> list[int] | None:
    """Who of the kind's list gets its mail and has no marker of it, in member id order,
    when at most `CHUNK` (all of them: the caller queues them as one chunk); None when
    more (the caller walks the list).

    One anti-join with the walk's own conditions: the list (`_candidates` without the
    keyset), the recipients (`_recipient_conditions`), no marker of the mailing. The
    schedule asks every minute for `REQUEUE_FOR`, and the walk (`keyset_fetch`) reads
    the whole list in chunks of `CHUNK` (1.6-3.1 s for the notice of a federal
    initiative, 460,000 members); members without a login are never marked, so the
    walk never gets shorter. This costs 0.1-0.2 s at that size when nobody is missing,
    up to ~0.35 s when one is at the end of the list (`bench/initiative_mails.py`): a
    refused mail given back, queued again every minute while the server refuses that
    address, costs no walk each time.
    The walk stays for more than a chunk (a step's first queuing, lost chunks), where
    asking again per chunk would read the marked part of the list every time.
    """
    listed: Select[int] | CompoundSelect[int]
    if kind == "admitted":
        listed = (
            select(Member.id)
            .join(Unit, Unit.id == Member.unit_id)
            .where(Unit.path.startswith(unit_path), Member.status == MemberStatus.ACTIVE)
        )
    else:
        listed = union(
            select(Initiator.member_id).where(Initiator.initiative_id == initiative_id),
            select(Signature.member_id).where(Signature.initiative_id == initiative_id, _COUNTED),
        )
    marked = exists().where(
        InitiativeMailMarker.initiative_id == initiative_id,
        InitiativeMailMarker.kind == kind,
        InitiativeMailMarker.member_id == Account.member_id,
    )
    query = (
        select(Account.member_id)
        .join(Member, Member.id == Account.member_id)
        .where(Account.member_id.in_(listed), *_recipient_conditions(kind), ~marked)
        .limit(CHUNK + 1)  # no ORDER BY: the plan of the question "anyone?"
    )
    found = sorted(int(m or 0) for m in session.scalars(query))
    return None if len(found) > CHUNK else found


class _Recipient(NamedTuple):
    member_id: int
    account_id: uuid.UUID
    email: str
    name: str
    locale: str


def _recipient_conditions(kind: str) -> list[ColumnElement[bool]]:
    """Who of a list gets the mail (on `Account` joined to its `Member`): an active
    member with a login (a password, not disabled) and, for the notice of a new
    initiative, not opted out."""
    conditions = [
        Account.is_disabled.is_(False),
        Account.password_hash.is_not(None),
        Member.status == MemberStatus.ACTIVE,
    ]
    if kind == "admitted":
        conditions.append(~exists().where(InitiativeNoticeOptOut.account_id == Account.id))
    return conditions


def _recipients(session: Session, kind: str, member_ids: list[int]) -> list[_Recipient]:
    """Those of ``member_ids`` who get the mail (`_recipient_conditions`)."""
    if not member_ids:
        return []
    query = (
        select(Account.member_id, Account.id, Account.email, Account.display_name, Account.locale)
        .join(Member, Member.id == Account.member_id)
        .where(Account.member_id.in_(member_ids), *_recipient_conditions(kind))
        .order_by(Account.member_id)
    )
    return [
        _Recipient(int(member_id or 0), account_id, email, name, locale)
        for member_id, account_id, email, name, locale in session.execute(query)
    ]


def _once(member_ids: list[int]) -> Callable[[], list[int]]:
    """A ``fetch`` for `queue_in_chunks` that returns ``member_ids`` once, then []."""
    chunks = [member_ids]
    return lambda: chunks.pop() if chunks else []


def send(session: Session, initiative_id: uuid.UUID, kind: str) -> int:
    """Queue the mails of ``kind`` for everyone due who has not had them: markers and one
    chunk task per transaction (``app.core.mail_batches``); how many were queued."""
    initiative = session.get(Initiative, initiative_id)
    unit = session.get(Unit, initiative.unit_id) if initiative else None
    if initiative is None or unit is None or kind not in SUBJECTS:
        session.rollback()
        return 0
    unit_path = unit.path
    marker = _marker(initiative_id, kind)

    def due() -> bool:
        current = session.get(Initiative, initiative_id, populate_existing=True)
        if current is None or current.status not in _STANDS[kind]:
            return False
        if single_line_problem(current.title):  # cannot be a subject: nothing is marked
            log.error("initiative %s: its title cannot go into a mail subject", initiative_id)
            return False
        return True

    def keep(member_ids: list[int]) -> list[int]:
        return [recipient.member_id for recipient in _recipients(session, kind, member_ids)]

    def mark(member_ids: list[int]) -> None:
        # one statement for the chunk's markers; a concurrent run's fails on UNIQUE
        session.execute(
            insert(InitiativeMailMarker),
            [{"initiative_id": initiative_id, "member_id": m, "kind": kind} for m in member_ids],
        )

    def after_chunk(member_ids: list[int]) -> None:
        enqueue_after_commit(session, mail_chunk_task, marker, member_ids)

    few = missing_members(session, initiative_id, unit_path, kind)
    if few == []:
        session.rollback()
        return 0
    fetch = (
        keyset_fetch(session, marker, _candidates(initiative_id, unit_path, kind), keep)
        if few is None
        else _once(few)
    )
    return queue_in_chunks(
        session, due=due, fetch=fetch, key=lambda m: m, mark=mark, after_chunk=after_chunk
    )


@celery_app.task(base=MailChunkTask, bind=True, name="stimmwerk.motions.mail_chunk")  # type: ignore[untyped-decorator]
def mail_chunk_task(task: MailChunkTask, marker: Marker, member_ids: list[int]) -> None:
    """Send one chunk of an initiative's mails (member ids only in the message:
    addresses and names are read here)."""
    task.run_for(marker, member_ids, _chunk)


def _chunk(
    session: Session, settings: Settings, where: dict[str, Any], ids: list[int]
) -> tuple[Marker, Compose]:
    """The chunk's mailing (``where`` checked: a UUID and a known kind) and its composer."""
    initiative_id, kind = uuid.UUID(str(where["initiative_id"])), str(where["kind"])
    if kind not in SUBJECTS:
        raise ValueError(f"not a kind of initiative mail: {kind!r}")
    return _marker(initiative_id, kind), _composer(session, settings, initiative_id, kind, ids)


def _composer(
    session: Session, settings: Settings, initiative_id: uuid.UUID, kind: str, ids: list[int]
) -> Callable[[Session, int], list[Outgoing]]:
    """Reads the initiative and the chunk's people once; the returned function renders
    one member's mail (none when the step no longer stands, or the member has lost the
    login or opted out since)."""
    initiative = session.get(Initiative, initiative_id)
    if initiative is None or initiative.status not in _STANDS[kind]:
        return lambda _session, _member_id: []
    title = initiative.title
    base = settings.base_url
    facts = {
        "title": title,
        "page": f"{base}/initiatives/{initiative_id}",
        "count": initiative.final_count,
        "threshold": initiative.threshold,
        "answer": initiative.board_answer or "",
    }
    recipients = {r.member_id: r for r in _recipients(session, kind, ids)}

    def compose(_db: Session, member_id: int) -> list[Outgoing]:
        recipient = recipients.get(member_id)
        if recipient is None:
            return []
        opt_out = ""
        if kind == "admitted":
            token = opt_out_token(settings.security.secret_key, recipient.account_id)
            opt_out = f"{base}/initiatives/notices/opt-out?token={token}"
        with i18n.using_locale(recipient.locale):
            subject = i18n.gettext(SUBJECTS[kind]) % {"title": title}
        body = render_text(
            f"emails/initiative_{kind}.txt",
            recipient.locale,
            base_url=base,
            name=recipient.name,
            opt_out=opt_out,
            **facts,
        )
        return [Outgoing(to=recipient.email, subject=subject, body=body)]

    return compose


# -- the schedule's pass ----------------------------------------------------------------------


def _steps_since(
    status: InitiativeStatus,
    opens_at: datetime | None,
    decided_at: datetime | None,
    board_decided_at: datetime | None,
    since: datetime,
) -> list[str]:
    """The kinds of mail of an initiative's steps taken at or after ``since``."""
    kinds = []
    if opens_at is not None and opens_at >= since and status in _STANDS["admitted"]:
        kinds.append("admitted")
    if decided_at is not None and decided_at >= since:
        kinds.extend(k for k in ("succeeded", "failed") if status in _STANDS[k])
    if board_decided_at is not None and board_decided_at >= since:
        kinds.extend(k for k in ("adopted", "referendum_due") if status in _STANDS[k])
    return kinds


def run_mail_schedule(session: Session, *, now: datetime | None = None) -> int:
    """Delete the markers of lost chunk messages, then queue again what is missing of
    the mailings of the steps taken in the last `REQUEUE_FOR`; how many were queued."""
    forget_lost(session, InitiativeMailMarker.__tablename__)
    since = (now or utcnow()) - REQUEUE_FOR
    rows = session.execute(
        select(
            Initiative.id,
            Initiative.status,
            Initiative.opens_at,
            Initiative.decided_at,
            Initiative.board_decided_at,
        ).where(
            or_(
                Initiative.opens_at >= since,
                Initiative.decided_at >= since,
                Initiative.board_decided_at >= since,
            )
        )
    ).all()
    session.rollback()
    queued = 0
    for initiative_id, status, opens_at, decided_at, board_decided_at in rows:
        for kind in _steps_since(status, opens_at, decided_at, board_decided_at, since):
            queued += send(session, initiative_id, kind)
    return queued
