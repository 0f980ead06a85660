"""Pages for the organisation tree, member lists, own data, roles and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from app.accounts import tokens
from app.accounts.controllers import expired_session_cookie, link_page, password_form
from app.accounts.current import required_account
from app.accounts.guards import requires_login, requires_member
from app.accounts.models import Account, Role
from app.accounts.services import AccountService
from app.accounts.sessions import cookie_name
from app.core.audit import record_event
from app.core.errors import Forbidden
from app.core.form_pages import flash_redirect, form_page, submit
from app.core.settings import Settings
from app.core.web import client_address, flash_message
from app.organisations import activation, audit_view, policies, roles, units
from app.organisations.access import MemberAccess
from app.organisations.members import (
    ContactChange,
    MemberDirectory,
    confirm_email_change,
    masked_iban,
    own_member,
    undo_email_change,
    update_contact,
)

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def _admin(db_session: Session, request: Request[Any, Any, Any]) -> Account:
    """The logged-in account if it administers some unit (else 403, before any form is
    read: non-admins learn nothing from it)."""
    account = required_account(db_session, request)
    if not policies.is_admin_anywhere(db_session, account):
        raise Forbidden
    return account


@dataclass
class ContactForm:
    phone: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    iban: str = ""


@dataclass
class EmailChangeForm:
    email: str = ""
    current_password: str = ""


@dataclass
class TokenForm:
    token: str = ""


@dataclass
class UndoForm:
    token: str = ""
    password: str = ""
    password_repeat: str = ""


@dataclass
class ReminderForm:
    reminders: str = ""


@dataclass
class GrantForm:
    email: str = ""
    role: str = ""
    unit_code: str = ""


@dataclass
class InviteForm:
    unit_code: str = ""
    confirm: str = ""
    expected: str = ""


class HomeController(Controller):
    @get("/", sync_to_thread=False)
    def home(self, request: Request[Any, Any, Any]) -> Response[Any]:
        if isinstance(request.user, Account):
            return Redirect(path="/dashboard")
        return Template("home.html", context={"flash": flash_message(request)})

    @get("/dashboard", guards=[requires_login], sync_to_thread=True)
    def dashboard(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        member = own_member(db_session, account) if account.member_id else None
        home_units = [*units.ancestors(db_session, member.unit), member.unit] if member else []
        return Template(
            "dashboard.html",
            context={
                "account": account,
                "member": member,
                "home_units": home_units,
                "roles": roles.roles_of(db_session, account),
                "member_scopes": policies.member_scope_units(db_session, account),
                "is_admin": policies.is_admin_anywhere(db_session, account),
                "flash": flash_message(request),
            },
        )


class UnitController(Controller):
    path = "/units"
    guards = [requires_login]

    @get("/", sync_to_thread=True)
    def tree(self, db_session: NamedDependency[Session], q: FromQuery[str] = "") -> Template:
        found = units.search_units(db_session, q) if q.strip() else []
        return Template(
            "units/tree.html", context={"roots": units.roots(db_session), "q": q, "found": found}
        )

    @get("/{code:str}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        code: FromPath[str],
    ) -> Template:
        unit = units.get_unit(db_session, code)
        account = required_account(db_session, request)
        may_see = policies.may_see_members_of(db_session, account, unit)
        context = {
            "unit": unit,
            "ancestors": units.ancestors(db_session, unit),
            "children": units.children(db_session, unit),
            "may_see_members": may_see,
            "member_count": units.count_active_members(db_session, unit) if may_see else None,
            "may_manage": policies.may_manage_roles_in(db_session, account, unit),
            "flash": flash_message(request),  # "invitations_sent" redirects here
        }
        if request.headers.get("hx-request"):
            return Template("units/_children.html", context=context)
        return Template("units/detail.html", context=context)

    @get("/{code:str}/members", sync_to_thread=True)
    def members(  # noqa: PLR0917 - Litestar passes query parameters by name
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        code: FromPath[str],
        page: FromQuery[int] = 1,
        q: FromQuery[str] = "",
        include_left: FromQuery[bool] = False,
    ) -> Template:
        unit = units.get_unit(db_session, code)
        directory = MemberDirectory(db_session, required_account(db_session, request))
        result = directory.page(unit, page=page, query=q, include_left=include_left)
        template = (
            "units/_member_rows.html" if request.headers.get("hx-request") else "units/members.html"
        )
        return Template(template, context={"result": result, "unit": unit})


class MemberController(Controller):
    path = "/members"
    guards = [requires_login]

    @get("/{member_id:int}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        member_id: FromPath[int],
    ) -> Template:
        account = required_account(db_session, request)
        member = MemberDirectory(db_session, account).get(member_id)
        context = {
            "member": member,
            "login_state": MemberAccess(db_session, request.app.state.settings).login_state(member),
            "may_resend": member.is_active
            and policies.may_manage_roles_in(db_session, account, member.unit),
            "flash": flash_message(request),
        }
        return Template("members/detail.html", context=context)


class OwnDataController(Controller):
    path = "/me"
    guards = [requires_login]

    @get("/", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        return Template("me/show.html", context=self._context(request, db_session, account))

    @post("/", guards=[requires_member], sync_to_thread=True)
    def update(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[ContactForm, Form],
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        account = required_account(db_session, request)
        change = ContactChange(
            phone=data.phone,
            street=data.street,
            postcode=data.postcode,
            city=data.city,
            iban=data.iban,
        )
        return submit(
            db_session,
            lambda: update_contact(db_session, settings.security.secret_key, account, change),
            refused=lambda error: form_page(
                "me/show.html",
                {
                    **self._context(request, db_session, account),
                    "form": data,
                    "errors": error.errors,
                },
            ),
            done=lambda _: flash_redirect("/me/", "saved", settings),
        )

    @post("/email", sync_to_thread=True)
    def change_email(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        accounts: NamedDependency[AccountService],
        data: Annotated[EmailChangeForm, Form],
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        account = required_account(db_session, request)
        return submit(
            db_session,
            lambda: accounts.request_email_change(
                account,
                data.email,
                data.current_password,
                address=client_address(request),
                keep_session=request.cookies.get(cookie_name(settings.security)),
            ),
            refused=lambda error: form_page(
                "me/show.html",
                {
                    **self._context(request, db_session, account),
                    "email_form": data,
                    "email_errors": error.errors,
                },
            ),
            done=lambda _: flash_redirect("/me/", "email_change_sent", settings),
        )

    @post("/reminders", guards=[requires_member], sync_to_thread=True)
    def reminders(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[ReminderForm, Form],
    ) -> Response[Any]:
        """Reminder mails before a member referendum closes: on (checkbox ticked) or off."""
        account = required_account(db_session, request)
        opt_out = data.reminders != "on"
        if account.referendum_reminders_opt_out != opt_out:
            account.referendum_reminders_opt_out = opt_out
            action = (
                "referendum:reminders_opted_out" if opt_out else "referendum:reminders_opted_in"
            )
            record_event(db_session, action, actor_id=account.id)
            db_session.commit()
        return flash_redirect("/me/", "saved", request.app.state.settings)

    @staticmethod
    def _context(
        request: Request[Any, Any, Any], db_session: Session, account: Account
    ) -> dict[str, Any]:
        settings: Settings = request.app.state.settings
        member = own_member(db_session, account) if account.member_id else None
        return {
            "account": account,
            "member": member,
            "iban_masked": masked_iban(settings.security.secret_key, member) if member else None,
            "roles": roles.roles_of(db_session, account),
            "flash": flash_message(request),
            "form": None,
            "errors": {},
            "email_form": None,
            "email_errors": {},
        }


class EmailConfirmationController(Controller):
    """The links from the address-change mails work without a login: the single-use
    token sent to that mailbox is the proof. Each link opens a page; only its form
    (POST) changes anything, so a mail scanner fetching the link does nothing."""

    @get("/me/email/confirm", sync_to_thread=True)
    def confirm_page(
        self, accounts: NamedDependency[AccountService], token: FromQuery[str] = ""
    ) -> Template:
        return link_page(accounts, "me/email_confirm.html", token, tokens.CHANGE_EMAIL)

    @post("/me/email/confirm", sync_to_thread=True)
    def confirm_email(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        accounts: NamedDependency[AccountService],
        data: Annotated[TokenForm, Form],
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        keep = request.cookies.get(cookie_name(settings.security))
        confirm_email_change(db_session, accounts, data.token, keep_session=keep)
        return flash_redirect("/me/", "email_changed", settings)

    @get("/me/email/undo", sync_to_thread=True)
    def undo_page(
        self, accounts: NamedDependency[AccountService], token: FromQuery[str] = ""
    ) -> Template:
        return link_page(accounts, "me/email_undo.html", token, tokens.UNDO_EMAIL_CHANGE, errors={})

    @post("/me/email/undo", sync_to_thread=True)
    def undo(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        accounts: NamedDependency[AccountService],
        data: Annotated[UndoForm, Form],
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        return password_form(
            "me/email_undo.html",
            {"token": data.token, "error": None, "errors": {}},
            data,
            lambda: undo_email_change(db_session, accounts, data.token, data.password),
            lambda _: flash_redirect(
                "/login",
                "email_change_undone",
                settings,
                cookies=[expired_session_cookie(settings)],
            ),
            db_session=db_session,
        )


class AdminController(Controller):
    path = "/admin"
    guards = [requires_login]

    @get("/roles", sync_to_thread=True)
    def roles_page(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = _admin(db_session, request)
        return Template(
            "admin/roles.html", context=self._roles_context(request, db_session, account)
        )

    @post("/roles", sync_to_thread=True)
    def grant(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[GrantForm, Form],
    ) -> Response[Any]:
        account = _admin(db_session, request)
        return submit(
            db_session,
            lambda: roles.grant_role(
                db_session, account, email=data.email, role=data.role, unit_code=data.unit_code
            ),
            refused=lambda error: form_page(
                "admin/roles.html",
                {
                    **self._roles_context(request, db_session, account),
                    "form": data,
                    "errors": error.errors,
                },
            ),
            done=lambda _: flash_redirect(
                "/admin/roles", "role_granted", request.app.state.settings
            ),
        )

    @post("/roles/{assignment_id:int}/revoke", sync_to_thread=True)
    def revoke(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        assignment_id: FromPath[int],
    ) -> Response[Any]:
        roles.revoke_role(db_session, required_account(db_session, request), assignment_id)
        return flash_redirect("/admin/roles", "role_revoked", request.app.state.settings)

    @get("/invitations", sync_to_thread=True)
    def invite_page(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        unit_code: FromQuery[str] = "",
    ) -> Template:
        """Before a mass mailing goes out, staff see how many mails it sends."""
        _, context = self._invitations(request, db_session, unit_code)
        return Template("units/invite_confirm.html", context=context)

    @post("/invitations", sync_to_thread=True)
    def invite(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[InviteForm, Form],
    ) -> Response[Any]:
        account, context = self._invitations(request, db_session, data.unit_code)
        unit, preview = context["unit"], context["preview"]
        if data.confirm != "yes" or data.expected != str(preview.to_invite):
            # Not confirmed, or the numbers changed since the page was shown: ask again.
            return form_page("units/invite_confirm.html", {**context, "not_confirmed": True})
        activation.invite_members(
            db_session, request.app.state.settings, request.app.state.hasher, unit, actor=account
        )
        return flash_redirect(f"/units/{unit.code}", "invitations_sent", request.app.state.settings)

    @get("/audit", sync_to_thread=True)
    def audit(  # noqa: PLR0917 - Litestar passes query parameters by name
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        before: FromQuery[str] = "",
        action: FromQuery[str] = "",
        person: FromQuery[str] = "",
        since: FromQuery[str] = "",
        until: FromQuery[str] = "",
    ) -> Template:
        account = _admin(db_session, request)
        query = audit_view.AuditQuery(action, person, since, until, before)
        page = audit_view.audit_page(db_session, account, query)
        record_event(db_session, "audit:viewed", actor_id=account.id)
        db_session.commit()
        status = 400 if page.errors else 200
        return Template("admin/audit.html", context={"page": page}, status_code=status)

    @staticmethod
    def _invitations(
        request: Request[Any, Any, Any], db_session: Session, unit_code: str
    ) -> tuple[Account, dict[str, Any]]:
        """Who asks, and the unit with how many activation mails would go out now."""
        account = required_account(db_session, request)
        unit = units.get_unit(db_session, unit_code.strip())
        access = MemberAccess(db_session, request.app.state.settings)
        return account, {"unit": unit, "preview": access.preview_invitations(unit, actor=account)}

    @staticmethod
    def _roles_context(
        request: Request[Any, Any, Any], db_session: Session, account: Account
    ) -> dict[str, Any]:
        return {
            "assignments": roles.roles_in_scope(db_session, account),
            "role_names": [role.value for role in Role],
            "flash": flash_message(request),
            "form": None,
            "errors": {},
        }
