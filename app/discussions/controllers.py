"""Pages of the discussion component. Thin: parse, call a service, render or redirect.

A refused action re-renders the discussion page with the message and the status of the
refusal (nothing is stored: the services raise before they change anything).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from app.accounts.current import current_account, required_account
from app.accounts.guards import requires_login
from app.accounts.models import Account
from app.core.db import utcnow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.form_pages import form_page, submit
from app.core.i18n import N_
from app.core.inputs import parse_whole
from app.core.lookup import get_or_404
from app.core.settings import Settings
from app.discussions import digest, moderation, policies, queries, services
from app.discussions.markup import render
from app.discussions.models import Discussion, Post, PostScope, ReadScope
from app.organisations import units
from app.organisations.models import Unit

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
LOCAL_ZONE = ZoneInfo("Europe/Berlin")
T = TypeVar("T")


def _post_id(text: str) -> int | None:
    """An optional post id from a form; something that is not one is refused."""
    if not text.strip():
        return None
    number = parse_whole(text, low=1, high=2**62)
    if number is None:
        raise ValidationFailed({"body": N_("The post you answer no longer exists.")})
    return number


def show_context(
    db_session: Session,
    account: Account | None,
    discussion: Discussion,
    *,
    page: int = 1,
    sort: str = "oldest",
) -> dict[str, Any]:
    unit = db_session.get(Unit, discussion.unit_id)
    return {
        "thread": queries.thread_page(db_session, discussion, account, page=page, sort=sort),
        "unit": unit,
        "account": account,
        "is_open": discussion.is_open(utcnow()),
        "opening_html": render(discussion.opening) if discussion.opening else "",
        "errors": {},
        "error": None,
        "body": "",
        "flash": None,
    }


def _refused(
    db_session: Session,
    account: Account | None,
    discussion: Discussion,
    error: DomainError,
    body: str = "",
) -> Template:
    """The discussion page again with what was refused (``submit`` rolled back)."""
    context = show_context(db_session, account, discussion)
    context["body"] = body
    if isinstance(error, ValidationFailed):
        context["errors"] = error.errors
        context["error"] = next((DomainError(message) for message in error.errors.values()), None)
    else:
        context["error"] = error
    return Template("discussions/show.html", context=context, status_code=error.status_code)


QUEUES = frozenset({"queue", "discussion-queue"})


def _queue_path(discussion_id: uuid.UUID | None) -> str:
    if discussion_id is None:
        return "/discussions/moderation"
    return f"/discussions/{discussion_id}/moderation"


def _queue_page(
    queue: moderation.Queue,
    *,
    error: DomainError | None = None,
    errors: dict[str, str] | None = None,
    email: str = "",
) -> Template:
    context = {"queue": queue, "error": error, "errors": errors or {}, "email": email}
    return Template(
        "discussions/moderation.html",
        context=context,
        status_code=error.status_code if error is not None else 200,
    )


def _queue_refused(
    db_session: Session,
    account: Account | None,
    discussion_id: uuid.UUID | None,
    error: DomainError,
    email: str = "",
) -> Template:
    """The queue again with what was refused (nothing stored: ``submit`` rolled back). A
    moderator sees their queue; someone who moderates nothing gets the plain refusal."""
    try:
        if discussion_id is None:
            queue = moderation.queue_for(db_session, account)
        else:
            queue = moderation.queue_of(db_session, account, discussion_id)
    except DomainError:
        raise error from None
    errors = error.errors if isinstance(error, ValidationFailed) else {}
    shown = next((DomainError(m) for m in errors.values()), error) if errors else error
    shown.status_code = error.status_code
    return _queue_page(queue, error=shown, errors=errors, email=email)


def _attempt(
    db_session: Session,
    action: Callable[[], T],
    *,
    refused: Callable[[DomainError], Response[Any]],
    done: Callable[[T], Response[Any]],
) -> Response[Any]:
    """Every refusal of a discussion action shows its page again with the message,
    except ``NotFound``: what a person may not see stays a plain 404."""
    return submit(
        db_session, action, refused=refused, done=done, refusals=(DomainError,), passes=(NotFound,)
    )


def _on_discussion(
    db_session: Session,
    request: Request[Any, Any, Any],
    discussion_id: uuid.UUID,
    action: Any,
    *,
    email: str = "",
) -> Response[Any]:
    """An action on a discussion's moderation page (moderators, exclusions)."""
    account = current_account(db_session, request)
    discussion = services.readable(db_session, discussion_id, account)
    return _attempt(
        db_session,
        lambda: action(account, discussion),
        refused=lambda error: _queue_refused(db_session, account, discussion.id, error, email),
        done=lambda _: Redirect(path=_queue_path(discussion.id)),
    )


@dataclass
class PostForm:
    body: str = ""
    parent_id: str = ""
    quote_id: str = ""


@dataclass
class BackForm:
    back: str = ""
    """"queue" or "discussion-queue" when the action was taken on a moderation queue."""


@dataclass
class ReasonForm:
    reason: str = ""
    back: str = ""


@dataclass
class ModeratorForm:
    email: str = ""


@dataclass
class StanceForm:
    stance: str = ""


@dataclass
class FollowForm:
    following: str = "yes"


@dataclass
class DebateForm:
    title: str = ""
    opening: str = ""
    closes_at: str = ""
    read_scope: str = ReadScope.PUBLIC
    post_scope: str = PostScope.EVERYONE
    hold_first_guest_post: str = ""


@dataclass
class PreferencesForm:
    full_name_public: str = ""
    digest: str = ""


def _parse_debate(form: DebateForm) -> services.DebateDraft:
    errors: dict[str, str] = {}
    closes_at = None
    if form.closes_at.strip():
        try:
            local = datetime.fromisoformat(form.closes_at.strip())
            closes_at = local.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
        except ValueError:
            errors["closes_at"] = N_("Please enter a date and time, or leave the field empty.")
    if form.read_scope not in set(ReadScope) or form.post_scope not in set(PostScope):
        errors["read_scope"] = N_("Please choose who may read and who may post.")
    if errors:
        raise ValidationFailed(errors)
    return services.DebateDraft(
        title=form.title,
        opening=form.opening,
        closes_at=closes_at,
        read_scope=ReadScope(form.read_scope),
        post_scope=PostScope(form.post_scope),
        hold_first_guest_post=form.hold_first_guest_post == "yes",
    )


class DiscussionController(Controller):
    path = "/discussions"

    # -- reading --------------------------------------------------------------------------------

    @get("/{discussion_id:uuid}", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
        page: FromQuery[str] = "1",
        sort: FromQuery[str] = "oldest",
    ) -> Template:
        account = current_account(db_session, request)
        discussion = services.readable(db_session, discussion_id, account)
        number = parse_whole(page, low=1, high=10**6) or 1
        context = show_context(db_session, account, discussion, page=number, sort=sort)
        return Template("discussions/show.html", context=context)

    @get("/{discussion_id:uuid}/live", sync_to_thread=True)
    def live(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
        after: FromQuery[str] = "0",
    ) -> Template:
        account = current_account(db_session, request)
        discussion = services.readable(db_session, discussion_id, account)
        since = parse_whole(after, low=0, high=2**62) or 0
        posts = queries.live_posts(db_session, discussion, account, since)
        return Template(
            "discussions/_live.html",
            context={"discussion": discussion, "posts": posts, "after": since, "account": account},
        )

    @get("/{discussion_id:uuid}/search", sync_to_thread=True)
    def search(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
        q: FromQuery[str] = "",
    ) -> Template:
        account = current_account(db_session, request)
        discussion = services.readable(db_session, discussion_id, account)
        hits = queries.search(db_session, [discussion], account, q)
        context = {
            "hits": hits,
            "q": q,
            "place": discussion.title,
            "action": f"/discussions/{discussion.id}/search",
        }
        return Template("discussions/search.html", context=context)

    @get("/units/{code:str}/debates", sync_to_thread=True)
    def unit_debates(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        code: FromPath[str],
    ) -> Template:
        account = current_account(db_session, request)
        unit = units.get_unit(db_session, code)
        context = {
            "unit": unit,
            "debates": queries.debates_of_unit(db_session, unit, account),
            "may_open": policies.may_open_debate(db_session, account, unit),
        }
        return Template("discussions/_unit_debates.html", context=context)

    @get("/units/{code:str}/search", sync_to_thread=True)
    def unit_search(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        code: FromPath[str],
        q: FromQuery[str] = "",
    ) -> Template:
        account = current_account(db_session, request)
        unit = units.get_unit(db_session, code)
        debates = queries.debates_of_unit(db_session, unit, account)
        context = {
            "hits": queries.search(db_session, debates, account, q),
            "q": q,
            "place": unit.name,
            "action": f"/discussions/units/{unit.code}/search",
        }
        return Template("discussions/search.html", context=context)

    @get("/mine", guards=[requires_login], sync_to_thread=True)
    def mine(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        context = {
            "debates": queries.debates_for(db_session, account),
            "unread": queries.unread_count(db_session, account),
            "moderates": moderation.moderates_anything(db_session, account),
        }
        return Template("discussions/_mine.html", context=context)

    # -- opening a debate -----------------------------------------------------------------------

    @get("/units/{code:str}/new", guards=[requires_login], sync_to_thread=True)
    def new_debate(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        code: FromPath[str],
    ) -> Template:
        unit = units.get_unit(db_session, code)
        if not policies.may_open_debate(db_session, current_account(db_session, request), unit):
            raise NotFound
        context = {"unit": unit, "form": DebateForm(), "errors": {}}
        return Template("discussions/new.html", context=context)

    @post("/units/{code:str}/new", guards=[requires_login], sync_to_thread=True)
    def open_debate(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        code: FromPath[str],
        data: Annotated[DebateForm, Form],
    ) -> Response[Any]:
        account = current_account(db_session, request)
        unit = units.get_unit(db_session, code)
        if account is None or not policies.may_open_debate(db_session, account, unit):
            raise NotFound
        return submit(
            db_session,
            lambda: services.open_debate(db_session, account, unit, _parse_debate(data)),
            refused=lambda error: form_page(
                "discussions/new.html", {"unit": unit, "form": data, "errors": error.errors}
            ),
            done=lambda debate: Redirect(path=f"/discussions/{debate.id}"),
        )

    # -- posting --------------------------------------------------------------------------------

    @post("/{discussion_id:uuid}/posts", guards=[requires_login], sync_to_thread=True)
    def add_post(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
        data: Annotated[PostForm, Form],
    ) -> Response[Any]:
        account = current_account(db_session, request)
        discussion = services.readable(db_session, discussion_id, account)
        return _attempt(
            db_session,
            lambda: services.post(
                db_session,
                discussion,
                account,
                data.body,
                parent_id=_post_id(data.parent_id),
                quote_id=_post_id(data.quote_id),
            ),
            refused=lambda error: _refused(db_session, account, discussion, error, data.body),
            done=lambda new: Redirect(path=services.page_url(discussion, new.id)),
        )

    def _on_post(
        self,
        db_session: Session,
        request: Request[Any, Any, Any],
        post_id: int,
        action: Any,
        back: str = "",
    ) -> Response[Any]:
        """Run a post's action; afterwards back to the post (or to the moderation queue
        it was taken on), a refusal shows that page again with the message."""
        account = current_account(db_session, request)
        found = get_or_404(db_session, Post, post_id)
        discussion = services.readable(db_session, found.discussion_id, account)
        queue_of = discussion.id if back == "discussion-queue" else None
        on_queue = back in QUEUES
        after = _queue_path(queue_of) if on_queue else services.page_url(discussion, post_id)
        return _attempt(
            db_session,
            lambda: action(account),
            refused=lambda error: (
                _queue_refused(db_session, account, queue_of, error)
                if on_queue
                else _refused(db_session, account, discussion, error)
            ),
            done=lambda _: Redirect(path=after),
        )

    @post("/posts/{post_id:int}/edit", guards=[requires_login], sync_to_thread=True)
    def edit(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
        data: Annotated[PostForm, Form],
    ) -> Response[Any]:
        return self._on_post(
            db_session, request, post_id, lambda a: services.edit(db_session, post_id, a, data.body)
        )

    @post("/posts/{post_id:int}/delete", guards=[requires_login], sync_to_thread=True)
    def delete(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
    ) -> Response[Any]:
        return self._on_post(
            db_session, request, post_id, lambda a: services.delete(db_session, post_id, a)
        )

    @post("/posts/{post_id:int}/react", guards=[requires_login], sync_to_thread=True)
    def react(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
        data: Annotated[StanceForm, Form],
    ) -> Response[Any]:
        return self._on_post(
            db_session,
            request,
            post_id,
            lambda a: services.react(db_session, post_id, a, data.stance),
        )

    @post("/posts/{post_id:int}/report", guards=[requires_login], sync_to_thread=True)
    def report(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
        data: Annotated[ReasonForm, Form],
    ) -> Response[Any]:
        return self._on_post(
            db_session,
            request,
            post_id,
            lambda a: services.report(db_session, post_id, a, data.reason),
        )

    @post("/posts/{post_id:int}/hide", guards=[requires_login], sync_to_thread=True)
    def hide(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
        data: Annotated[ReasonForm, Form],
    ) -> Response[Any]:
        return self._on_post(
            db_session,
            request,
            post_id,
            lambda a: services.hide(db_session, post_id, a, data.reason),
            data.back,
        )

    @post("/posts/{post_id:int}/show", guards=[requires_login], sync_to_thread=True)
    def show_again(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
        data: Annotated[BackForm, Form],
    ) -> Response[Any]:
        return self._on_post(
            db_session,
            request,
            post_id,
            lambda a: services.show(db_session, post_id, a),
            data.back,
        )

    @post("/posts/{post_id:int}/approve", guards=[requires_login], sync_to_thread=True)
    def approve(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
        data: Annotated[BackForm, Form],
    ) -> Response[Any]:
        return self._on_post(
            db_session,
            request,
            post_id,
            lambda a: services.approve(db_session, post_id, a),
            data.back,
        )

    @post("/posts/{post_id:int}/ban", guards=[requires_login], sync_to_thread=True)
    def ban(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
        data: Annotated[ReasonForm, Form],
    ) -> Response[Any]:
        def action(account: Account | None) -> None:
            found = db_session.get(Post, post_id)
            assert found is not None
            discussion = db_session.get(Discussion, found.discussion_id)
            assert discussion is not None
            services.ban(db_session, discussion, account, found.author_id, data.reason)

        return self._on_post(db_session, request, post_id, action, data.back)

    @post("/posts/{post_id:int}/dismiss", guards=[requires_login], sync_to_thread=True)
    def dismiss(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        post_id: FromPath[int],
        data: Annotated[BackForm, Form],
    ) -> Response[Any]:
        return self._on_post(
            db_session,
            request,
            post_id,
            lambda a: services.dismiss_reports(db_session, post_id, a),
            data.back or "queue",
        )

    # -- moderation queues, moderators and exclusions -----------------------------------------

    @get("/moderation", guards=[requires_login], sync_to_thread=True)
    def queue(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = current_account(db_session, request)
        return _queue_page(moderation.queue_for(db_session, account))

    @get("/{discussion_id:uuid}/moderation", guards=[requires_login], sync_to_thread=True)
    def discussion_queue(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
    ) -> Template:
        account = current_account(db_session, request)
        return _queue_page(moderation.queue_of(db_session, account, discussion_id))

    @post("/{discussion_id:uuid}/moderators", guards=[requires_login], sync_to_thread=True)
    def name_moderator(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
        data: Annotated[ModeratorForm, Form],
    ) -> Response[Any]:
        return _on_discussion(
            db_session,
            request,
            discussion_id,
            lambda a, d: services.name_moderator(db_session, d, a, data.email),
            email=data.email,
        )

    @post(
        "/{discussion_id:uuid}/moderators/{account_id:uuid}/remove",
        guards=[requires_login],
        sync_to_thread=True,
    )
    def remove_moderator(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return _on_discussion(
            db_session,
            request,
            discussion_id,
            lambda a, d: services.remove_moderator(db_session, d, a, account_id),
        )

    @post(
        "/{discussion_id:uuid}/bans/{account_id:uuid}/lift",
        guards=[requires_login],
        sync_to_thread=True,
    )
    def lift_ban(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
        account_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return _on_discussion(
            db_session,
            request,
            discussion_id,
            lambda a, d: services.unban(db_session, d, a, account_id),
        )

    @post("/{discussion_id:uuid}/follow", guards=[requires_login], sync_to_thread=True)
    def follow(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        discussion_id: FromPath[uuid.UUID],
        data: Annotated[FollowForm, Form],
    ) -> Response[Any]:
        account = current_account(db_session, request)
        discussion = services.readable(db_session, discussion_id, account)
        services.set_following(db_session, discussion, account, data.following == "yes")
        return Redirect(path=services.page_url(discussion))

    # -- settings and the mail link ------------------------------------------------------------

    @get("/preferences", guards=[requires_login], sync_to_thread=True)
    def preferences(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        profile = services.profile_of(db_session, account.id)
        return Template("discussions/preferences.html", context={"profile": profile, "flash": None})

    @post("/preferences", guards=[requires_login], sync_to_thread=True)
    def save_preferences(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[PreferencesForm, Form],
    ) -> Template:
        account = required_account(db_session, request)
        profile = services.set_preferences(
            db_session,
            account,
            full_name_public=data.full_name_public == "yes",
            digest=data.digest == "yes",
        )
        context = {"profile": profile, "flash": N_("Your changes have been saved.")}
        return Template("discussions/preferences.html", context=context)

    @get("/unsubscribe/{account_id:uuid}/{token:str}", sync_to_thread=True)
    def unsubscribe_page(
        self,
        settings: NamedDependency[Settings],
        account_id: FromPath[uuid.UUID],
        token: FromPath[str],
    ) -> Template:
        if not digest.valid_unsubscribe_token(settings, account_id, token):
            raise NotFound
        return Template("discussions/unsubscribe.html", context={"done": False})

    @post("/unsubscribe/{account_id:uuid}/{token:str}", sync_to_thread=True)
    def unsubscribe(
        self,
        db_session: NamedDependency[Session],
        settings: NamedDependency[Settings],
        account_id: FromPath[uuid.UUID],
        token: FromPath[str],
    ) -> Template:
        digest.unsubscribe(db_session, settings, account_id, token)
        return Template("discussions/unsubscribe.html", context={"done": True})
