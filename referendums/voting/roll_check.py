"""``/referendums/{id}/roll-check``: a member checks their own roll entry (record v3).

Shows the logged-in member their roll entry, the salt and membership number it hashes,
its inclusion proof against the published roll commitment, and whether a credential was
issued for it (with an inclusion proof against the issuance root the trustees bound,
once that is fixed). A member who did not vote but finds a credential issued has
evidence that the operator minted one: docs/protocol.md §3.2. Only the member's own
entry is ever shown; the page answers nothing about anyone else.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.orm import Session

from app.accounts.guards import requires_login
from app.organisations.models import Member
from ballots import services
from referendums.voting.lookup import election_of, voter_member_id


class RollCheckController(Controller):
    path = "/referendums/{election_id:str}/roll-check"

    @get("/", guards=[requires_login], sync_to_thread=True)
    def roll_check(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Template:
        election = election_of(db_session, election_id)
        member_id = voter_member_id(db_session, request)
        member = None if member_id is None else db_session.get(Member, member_id)
        check = services.roll_check(db_session, election.id, member_id)
        return Template(
            "referendums/roll_check.html",
            context={
                "election": election,
                "manifest": services.manifest_of(election).raw,
                "check": check,
                "membership_number": None if member is None else member.membership_number,
                "Roll": services.RollStatus,
            },
        )
