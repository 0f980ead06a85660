"""The voter's JSON API: client data, credential, ballots, board lookup.

The contract (routes, bodies, error codes) is in ``docs/ballots/web-api.md`` ("Voter
API"); the browser's ``frontend/src/voter.js`` and the Python client ``ballots.client``
speak it. Errors are ``{"error": "<code>", "message": "<translated text>"}`` with a 4xx
status, never a page and never a 500 for bad input.

Casting is session-less on purpose: the ballot must not be linkable to a login, so the
ballots route is excluded from the session middleware (a cookie that comes along is
never read) and from CSRF (no cookie, no ambient authority to abuse). Its body is
capped at `MAX_BALLOT_BYTES`.

The credential route costs one 3072-bit blind RSA signature (~3 ms CPU), but at most
once per roll entry: a member who already has a credential gets the stored answer
(same request) or ``already_issued`` after one indexed lookup, and an account that is
not on the roll is refused before any signing. A replayed ballot is refused by one
indexed lookup before any proof is checked. Both routes are rate-limited per client
address (`app.core.rate_limit`, settings ``voting.*_per_minute``): over the
limit the answer is 429 ``rate_limited`` with a ``Retry-After`` header.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from typing import Any

import anyio
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody, RawBody
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.inputs import MALFORMED_MESSAGE
from app.core.json_errors import (
    LOGIN_REQUIRED_MESSAGE,
    api_error,
    json_http_errors,
    too_many_requests,
)
from app.core.rate_limit import over_limit
from app.core.settings import Settings
from ballots import services
from ballots.ballot_check import CheckedBallot
from ballots.ballot_size import MAX_BALLOT_BYTES
from ballots.errors import (
    AlreadyVoted,
    BallotRejected,
    CredentialAlreadyIssued,
    CredentialRequestInvalid,
    ElectionNotFound,
    NotOnRoll,
    PostalVoter,
    VotingClosed,
    WrongState,
)
from referendums.voting import board_view, lookup

MAX_CREDENTIAL_BYTES = 4 * 1024
CAST_THREADS = 2
"""Ballot checks running at once per process. Checking is CPU work (libsodium releases
the GIL, the Python around it does not); more threads than cores only add switching.
Requests beyond this wait in the event loop and hold no thread. The board append is
not done by these threads but by the process's `ballots.services.BoardSequencer`."""

NOT_ELIGIBLE_GUEST = N_(
    "Only members can vote. Your account is a guest account that is not linked to a membership."
)
NOT_ELIGIBLE_ROLL = N_(
    "You are not on the voter roll of this member vote. Only members of the organising "
    "unit on the cut-off date can vote."
)
LOGIN_REQUIRED = LOGIN_REQUIRED_MESSAGE
MALFORMED = MALFORMED_MESSAGE
NOT_FOUND_BALLOT = N_("There is no ballot with this hash on the bulletin board.")
NO_ELECTION = N_("There is no such election.")
CLOSED = N_("This election is not open for voting.")


_LIMITER = "voting_rate_limiter"
"""The key of this API's `app.core.rate_limit.RateLimiter` in ``app.state``."""


REFUSED_BECAUSE: dict[str, str] = {
    "format": N_("The ballot is not in the expected format."),
    "election": N_("The ballot belongs to another vote."),
    "credential_signature": N_("The voting credential of this ballot is not valid."),
    "signature": N_("The signature of this ballot is not valid."),
    "proofs": N_("The proofs of this ballot are not valid."),
}
"""What a voter reads per failed check: translated, and without the parser's own words
(``BallotRejected.reason`` stays in the server's reach only)."""
REFUSED = N_("The ballot was refused.")


_http_error = json_http_errors(NO_ELECTION)
"""Litestar's own errors on these routes (CSRF, body size, parsing) as JSON codes."""


def _domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    code, status = _CODES.get(type(exc), ("malformed", exc.status_code))
    if isinstance(exc, BallotRejected):
        message = REFUSED_BECAUSE.get(exc.check, REFUSED)
        return api_error(code, message, status, check=exc.check)
    return api_error(code, exc.message, status, params=exc.params)


_CODES: dict[type[DomainError], tuple[str, int]] = {
    ElectionNotFound: ("not_found", HTTP_404_NOT_FOUND),
    NotOnRoll: ("not_eligible", HTTP_403_FORBIDDEN),
    PostalVoter: ("postal_voter", HTTP_403_FORBIDDEN),
    CredentialAlreadyIssued: ("already_issued", HTTP_409_CONFLICT),
    VotingClosed: ("closed", HTTP_403_FORBIDDEN),
    WrongState: ("closed", HTTP_403_FORBIDDEN),
    AlreadyVoted: ("already_voted", HTTP_409_CONFLICT),
    BallotRejected: ("rejected", HTTP_422_UNPROCESSABLE_ENTITY),
    CredentialRequestInvalid: ("malformed", HTTP_400_BAD_REQUEST),
}


class VoterApiController(Controller):
    path = "/api/elections/{election_id:str}"
    exception_handlers = {
        HTTPException: _http_error,
        DomainError: _domain_error,
    }

    @get("/client-data", sync_to_thread=True, exclude_from_auth=True)
    def client_data(
        self, db_session: NamedDependency[Session], election_id: FromPath[str]
    ) -> Response[Any]:
        election = services.get_election(db_session, lookup.election_id(election_id))
        body = {
            "election_id": str(election.id),
            "status": election.status.value,
            "manifest": services.manifest_of(election).raw,
            "keys": board_view.keys_so_far(db_session, election),
        }
        return Response(body, status_code=HTTP_200_OK, media_type=MediaType.JSON)

    @post(
        "/credential",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        request_max_body_size=MAX_CREDENTIAL_BYTES,
    )
    def credential(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        election_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
    ) -> Response[Any]:
        if over_limit(request, _LIMITER, "credential", settings.voting.credential_per_minute):
            return too_many_requests()
        user = request.user
        if not isinstance(user, Account):
            return api_error("login_required", LOGIN_REQUIRED, HTTP_401_UNAUTHORIZED)
        the_id = lookup.election_id(election_id)
        services.get_election(db_session, the_id)  # 404 before eligibility
        if user.member_id is None or user.is_disabled:
            return api_error("not_eligible", NOT_ELIGIBLE_GUEST, HTTP_403_FORBIDDEN)
        blinded = _hex_field(data, "blinded_msg", 4096)
        if blinded is None:
            return api_error("malformed", MALFORMED, HTTP_400_BAD_REQUEST)
        try:
            signature = services.issue_credential(
                db_session, settings, the_id, user.member_id, blinded
            )
        except NotOnRoll:
            return api_error("not_eligible", NOT_ELIGIBLE_ROLL, HTTP_403_FORBIDDEN)
        return Response(
            {"blind_signature": signature.hex()}, status_code=HTTP_200_OK, media_type=MediaType.JSON
        )

    @post(
        "/ballots",
        status_code=HTTP_201_CREATED,
        exclude_from_csrf=True,
        exclude_from_auth=True,
        request_max_body_size=MAX_BALLOT_BYTES,
    )
    async def ballots(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        election_id: FromPath[str],
        body: RawBody,
    ) -> Response[Any]:
        if over_limit(request, _LIMITER, "cast", settings.voting.cast_per_minute):
            return too_many_requests()
        the_id = lookup.election_id(election_id)
        if not body.strip():
            return api_error("malformed", MALFORMED, HTTP_400_BAD_REQUEST)
        checked = await anyio.to_thread.run_sync(
            _check, db_session, the_id, bytes(body), limiter=_cast_limiter()
        )
        if isinstance(checked, Response):
            return checked
        sequencer = services.board_sequencer(request.app.state.database, settings)
        receipt = await asyncio.wrap_future(sequencer.submit(the_id, checked))
        return Response(
            {"receipt": receipt.to_json()}, status_code=HTTP_201_CREATED, media_type=MediaType.JSON
        )

    @get("/board/{ballot_hash:str}", sync_to_thread=True, exclude_from_auth=True)
    def board_entry(
        self,
        db_session: NamedDependency[Session],
        election_id: FromPath[str],
        ballot_hash: FromPath[str],
    ) -> Response[Any]:
        the_id = lookup.election_id(election_id)
        services.get_election(db_session, the_id)
        found = board_view.lookup(db_session, the_id, ballot_hash)
        if found is None:
            return api_error("not_found", NOT_FOUND_BALLOT, HTTP_404_NOT_FOUND)
        return Response(
            {"receipt": found.to_json()}, status_code=HTTP_200_OK, media_type=MediaType.JSON
        )


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _cast_limiter() -> anyio.CapacityLimiter:
    """At most `CAST_THREADS` casts at a time per event loop (= per server process)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(CAST_THREADS)
    return limiter


def _check(session: Session, election_id: uuid.UUID, body: bytes) -> CheckedBallot | Response[Any]:
    """The lock-free checks, in a worker thread; the board append is the sequencer's."""
    try:
        return services.check_for_board(session, election_id, body)
    except BallotRejected as rejected:
        if rejected.check != "format":
            raise
        message = REFUSED_BECAUSE.get(rejected.check, REFUSED)
        return api_error("malformed", message, HTTP_400_BAD_REQUEST, check=rejected.check)


def _hex_field(data: dict[str, Any], name: str, max_bytes: int) -> bytes | None:
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value or len(value) > 2 * max_bytes:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None
