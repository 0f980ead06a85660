"""Ending a vote: early close with a reason, "Ergebnis feststellen" and publication.

Counting (`ballots.services.tally_election`) computes the result; it is not yet
public. One commission member reviews the figures and states the result ("Ergebnis
feststellen"); a second, different commission member confirms the statement. Only a
confirmed statement publishes the result: before that the results page and the
election record answer 404 with their own message (`require_published`). Every step
and every refusal is in the audit log.

The early close runs the ballot core's close (which lets only commission members close
before ``closes_at``) and records the commission's reason in the same transaction.
"""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy.orm import Session

from app.accounts.models import Account, Role
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.i18n import N_
from ballots import errors, services
from ballots.models import Election, ElectionStatus
from ballots.services._common import election_unit, has_role
from referendums.commission.models import ResultStatement

REASON_MAX: Final = 1000


class ResultNotPublished(NotFound):
    message = N_(
        "The result has been counted but not yet stated and confirmed by the election "
        "commission. It is published as soon as a second commission member confirms it."
    )


class ResultNotCounted(Conflict):
    message = N_("The result can only be stated once it has been counted.")


class AlreadyStated(Conflict):
    message = N_("The result has already been stated.")


class NotStated(Conflict):
    message = N_("Nobody has stated the result yet: state it first.")


class AlreadyConfirmed(Conflict):
    message = N_("The result has already been stated and confirmed.")


class SameMemberConfirms(Conflict):
    message = N_(
        "You stated this result yourself. A second, different commission member must confirm it."
    )


def _require_commission(session: Session, account: Account, election: Election) -> None:
    if not has_role(session, account, Role.COMMISSION, election_unit(session, election)):
        raise errors.NotAllowed


def statement_of(session: Session, election_id: uuid.UUID) -> ResultStatement | None:
    return session.get(ResultStatement, election_id)


def is_published(session: Session, election: Election) -> bool:
    """Counted, stated and confirmed by two different commission members."""
    if election.status != ElectionStatus.TALLIED:
        return False
    statement = statement_of(session, election.id)
    return statement is not None and statement.is_confirmed


def require_published(session: Session, election_id: uuid.UUID) -> None:
    """Refuse (404, with its own message) to show a result that is not yet confirmed."""
    election = services.get_election(session, election_id)
    if election.status == ElectionStatus.TALLIED and not is_published(session, election):
        raise ResultNotPublished


def state_result(session: Session, election_id: uuid.UUID, account: Account) -> ResultStatement:
    """The first commission member states the counted result (not yet published)."""
    election = services.get_election(session, election_id)
    _require_commission(session, account, election)
    if election.status != ElectionStatus.TALLIED:
        raise ResultNotCounted
    if statement_of(session, election.id) is not None:
        raise AlreadyStated
    statement = ResultStatement(election_id=election.id, stated_by_id=account.id)
    session.add(statement)
    _commit_event(session, "result:stated", account, election)
    return statement


def confirm_result(session: Session, election_id: uuid.UUID, account: Account) -> ResultStatement:
    """A second, different commission member confirms: the result is published.

    The stating member's own confirmation is refused and the refusal audited.
    """
    election = services.get_election(session, election_id)
    _require_commission(session, account, election)
    statement = statement_of(session, election.id)
    if statement is None:
        raise NotStated
    if statement.is_confirmed:
        raise AlreadyConfirmed
    if statement.stated_by_id == account.id:
        _commit_event(session, "result:confirm_refused", account, election)
        raise SameMemberConfirms
    statement.confirmed_by_id, statement.confirmed_at = account.id, utcnow()
    _commit_event(session, "result:confirmed", account, election)
    return statement


def _commit_event(session: Session, action: str, account: Account, election: Election) -> None:
    """The result statement's audit event on the election, committed at once (a refusal
    too: the attempt stays in the log although nothing else changes)."""
    services.record_election_event(session, action, election.id, account)
    session.commit()


def close_early(
    session: Session, election_id: uuid.UUID, account: Account, reason: str, *, confirmed: bool
) -> Election:
    """A commission member closes the ballot box before its time, giving a reason.

    The reason goes into the audit log (it is the commission's own text: it should
    name no member). Closing itself is the ballot core's, which checks the role.
    """
    text = reason.strip()
    problems: dict[str, str] = {}
    if not text:
        problems["reason"] = N_("Give the reason for closing the vote early.")
    elif len(text) > REASON_MAX:
        problems["reason"] = N_("The reason may be at most 1000 characters long.")
    if not confirmed:
        problems["confirm"] = N_("Confirm that the vote is to be closed now.")
    if problems:
        raise ValidationFailed(problems)
    election = services.get_election(session, election_id)
    _require_commission(session, account, election)
    if election.status != ElectionStatus.OPEN:
        raise errors.WrongState(election.status.value)
    services.record_election_event(
        session, "election:close_early_reason", election.id, account, reason=text
    )
    # close_election commits the reason together with the close, or raises (no commit).
    return services.close_election(session, election.id, account)
