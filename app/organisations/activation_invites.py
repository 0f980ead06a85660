"""Invitations with an activation link, for members who have no usable login yet.

A referendum or a survey invites every member of its audience; one who was imported from
the register and never activated an account gets, in the same mail, the link that sets
a password and then lands on the page of the vote or survey. The link stays valid until
that closes (at least a day). Nothing is linked here: the account becomes the member's
only when the link from the member's mailbox is used (`MemberAccess.offer_activation`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.core import i18n
from app.core.db import utcnow
from app.core.settings import Settings
from app.organisations.access import MemberAccess
from app.organisations.models import Member

MIN_VALID = timedelta(days=1)


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
    marker: dict[str, Any],
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
