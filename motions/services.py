"""The rules of a Mitgliederbegehren: starting, checking, signing, deadline, board, Entscheid.

Handlers parse and render; everything of consequence is decided, audited and committed
here. Who may do what (scoped to the initiative's unit and the units above it):

- members of the unit (their unit is the initiative's unit or below it) start, co-initiate
  and sign; guests and members elsewhere never sign;
- staff (``Role.STAFF``) check admissibility, enter paper lists and prepare the Entscheid;
- the election commission (``Role.COMMISSION``) checks the signatures: only it sees who
  signed (and the duplicates of paper and online); initiators, board and public see counts;
- the board of the unit itself (``Role.BOARD``) adopts a successful initiative or lets
  its response period pass.
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Select, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, aliased

from app.accounts.models import Account, Role, RoleAssignment
from app.core.audit import record_event
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.inputs import SINGLE_LINE_MESSAGE, shows_nothing, single_line_problem
from app.organisations import policies
from app.organisations.models import Member, MemberStatus, Unit
from motions import commitment
from motions import rules as rules_service
from motions.models import (
    COUNT_SHARDS,
    Initiative,
    InitiativeCount,
    InitiativeRules,
    InitiativeStatus,
    Initiator,
    Signature,
)

_OBJECT: Final = "initiative"
TITLE_MAX: Final = 200
TEXT_MAX: Final = 10_000
PAPER_MAX: Final = 2_000
"""Membership numbers per paper list entry (a district office's list fits many times)."""

NOT_A_MEMBER_HERE: Final = N_(
    "Only members of this unit can sign. Guests and members of other units may read and "
    "discuss the initiative."
)
ALREADY_SIGNED: Final = N_("You have already signed this initiative; it counts once.")
NOT_SIGNING: Final = N_("Signing is not open for this initiative (the deadline may have passed).")
NOT_SIGNED: Final = N_(
    "You have not signed this initiative online, so there is nothing to withdraw."
)
TOO_FEW_INITIATORS: Final = N_(
    "An initiative needs at least {minimum} initiators who have confirmed; it has {count}."
)


class Refused(Conflict):
    """The request was fine, but the initiative's state or the person refuses it."""

    status_code = 409


@dataclass(frozen=True, slots=True)
class InitiativeView:
    initiative: Initiative
    unit: Unit
    rules: InitiativeRules

    @property
    def id(self) -> uuid.UUID:
        return self.initiative.id

    @property
    def percent(self) -> float:
        """Progress against the threshold, 0-100 (capped for the bar)."""
        return _progress(self.initiative.live_count, self.initiative.threshold)


def _progress(count: int, threshold: int | None) -> float:
    if not threshold:
        return 0.0
    return min(100.0, 100.0 * count / threshold)


@dataclass(frozen=True, slots=True)
class LiveCount:
    """What the live count fragment shows (``templates/motions/_count.html``, which
    reads it both as ``i`` and as ``view``), read from one row."""

    id: uuid.UUID
    status: InitiativeStatus
    live_count: int
    threshold: int | None

    @property
    def percent(self) -> float:
        return _progress(self.live_count, self.threshold)


# Built once: visitors poll it.
_LIVE_COUNT = select(
    Initiative.id, Initiative.status, Initiative.live_count, Initiative.threshold
).where(Initiative.id == bindparam("initiative_id"))


def live_count(session: Session, initiative_id: uuid.UUID) -> LiveCount:
    """The public count of an initiative now: its counter plus its shards, one row read
    (no COUNT(*) over the signatures).

    Raises:
        NotFound: no such initiative, or one that is not public (a draft, one in check).
    """
    row = session.execute(_LIVE_COUNT, {"initiative_id": initiative_id}).one_or_none()
    if row is None or row.status not in PUBLIC:
        raise NotFound
    return LiveCount(*row)


# -- who may do what ----------------------------------------------------------------------------


def _paths(session: Session, account: Account | None, role: Role) -> list[str]:
    if account is None or account.is_disabled:
        return []
    return policies.scope_paths(session, account.id, {role})


def may_check(session: Session, account: Account | None, unit: Unit) -> bool:
    """Staff of the unit or above: admissibility, paper lists, preparing the Entscheid."""
    return policies.covers(_paths(session, account, Role.STAFF), unit)


def may_see_signers(session: Session, account: Account | None, unit: Unit) -> bool:
    """The election commission of the unit or above, and nobody else."""
    return policies.covers(_paths(session, account, Role.COMMISSION), unit)


def is_board(session: Session, account: Account | None, unit: Unit) -> bool:
    """The board of the initiative's own unit (a higher board does not answer for it)."""
    if account is None or account.is_disabled:
        return False
    found = session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.account_id == account.id,
            RoleAssignment.role == Role.BOARD,
            RoleAssignment.unit_id == unit.id,
        )
    )
    return found is not None


def member_of_unit(session: Session, account: Account | None, unit: Unit) -> Member | None:
    """The account's active member if it belongs to ``unit`` or a unit below it."""
    if account is None or account.is_disabled or account.member_id is None:
        return None
    member = session.get(Member, account.member_id)
    if member is None or not member.is_active:
        return None
    own = session.get(Unit, member.unit_id)
    return member if own is not None and unit.contains(own) else None


def _in_unit(session: Session, member: Member, unit: Unit) -> bool:
    own = session.get(Unit, member.unit_id)
    return own is not None and unit.contains(own)


# -- reading ------------------------------------------------------------------------------------


def get_view(session: Session, initiative_id: uuid.UUID) -> InitiativeView:
    row = session.execute(
        select(Initiative, Unit, InitiativeRules)
        .join(Unit, Unit.id == Initiative.unit_id)
        .join(InitiativeRules, InitiativeRules.id == Initiative.rules_id)
        .where(Initiative.id == initiative_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound
    return InitiativeView(*row)


def is_initiator(session: Session, account: Account | None, initiative: Initiative) -> bool:
    if account is None or account.member_id is None:
        return False
    return (
        session.scalar(
            select(Initiator.id).where(
                Initiator.initiative_id == initiative.id, Initiator.member_id == account.member_id
            )
        )
        is not None
    )


PUBLIC: Final = frozenset(
    {
        InitiativeStatus.SIGNING,
        InitiativeStatus.FAILED,
        InitiativeStatus.SUCCEEDED,
        InitiativeStatus.ADOPTED,
        InitiativeStatus.REFERENDUM_DUE,
        InitiativeStatus.REFERENDUM,
    }
)


def may_read(session: Session, account: Account | None, view: InitiativeView) -> bool:
    """Admitted initiatives are public; before that, the initiators and staff read them."""
    if view.initiative.status in PUBLIC:
        return True
    return is_initiator(session, account, view.initiative) or may_check(session, account, view.unit)


def readable(session: Session, initiative_id: uuid.UUID, account: Account | None) -> InitiativeView:
    view = get_view(session, initiative_id)
    if not may_read(session, account, view):
        raise NotFound
    return view


def may_read_subject(session: Session, account: Account | None, initiative_id: uuid.UUID) -> bool:
    """The discussion is as visible as the initiative (``app.discussions``)."""
    try:
        readable(session, initiative_id, account)
    except NotFound:
        return False
    return True


def list_public(session: Session) -> list[InitiativeView]:
    rows = session.execute(
        select(Initiative, Unit, InitiativeRules)
        .join(Unit, Unit.id == Initiative.unit_id)
        .join(InitiativeRules, InitiativeRules.id == Initiative.rules_id)
        .where(Initiative.status.in_(list(PUBLIC)))
        .order_by(Initiative.created_at.desc())
    )
    return [InitiativeView(*row) for row in rows]


def waiting_for_check(session: Session, account: Account | None) -> list[InitiativeView]:
    rows = session.execute(
        select(Initiative, Unit, InitiativeRules)
        .join(Unit, Unit.id == Initiative.unit_id)
        .join(InitiativeRules, InitiativeRules.id == Initiative.rules_id)
        .where(Initiative.status == InitiativeStatus.SUBMITTED)
        .order_by(Initiative.submitted_at)
    )
    return [InitiativeView(*row) for row in rows if may_check(session, account, row[1])]


def initiators(session: Session, initiative_id: uuid.UUID) -> list[tuple[Member, bool]]:
    """Initiators (public once admitted: they speak for the initiative) and whether confirmed."""
    rows = session.execute(
        select(Member, Initiator.confirmed_at)
        .join(Initiator, Initiator.member_id == Member.id)
        .where(Initiator.initiative_id == initiative_id)
        .order_by(Initiator.id)
    )
    return [(member, confirmed is not None) for member, confirmed in rows]


def own_signature(
    session: Session, account: Account | None, initiative_id: uuid.UUID
) -> Signature | None:
    if account is None or account.member_id is None:
        return None
    return session.scalar(
        select(Signature).where(
            Signature.initiative_id == initiative_id, Signature.member_id == account.member_id
        )
    )


# -- starting -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InitiativeDraft:
    unit_id: int
    title: str
    proposal: str
    reasons: str
    arguments_for: str = ""
    co_initiators: Sequence[str] = field(default_factory=tuple)
    """Membership numbers of the co-initiators (they confirm themselves)."""


def _text_errors(draft: InitiativeDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if shows_nothing(draft.title) or len(draft.title) > TITLE_MAX:
        errors["title"] = N_("Give a title of at most 200 characters.")
    elif single_line_problem(draft.title):  # the title is the subject of the members' mails
        errors["title"] = SINGLE_LINE_MESSAGE
    if shows_nothing(draft.proposal) or len(draft.proposal) > TEXT_MAX:
        errors["proposal"] = N_("State the proposed decision (at most 10,000 characters).")
    if shows_nothing(draft.reasons) or len(draft.reasons) > TEXT_MAX:
        errors["reasons"] = N_("Give the reasons (at most 10,000 characters).")
    if len(draft.arguments_for) > TEXT_MAX:
        errors["arguments_for"] = N_("The arguments may have at most 10,000 characters.")
    return errors


def start(
    session: Session,
    actor: Account,
    draft: InitiativeDraft,
    *,
    allowed_units: set[int] | None = None,
    now: datetime | None = None,
) -> Initiative:
    """A member starts an initiative in their unit (or a unit above their own).

    The starter is the first initiator, confirmed; each co-initiator is named by
    membership number and must be a member of the unit; they confirm on the page.

    Raises:
        ValidationFailed: a text is missing or too long, a co-initiator is unknown or
            not a member of the unit; nothing is stored.
    """
    moment = now or utcnow()
    unit = session.get(Unit, draft.unit_id)
    errors = _text_errors(draft)
    if unit is None or (allowed_units is not None and unit.id not in allowed_units):
        raise ValidationFailed({"unit_id": N_("Choose a unit.")})
    starter = member_of_unit(session, actor, unit)
    if starter is None:
        raise Forbidden(NOT_A_MEMBER_HERE)
    numbers = [n.strip() for n in draft.co_initiators if n.strip()]
    co_members: list[Member] = []
    for number in dict.fromkeys(numbers):
        member = session.scalar(select(Member).where(Member.membership_number == number))
        if member is None or not member.is_active or not _in_unit(session, member, unit):
            errors["co_initiators"] = N_(
                "A co-initiator's membership number is not a member of this unit."
            )
            errors["line"] = number
            break
        if member.id != starter.id:
            co_members.append(member)
    if errors:
        raise ValidationFailed(errors)
    rules = rules_service.effective(session, unit, moment.date())
    initiative = Initiative(
        unit_id=unit.id,
        rules_id=rules.id,
        title=draft.title.strip(),
        proposal=draft.proposal.strip(),
        reasons=draft.reasons.strip(),
        arguments_for=draft.arguments_for.strip(),
        started_by_id=actor.id,
        created_at=moment,
    )
    session.add(initiative)
    session.flush()
    session.add(Initiator(initiative_id=initiative.id, member_id=starter.id, confirmed_at=moment))
    for member in co_members:
        session.add(Initiator(initiative_id=initiative.id, member_id=member.id))
    record_event(
        session,
        "initiative:started",
        actor_id=actor.id,
        object_type=_OBJECT,
        object_id=initiative.id,
    )
    session.commit()
    return initiative


def confirm_initiator(
    session: Session, actor: Account, initiative_id: uuid.UUID, *, now: datetime | None = None
) -> None:
    """A named co-initiator confirms (only they can: their own member row)."""
    view = get_view(session, initiative_id)
    if view.initiative.status != InitiativeStatus.DRAFT:
        raise Refused(N_("This initiative has already been submitted."))
    row = None
    if actor.member_id is not None:
        row = session.scalar(
            select(Initiator).where(
                Initiator.initiative_id == initiative_id, Initiator.member_id == actor.member_id
            )
        )
    if row is None or member_of_unit(session, actor, view.unit) is None:
        raise NotFound
    if row.confirmed_at is None:
        row.confirmed_at = now or utcnow()
        record_event(
            session,
            "initiative:initiator_confirmed",
            actor_id=actor.id,
            object_type=_OBJECT,
            object_id=initiative_id,
        )
        session.commit()


def confirmed_initiators(session: Session, initiative_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count(Initiator.id)).where(
                Initiator.initiative_id == initiative_id, Initiator.confirmed_at.is_not(None)
            )
        )
        or 0
    )


def submit(
    session: Session, actor: Account, initiative_id: uuid.UUID, *, now: datetime | None = None
) -> Initiative:
    """The starter submits for the admissibility check once enough initiators confirmed.

    Raises:
        Refused: fewer confirmed initiators than the rules' minimum (nothing changes).
    """
    view = get_view(session, initiative_id)
    initiative = view.initiative
    if initiative.started_by_id != actor.id:
        raise NotFound
    if initiative.status != InitiativeStatus.DRAFT:
        raise Refused(N_("This initiative has already been submitted."))
    count = confirmed_initiators(session, initiative_id)
    if count < view.rules.min_initiators:
        raise Refused(TOO_FEW_INITIATORS, minimum=view.rules.min_initiators, count=count)
    initiative.status = InitiativeStatus.SUBMITTED
    initiative.submitted_at = now or utcnow()
    record_event(
        session,
        "initiative:submitted",
        actor_id=actor.id,
        object_type=_OBJECT,
        object_id=initiative.id,
    )
    session.commit()
    return initiative


# -- admissibility ------------------------------------------------------------------------------


def members_at(session: Session, unit: Unit, on: date) -> int:
    """Members of ``unit`` and the units below it on the day ``on`` (the reference date)."""
    joined = or_(Member.joined_on.is_(None), Member.joined_on <= on)
    still = or_(
        Member.status == MemberStatus.ACTIVE,
        and_(Member.left_on.is_not(None), Member.left_on > on),
    )
    return int(
        session.scalar(
            select(func.count(Member.id))
            .join(Unit, Unit.id == Member.unit_id)
            .where(Unit.path.startswith(unit.path), joined, still)
        )
        or 0
    )


def threshold_for(member_count: int, percent: int) -> int:
    """Signatures needed: ``percent`` % of the members, rounded up, at least one."""
    return max(1, math.ceil(member_count * percent / 100))


def _checked_submission(
    session: Session, actor: Account, initiative_id: uuid.UUID
) -> InitiativeView:
    view = get_view(session, initiative_id)
    if not may_check(session, actor, view.unit):
        raise Forbidden
    if view.initiative.status != InitiativeStatus.SUBMITTED:
        raise Refused(N_("This initiative is not waiting for the admissibility check."))
    return view


def admit(
    session: Session, actor: Account, initiative_id: uuid.UUID, *, now: datetime | None = None
) -> Initiative:
    """Staff admit it: signing opens now; the member count of today is the reference."""
    moment = now or utcnow()
    view = _checked_submission(session, actor, initiative_id)
    initiative = view.initiative
    initiative.status = InitiativeStatus.SIGNING
    initiative.checked_at = moment
    initiative.checked_by_id = actor.id
    initiative.opens_at = moment
    initiative.closes_at = moment + timedelta(days=view.rules.signing_days)
    initiative.reference_date = moment.date()
    initiative.member_count = members_at(session, view.unit, moment.date())
    initiative.threshold = threshold_for(initiative.member_count, view.rules.threshold_percent)
    session.add_all(
        InitiativeCount(initiative_id=initiative.id, shard=shard, signatures=0)
        for shard in range(COUNT_SHARDS)
    )
    record_event(
        session,
        "initiative:admitted",
        actor_id=actor.id,
        object_type=_OBJECT,
        object_id=initiative.id,
        member_count=initiative.member_count,
        threshold=initiative.threshold,
    )
    from motions import notifications  # the mails are queued in this transaction

    notifications.queue_admitted(session, view)
    session.commit()
    return initiative


def refuse(
    session: Session,
    actor: Account,
    initiative_id: uuid.UUID,
    reason: str,
    *,
    now: datetime | None = None,
) -> Initiative:
    """Staff find it inadmissible; the reason is recorded and shown on its page."""
    if shows_nothing(reason) or len(reason) > TEXT_MAX:
        raise ValidationFailed({"reason": N_("Give the reason why it is not admissible.")})
    view = _checked_submission(session, actor, initiative_id)
    initiative = view.initiative
    initiative.status = InitiativeStatus.REFUSED
    initiative.checked_at = now or utcnow()
    initiative.checked_by_id = actor.id
    initiative.refusal_reason = reason.strip()
    record_event(
        session,
        "initiative:refused",
        actor_id=actor.id,
        object_type=_OBJECT,
        object_id=initiative.id,
    )
    session.commit()
    return initiative


# -- signing ------------------------------------------------------------------------------------


def _open_for_signing(view: InitiativeView, moment: datetime) -> bool:
    initiative = view.initiative
    closes = initiative.closes_at
    return (
        initiative.status == InitiativeStatus.SIGNING
        and closes is not None
        and _aware(closes) > moment
    )


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _bump(session: Session, initiative_id: uuid.UUID, delta: int) -> None:
    """Change the initiative's own counter in the caller's transaction."""
    session.execute(
        update(Initiative)
        .where(Initiative.id == initiative_id)
        .values(signature_count=Initiative.signature_count + delta)
        .execution_options(synchronize_session=False)
    )


def _count(session: Session, initiative_id: uuid.UUID, delta: int) -> None:
    """Change the live count by ``delta`` in the caller's transaction: one of the
    initiative's shards, picked at random, so that signatures at the same moment
    rarely wait for each other (`InitiativeCount`). An initiative without shards
    (signing opened before they existed) keeps counting on its own row."""
    if delta == 0:
        return
    shard = secrets.randbelow(COUNT_SHARDS)
    changed = session.execute(
        _ADD_TO_SHARD,
        {"counted_initiative": initiative_id, "counted_shard": shard, "delta": delta},
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        _bump(session, initiative_id, delta)


def _take_open(session: Session, initiative_id: uuid.UUID, moment: datetime, delta: int) -> bool:
    """Hold the initiative open for signing and change the live count by ``delta``;
    False (nothing changed) once the deadline or the decision has come.

    Every change of the signatures holds the initiative's row with ``FOR KEY SHARE``
    (a new signature's foreign key holds it anyway). Holders do not wait for each
    other; the deadline's decision takes the row ``FOR UPDATE`` (`_decide`), which
    waits for every holder to commit and makes later ones wait for the decision: a
    change either commits before the count (and is in it) or finds the initiative
    decided (the condition is checked again on the row the decision wrote) and is
    rolled back. Online signing takes it as its last statement before the commit
    (`_commit_open`).

    A change of the count does both in one statement (`_COUNT_IF_OPEN`: the shard's
    UPDATE holds the initiative in its condition), one round trip fewer for every
    signature. When it changes nothing, signing has closed (the decision also
    deletes the shards) or the initiative has no shards; the two steps tell which.
    """
    if delta != 0:
        counted = session.execute(
            _COUNT_IF_OPEN,
            {
                "counted_initiative": initiative_id,
                "moment": moment,
                "counted_shard": secrets.randbelow(COUNT_SHARDS),
                "delta": delta,
            },
        )
        if counted.rowcount == 1:  # type: ignore[attr-defined]
            return True
    held = session.execute(_HOLD_OPEN, {"initiative_id": initiative_id, "moment": moment})
    if held.first() is None:
        return False
    _count(session, initiative_id, delta)
    return True


# Built once (as `_SIGNING_STATE`): every signature runs them. Core statements on the
# tables: the ORM's bulk paths cost more than the statements for these.
_INITIATIVES = cast("Table", Initiative.__table__)
_COUNTS = cast("Table", InitiativeCount.__table__)


def _held_open(initiative: str) -> Select[tuple[uuid.UUID]]:
    """The initiative's row, ``FOR KEY SHARE``, while it is open for signing at the
    parameter ``moment``. The parameter naming it is ``initiative``: inside an UPDATE
    of the shards, ``initiative_id`` is the shard's own column (reserved)."""
    return (
        select(_INITIATIVES.c.id)
        .where(
            _INITIATIVES.c.id == bindparam(initiative),
            _INITIATIVES.c.status == InitiativeStatus.SIGNING,
            _INITIATIVES.c.closes_at > bindparam("moment"),
        )
        .with_for_update(read=True, key_share=True)
    )


_HOLD_OPEN = _held_open("initiative_id")
_ADD_TO_SHARD = (
    update(_COUNTS)
    .where(
        _COUNTS.c.initiative_id == bindparam("counted_initiative"),
        _COUNTS.c.shard == bindparam("counted_shard"),
    )
    .values(signatures=_COUNTS.c.signatures + bindparam("delta"))
)
_COUNT_IF_OPEN = (
    update(_COUNTS)
    .where(
        _COUNTS.c.initiative_id == bindparam("counted_initiative"),
        _COUNTS.c.shard == bindparam("counted_shard"),
        _held_open("counted_initiative").exists(),
    )
    .values(signatures=_COUNTS.c.signatures + bindparam("delta"))
)


def _commit_open(session: Session, initiative_id: uuid.UUID, moment: datetime, delta: int) -> None:
    """The last step of an online signature or withdrawal: hold the initiative open
    (`_take_open`) with the count's change, then commit; everything rolled back if
    signing has closed meanwhile. The signature row and the audit event are written
    (flushed) first, so the shard's row lock is held for one UPDATE and the commit.
    """
    session.flush()  # the signature's writes before the lock, not under it
    if not _take_open(session, initiative_id, moment, delta):
        session.rollback()
        raise Refused(NOT_SIGNING)
    session.commit()


def _deadlocked(error: DBAPIError) -> bool:
    """PostgreSQL broke a deadlock by failing this transaction (SQLSTATE 40P01).

    Signing takes its member's signature row before the initiative's row; a paper list
    (`enter_paper`) takes them the other way round. Both at once for the same member
    deadlock; PostgreSQL fails one after a second, normally the signature, which is
    then tried again once (the paper list has committed by then)."""
    return getattr(error.orig, "sqlstate", None) == "40P01"


def sign(
    session: Session,
    actor: Account | None,
    initiative_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> Signature:
    """A member of the unit signs online, once.

    A second submission (also a concurrent double click) finds the unique row and is
    refused without changing anything; a member who withdrew may sign again.

    No audit event, as for a ballot or a survey answer: its exact time beside the
    signer's login event would tell every reader of the log (admins, staff) who signed,
    which is for the election commission only. The signature row is the record; the
    commission's viewing of the list is logged, and so is the count at the deadline.

    Raises:
        Forbidden: a guest, a member elsewhere, a member who left.
        Refused: signing is not open, or the member has already signed.
    """
    try:
        return _sign(session, actor, initiative_id, now or utcnow())
    except DBAPIError as error:
        if not _deadlocked(error):
            raise
        session.rollback()
        return _sign(session, actor, initiative_id, now or utcnow())


@dataclass(frozen=True, slots=True)
class _SigningState:
    status: InitiativeStatus
    closes_at: datetime | None
    unit_id: int
    member_id: int | None
    """The actor's member, if active and in the initiative's unit or below it."""

    def open_at(self, moment: datetime) -> bool:
        return (
            self.status == InitiativeStatus.SIGNING
            and self.closes_at is not None
            and _aware(self.closes_at) > moment
        )


_OWN_UNIT = aliased(Unit)
# Built once: every signature runs it, and constructing a select with an aliased join
# took longer than running it.
_SIGNING_STATE = (
    select(Initiative.status, Initiative.closes_at, Initiative.unit_id, Member.id, _OWN_UNIT.id)
    .join(Unit, Unit.id == Initiative.unit_id)
    .outerjoin(
        Member,
        and_(Member.id == bindparam("member_id"), Member.status == MemberStatus.ACTIVE),
    )
    .outerjoin(
        _OWN_UNIT, and_(_OWN_UNIT.id == Member.unit_id, _OWN_UNIT.path.startswith(Unit.path))
    )
    .where(Initiative.id == bindparam("initiative_id"))
)


def _signing_state(
    session: Session, actor: Account | None, initiative_id: uuid.UUID
) -> _SigningState:
    """What signing and withdrawing need, in one query without loading entities: the
    initiative's state and whether the actor is a member here (`member_of_unit`'s rule).

    Raises:
        NotFound: no such initiative.
    """
    member_id = None
    if actor is not None and not actor.is_disabled:
        member_id = actor.member_id
    row = session.execute(
        _SIGNING_STATE, {"member_id": member_id, "initiative_id": initiative_id}
    ).one_or_none()
    if row is None:
        raise NotFound
    status, closes_at, unit_id, found, own_unit = row
    return _SigningState(status, closes_at, unit_id, found if own_unit is not None else None)


def _sign(
    session: Session, actor: Account | None, initiative_id: uuid.UUID, moment: datetime
) -> Signature:
    state = _signing_state(session, actor, initiative_id)
    if state.member_id is None:
        raise Forbidden(NOT_A_MEMBER_HERE)
    if not state.open_at(moment):
        session.rollback()
        raise Refused(NOT_SIGNING)
    values = {
        "initiative_id": initiative_id,
        "member_id": state.member_id,
        "salt": secrets.token_hex(16),
        "online_at": moment,
    }
    try:
        # The first write of the transaction: a duplicate (also one committed by a
        # concurrent double click, which this waits for) fails here, and the rollback
        # loses nothing else.
        row_id = session.execute(_INSERT_SIGNATURE, values).scalar_one()
    except IntegrityError:
        session.rollback()
        return _sign_again(session, initiative_id, state, moment)
    _commit_open(session, initiative_id, moment, 1)
    # The row as written (not loaded again: the page only redirects).
    return Signature(id=row_id, **values)


_SIGNATURES = cast("Table", Signature.__table__)
_INSERT_SIGNATURE = insert(_SIGNATURES).returning(_SIGNATURES.c.id)


def _sign_again(
    session: Session, initiative_id: uuid.UUID, state: _SigningState, moment: datetime
) -> Signature:
    """The row exists: sign again after a withdrawal, or add online to a paper
    signature (counted once), else refuse and change nothing. Conditional updates,
    each locking the member's row, so two submissions of one member take turns; the
    paper date is read from the locked row."""
    member_id = state.member_id
    assert member_id is not None  # checked by the caller
    mine = and_(Signature.initiative_id == initiative_id, Signature.member_id == member_id)
    changed = session.execute(
        update(Signature)
        .where(mine, Signature.withdrawn_at.is_not(None))
        .values(withdrawn_at=None, online_at=moment)
        .returning(Signature.paper_at)
        .execution_options(synchronize_session=False)
    ).first()
    if changed is None:
        changed = session.execute(
            update(Signature)
            .where(mine, Signature.online_at.is_(None))
            .values(online_at=moment)
            .returning(Signature.paper_at)
            .execution_options(synchronize_session=False)
        ).first()
    if changed is None:
        session.rollback()
        raise Refused(ALREADY_SIGNED)
    # On paper already: it counted, and counts once (the commission sees both).
    _commit_open(session, initiative_id, moment, 0 if changed.paper_at is not None else 1)
    return _reload(session, initiative_id, member_id)


def _reload(session: Session, initiative_id: uuid.UUID, member_id: int) -> Signature:
    row = session.scalar(
        select(Signature)
        .where(Signature.initiative_id == initiative_id, Signature.member_id == member_id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def withdraw(
    session: Session,
    actor: Account | None,
    initiative_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> None:
    """Withdraw an online signature until the deadline (a paper signature stays:
    it is withdrawn in writing with the office that entered it)."""
    moment = now or utcnow()
    state = _signing_state(session, actor, initiative_id)
    if state.member_id is None:
        raise Forbidden(NOT_A_MEMBER_HERE)
    if not state.open_at(moment):
        session.rollback()
        raise Refused(NOT_SIGNING)
    mine = and_(Signature.initiative_id == initiative_id, Signature.member_id == state.member_id)
    done = session.execute(
        update(Signature)
        .where(mine, Signature.online_at.is_not(None), Signature.withdrawn_at.is_(None))
        .values(withdrawn_at=moment)
        .returning(Signature.paper_at)
        .execution_options(synchronize_session=False)
    ).first()
    if done is None:
        session.rollback()
        raise Refused(NOT_SIGNED)
    # A paper signature stays counted; an online one no longer counts.
    _commit_open(session, initiative_id, moment, 0 if done.paper_at is not None else -1)


@dataclass(frozen=True, slots=True)
class PaperResult:
    added: int
    duplicates: int
    """Already signed online or on an earlier list: counted once."""


NOT_IN_REGISTER: Final = N_(
    "A membership number on the list is not in the member register. Nothing was saved; "
    "correct the list and enter it again."
)
NOT_IN_UNIT: Final = N_(
    "A membership number on the list is not a member of this unit. Nothing was saved; "
    "correct the list and enter it again."
)


def _paper_members(session: Session, unit: Unit, numbers: list[str]) -> dict[str, Member]:
    """The members of a paper list, or the first wrong line refuses the whole list."""
    members = {
        m.membership_number: m
        for m in session.scalars(select(Member).where(Member.membership_number.in_(numbers)))
    }
    for line, number in enumerate(numbers, start=1):
        member = members.get(number)
        if member is None:
            raise ValidationFailed({"numbers": NOT_IN_REGISTER, "line": f"{line}: {number}"})
        if not member.is_active or not _in_unit(session, member, unit):
            raise ValidationFailed({"numbers": NOT_IN_UNIT, "line": f"{line}: {number}"})
    return members


def enter_paper(
    session: Session,
    actor: Account,
    initiative_id: uuid.UUID,
    numbers_text: str,
    *,
    now: datetime | None = None,
) -> PaperResult:
    """Staff enter a paper list: one membership number per line.

    All or nothing: a number not in the register, or of a member outside the unit,
    refuses the whole list with the line named, so the office can correct it.
    """
    moment = now or utcnow()
    view = get_view(session, initiative_id)
    if not may_check(session, actor, view.unit):
        raise Forbidden
    if not _open_for_signing(view, moment) or not _take_open(session, initiative_id, moment, 0):
        session.rollback()
        raise Refused(NOT_SIGNING)
    numbers = list(dict.fromkeys(n.strip() for n in numbers_text.splitlines() if n.strip()))
    if not numbers or len(numbers) > PAPER_MAX:
        raise ValidationFailed(
            {"numbers": N_("Enter one membership number per line (at most 2,000).")}
        )
    members = _paper_members(session, view.unit, numbers)
    added = duplicates = 0
    for number in numbers:
        member = members[number]
        existing = session.scalar(
            select(Signature)
            .where(Signature.initiative_id == initiative_id, Signature.member_id == member.id)
            .with_for_update()
        )
        if existing is None:
            session.add(
                Signature(
                    initiative_id=initiative_id,
                    member_id=member.id,
                    salt=secrets.token_hex(16),
                    paper_at=moment,
                    paper_entered_by_id=actor.id,
                )
            )
            added += 1
            continue
        if existing.paper_at is None:
            if not existing.counts:
                added += 1  # withdrew online, signed on paper: counts again
            else:
                duplicates += 1
            existing.paper_at = moment
            existing.paper_entered_by_id = actor.id
        else:
            duplicates += 1
    session.flush()
    _count(session, initiative_id, added)
    record_event(
        session,
        "initiative:paper_entered",
        actor_id=actor.id,
        object_type=_OBJECT,
        object_id=initiative_id,
        added=added,
        duplicates=duplicates,
    )
    session.commit()
    return PaperResult(added, duplicates)


@dataclass(frozen=True, slots=True)
class SignerRow:
    membership_number: str
    name: str
    online: bool
    paper: bool
    withdrawn: bool

    @property
    def duplicate(self) -> bool:
        return self.online and self.paper


def signers(session: Session, actor: Account | None, initiative_id: uuid.UUID) -> list[SignerRow]:
    """Who signed: for the election commission only."""
    view = get_view(session, initiative_id)
    if not may_see_signers(session, actor, view.unit):
        raise Forbidden
    record_event(  # reading who signed is itself on record
        session,
        "initiative:signers_viewed",
        actor_id=actor.id if actor else None,
        object_type=_OBJECT,
        object_id=initiative_id,
    )
    session.commit()
    rows = session.execute(
        select(Member, Signature)
        .join(Signature, Signature.member_id == Member.id)
        .where(Signature.initiative_id == initiative_id)
        .order_by(Member.membership_number)
    )
    return [
        SignerRow(
            member.membership_number,
            member.full_name,
            signature.online_at is not None,
            signature.paper_at is not None,
            signature.withdrawn_at is not None,
        )
        for member, signature in rows
    ]


def receipt(
    session: Session, account: Account | None, initiative_id: uuid.UUID
) -> dict[str, str] | None:
    """The signer's receipt, shown only to the signer while the signature counts: what
    they need to recompute their leaf themselves (membership number, salt, initiative,
    the recipe) and the leaf itself, to find in the list published at the deadline.

    The salt is what links the signer to their leaf: whoever holds the receipt can see
    that this member signed. The published list carries only leaves.
    """
    signature = own_signature(session, account, initiative_id)
    if signature is None or account is None or not signature.counts:
        return None
    member = session.get(Member, signature.member_id)
    assert member is not None
    item = commitment.leaf(initiative_id, member.membership_number, signature.salt)
    return {
        "initiative": str(initiative_id),
        "number": member.membership_number,
        "salt": signature.salt,
        "leaf": item.hex(),
        "recipe": commitment.RECIPE,
    }


# -- the deadline and the board ---------------------------------------------------------------


def _counted_leaves(session: Session, initiative_id: uuid.UUID) -> list[bytes]:
    rows = session.execute(
        select(Member.membership_number, Signature.salt)
        .join(Signature, Signature.member_id == Member.id)
        .where(
            Signature.initiative_id == initiative_id,
            or_(
                Signature.paper_at.is_not(None),
                and_(Signature.online_at.is_not(None), Signature.withdrawn_at.is_(None)),
            ),
        )
    )
    return [commitment.leaf(initiative_id, number, salt) for number, salt in rows]


def published_list(session: Session, initiative_id: uuid.UUID) -> dict[str, Any]:
    """The published signature list (leaves, root, count): only after the deadline.

    Root and count are the ones fixed at the deadline (the page shows the same root):
    a signature changed in the database afterwards makes the list fail its checks for
    everyone who checks it, instead of giving a new root that agrees with the change.
    """
    view = get_view(session, initiative_id)
    initiative = view.initiative
    if initiative.decided_at is None:
        raise NotFound
    leaves = _counted_leaves(session, initiative_id)
    return commitment.published(
        initiative_id, leaves, initiative.final_count or 0, root=initiative.commitment_root
    )


@dataclass
class TickReport:
    decided: list[uuid.UUID] = field(default_factory=list)
    referendum_due: list[uuid.UUID] = field(default_factory=list)


def run_deadlines(session: Session, *, now: datetime | None = None) -> TickReport:
    """Decide every initiative whose signing window has closed, and move successful ones
    whose board period ended without adoption on to the Entscheid. Idempotent: each
    step is a conditional update on the state, so overlapping runs do it once."""
    moment = now or utcnow()
    report = TickReport()
    due = session.scalars(
        select(Initiative.id).where(
            Initiative.status == InitiativeStatus.SIGNING, Initiative.closes_at <= moment
        )
    ).all()
    for initiative_id in due:
        if _decide(session, initiative_id, moment):
            report.decided.append(initiative_id)
    passed = session.scalars(
        select(Initiative.id).where(
            Initiative.status == InitiativeStatus.SUCCEEDED, Initiative.board_deadline <= moment
        )
    ).all()
    for initiative_id in passed:
        taken = session.execute(
            update(Initiative)
            .where(Initiative.id == initiative_id, Initiative.status == InitiativeStatus.SUCCEEDED)
            .values(status=InitiativeStatus.REFERENDUM_DUE, board_decided_at=moment)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            continue
        record_event(
            session, "initiative:referendum_due", object_type=_OBJECT, object_id=initiative_id
        )
        from motions import notifications

        notifications.queue_outcome(session, get_view(session, initiative_id), "referendum_due")
        session.commit()
        report.referendum_due.append(initiative_id)
    return report


def _decide(session: Session, initiative_id: uuid.UUID, moment: datetime) -> bool:
    """Count at the deadline: no signature change lands after the count (`_take_open`).

    The conditional update takes the row first (on SQLite: the database's write lock);
    ``FOR UPDATE`` then waits for every change holding the row ``FOR KEY SHARE`` and
    makes later ones wait until this commits. The shards are folded into the count.
    """
    taken = session.execute(
        update(Initiative)
        .where(Initiative.id == initiative_id, Initiative.status == InitiativeStatus.SIGNING)
        .values(decided_at=moment)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return False
    session.execute(select(Initiative.id).where(Initiative.id == initiative_id).with_for_update())
    view = get_view(session, initiative_id)
    initiative = view.initiative
    leaves = _counted_leaves(session, initiative_id)
    count = len(leaves)
    threshold = initiative.threshold or 0
    initiative.final_count = count
    initiative.signature_count = count
    session.execute(delete(InitiativeCount).where(InitiativeCount.initiative_id == initiative_id))
    initiative.commitment_root = commitment.published(initiative_id, leaves, count)["root"]
    if count >= threshold:
        initiative.status = InitiativeStatus.SUCCEEDED
        initiative.board_deadline = moment + timedelta(days=view.rules.board_days)
    else:
        initiative.status = InitiativeStatus.FAILED
    action = "initiative:succeeded" if count >= threshold else "initiative:failed"
    record_event(
        session,
        action,
        object_type=_OBJECT,
        object_id=initiative_id,
        count=count,
        threshold=threshold,
        root=initiative.commitment_root,
    )
    from motions import notifications

    notifications.queue_outcome(session, view, initiative.status.value)
    session.commit()
    return True


def adopt(
    session: Session,
    actor: Account,
    initiative_id: uuid.UUID,
    answer: str,
    *,
    now: datetime | None = None,
) -> Initiative:
    """The board of the unit adopts the initiative within its response period."""
    moment = now or utcnow()
    view = get_view(session, initiative_id)
    if not is_board(session, actor, view.unit):
        raise Forbidden
    initiative = view.initiative
    deadline = initiative.board_deadline
    if (
        initiative.status != InitiativeStatus.SUCCEEDED
        or deadline is None
        or _aware(deadline) <= moment
    ):
        raise Refused(N_("The board's response period for this initiative is not running."))
    if len(answer) > TEXT_MAX:
        raise ValidationFailed({"answer": N_("The answer may have at most 10,000 characters.")})
    initiative.status = InitiativeStatus.ADOPTED
    initiative.board_decided_at = moment
    initiative.board_answer = answer.strip()
    record_event(
        session,
        "initiative:adopted",
        actor_id=actor.id,
        object_type=_OBJECT,
        object_id=initiative.id,
    )
    from motions import notifications

    notifications.queue_outcome(session, view, "adopted")
    session.commit()
    return initiative
