"""The trustees' JSON API: thin handlers over the ceremony and decryption services.

The browser (``frontend/src/trustee.js``) or any other client keeps the trustee's
secrets; the server only ever sees what ``ballots.services`` accepts: the X25519
sealing public key, the Feldman commitments with their proof, shares sealed to the
other trustees, complaints with evidence, and proven partial decryptions. The
contract is documented in ``docs/ballots/web-api.md`` ("Commission API").

Every POST needs the logged-in trustee's session and the ``x-csrftoken`` header.
Errors are ``{"error": "<code>", "message": "<translated text>"}`` with a 4xx status.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.current import current_account
from app.accounts.models import Account
from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.json_errors import api_error
from ballots import errors, services
from ballots.codec import (
    CodecError,
    ciphertext_json,
    commitments_from_json,
    commitments_json,
    exact_object,
    hex_bytes,
    partial_from_json,
)
from ballots.models import Election, ElectionStatus, IssuerKey, TallyShare
from crypto.blind_rsa import Variant
from crypto.threshold import ShareComplaint
from referendums.commission.backups import BACKUP_MISSING, has_backup

T = TypeVar("T")

_SEALING_KEY_BYTES = 32
_CODES: tuple[tuple[type[DomainError], str], ...] = (
    (errors.ElectionNotFound, "not_found"),
    (errors.NotAllowed, "not_trustee"),
    (errors.WrongState, "wrong_state"),
    (errors.TooEarly, "too_early"),
    (errors.CeremonyFailed, "ceremony_failed"),
    (errors.ComplaintNotProven, "complaint_not_proven"),
    (errors.DecryptionRejected, "decryption_rejected"),
)
_MALFORMED = N_("The request is malformed.")
NOT_CLOSED = N_(
    "Decryption is only possible after the election has closed. The ballot box is not closed yet."
)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **params: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.params = status, code, message, params


def error_response(
    status: int, code: str, message: str, params: Mapping[str, Any] | None = None
) -> Response[Any]:
    # ``params`` is a mapping, not keyword arguments: a domain error's own parameters
    # (``WrongState`` carries ``status``) must never collide with this function's.
    return api_error(code, message, status, params=dict(params) if params else None)


def answer(action: Callable[[], T]) -> T | Response[Any]:
    """Run ``action``; turn domain and input errors into the API's JSON errors."""
    try:
        return action()
    except ApiError as error:
        return error_response(error.status, error.code, error.message, error.params)
    except (CodecError, KeyError, TypeError, ValueError):
        return error_response(400, "malformed", _MALFORMED)
    except DomainError as error:
        code = next((c for kind, c in _CODES if isinstance(error, kind)), "refused")
        return error_response(error.status_code, code, error.message, error.params)


def trustee_account(request: Request[Any, Any, Any], session: Session) -> Account:
    account = current_account(session, request)
    if account is None:  # no login, or the session's account was deleted
        raise ApiError(401, "login_required", N_("Please log in first."))
    return account


def trustee_seat(election: Election, account: Account) -> int:
    """The account's trustee index in ``election``; 403 for everybody else."""
    seat = next((t for t in election.trustees if t.account_id == account.id), None)
    if seat is None:
        raise errors.NotAllowed
    return seat.index


def seated(
    request: Request[Any, Any, Any], session: Session, election_id: str
) -> tuple[Account, Election, int]:
    """The logged-in trustee, the election and the trustee's seat (index) in it."""
    account = trustee_account(request, session)
    election = services.get_election(session, parse_id(election_id))
    return account, election, trustee_seat(election, account)


def parse_id(election_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(election_id)
    except ValueError as error:
        raise errors.ElectionNotFound from error


def ceremony_document(session: Session, election: Election, me: int) -> dict[str, Any]:
    """The public ceremony state plus the caller's own index and next step."""
    state = services.ceremony_state(session, election.id)
    return {
        "election_id": str(election.id),
        "status": election.status.value,
        "context": state.params.context.hex(),
        "threshold": state.params.threshold,
        "trustees": state.params.trustees,
        "round": state.round,
        "me": me,
        "next_step": next_step(session, election, me),
        "sealing_keys": {str(i): key.hex() for i, key in sorted(state.sealing_keys.items())},
        "signing_keys": {str(i): key.hex() for i, key in sorted(state.signing_keys.items())},
        "dealings": [commitments_json(c) for _, c in sorted(state.commitments.items())],
        "verified": sorted(state.verified),
        "joint_public_key": election.joint_public_key,
        **fingerprint_inputs(session, election),
    }


def fingerprint_inputs(session: Session, election: Election) -> dict[str, Any]:
    """Record v3: what the trustee's browser recomputes the fingerprint from (§2)."""
    if election.fingerprint is None:
        return {}
    issuer = session.get(IssuerKey, election.id)
    assert issuer is not None  # made with the election
    return {
        "fingerprint": election.fingerprint,
        "manifest": election.manifest,
        "issuer": {
            "variant": Variant.PSS_RANDOMIZED.value,
            "public_key_spki": issuer.public_key_spki,
        },
        "board_public_key": election.board_public_key,
    }


def statement_inputs(
    session: Session, election: Election, account: Account, task: services.DecryptionTask
) -> dict[str, Any]:
    """Record v3: the outcome statement and the public data to recompute it from (§7)."""
    if task.statement is None:
        return {}
    evidence = services.statement_evidence(session, election.id, account)
    return {
        "statement": task.statement,
        "evidence": {
            "manifest": evidence.manifest,
            "issuer_spki": evidence.issuer_spki,
            "board_public_key": evidence.board_public_key,
            "dealings": list(evidence.dealings),
            "roll_entries": list(evidence.roll_entries),
            "eligible": evidence.eligible,
            "postal": evidence.postal,
            "roll_commitment": evidence.roll_commitment,
            "issued_entries": list(evidence.issued_entries),
            "final_checkpoint": evidence.final_checkpoint,
        },
    }


def next_step(session: Session, election: Election, me: int) -> str:
    """What trustee ``me`` has to do now (a key of the commission page's texts)."""
    if election.status == ElectionStatus.DRAFT:
        state = services.ceremony_state(session, election.id)
        steps = (
            (me not in state.sealing_keys, "register"),
            (not state.all_registered, "wait_registration"),
            (me not in state.commitments, "deal"),
            (not state.all_dealt, "wait_dealing"),
            (me not in state.verified, "check"),
        )
        return next((step for due, step in steps if due), "wait_check")
    if election.status == ElectionStatus.CLOSED:
        return "wait_tally" if me in decrypted_by(session, election) else "decrypt"
    if election.status == ElectionStatus.TALLIED:
        return "done"
    return "wait_close"


def _tally_shares(session: Session, election: Election) -> list[TallyShare]:
    return list(session.scalars(select(TallyShare).where(TallyShare.election_id == election.id)))


def decrypted_by(session: Session, election: Election) -> list[int]:
    """The trustee indices whose partial decryptions were accepted."""
    return sorted(row.trustee_index for row in _tally_shares(session, election))


def require_closed(election: Election) -> None:
    """Decryption is refused, with its own clear message, until the ballot box is closed."""
    if election.status == ElectionStatus.TALLIED:
        raise errors.WrongState(election.status.value)
    if election.status != ElectionStatus.CLOSED:
        raise ApiError(409, "not_closed", NOT_CLOSED)


def _object(data: Any, keys: tuple[str, ...]) -> Mapping[str, Any]:
    return exact_object(data, keys)


def _sealed_shares(value: Any, trustees: int) -> dict[int, bytes]:
    if not isinstance(value, Mapping):
        raise CodecError("sealed must be an object")
    sealed: dict[int, bytes] = {}
    for key, box in value.items():
        index = int(key)
        if str(index) != key or not isinstance(box, str) or len(box) > 4096:  # noqa: PLR2004
            raise CodecError("sealed shares are keyed by trustee index, hex")
        sealed[index] = hex_bytes(box, len(box) // 2)
    if set(sealed) != set(range(1, trustees + 1)):
        raise errors.CeremonyFailed(reason=N_("there must be one sealed share for every trustee"))
    return sealed


def _complaint(value: Any, me: int) -> ShareComplaint:
    fields = exact_object(value, ("dealer", "recipient", "box_key"))
    dealer, recipient, box_key = fields["dealer"], fields["recipient"], fields["box_key"]
    if type(dealer) is not int or recipient != me:
        raise CodecError("a complaint names the dealer and the complaining trustee")
    key = None if box_key is None else hex_bytes(box_key, _SEALING_KEY_BYTES)
    return ShareComplaint(dealer, me, key)


class CommissionApiController(Controller):
    """``/api/elections/{id}/ceremony/...`` and ``/api/elections/{id}/decryption``."""

    path = "/api/elections/{election_id:str}"

    @get("/ceremony", sync_to_thread=True)
    def ceremony(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Any:
        def run() -> dict[str, Any]:
            _, election, me = seated(request, db_session, election_id)
            return ceremony_document(db_session, election, me)

        return answer(run)

    @post("/ceremony/sealing-key", sync_to_thread=True, status_code=200)
    def sealing_key(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: JSONBody[Any],
    ) -> Any:
        def run() -> dict[str, Any]:
            # The seat first: nobody but a trustee of this election gets near its row lock.
            account, _, _ = seated(request, db_session, election_id)
            # Record §2.1: the Ed25519 key that signs the postal line comes with it.
            fields = _object(data, ("public_key", "signing_key"))
            key = hex_bytes(fields["public_key"], _SEALING_KEY_BYTES)
            signing = hex_bytes(fields["signing_key"], _SEALING_KEY_BYTES)
            trustee = services.register_sealing_key(
                db_session, parse_id(election_id), account, key, signing
            )
            return {"trustee": trustee.index, "public_key": key.hex(), "signing_key": signing.hex()}

        return answer(run)

    @post("/ceremony/dealing", sync_to_thread=True, status_code=200)
    def dealing(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: JSONBody[Any],
    ) -> Any:
        def run() -> dict[str, Any]:
            account, election, _ = seated(request, db_session, election_id)
            fields = _object(data, ("commitments", "sealed"))
            commitments = commitments_from_json(fields["commitments"], election.threshold)
            sealed = _sealed_shares(fields["sealed"], election.trustee_count)
            trustee = services.submit_dealing(db_session, election.id, account, commitments, sealed)
            return {"trustee": trustee.index, "dealt": True}

        return answer(run)

    @get("/ceremony/shares", sync_to_thread=True)
    def shares(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Any:
        def run() -> dict[str, Any]:
            account, _, _ = seated(request, db_session, election_id)
            received = services.shares_for(db_session, parse_id(election_id), account)
            return {
                "shares": [
                    {
                        "dealer": item.encrypted.dealer,
                        "recipient": item.encrypted.recipient,
                        "sealed": item.encrypted.sealed.hex(),
                        "commitments": commitments_json(item.commitments),
                    }
                    for item in received
                ]
            }

        return answer(run)

    @post("/ceremony/share-check", sync_to_thread=True, status_code=200)
    def share_check(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: JSONBody[Any],
    ) -> Any:
        def run() -> dict[str, Any]:
            account, election, me = seated(request, db_session, election_id)
            raw = _object(data, ("complaints",))["complaints"]
            if not isinstance(raw, list):
                raise CodecError("complaints must be a list")
            complaints = [_complaint(item, me) for item in raw]
            # Confirming good shares ends the trustee's ceremony: only with a saved backup.
            if not complaints and not has_backup(db_session, election, me):
                raise ApiError(409, "backup_missing", BACKUP_MISSING)
            outcome = services.submit_share_check(db_session, election.id, account, complaints)
            return {"keys_ready": outcome.keys_ready, "restarted": outcome.restarted}

        return answer(run)

    @get("/decryption", sync_to_thread=True)
    def decryption(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
    ) -> Any:
        def run() -> dict[str, Any]:
            account, election, _ = seated(request, db_session, election_id)
            require_closed(election)
            task = services.decryption_task(db_session, election.id, account)
            seat = next(t for t in election.trustees if t.index == task.trustee)
            return {
                "election_id": str(election.id),
                "context": task.params.context.hex(),
                "threshold": task.params.threshold,
                "trustees": task.params.trustees,
                "trustee": task.trustee,
                "verification_key": seat.verification_key,
                "aggregate": [[ciphertext_json(c) for c in row] for row in task.aggregate],
                **statement_inputs(db_session, election, account, task),
            }

        return answer(run)

    @post("/decryption", sync_to_thread=True, status_code=200)
    def submit_decryption(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        data: JSONBody[Any],
    ) -> Any:
        def run() -> dict[str, Any]:
            account, election, me = seated(request, db_session, election_id)
            require_closed(election)
            raw = _object(data, ("partials",))["partials"]
            if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
                raise CodecError("partials must be a list of lists")
            partials = [[partial_from_json(me, p) for p in row] for row in raw]
            services.submit_partial_decryption(db_session, election.id, account, partials)
            return {"trustee": me, "accepted": True}

        return answer(run)
