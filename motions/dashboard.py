"""The dashboard's section on Mitgliederbegehren: what this member may sign or must confirm.

A member learns of a new initiative by mail (``motions.notifications``) only if they have
an address and did not opt out; the dashboard is where everyone else sees it. It lists
the initiatives of the member's own units that are collecting signatures (with whether
the member has signed) and the drafts that wait for the member's confirmation as a
co-initiator. One query per list, whatever the number of signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.current import required_account
from app.accounts.guards import requires_login
from app.accounts.models import Account
from app.organisations.models import Member, Unit
from motions.models import Initiative, InitiativeRules, InitiativeStatus, Initiator, Signature
from motions.services import InitiativeView


@dataclass(frozen=True, slots=True)
class OpenInitiative:
    view: InitiativeView
    signed: bool


@dataclass(frozen=True, slots=True)
class MyInitiatives:
    open: list[OpenInitiative]
    to_confirm: list[InitiativeView]


def _own_member(session: Session, account: Account) -> tuple[Member, Unit] | None:
    if account.is_disabled or account.member_id is None:
        return None
    member = session.get(Member, account.member_id)
    if member is None or not member.is_active:
        return None
    unit = session.get(Unit, member.unit_id)
    return (member, unit) if unit is not None else None


def _views(session: Session, *conditions: Any) -> list[InitiativeView]:
    rows = session.execute(
        select(Initiative, Unit, InitiativeRules)
        .join(Unit, Unit.id == Initiative.unit_id)
        .join(InitiativeRules, InitiativeRules.id == Initiative.rules_id)
        .where(*conditions)
        .order_by(Initiative.closes_at, Initiative.created_at)
    )
    return [InitiativeView(*row) for row in rows]


def for_account(session: Session, account: Account) -> MyInitiatives:
    """The member's open initiatives (own unit and the units above it) and drafts to confirm."""
    found = _own_member(session, account)
    if found is None:
        return MyInitiatives(open=[], to_confirm=[])
    member, home = found
    above = [int(part) for part in home.path.strip("/").split("/") if part]
    signing = _views(
        session, Initiative.status == InitiativeStatus.SIGNING, Initiative.unit_id.in_(above)
    )
    signed = set(
        session.scalars(
            select(Signature.initiative_id).where(
                Signature.member_id == member.id,
                Signature.initiative_id.in_([view.id for view in signing]),
                Signature.withdrawn_at.is_(None),
            )
        )
    )
    to_confirm = _views(
        session,
        Initiative.status == InitiativeStatus.DRAFT,
        Initiative.id.in_(
            select(Initiator.initiative_id).where(
                Initiator.member_id == member.id, Initiator.confirmed_at.is_(None)
            )
        ),
    )
    return MyInitiatives(
        open=[OpenInitiative(view=view, signed=view.id in signed) for view in signing],
        to_confirm=to_confirm,
    )


class InitiativeDashboardController(Controller):
    path = "/initiatives/mine"
    guards = [requires_login]

    @get("/", sync_to_thread=True)
    def mine(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        """The dashboard's section (htmx): initiatives to sign or to confirm."""
        account = required_account(db_session, request)
        return Template("motions/_mine.html", context={"mine": for_account(db_session, account)})
