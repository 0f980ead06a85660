"""Pages of the Mitgliederbegehren: list, start, read and sign, check, paper lists,
signers (commission), board, the Entscheid, rules, the published list and receipt check.

Thin handlers: the rules are in `motions.services` (and `motions.entscheid`,
`motions.rules`). A refusal (a guest signing, a second signature, after the deadline…)
draws the initiative's page again with the message and changes nothing.
"""

from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Final

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.current import current_account, required_account
from app.accounts.guards import requires_login
from app.accounts.models import Account
from app.core.db import utcnow
from app.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.core.form_pages import flash_redirect
from app.core.i18n import N_
from app.core.inputs import parse_whole
from app.core.rate_limit import over_limit
from app.core.runtime import get_runtime
from app.core.settings import Settings
from app.core.templating import jinja_environment
from app.discussions import queries as discussion_queries
from app.discussions import services as discussion_services
from app.organisations.models import Unit
from ballots.errors import ManifestInvalid
from motions import commitment, entscheid, notifications, paper, services
from motions import rules as rules_service
from motions.models import InitiativeStatus, QuorumKind
from referendums import services as referendum_services

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
TIMEZONE: Final = referendum_services.TIMEZONE
_LIMITER: Final = "initiative_rate_limiter"
"""The key of this module's `app.core.rate_limit.RateLimiter` in ``app.state``."""


class TooManyRequests(DomainError):
    """Over a rate limit (settings ``voting.sign_per_minute``, ``lookup_per_minute``)."""

    status_code = 429
    message = N_(
        "Too many requests in a short time. Please wait a minute and try again; nothing has "
        "been changed."
    )


def _limit(request: Request[Any, Any, Any], route: str, per_minute: int, key: str | None) -> None:
    """Refuse the request once over ``route``'s limit: per ``key`` (the signer's account:
    signing and withdrawing in a loop would fill the audit log and hold the initiative's
    locks) or per client address (``key`` None: the list and the receipt check rebuild the
    Merkle tree of every signature on each request)."""
    if over_limit(request, _LIMITER, route, per_minute, key=key):
        raise TooManyRequests


_Data = Annotated[dict[str, Any], Form]

COUNT_FRESH_SECONDS: Final = 1.0


class _FreshCounts:
    """Live counts read in this process in the last ``seconds``, by initiative.

    Reads and keeps happen on the event loop (`InitiativeController.count`); handler
    threads only `forget` (one dict operation, atomic under the GIL) after a change
    made in this process, so a member's next poll shows their own signature. Other
    processes' counts are at most ``seconds`` old. Only public initiatives get in
    (`services.live_count` refuses the others), so made-up ids don't fill it; a few
    dozen are open at a time, the bound is a guard. A dict rather than
    ``cachetools.TTLCache``: that one is not safe to change from a second thread.
    """

    MOST: Final = 1024

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._kept: dict[uuid.UUID, tuple[float, services.LiveCount]] = {}

    def get(self, initiative_id: uuid.UUID) -> services.LiveCount | None:
        kept = self._kept.get(initiative_id)
        if kept is None or kept[0] < time.monotonic():
            return None
        return kept[1]

    def keep(self, counted: services.LiveCount) -> None:
        if len(self._kept) >= self.MOST:
            self._kept.clear()
        self._kept[counted.id] = (time.monotonic() + self._seconds, counted)

    def forget(self, initiative_id: uuid.UUID) -> None:
        self._kept.pop(initiative_id, None)


_FRESH_COUNTS: Final = _FreshCounts(COUNT_FRESH_SECONDS)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else ""


def _int(data: dict[str, Any], key: str) -> int:
    """A whole number typed into the form, ASCII digits only ("٣" is not 3 here), or -1."""
    number = parse_whole(_text(data, key))
    return -1 if number is None else number


def _for_staff(
    db_session: Session, request: Request[Any, Any, Any], initiative_id: uuid.UUID
) -> tuple[Account, services.InitiativeView]:
    """The logged-in account and the initiative, for staff of its unit or above; anyone
    else gets 404 (as if it did not exist: it may not be public yet)."""
    account = required_account(db_session, request)
    view = services.get_view(db_session, initiative_id)
    if not services.may_check(db_session, account, view.unit):
        raise NotFound
    return account, view


def _paper_context(view: services.InitiativeView, **fields: Any) -> dict[str, Any]:
    """The paper page: entering lists and recording a withdrawal in writing."""
    context: dict[str, Any] = {
        "view": view,
        "i": view.initiative,
        "errors": {},
        "result": None,
        "numbers": "",
        "withdraw_errors": {},
        "withdraw_number": "",
    }
    return context | fields


def _show_context(
    db_session: Session, account: Account | None, view: services.InitiativeView
) -> dict[str, Any]:
    initiative = view.initiative
    discussion = None
    if initiative.status not in {
        InitiativeStatus.DRAFT,
        InitiativeStatus.SUBMITTED,
        InitiativeStatus.REFUSED,
    }:
        discussion = discussion_services.discussion_of(
            db_session, "initiative", view.id, unit_id=view.unit.id, title=initiative.title
        )
    member = services.member_of_unit(db_session, account, view.unit)
    thread = (
        None
        if discussion is None
        else discussion_queries.thread_page(db_session, discussion, account)
    )
    return {
        "view": view,
        "i": initiative,
        "rules": view.rules,
        "Status": InitiativeStatus,
        "QuorumKind": QuorumKind,
        "account": account,
        "is_member_here": member is not None,
        "own": services.own_signature(db_session, account, view.id),
        "receipt": services.receipt(db_session, account, view.id),
        "initiators": services.initiators(db_session, view.id),
        "confirmed": services.confirmed_initiators(db_session, view.id),
        "is_initiator": services.is_initiator(db_session, account, initiative),
        "is_starter": account is not None and initiative.started_by_id == account.id,
        "may_check": services.may_check(db_session, account, view.unit),
        "may_see_signers": services.may_see_signers(db_session, account, view.unit),
        "is_board": services.is_board(db_session, account, view.unit),
        "discussion": discussion,
        "thread": thread,
        "paragraphs": referendum_services.paragraphs,
        "error": None,
    }


def _show(
    db_session: Session,
    account: Account | None,
    view: services.InitiativeView,
    *,
    error: DomainError | None = None,
) -> Template:
    context = _show_context(db_session, account, view)
    status = 200
    if error is not None:
        context["error"] = error.message
        context["error_params"] = error.params
        context["errors"] = getattr(error, "errors", {})
        status = error.status_code
    return Template("motions/show.html", context=context, status_code=status)


class InitiativeController(Controller):
    path = "/initiatives"

    @get("/", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = current_account(db_session, request)
        return Template(
            "motions/list.html",
            context={
                "initiatives": services.list_public(db_session),
                "to_check": services.waiting_for_check(db_session, account),
                "account": account,
            },
        )

    # -- starting -------------------------------------------------------------------------

    def _units(self, db_session: Session, account: Account) -> list[Unit]:
        """The member's own unit and the units above it (where an initiative may run)."""
        if account.member_id is None:
            return []
        from app.organisations.models import Member

        member = db_session.get(Member, account.member_id)
        if member is None or not member.is_active:
            return []
        own = db_session.get(Unit, member.unit_id)
        assert own is not None
        ids = [int(part) for part in own.path.strip("/").split("/") if part]
        return list(db_session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.path)))

    @get("/new", guards=[requires_login], sync_to_thread=True)
    def new(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        units = self._units(db_session, account)
        if not units:
            raise Forbidden(services.NOT_A_MEMBER_HERE)
        return Template("motions/new.html", context={"units": units, "form": {}, "errors": {}})

    @post("/new", guards=[requires_login], sync_to_thread=True)
    def create(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session], data: _Data
    ) -> Response[Any]:
        account = required_account(db_session, request)
        units = self._units(db_session, account)
        draft = services.InitiativeDraft(
            unit_id=_int(data, "unit_id"),
            title=_text(data, "title"),
            proposal=_text(data, "proposal"),
            reasons=_text(data, "reasons"),
            arguments_for=_text(data, "arguments_for"),
            co_initiators=_text(data, "co_initiators").splitlines(),
        )
        try:
            initiative = services.start(
                db_session, account, draft, allowed_units={unit.id for unit in units}
            )
        except ValidationFailed as error:
            db_session.rollback()
            return Template(
                "motions/new.html",
                context={"units": units, "form": data, "errors": error.errors},
                status_code=400,
            )
        return Redirect(f"/initiatives/{initiative.id}")

    # -- reading ----------------------------------------------------------------------------

    @get("/{initiative_id:uuid}", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
    ) -> Template:
        account = current_account(db_session, request)
        view = services.readable(db_session, initiative_id, account)
        return _show(db_session, account, view)

    @get("/{initiative_id:uuid}/count")
    async def count(
        self, db_session: NamedDependency[Session], initiative_id: FromPath[uuid.UUID]
    ) -> Template:
        """The live count, which htmx polls every 15 s on every open initiative page.

        Thousands may watch a federal initiative while it is signed. Each process reads
        an initiative's count at most once a second (`_FRESH_COUNTS`) and answers the
        other polls from that, on the event loop: a poll neither waits for a handler
        thread behind the signatures nor reaches the database. The count shown is at
        most one second old; a signer's own page is read afresh after signing.
        """
        counted = _FRESH_COUNTS.get(initiative_id)
        if counted is None:
            counted = await anyio.to_thread.run_sync(services.live_count, db_session, initiative_id)
            _FRESH_COUNTS.keep(counted)
        return Template("motions/_count.html", context={"view": counted, "i": counted})

    # -- the initiators ---------------------------------------------------------------------

    @post("/{initiative_id:uuid}/confirm", guards=[requires_login], sync_to_thread=True)
    def confirm(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        return self._act(
            db_session,
            account,
            initiative_id,
            lambda: services.confirm_initiator(db_session, account, initiative_id),
        )

    @post("/{initiative_id:uuid}/submit", guards=[requires_login], sync_to_thread=True)
    def submit(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        return self._act(
            db_session,
            account,
            initiative_id,
            lambda: services.submit(db_session, account, initiative_id),
        )

    # -- staff: admissibility, paper lists ---------------------------------------------------

    @post("/{initiative_id:uuid}/admit", guards=[requires_login], sync_to_thread=True)
    def admit(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account = required_account(db_session, request)
        return self._act(
            db_session,
            account,
            initiative_id,
            lambda: services.admit(db_session, account, initiative_id),
        )

    @post("/{initiative_id:uuid}/refuse", guards=[requires_login], sync_to_thread=True)
    def refuse(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
        data: _Data,
    ) -> Response[Any]:
        account = required_account(db_session, request)
        reason = _text(data, "reason")
        return self._act(
            db_session,
            account,
            initiative_id,
            lambda: services.refuse(db_session, account, initiative_id, reason),
        )

    @get("/{initiative_id:uuid}/paper", guards=[requires_login], sync_to_thread=True)
    def paper_form(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
    ) -> Template:
        _, view = _for_staff(db_session, request, initiative_id)
        return Template("motions/paper.html", context=_paper_context(view))

    @post("/{initiative_id:uuid}/paper", guards=[requires_login], sync_to_thread=True)
    def paper(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
        data: _Data,
    ) -> Template:
        account, view = _for_staff(db_session, request, initiative_id)
        numbers = _text(data, "numbers")
        context = _paper_context(view)
        try:
            context["result"] = services.enter_paper(db_session, account, initiative_id, numbers)
            _FRESH_COUNTS.forget(initiative_id)
            context["numbers"] = ""
        except (ValidationFailed, services.Refused) as error:
            db_session.rollback()
            context["numbers"] = numbers
            context["errors"] = getattr(error, "errors", {}) or {"numbers": error.message}
            return Template("motions/paper.html", context=context, status_code=error.status_code)
        context["view"] = services.get_view(db_session, initiative_id)
        context["i"] = context["view"].initiative
        return Template("motions/paper.html", context=context)

    @post("/{initiative_id:uuid}/paper/withdraw", guards=[requires_login], sync_to_thread=True)
    def paper_withdraw(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
        data: _Data,
    ) -> Template:
        """Staff record a paper signature withdrawn in writing (same rules as online)."""
        account, view = _for_staff(db_session, request, initiative_id)
        number = _text(data, "number")
        context = _paper_context(view, withdraw_number=number)
        try:
            context["withdrawn"] = paper.withdraw_paper(db_session, account, initiative_id, number)
        except (ValidationFailed, services.Refused) as error:
            db_session.rollback()
            context["withdraw_errors"] = getattr(error, "errors", {}) or {"number": error.message}
            return Template("motions/paper.html", context=context, status_code=error.status_code)
        _FRESH_COUNTS.forget(initiative_id)
        context["withdraw_number"] = ""
        context["view"] = services.get_view(db_session, initiative_id)
        context["i"] = context["view"].initiative
        return Template("motions/paper.html", context=context)

    @get("/{initiative_id:uuid}/signers", guards=[requires_login], sync_to_thread=True)
    def signers(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
    ) -> Template:
        account = required_account(db_session, request)
        view = services.get_view(db_session, initiative_id)
        if not services.may_see_signers(db_session, account, view.unit):
            raise NotFound
        rows = services.signers(db_session, account, initiative_id)
        return Template(
            "motions/signers.html",
            context={
                "view": view,
                "i": view.initiative,
                "rows": rows,
                "duplicates": [row for row in rows if row.duplicate],
            },
        )

    # -- members: sign and withdraw ------------------------------------------------------------

    @post("/{initiative_id:uuid}/sign", sync_to_thread=True)
    def sign(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        initiative_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account = current_account(db_session, request)
        if account is not None:
            _limit(request, "sign", settings.voting.sign_per_minute, str(account.id))
        return self._act(
            db_session,
            account,
            initiative_id,
            lambda: services.sign(db_session, account, initiative_id),
            anchor="#signing",
        )

    @post("/{initiative_id:uuid}/withdraw", sync_to_thread=True)
    def withdraw(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        initiative_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        account = current_account(db_session, request)
        if account is not None:  # one limit for signing and withdrawing: a loop of both
            _limit(request, "sign", settings.voting.sign_per_minute, str(account.id))
        return self._act(
            db_session,
            account,
            initiative_id,
            lambda: services.withdraw(db_session, account, initiative_id),
            anchor="#signing",
        )

    # -- the board ------------------------------------------------------------------------------

    @post("/{initiative_id:uuid}/adopt", guards=[requires_login], sync_to_thread=True)
    def adopt(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
        data: _Data,
    ) -> Response[Any]:
        account = required_account(db_session, request)
        answer = _text(data, "answer")
        return self._act(
            db_session,
            account,
            initiative_id,
            lambda: services.adopt(db_session, account, initiative_id, answer),
        )

    def _act(
        self,
        db_session: Session,
        account: Account | None,
        initiative_id: uuid.UUID,
        action: Any,
        *,
        anchor: str = "",
    ) -> Response[Any]:
        """Run ``action``; on a refusal the page again with its message, nothing changed."""
        try:
            action()
        except (services.Refused, ValidationFailed, Forbidden) as error:
            db_session.rollback()
            view = services.readable(db_session, initiative_id, account)
            return _show(db_session, account, view, error=error)
        _FRESH_COUNTS.forget(initiative_id)
        return Redirect(f"/initiatives/{initiative_id}{anchor}")

    # -- the Entscheid ----------------------------------------------------------------------------

    def _entscheid_context(
        self, db_session: Session, account: Account, view: services.InitiativeView
    ) -> dict[str, Any]:
        return {
            "view": view,
            "i": view.initiative,
            "rules": view.rules,
            "QuorumKind": QuorumKind,
            "candidates": referendum_services.commission_candidates(db_session, account),
            "errors": {},
            "form": {},
        }

    @get("/{initiative_id:uuid}/entscheid", guards=[requires_login], sync_to_thread=True)
    def entscheid_form(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        initiative_id: FromPath[uuid.UUID],
    ) -> Template:
        account, view = _for_staff(db_session, request, initiative_id)
        return Template(
            "motions/entscheid.html", context=self._entscheid_context(db_session, account, view)
        )

    @post("/{initiative_id:uuid}/entscheid", guards=[requires_login], sync_to_thread=True)
    def entscheid(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        initiative_id: FromPath[uuid.UUID],
        data: _Data,
    ) -> Response[Any]:
        account, view = _for_staff(db_session, request, initiative_id)
        context = self._entscheid_context(db_session, account, view)
        context["form"] = data
        raw = data.get("trustees", [])
        chosen = raw if isinstance(raw, list) else [raw]
        try:
            trustee_ids = [uuid.UUID(str(value)) for value in chosen]
            opens = _local(_text(data, "opens_on"))
            closes = _local(_text(data, "closes_on"))
            threshold = _int(data, "threshold")
        except ValueError:
            context["errors"] = {"window": N_("Enter the dates as YYYY-MM-DD.")}
            return Template("motions/entscheid.html", context=context, status_code=400)
        schedule = entscheid.Schedule(
            cutoff_at=opens - timedelta(days=1),
            opens_at=opens,
            closes_at=closes,
            trustees=len(trustee_ids),
            threshold=threshold,
        )
        try:
            referendum = entscheid.prepare(
                db_session,
                settings,
                account,
                initiative_id,
                trustee_ids=trustee_ids,
                schedule=schedule,
            )
        except (ManifestInvalid, services.Refused) as error:
            db_session.rollback()
            context["errors"] = getattr(error, "errors", {}) or {"window": error.message}
            return Template("motions/entscheid.html", context=context, status_code=400)
        return flash_redirect(
            f"/referendums/{referendum.election_id}/manage", "referendum_created", settings
        )

    # -- the commitment -------------------------------------------------------------------------

    @get("/{initiative_id:uuid}/signatures.json", sync_to_thread=True)
    def published(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        initiative_id: FromPath[uuid.UUID],
    ) -> dict[str, Any]:
        _limit(request, "lookup", settings.voting.lookup_per_minute, None)
        return services.published_list(db_session, initiative_id)

    @post("/{initiative_id:uuid}/check", sync_to_thread=True)
    def check(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        initiative_id: FromPath[uuid.UUID],
        data: _Data,
    ) -> Template:
        """Is my signature counted? A signer checks their receipt against the published
        list: the leaf is recomputed from membership number and salt (or the code is
        pasted) and proven against the list's root."""
        _limit(request, "lookup", settings.voting.lookup_per_minute, None)
        view = services.readable(db_session, initiative_id, current_account(db_session, request))
        document = services.published_list(db_session, initiative_id)
        number, salt = _text(data, "number").strip(), _text(data, "salt").strip().lower()
        try:
            if number or salt:
                item = commitment.receipt_leaf(initiative_id, number, salt)
            else:
                item = commitment.parse_leaf(_text(data, "leaf"))
        except ValueError:
            item = None
        checks = commitment.check_published(document)
        found = (
            None
            if item is None
            else all(ok for _, ok in checks) and commitment.includes(document, item)
        )
        return Template(
            "motions/check.html",
            context={
                "view": view,
                "i": view.initiative,
                "found": found,
                "leaf": item.hex() if item else "",
                "number": number,
                "checks": checks,
            },
            status_code=400 if found is None else 200,
        )

    # -- opting out of the notices ----------------------------------------------------------------

    @get("/notices/opt-out", sync_to_thread=True)
    def opt_out_form(self, token: FromQuery[str] = "") -> Template:
        return Template("motions/opt_out.html", context={"token": token, "done": False})

    @post("/notices/opt-out", sync_to_thread=True)
    def opt_out(
        self,
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        data: _Data,
    ) -> Template:
        account_id = notifications.account_from_token(
            settings.security.secret_key, _text(data, "token")
        )
        if account_id is None or db_session.get(Account, account_id) is None:
            raise NotFound
        notifications.opt_out(db_session, account_id)
        return Template("motions/opt_out.html", context={"token": "", "done": True})


def _local(value: str) -> datetime:
    """A date from the form, as midnight in the party's local time."""
    day = date.fromisoformat(value.strip())
    return datetime(day.year, day.month, day.day, tzinfo=TIMEZONE)


class InitiativeRulesController(Controller):
    """Staff set a unit's rules (a new version); everyone may read them."""

    path = "/initiative-rules"

    @get("/{unit_id:int}", guards=[requires_login], sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        unit_id: FromPath[int],
    ) -> Template:
        account = required_account(db_session, request)
        unit = db_session.get(Unit, unit_id)
        if unit is None or not services.may_check(db_session, account, unit):
            raise NotFound
        return Template("motions/rules.html", context=self._context(db_session, unit, {}, None))

    def _context(
        self, db_session: Session, unit: Unit, errors: dict[str, str], form: dict[str, Any] | None
    ) -> dict[str, Any]:
        current = rules_service.rules_for(db_session, unit, utcnow().date())
        return {
            "unit": unit,
            "current": rules_service.as_draft(current),
            "inherited": current is None or current.unit_id != unit.id,
            "versions": rules_service.own_versions(db_session, unit),
            "errors": errors,
            "form": form,
            "QuorumKind": QuorumKind,
            "today": utcnow().date().isoformat(),
        }

    @post("/{unit_id:int}", guards=[requires_login], sync_to_thread=True)
    def save(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        unit_id: FromPath[int],
        data: _Data,
    ) -> Response[Any]:
        account = required_account(db_session, request)
        unit = db_session.get(Unit, unit_id)
        if unit is None or not services.may_check(db_session, account, unit):
            raise NotFound
        try:
            kind = QuorumKind(_text(data, "quorum_kind"))
        except ValueError:
            kind = QuorumKind.TURNOUT
        draft = rules_service.RulesDraft(
            threshold_percent=_int(data, "threshold_percent"),
            signing_days=_int(data, "signing_days"),
            min_initiators=_int(data, "min_initiators"),
            board_days=_int(data, "board_days"),
            quorum_kind=kind,
            quorum_percent=_int(data, "quorum_percent"),
            binding_months=_int(data, "binding_months"),
            overturn_body=_text(data, "overturn_body").strip(),
            overturn_numerator=_int(data, "overturn_numerator"),
            overturn_denominator=_int(data, "overturn_denominator"),
        )
        try:
            valid_from = date.fromisoformat(_text(data, "valid_from").strip())
            rules_service.add_version(db_session, account, unit, draft, valid_from)
        except (ValueError, ValidationFailed) as error:
            db_session.rollback()
            errors = getattr(error, "errors", {"valid_from": N_("Enter the date as YYYY-MM-DD.")})
            return Template(
                "motions/rules.html",
                context=self._context(db_session, unit, errors, data),
                status_code=400,
            )
        return flash_redirect(f"/initiative-rules/{unit.id}", "saved", settings)


ROUTES = [InitiativeController, InitiativeRulesController]


def _initiative_binding(election_id: uuid.UUID) -> entscheid.Binding | None:
    """For ``motions/_binding.html`` on the referendum result page, which has no session
    of its own in its context: one short read in the app's database."""
    with get_runtime().database.session() as session:
        return entscheid.binding_of(session, election_id)


jinja_environment().globals["initiative_binding"] = _initiative_binding
