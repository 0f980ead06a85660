"""What each commission member has to do next: the task list and the mails for due steps.

One function, `election_tasks`, says which steps are due for one account in one
election (a trustee's ceremony step, the backup test before voting opens, the
decryption after the close, the postal entry and its confirmation, counting, stating
and confirming the result). The dashboard lists them (`tasks_for`), the commission
page polls while nothing is due for the viewer (`page_signature`), and the scheduler
mails each due step once (`mail_due_steps`, one `CommissionStepMail` per election,
account and step; ceremony steps carry the round, so a restarted ceremony mails again).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Account, Role, RoleAssignment
from app.core import i18n
from app.core.db import utcnow
from app.core.i18n import N_
from app.core.mail import queue_mail
from app.core.settings import Settings
from app.core.templating import render_text
from app.organisations.models import Unit
from ballots import services
from ballots.models import Election, ElectionStatus, PostalResult
from ballots.services._common import election_unit, has_role
from referendums.commission.api import decrypted_by, next_step
from referendums.commission.backups import current_backups
from referendums.commission.models import CommissionStepMail, ResultStatement

log = logging.getLogger(__name__)

TASK_TEXTS: Final = {
    "register": N_("Key ceremony: create and register your sealing key"),
    "deal": N_("Key ceremony: deal your shares"),
    "check": N_("Key ceremony: check your shares and save the backup of your key share"),
    "test_backup": N_("Test your backup in another browser before voting opens"),
    "decrypt": N_("The vote is closed: decrypt your part of the result"),
    "postal_enter": N_("Enter the counted postal votes"),
    "postal_confirm": N_("Confirm the postal votes entered by another commission member"),
    "count": N_("Count the result"),
    "state_result": N_("Review the counted result and state it (Ergebnis feststellen)"),
    "confirm_result": N_("Confirm the result stated by another commission member"),
}
MAILED: Final = frozenset(TASK_TEXTS) - {"test_backup"}
"""Steps that get a mail when due (the backup test is offered on the page and the list)."""
CEREMONY_STEPS: Final = frozenset({"register", "deal", "check"})
MAIL_SUBJECT: Final = N_('Your step in the vote "%(title)s" is due')


@dataclass(frozen=True, slots=True)
class Task:
    election_id: uuid.UUID
    title: str
    key: str

    @property
    def text(self) -> str:
        return TASK_TEXTS[self.key]

    @property
    def url(self) -> str:
        return f"/referendums/{self.election_id}/commission"


def _postal(session: Session, election: Election) -> PostalResult | None:
    return session.scalar(select(PostalResult).where(PostalResult.election_id == election.id))


def _trustee_tasks(session: Session, election: Election, index: int) -> list[str]:
    step = next_step(session, election, index)
    if step in CEREMONY_STEPS:
        return [step]
    if step == "decrypt":
        # The postal line is confirmed before anyone decrypts (it is bound into the proofs).
        postal = _postal(session, election)
        waiting = bool(election.postal_count) and not (postal and postal.is_confirmed)
        return [] if waiting else [step]
    before_opening = election.status in {ElectionStatus.KEYS, ElectionStatus.ROLL_FROZEN}
    backup = current_backups(session, election).get(index)
    if before_opening and backup is not None and backup.tested_at is None:
        return ["test_backup"]
    return []


def _closed_tasks(session: Session, election: Election, account: Account) -> list[str]:
    postal = _postal(session, election)
    if election.postal_count:
        # Record §7.3: where trustees sign the postal line, only they can enter it.
        signed = any(t.signing_public_key for t in election.trustees)
        if signed and not any(t.account_id == account.id for t in election.trustees):
            return []
        if postal is None:
            return ["postal_enter"]
        if not postal.is_confirmed:
            return [] if postal.entered_by_id == account.id else ["postal_confirm"]
    if len(decrypted_by(session, election)) >= election.threshold:
        return ["count"]
    return []


def _result_tasks(session: Session, election: Election, account: Account) -> list[str]:
    statement = session.get(ResultStatement, election.id)
    if statement is None:
        return ["state_result"]
    if statement.is_confirmed or statement.stated_by_id == account.id:
        return []
    return ["confirm_result"]


def election_tasks(session: Session, election: Election, account: Account) -> list[str]:
    """The steps due now for ``account`` in ``election`` (keys of `TASK_TEXTS`)."""
    tasks: list[str] = []
    seat = next((t for t in election.trustees if t.account_id == account.id), None)
    if seat is not None:
        tasks += _trustee_tasks(session, election, seat.index)
    if election.status not in {ElectionStatus.CLOSED, ElectionStatus.TALLIED}:
        return tasks
    if not has_role(session, account, Role.COMMISSION, election_unit(session, election)):
        return tasks
    if election.status == ElectionStatus.CLOSED:
        return tasks + _closed_tasks(session, election, account)
    return tasks + _result_tasks(session, election, account)


def _unfinished(session: Session) -> list[Election]:
    """Elections with something left to do: not counted, or counted but not confirmed."""
    confirmed = select(ResultStatement.election_id).where(ResultStatement.confirmed_at.is_not(None))
    return list(
        session.scalars(
            select(Election)
            .where(Election.id.not_in(confirmed), Election.status != ElectionStatus.OPEN)
            .order_by(Election.closes_at)
        )
    )


def tasks_for(session: Session, account: Account) -> list[Task]:
    """Every due step of ``account`` across the elections (the dashboard's task list)."""
    if account.is_disabled:
        return []
    return [
        Task(election.id, election.title, key)
        for election in _unfinished(session)
        for key in election_tasks(session, election, account)
    ]


def page_signature(session: Session, election: Election) -> str:
    """Changes whenever anything shown on the commission page changes (for polling)."""
    state = services.ceremony_state(session, election.id)
    postal = _postal(session, election)
    statement = session.get(ResultStatement, election.id)
    parts: Iterable[object] = (
        election.status.value,
        state.round,
        sorted(state.sealing_keys),
        sorted(state.commitments),
        sorted(state.verified),
        sorted(current_backups(session, election)),
        decrypted_by(session, election),
        postal is not None,
        postal is not None and postal.is_confirmed,
        statement is not None,
        statement is not None and statement.is_confirmed,
    )
    return "|".join(str(part) for part in parts)


# -- mails ---------------------------------------------------------------------------------


def _involved(session: Session, election: Election) -> list[Account]:
    """The trustees and every commission member whose role covers the election's unit."""
    unit = election_unit(session, election)
    holders = session.scalars(
        select(Account)
        .join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.role == Role.COMMISSION, Account.is_disabled.is_(False))
    ).all()
    covering = {a.id: a for a in holders if has_role(session, a, Role.COMMISSION, unit)}
    for trustee in election.trustees:
        account = session.get(Account, trustee.account_id)
        if account is not None and not account.is_disabled:
            covering.setdefault(account.id, account)
    return list(covering.values())


def _mail_key(election: Election, key: str) -> str:
    return f"{key}:{election.ceremony_round}" if key in CEREMONY_STEPS else key


def _queue(
    settings: Settings, session: Session, election: Election, account: Account, key: str
) -> None:
    link = f"{settings.base_url}/referendums/{election.id}/commission"
    with i18n.using_locale(account.locale):
        subject = i18n.gettext(MAIL_SUBJECT) % {"title": election.title}
        task = i18n.gettext(TASK_TEXTS[key])
    body = render_text(
        "emails/commission_step.txt",
        account.locale,
        name=account.display_name,
        title=election.title,
        task=task,
        link=link,
    )
    queue_mail(session, to=account.email, subject=subject, body=body)


def mail_due_steps(
    session: Session, settings: Settings, election_id: uuid.UUID, moment: datetime | None = None
) -> int:
    """Mail every involved account each step that is due and was not mailed yet."""
    election = services.get_election(session, election_id)
    rows = session.execute(
        select(CommissionStepMail.account_id, CommissionStepMail.step).where(
            CommissionStepMail.election_id == election.id
        )
    )
    mailed = {(account_id, step) for account_id, step in rows}
    sent = 0
    for account in _involved(session, election):
        for key in election_tasks(session, election, account):
            step = _mail_key(election, key)
            if key not in MAILED or (account.id, step) in mailed:
                continue
            session.add(
                CommissionStepMail(
                    election_id=election.id,
                    account_id=account.id,
                    step=step,
                    sent_at=moment or utcnow(),
                )
            )
            _queue(settings, session, election, account, key)
            sent += 1
    if not sent:
        session.rollback()
        return 0
    services.record_election_event(session, "commission:step_mails_sent", election.id, count=sent)
    try:
        session.commit()
    except IntegrityError:  # a concurrent run mailed these steps first: its mails stand
        session.rollback()
        return 0
    return sent


def mail_all_due_steps(session: Session, settings: Settings, moment: datetime | None = None) -> int:
    """`mail_due_steps` for every election not finished (the scheduler's pass)."""
    total = 0
    for election in _unfinished(session):
        try:
            total += mail_due_steps(session, settings, election.id, moment)
        except Exception:  # one election's trouble must not stop the others' mails
            session.rollback()
            log.exception("commission step mails failed for election %s", election.id)
    return total
