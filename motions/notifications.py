"""Mails about initiatives (issue 13, point 6), sent in batches by a Celery task.

- a new admitted initiative: to the members of its unit with a login, unless they
  opted out (the link in every such mail, signed like the referendum reminders' link);
- success, failure, the board's adoption and the Entscheid: to initiators and signers.

The services only enqueue the task (after their commit); the task mails in chunks of
500, one marker row per account and kind, so a rerun never mails anyone twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import uuid
from typing import TYPE_CHECKING, Final

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core import i18n
from app.core.celery import celery_app, enqueue_after_commit
from app.core.i18n import N_
from app.core.mail import queue_mail
from app.core.runtime import get_runtime
from app.core.settings import Settings
from app.core.templating import render_text
from app.organisations.models import Member, MemberStatus, Unit
from motions.models import (
    Initiative,
    InitiativeMailMarker,
    InitiativeNoticeOptOut,
    Initiator,
    Signature,
)

if TYPE_CHECKING:
    from motions.services import InitiativeView

log = logging.getLogger(__name__)
_CHUNK: Final = 500
_PURPOSE: Final = b"stimmwerk/initiative-notice-opt-out/v1"
_SIG_BYTES: Final = 16
SUBJECTS: Final = {
    "admitted": N_("New members' initiative: %(title)s"),
    "succeeded": N_("Members' initiative reached its threshold: %(title)s"),
    "failed": N_("Members' initiative did not reach its threshold: %(title)s"),
    "adopted": N_("The board adopted the members' initiative: %(title)s"),
    "referendum_due": N_("A member referendum follows the initiative: %(title)s"),
}


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
    runtime = get_runtime()
    with runtime.database.session() as session:
        sent = send(session, runtime.settings, uuid.UUID(initiative_id), kind)
    log.info("initiative mails kind=%s sent=%d", kind, sent)


def _recipients(
    session: Session, initiative: Initiative, unit: Unit, kind: str, after: uuid.UUID | None
) -> list[Account]:
    """The next chunk due, after the account ``after`` (keyset: each chunk starts where
    the last ended instead of skipping every account marked so far, which made a
    federal initiative's 460,000 notices quadratic)."""
    already = exists().where(
        InitiativeMailMarker.initiative_id == initiative.id,
        InitiativeMailMarker.account_id == Account.id,
        InitiativeMailMarker.kind == kind,
    )
    query = (
        select(Account)
        .join(Member, Member.id == Account.member_id)
        .where(
            Account.is_disabled.is_(False),
            Account.password_hash.is_not(None),
            Member.status == MemberStatus.ACTIVE,
            ~already,
        )
        .order_by(Account.id)
        .limit(_CHUNK)
    )
    if after is not None:
        query = query.where(Account.id > after)
    if kind == "admitted":
        opted_out = exists().where(InitiativeNoticeOptOut.account_id == Account.id)
        query = query.join(Unit, Unit.id == Member.unit_id).where(
            Unit.path.startswith(unit.path), ~opted_out
        )
    else:
        initiator = exists().where(
            Initiator.initiative_id == initiative.id, Initiator.member_id == Member.id
        )
        signer = exists().where(
            Signature.initiative_id == initiative.id,
            Signature.member_id == Member.id,
            or_(  # counted: on paper, or online and not withdrawn
                Signature.paper_at.is_not(None),
                and_(Signature.online_at.is_not(None), Signature.withdrawn_at.is_(None)),
            ),
        )
        query = query.where(or_(initiator, signer))
    return list(session.scalars(query))


def send(session: Session, settings: Settings, initiative_id: uuid.UUID, kind: str) -> int:
    """Queue the mails of ``kind`` for everyone due who has not had it; return how many."""
    sent = 0
    after: uuid.UUID | None = None
    while True:
        initiative = session.get(Initiative, initiative_id)
        unit = session.get(Unit, initiative.unit_id) if initiative else None
        if initiative is None or unit is None or kind not in SUBJECTS:
            return sent
        batch = _recipients(session, initiative, unit, kind, after)
        if not batch:
            session.rollback()
            return sent
        for account in batch:
            session.add(
                InitiativeMailMarker(initiative_id=initiative_id, account_id=account.id, kind=kind)
            )
            _queue(session, settings, initiative, account, kind)
        after = batch[-1].id
        try:
            session.commit()
        except IntegrityError:  # a concurrent run marked someone first
            session.rollback()
            return sent
        sent += len(batch)


def _queue(
    session: Session, settings: Settings, initiative: Initiative, account: Account, kind: str
) -> None:
    base = settings.base_url
    context = {
        "name": account.display_name,
        "title": initiative.title,
        "page": f"{base}/initiatives/{initiative.id}",
        "count": initiative.final_count,
        "threshold": initiative.threshold,
        "answer": initiative.board_answer or "",
        "opt_out": "",
    }
    if kind == "admitted":
        token = opt_out_token(settings.security.secret_key, account.id)
        context["opt_out"] = f"{base}/initiatives/notices/opt-out?token={token}"
    with i18n.using_locale(account.locale):
        subject = i18n.gettext(SUBJECTS[kind]) % {"title": initiative.title}
    body = render_text(f"emails/initiative_{kind}.txt", account.locale, base_url=base, **context)
    queue_mail(session, to=account.email, subject=subject, body=body)
