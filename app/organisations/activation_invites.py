"""Invitations with an activation link, for members who have no usable login yet.

A referendum or a survey invites every member of its audience; one who was imported from
the register and never activated an account gets, in the same mail, the link that sets
a password and then lands on the page of the vote or survey. The link stays valid until
that closes (at least a day). Nothing is linked here: the account becomes the member's
only when the link from the member's mailbox is used (`MemberAccess.offer_activation`).

The chunk tasks that send these invitations (``app.core.mail_batches``) read the people
of a chunk once with `load_invitees` and render each activation mail with
`activation_mails` (the same code, its mail handed back instead of queued).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Account
from app.core import i18n
from app.core.db import utcnow
from app.core.mail import Marker, Outgoing, capturing_mail
from app.core.mail_batches import marker_table
from app.core.settings import Settings
from app.organisations.access import MemberAccess
from app.organisations.models import Member

MIN_VALID = timedelta(days=1)


@dataclass(frozen=True)
class Invitee:
    """What an invitation needs to know of one member (plain values: they outlive the
    transactions of a chunk)."""

    member_id: int
    register_email: str | None
    account_id: uuid.UUID | None = None
    account_email: str = ""
    name: str = ""
    locale: str = "de"
    can_log_in: bool = False
    disabled: bool = False
    has_password: bool = False
    reminders_off: bool = False


def load_invitees(session: Session, member_ids: Sequence[int]) -> dict[int, Invitee]:
    """The members of ``member_ids`` with their accounts, in one query (a chunk's)."""
    if not member_ids:
        return {}
    query = (
        select(
            Member.id,
            Member.email,
            Account.id,
            Account.email,
            Account.display_name,
            Account.locale,
            Account.is_disabled,
            Account.password_hash.is_not(None),
            Account.email_verified_at.is_not(None),
            Account.referendum_reminders_opt_out,
        )
        .outerjoin(Account, Account.member_id == Member.id)
        .where(Member.id.in_(list(member_ids)))
    )
    found: dict[int, Invitee] = {}
    for row in session.execute(query):
        member_id, register, account_id, email, name, locale, disabled, password, verified, off = (
            row
        )
        if account_id is None:
            found[member_id] = Invitee(member_id=member_id, register_email=register)
            continue
        found[member_id] = Invitee(
            member_id=member_id,
            register_email=register,
            account_id=account_id,
            account_email=email,
            name=name,
            locale=locale,
            can_log_in=bool(password and verified and not disabled),
            disabled=bool(disabled),
            has_password=bool(password),
            reminders_off=bool(off),
        )
    return found


class InviteeSql:
    """The fields of `Invitee` as SQL conditions on `Member` outer-joined to `Account`
    (never NULL: a member without an account is neither disabled nor able to log in),
    for a mailing's `_due` rule written again in SQL (`anyone_due`). Each such pair is
    checked to agree in every state (`tests/integration/test_invitee_sql.py`)."""

    disabled = Account.is_disabled.is_(True)
    has_password = Account.password_hash.is_not(None)
    can_log_in = and_(
        Account.password_hash.is_not(None),
        Account.email_verified_at.is_not(None),
        Account.is_disabled.is_(False),
    )
    reminders_off = Account.referendum_reminders_opt_out.is_(True)
    account_email = and_(Account.email.is_not(None), Account.email != "")
    register_email = and_(Member.email.is_not(None), Member.email != "")


def anyone_due(
    session: Session, marker: Marker, listed: Select[int], due: ColumnElement[bool]
) -> bool:
    """Whether anyone of ``listed`` (member ids) is ``due`` (`InviteeSql` terms) and has
    no marker of the mailing ``marker``: one statement.

    The schedule runs every minute while a vote or survey is open, and its walk
    (`app.core.mail_batches.keyset_fetch`) reads the whole roll in chunks each time
    (1.6-3.1 s at 460,000 members, `bench/initiative_mails.py`), though nearly always
    nobody is missing; members who can never be mailed are never marked, so the walk
    never gets shorter. The caller walks only when this says yes.
    """
    table, conditions = marker_table(marker)
    marked = exists().where(*conditions, table.c.member_id == Member.id)
    query = (
        select(Member.id)
        .outerjoin(Account, Account.member_id == Member.id)
        .where(Member.id.in_(listed), due, ~marked)
        .limit(1)
    )
    return session.execute(query).first() is not None


def keep_due(session: Session, due: Callable[[Invitee], bool]) -> Callable[[list[int]], list[int]]:
    """The ``keep`` of `app.core.mail_batches.keyset_fetch` for mailings to members:
    of a chunk's member ids, those whose invitee (`load_invitees`, one query) is
    ``due``, in their order."""

    def keep(member_ids: list[int]) -> list[int]:
        invitees = load_invitees(session, member_ids)
        return [m for m in member_ids if m in invitees and due(invitees[m])]

    return keep


def queue_activation_invitation(
    session: Session,
    settings: Settings,
    member: Member,
    *,
    title: str,
    subject: str,
    template: str,
    next_path: str,
    closes_at: datetime,
    marker: dict[str, Any] | None = None,
    **context: Any,
) -> str:
    """Queue the invitation with an activation link for ``member``; the outcome of
    `MemberAccess.offer_activation` (``"sent"``, ``"without_email"``, ``"disabled"``,
    ``"conflict"``, ``"already_active"``). ``subject`` is an msgid with ``%(title)s``,
    said in the default language (the member has no language setting yet); the template
    gets ``title``, ``closes_at``, ``link`` (the activation link), ``member_name`` and
    ``context``; ``marker`` is the sent-marker the mail deletes if it finally fails. The
    caller commits."""
    with i18n.using_locale(settings.default_locale):
        translated = i18n.gettext(subject) % {"title": title}
    return MemberAccess(session, settings).offer_activation(
        member,
        next_path=next_path,
        valid_for=max(closes_at - utcnow(), MIN_VALID),
        template=template,
        subject=translated,
        title=title,
        closes_at=closes_at,
        mail_marker=marker,
        **context,
    )


def activation_mails(
    session: Session, settings: Settings, member_id: int, **invitation: Any
) -> list[Outgoing]:
    """The mail(s) `queue_activation_invitation` would queue for ``member_id``, rendered
    and handed back (the link's token and a new account are written in ``session``);
    none when no link goes out (no address, a disabled login, an address that is another
    member's login). ``invitation``: the arguments of `queue_activation_invitation`."""
    member = session.get(Member, member_id)
    if member is None:
        return []
    with capturing_mail(session) as mails:
        queue_activation_invitation(session, settings, member, **invitation)
    return mails
