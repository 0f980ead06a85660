"""The election commission's page: key ceremony, decryption, postal votes, tally.

Who sees it: the election's trustees and the members of the election commission of the
election's unit. Everybody else gets 403; an unknown election 404. The postal result is
entered and confirmed by two different trustees who are on the commission, each
signing the figures with their trustee key in the browser (record §7.3); in elections
keyed before signing keys, by any two commission members.

The trustee's cryptography runs in the browser (``frontend/src/trustee.js`` over the
JSON API in `referendums.commission.api`); the page renders the state and the forms for
the postal line and the tally, which are plain HTML forms with the CSRF token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.current import required_account
from app.accounts.guards import requires_login
from app.accounts.models import Account, Role
from app.core.downloads import PDF, attachment
from app.core.errors import DomainError, ValidationFailed
from app.core.form_pages import submit
from app.core.i18n import N_
from ballots import errors, services, tally
from ballots.models import Election, ElectionStatus, PostalResult
from ballots.services._common import election_unit, has_role
from referendums.commission import guidance, minutes, statement
from referendums.commission.api import decrypted_by, next_step, parse_id
from referendums.commission.backups import current_backups

Form = Body(media_type=RequestEncodingType.URL_ENCODED)

DONE_MESSAGES = {
    "postal_entered": N_(
        "The postal result has been entered. A second commission member must now confirm it."
    ),
    "postal_confirmed": N_("The postal result has been confirmed."),
    "tallied": N_(
        "The result has been counted. It is not yet published: review it and state it, "
        "then a second commission member confirms it."
    ),
    "closed_early": N_("The vote has been closed early. The reason is in the audit log."),
    "result_stated": N_(
        "You have stated the result. A second commission member must now confirm it; "
        "only then is it published."
    ),
    "result_confirmed": N_("The result is stated, confirmed and published."),
}
STEP_TEXTS = {
    "register": N_("Create your sealing key in this browser and register it."),
    "wait_registration": N_("Waiting until every trustee has registered a sealing key."),
    "deal": N_(
        "Deal your shares: this browser draws your secret and seals one share to every trustee."
    ),
    "wait_dealing": N_("Waiting until every trustee has dealt."),
    "check": N_(
        "Check the shares you received. Then save the encrypted backup of your key share; "
        "only after that can you confirm the shares."
    ),
    "wait_check": N_("Waiting until every trustee has checked their shares."),
    "wait_close": N_(
        "The key ceremony is complete. Keep the encrypted backup of your key share and its "
        "passphrase: you need them to decrypt the result after the vote closes. Test the "
        "backup before voting opens (below)."
    ),
    "decrypt": N_("The election is closed. Load your key and decrypt the result."),
    "wait_tally": N_("Your partial decryption has been accepted."),
    "done": N_("The result has been counted. Your part as a trustee is done."),
}


def _access(db_session: Session, request: Request[Any, Any, Any], election_id: str) -> Access:
    """The request's account and what it may do on the election's commission page."""
    return commission_access(db_session, election_id, required_account(db_session, request))


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


_SIGNATURE_HEX = 128
_POSTAL_REFUSALS: dict[type[DomainError], tuple[str, dict[str, str]]] = {
    errors.SameCommissionMember: ("tally:postal_confirm_refused", {}),
    errors.PostalNeedsTrustee: ("tally:postal_refused", {"reason": "not_a_trustee"}),
    errors.PostalSignatureInvalid: ("tally:postal_refused", {"reason": "not_signed"}),
}


def _signature(form: dict[str, str]) -> bytes | None:
    """The trustee's Ed25519 signature of the figures, added by ``trustee.js`` (or None)."""
    raw = (form.get("signature") or "").strip()
    if len(raw) != _SIGNATURE_HEX or any(c not in "0123456789abcdef" for c in raw):
        return None
    return bytes.fromhex(raw)


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
        access = _access(db_session, request, election_id)
        return self._page(db_session, access, notice=DONE_MESSAGES.get(done))

    @post("/postal", sync_to_thread=True)
    def enter_postal(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: Annotated[dict[str, str], Form],
    ) -> Response[Any]:
        access = _access(db_session, request, election_id)
        return self._postal(
            db_session, access, data, services.enter_postal_result, "postal_entered"
        )

    @post("/postal/confirm", sync_to_thread=True)
    def confirm_postal(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: Annotated[dict[str, str], Form],
    ) -> Response[Any]:
        access = _access(db_session, request, election_id)
        return self._postal(
            db_session, access, data, services.confirm_postal_result, "postal_confirmed"
        )

    @post("/tally", sync_to_thread=True)
    def tally(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Response[Any]:
        access = _access(db_session, request, election_id)
        return self._attempt(
            db_session,
            access,
            lambda: services.tally_election(db_session, access.election.id, access.account),
            "tallied",
        )

    @get("/status", sync_to_thread=True)
    def status(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        seen: FromQuery[str] = "",
    ) -> Response[Any]:
        """Polled by a waiting page: 204 while nothing changed, else tell htmx to reload."""
        access = _access(db_session, request, election_id)
        if guidance.page_signature(db_session, access.election) == seen:
            return Response(content=None, status_code=204)
        return Response(content=None, status_code=200, headers={"HX-Refresh": "true"})

    @post("/close", sync_to_thread=True)
    def close_early(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: Annotated[dict[str, str], Form],
    ) -> Response[Any]:
        access = _access(db_session, request, election_id)
        return self._attempt(
            db_session,
            access,
            lambda: statement.close_early(
                db_session,
                access.election.id,
                access.account,
                data.get("reason", ""),
                confirmed=data.get("confirm") == "yes",
            ),
            "closed_early",
            form=data,
        )

    @post("/result/state", sync_to_thread=True)
    def state_result(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Response[Any]:
        access = _access(db_session, request, election_id)
        return self._attempt(
            db_session,
            access,
            lambda: statement.state_result(db_session, access.election.id, access.account),
            "result_stated",
        )

    @post("/result/confirm", sync_to_thread=True)
    def confirm_result(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Response[Any]:
        access = _access(db_session, request, election_id)
        return self._attempt(
            db_session,
            access,
            lambda: statement.confirm_result(db_session, access.election.id, access.account),
            "result_confirmed",
        )

    @get("/minutes.pdf", sync_to_thread=True)
    def minutes(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Response[bytes]:
        """The Niederschrift, once the result is stated and confirmed."""
        access = _access(db_session, request, election_id)
        if not statement.is_published(db_session, access.election):
            raise statement.ResultNotPublished
        pdf = minutes.minutes_pdf(db_session, access.election)
        name = f"stimmwerk-{str(access.election.id)[:8]}-niederschrift.pdf"
        return attachment(pdf, PDF, name)

    # -- helpers ----------------------------------------------------------------------------

    def _postal(
        self,
        db_session: Session,
        access: Access,
        data: dict[str, str],
        step: Callable[..., PostalResult],
        done: str,
    ) -> Response[Any]:
        """A postal form: its figures and the trustee's signature read, then ``step``
        (entering or confirming); a refusal that matters for the record
        (``_POSTAL_REFUSALS``) is audited before the page shows it."""

        def refused(error: DomainError) -> Template:
            refusal = _POSTAL_REFUSALS.get(type(error))
            if refusal is not None:
                services.record_election_event(
                    db_session, refusal[0], access.election.id, access.account, **refusal[1]
                )
                db_session.commit()
            return self._refused(db_session, access, error, form=data)

        return submit(
            db_session,
            lambda: step(
                db_session,
                access.election.id,
                access.account,
                postal_line_from(access.election.manifest, data),
                signature=_signature(data),
            ),
            refused=refused,
            done=lambda _: self._done(access, done),
            refusals=(DomainError,),
        )

    def _attempt(
        self,
        db_session: Session,
        access: Access,
        action: Callable[[], object],
        done: str,
        *,
        form: dict[str, str] | None = None,
    ) -> Response[Any]:
        """Run a commission action; afterwards the page with the ``done`` notice, a
        refusal (rolled back) shows the page again with the message."""
        return submit(
            db_session,
            action,
            refused=lambda error: self._refused(db_session, access, error, form=form),
            done=lambda _: self._done(access, done),
            refusals=(DomainError,),
        )

    def _done(self, access: Access, done: str) -> Redirect:
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
            # Record §7.3: trustees sign the postal line (elections keyed since 0015).
            "postal_signed": bool(state.signing_keys),
            "may_enter_postal": access.is_commission
            and (access.trustee_index in state.signing_keys or not state.signing_keys),
            "postal_form": {
                "fingerprint": election.fingerprint,
                "questions": [
                    [q["id"], [o["id"] for o in q["options"]]]
                    for q in election.manifest["questions"]
                ],
            },
            "questions": election.manifest["questions"],
            "urls": {
                "ceremony": f"{base}/ceremony",
                "sealing_key": f"{base}/ceremony/sealing-key",
                "dealing": f"{base}/ceremony/dealing",
                "shares": f"{base}/ceremony/shares",
                "share_check": f"{base}/ceremony/share-check",
                "decryption": f"{base}/decryption",
            },
            **self._guidance(db_session, access, step),
            "notice": notice,
            "error": error,
            "error_params": error_params or {},
            "field_errors": field_errors or {},
            "form": form or {},
        }
        return Template("referendums/commission.html", context=context, status_code=status_code)

    @staticmethod
    def _guidance(db_session: Session, access: Access, step: str | None) -> dict[str, Any]:
        """Backups, the early close, the result statement, and whether the page polls."""
        election = access.election
        backups = current_backups(db_session, election)
        tasks = guidance.election_tasks(db_session, election, access.account)
        stated = statement.statement_of(db_session, election.id)
        published = statement.is_published(db_session, election)
        names = minutes.account_names(
            db_session, [stated.stated_by_id, stated.confirmed_by_id] if stated else []
        )
        return {
            "backups": backups,
            "my_backup": backups.get(access.trustee_index or 0),
            "short_id": str(election.id)[:8],
            "tasks": tasks,
            "task_texts": guidance.TASK_TEXTS,
            # Poll only while nothing is due for the viewer: a reload must not eat a form.
            "poll": not tasks and not published and step not in {"check", "decrypt"},
            "signature": guidance.page_signature(db_session, election),
            "may_close_early": access.is_commission and election.status == ElectionStatus.OPEN,
            "review": minutes.review(election),
            "statement": stated,
            "stated_by_me": stated is not None and stated.stated_by_id == access.account.id,
            "published": published,
            "names": names,
            "when": minutes.when,
        }
