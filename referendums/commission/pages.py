"""The election commission's page: key ceremony, decryption, postal votes, tally.

Who sees it: the election's trustees and the members of the election commission of the
election's unit (the postal result needs two commission members, who need not be
trustees). Everybody else gets 403; an unknown election 404.

The trustee's cryptography runs in the browser (``frontend/src/trustee.js`` over the
JSON API in `referendums.commission.api`); the page renders the state and the forms for
the postal line and the tally, which are plain HTML forms with the CSRF token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.guards import requires_login
from app.accounts.models import Account, Role
from app.core.audit import record_event
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from ballots import errors, services, tally
from ballots.models import Election, ElectionStatus, PostalResult
from ballots.services._common import election_unit, has_role
from referendums.commission.api import decrypted_by, next_step, parse_id

Form = Body(media_type=RequestEncodingType.URL_ENCODED)

DONE_MESSAGES = {
    "postal_entered": N_(
        "The postal result has been entered. A second commission member must now confirm it."
    ),
    "postal_confirmed": N_("The postal result has been confirmed."),
    "tallied": N_("The result has been counted and published."),
}
STEP_TEXTS = {
    "register": N_("Create your sealing key in this browser and register it."),
    "wait_registration": N_("Waiting until every trustee has registered a sealing key."),
    "deal": N_(
        "Deal your shares: this browser draws your secret and seals one share to every trustee."
    ),
    "wait_dealing": N_("Waiting until every trustee has dealt."),
    "check": N_("Check the shares you received and confirm them."),
    "wait_check": N_("Waiting until every trustee has checked their shares."),
    "wait_close": N_(
        "The key ceremony is complete. Keep the encrypted backup you saved after checking "
        "your shares: you need it to decrypt the result after the election closes."
    ),
    "decrypt": N_("The election is closed. Load your key and decrypt the result."),
    "wait_tally": N_("Your partial decryption has been accepted."),
    "done": N_("The result is final."),
}


def _account(db_session: Session, request: Request[Any, Any, Any]) -> Account:
    account = db_session.get(Account, request.user.id)
    if account is None:
        raise NotFound
    return account


@dataclass(frozen=True, slots=True)
class Access:
    election: Election
    account: Account
    trustee_index: int | None
    is_commission: bool


def commission_access(session: Session, election_id: str, account: Account) -> Access:
    """Trustees of the election and commission members of its unit; 403 for others."""
    election = services.get_election(session, parse_id(election_id))
    seat = next((t for t in election.trustees if t.account_id == account.id), None)
    is_commission = has_role(session, account, Role.COMMISSION, election_unit(session, election))
    if seat is None and not is_commission:
        raise errors.NotAllowed
    return Access(election, account, seat.index if seat else None, is_commission)


def postal_line_from(manifest_raw: Any, form: dict[str, str]) -> tally.PostalLine:
    """Read the postal form: ``envelopes``, ``invalid-<q>``, ``count-<q>-<option>``."""
    problems: dict[str, str] = {}

    def number(name: str) -> int:
        raw = (form.get(name) or "").strip()
        if not raw.isdigit() or len(raw) > 9:  # noqa: PLR2004
            problems[name] = N_("Enter a whole number of 0 or more.")
            return 0
        return int(raw)

    envelopes = number("envelopes")
    counts: list[tuple[int, ...]] = []
    invalid: list[int] = []
    for question in manifest_raw["questions"]:
        qid = question["id"]
        counts.append(tuple(number(f"count-{qid}-{o['id']}") for o in question["options"]))
        invalid.append(number(f"invalid-{qid}"))
    if problems:
        raise ValidationFailed(problems)
    return tally.PostalLine(tuple(counts), tuple(invalid), envelopes)


class CommissionController(Controller):
    path = "/referendums/{election_id:str}/commission"
    guards = [requires_login]

    @get("/", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        done: FromQuery[str] = "",
    ) -> Template:
        access = commission_access(db_session, election_id, _account(db_session, request))
        return self._page(db_session, access, notice=DONE_MESSAGES.get(done))

    @post("/postal", sync_to_thread=True)
    def enter_postal(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: Annotated[dict[str, str], Form],
    ) -> Response[Any]:
        access = commission_access(db_session, election_id, _account(db_session, request))
        return self._act(
            db_session,
            access,
            data,
            lambda line: services.enter_postal_result(
                db_session, access.election.id, access.account, line
            ),
            "postal_entered",
        )

    @post("/postal/confirm", sync_to_thread=True)
    def confirm_postal(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: Annotated[dict[str, str], Form],
    ) -> Response[Any]:
        access = commission_access(db_session, election_id, _account(db_session, request))
        return self._act(
            db_session,
            access,
            data,
            lambda line: services.confirm_postal_result(
                db_session, access.election.id, access.account, line
            ),
            "postal_confirmed",
        )

    @post("/tally", sync_to_thread=True)
    def tally(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Response[Any]:
        access = commission_access(db_session, election_id, _account(db_session, request))
        try:
            services.tally_election(db_session, access.election.id, access.account)
        except DomainError as error:
            db_session.rollback()
            return self._refused(db_session, access, error)
        return Redirect(path=f"{self._url(access.election.id)}?done=tallied")

    # -- helpers ----------------------------------------------------------------------------

    def _act(
        self,
        db_session: Session,
        access: Access,
        data: dict[str, str],
        action: Any,
        done: str,
    ) -> Response[Any]:
        try:
            line = postal_line_from(access.election.manifest, data)
            action(line)
        except DomainError as error:
            db_session.rollback()
            if isinstance(error, errors.SameCommissionMember):
                record_event(
                    db_session,
                    "tally:postal_confirm_refused",
                    actor_id=access.account.id,
                    object_type="election",
                    object_id=access.election.id,
                )
                db_session.commit()
            return self._refused(db_session, access, error, form=data)
        return Redirect(path=f"{self._url(access.election.id)}?done={done}")

    def _refused(
        self,
        db_session: Session,
        access: Access,
        error: DomainError,
        form: dict[str, str] | None = None,
    ) -> Template:
        fresh = commission_access(db_session, str(access.election.id), access.account)
        return self._page(
            db_session,
            fresh,
            error=error.message,
            error_params=error.params,
            field_errors=getattr(error, "errors", {}),
            form=form or {},
            status_code=error.status_code,
        )

    @staticmethod
    def _url(election_id: uuid.UUID) -> str:
        return f"/referendums/{election_id}/commission"

    def _page(
        self,
        db_session: Session,
        access: Access,
        *,
        notice: str | None = None,
        error: str | None = None,
        error_params: dict[str, Any] | None = None,
        field_errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        election = access.election
        state = services.ceremony_state(db_session, election.id)
        postal = db_session.scalar(
            select(PostalResult).where(PostalResult.election_id == election.id)
        )
        base = f"/api/elections/{election.id}"
        step = (
            next_step(db_session, election, access.trustee_index)
            if access.trustee_index is not None
            else None
        )
        context = {
            "election": election,
            "status": election.status.value,
            "state": state,
            "trustees": list(election.trustees),
            "me": access.trustee_index,
            "is_commission": access.is_commission,
            "step": step,
            "step_text": STEP_TEXTS.get(step or ""),
            "closed": election.status == ElectionStatus.CLOSED,
            "tallied": election.status == ElectionStatus.TALLIED,
            "decrypted": decrypted_by(db_session, election),
            "postal": postal,
            "postal_count": election.postal_count or 0,
            "postal_needed": bool(election.postal_count),
            "postal_entered_by_me": postal is not None
            and postal.entered_by_id == access.account.id,
            "questions": election.manifest["questions"],
            "urls": {
                "ceremony": f"{base}/ceremony",
                "sealing_key": f"{base}/ceremony/sealing-key",
                "dealing": f"{base}/ceremony/dealing",
                "shares": f"{base}/ceremony/shares",
                "share_check": f"{base}/ceremony/share-check",
                "decryption": f"{base}/decryption",
            },
            "notice": notice,
            "error": error,
            "error_params": error_params or {},
            "field_errors": field_errors or {},
            "form": form or {},
        }
        return Template("referendums/commission.html", context=context, status_code=status_code)
