"""The member's vote page and the public bulletin board (HTML)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from app.accounts.guards import requires_login
from app.core.i18n import N_, gettext
from ballots import services
from referendums.voting import board_view
from referendums.voting.lookup import election_of, voter_member_id

# The texts voter.js shows, by the keys of the contract in docs/ballots/web-api.md.
VOTE_MESSAGES = {
    "credential": N_("Fetching your voting credential…"),
    "encrypting": N_("Encrypting your ballot in this browser…"),
    "sending": N_("Casting your ballot…"),
    "done": N_("Your vote has been cast. Your receipt (ballot hash):"),
    "save_receipt": N_("Save receipt"),
    "receipt_checked": N_(
        "Receipt checked: your ballot is on the bulletin board under a signed checkpoint."
    ),
    "receipt_failed": N_(
        "That did not work: the receipt does not match the signed checkpoint of the bulletin board."
    ),
    "audit_result": N_("Check: this encrypted ballot contains exactly these choices:"),
    "audit_discarded": N_(
        "This checked ballot has been discarded; your vote will be encrypted afresh when "
        "you cast it."
    ),
    "choose": N_("Please make a valid choice for every question."),
    "failed": N_("That did not work:"),
    "network": N_("The server could not be reached. Check the connection and try again."),
    "no_credential": N_(
        "This browser does not hold your voting credential any more, and it was already "
        "issued. If you have voted, your receipt is your proof; otherwise contact the "
        "election commission."
    ),
    "audit_failed": N_(
        "Warning: the check FAILED. Do not vote from this device and tell the election commission."
    ),
    "recovery_wrong": N_(
        "This recovery code does not belong to the credential issued to you. Please check "
        "it, or contact the election commission."
    ),
    "recovery_invalid": N_(
        "That is not a recovery code: it has 24 letters and digits (A–Z, 2–7), in groups of four."
    ),
    "already_voted": N_(
        "A ballot with this credential is already on the bulletin board: you have voted."
    ),
    # The booth (issue 10, point 3); {number}, {max}, {min} are filled in by voter.js.
    "too_many": N_("Question {number}: you may choose at most {max} options."),
    "too_few": N_("Question {number}: please choose at least {min} options."),
    "missing": N_("Question {number}: you have not chosen an answer yet."),
    "missing_or_abstain": N_(
        "Question {number}: you have not chosen anything. Choose an option or tick "
        "“I abstain on this question”."
    ),
    "fix_first": N_("Please check the questions marked in red."),
    "abstained": N_("Abstention (no option chosen)"),
    "voted_title": N_("Your vote has been cast."),
    "voted_before": N_("You have already voted in this member vote. Your vote has been cast."),
    "audit_explain": N_(
        "The check opened this encrypted ballot. It contains exactly the choice shown here. "
        "Compare it with what you chose. This opened ballot has been thrown away and does "
        "not count; your choice has been encrypted afresh for casting."
    ),
    "audit_save": N_("Save check data"),
    "audit_data": N_("Check data (to copy)"),
    "audit_elsewhere": N_(
        "For a check that does not rely on this device's program, open the check page, "
        "best on another device, and paste or load the check data there:"
    ),
    "audit_link": N_("Open the check page"),
}


def vote_urls(election_id: uuid.UUID) -> dict[str, str]:
    api = f"/api/elections/{election_id}"
    return {
        "client_data": f"{api}/client-data",
        "credential": f"{api}/credential",
        "cast": f"{api}/ballots",
        "board": f"{api}/board",
        "board_page": f"/referendums/{election_id}/board",
        "ballot_check": f"/referendums/{election_id}/ballot-check",
    }


class VotingPagesController(Controller):
    path = "/referendums/{election_id:str}"

    @get("/vote", guards=[requires_login], sync_to_thread=True)
    def vote(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Template:
        election = election_of(db_session, election_id)
        member_id = voter_member_id(db_session, request)
        manifest = services.manifest_of(election).raw
        return Template(
            "referendums/vote.html",
            context={
                "election": election,
                "manifest": manifest,
                "situation": board_view.situation(db_session, election, member_id),
                "urls": vote_urls(election.id),
                "messages": {key: gettext(text) for key, text in VOTE_MESSAGES.items()},
            },
        )

    @get("/board", sync_to_thread=True)
    def board(
        self,
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        page: FromQuery[int] = 1,
    ) -> Template:
        election = election_of(db_session, election_id)
        return Template(
            "referendums/board.html",
            context={
                "election": election,
                "manifest": services.manifest_of(election).raw,
                "board": board_view.board_page(db_session, election, page),
                "over": board_view.voting_over(election),
            },
        )

    @get("/board/lookup", sync_to_thread=True)
    def lookup(
        self,
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        hash: FromQuery[str] = "",  # noqa: A002 - the documented query parameter
    ) -> Template:
        election = election_of(db_session, election_id)
        wanted = board_view.normalise_hash(hash)
        receipt = board_view.lookup(db_session, election.id, wanted) if wanted else None
        return Template(
            "referendums/board_lookup.html",
            context={
                "election": election,
                "manifest": services.manifest_of(election).raw,
                "query": hash.strip()[:200],
                "valid": wanted is not None,
                "receipt": receipt,
            },
        )
