"""Paper signatures withdrawn in writing (issue 13, point 3).

A member who signed on a paper list may withdraw that signature in writing with the
office; staff of the unit record it here. The rules are those of an online withdrawal
(`motions.services.withdraw`): only until the deadline, holding the initiative open
against the deadline's decision (`services._take_open`), the live count changed in the
same transaction, and the audit log records *that* a signature was withdrawn and
by which staff member, never whose signature it was.

A member who also signed online (and has not withdrawn that) still counts once: only
the paper part goes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.errors import Forbidden, ValidationFailed
from app.core.i18n import N_
from app.organisations.models import Member
from motions import services
from motions.models import Signature

NUMBER_MAX: Final = 64
NOT_ON_PAPER: Final = N_(
    "This membership number has no paper signature on this initiative. Nothing was changed."
)
NO_NUMBER: Final = N_("Enter the membership number of the member who withdrew in writing.")


def withdraw_paper(
    session: Session,
    actor: Account | None,
    initiative_id: uuid.UUID,
    membership_number: str,
    *,
    now: datetime | None = None,
) -> int:
    """Staff record that a member withdrew their paper signature in writing; returns
    the live count afterwards.

    Raises:
        Forbidden: not staff of the initiative's unit (or above).
        services.Refused: signing is closed (deadline passed or decided).
        ValidationFailed: no membership number, or none with a paper signature here;
            nothing changes.
    """
    moment = now or utcnow()
    view = services.get_view(session, initiative_id)
    if not services.may_check(session, actor, view.unit) or actor is None:
        raise Forbidden
    number = membership_number.strip()
    if not number or len(number) > NUMBER_MAX:
        raise ValidationFailed({"number": NO_NUMBER})
    member_id = session.scalar(select(Member.id).where(Member.membership_number == number))
    # The lock first, as every change of the signatures: none after the deadline's count.
    taken = services._take_open(session, initiative_id, moment, 0)  # noqa: SLF001 - the one lock
    if not taken:
        session.rollback()
        raise services.Refused(services.NOT_SIGNING)
    mine = and_(Signature.initiative_id == initiative_id, Signature.member_id == member_id)
    done = session.execute(
        update(Signature)
        .where(mine, Signature.paper_at.is_not(None))
        .values(paper_at=None, paper_entered_by_id=None)
        .execution_options(synchronize_session=False)
    )
    if member_id is None or done.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ValidationFailed({"number": NOT_ON_PAPER})
    online = session.execute(select(Signature.online_at, Signature.withdrawn_at).where(mine)).one()
    if online.online_at is None or online.withdrawn_at is not None:
        services._count(session, initiative_id, -1)  # noqa: SLF001 - the one counter
    record_event(  # that a paper signature went, and who entered that; not whose it was
        session,
        "initiative:withdrawn",
        actor_id=actor.id,
        object_type="initiative",
        object_id=initiative_id,
        on_paper=True,
    )
    session.commit()
    return services.get_view(session, initiative_id).initiative.live_count
