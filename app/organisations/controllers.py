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

from app.accounts.guards import requires_login, requires_member
from app.accounts.models import Account, Role
from app.accounts.services import AccountService
from app.core.audit import record_event
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.settings import Settings
from app.core.web import flash_cookie, flash_message
from app.organisations import activation, audit_view, policies, roles, units
from app.organisations.members import (
    ContactChange,
    MemberDirectory,
    confirm_email_change,
    masked_iban,
    own_member,
    update_contact,
)

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def _account(db_session: Session, request: Request[Any, Any, Any]) -> Account:
    """The logged-in account, loaded in this request's database session."""
    account = db_session.get(Account, request.user.id)
    if account is None:
        raise NotFound
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
        account = _account(db_session, request)
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
        account = _account(db_session, request)
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
        directory = MemberDirectory(db_session, _account(db_session, request))
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
        member = MemberDirectory(db_session, _account(db_session, request)).get(member_id)
        return Template("members/detail.html", context={"member": member})


class OwnDataController(Controller):
    path = "/me"
    guards = [requires_login]

    @get("/", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = _account(db_session, request)
        return Template("me/show.html", context=self._context(request, db_session, account))

    @post("/", guards=[requires_member], sync_to_thread=True)
    def update(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[ContactForm, Form],
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        account = _account(db_session, request)
        change = ContactChange(
            phone=data.phone,
            street=data.street,
            postcode=data.postcode,
            city=data.city,
            iban=data.iban,
        )
        try:
            update_contact(db_session, settings.security.secret_key, account, change)
        except ValidationFailed as error:
            db_session.rollback()
            context = {
                **self._context(request, db_session, account),
                "form": data,
                "errors": error.errors,
            }
            return Template("me/show.html", context=context, status_code=400)
        return Redirect(path="/me/", cookies=[flash_cookie("saved", settings)])

    @post("/email", sync_to_thread=True)
    def change_email(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        accounts: NamedDependency[AccountService],
        data: Annotated[EmailChangeForm, Form],
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        account = _account(db_session, request)
        try:
            accounts.request_email_change(account, data.email)
        except ValidationFailed as error:
            db_session.rollback()
            context = {
                **self._context(request, db_session, account),
                "email_form": data,
                "email_errors": error.errors,
            }
            return Template("me/show.html", context=context, status_code=400)
        return Redirect(path="/me/", cookies=[flash_cookie("email_change_sent", settings)])

    @post("/reminders", guards=[requires_member], sync_to_thread=True)
    def reminders(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[ReminderForm, Form],
    ) -> Response[Any]:
        """Reminder mails before a member referendum closes: on (checkbox ticked) or off."""
        account = _account(db_session, request)
        opt_out = data.reminders != "on"
        if account.referendum_reminders_opt_out != opt_out:
            account.referendum_reminders_opt_out = opt_out
            action = (
                "referendum:reminders_opted_out" if opt_out else "referendum:reminders_opted_in"
            )
            record_event(db_session, action, actor_id=account.id)
            db_session.commit()
        return Redirect(path="/me/", cookies=[flash_cookie("saved", request.app.state.settings)])

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
    """The link from the confirmation mail works without a login: the single-use token
    sent to the new address is the proof."""

    @get("/me/email/confirm", sync_to_thread=True)
    def confirm_email(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        accounts: NamedDependency[AccountService],
        token: FromQuery[str] = "",
    ) -> Response[Any]:
        settings: Settings = request.app.state.settings
        confirm_email_change(db_session, accounts, token)
        return Redirect(path="/me/", cookies=[flash_cookie("email_changed", settings)])


class AdminController(Controller):
    path = "/admin"
    guards = [requires_login]

    @get("/roles", sync_to_thread=True)
    def roles_page(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = _account(db_session, request)
        if not policies.is_admin_anywhere(db_session, account):
            raise Forbidden
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
        account = _account(db_session, request)
        if not policies.is_admin_anywhere(db_session, account):
            raise Forbidden  # before reading the form: non-admins learn nothing from it
        try:
            roles.grant_role(
                db_session, account, email=data.email, role=data.role, unit_code=data.unit_code
            )
        except ValidationFailed as error:
            db_session.rollback()
            context = {
                **self._roles_context(request, db_session, account),
                "form": data,
                "errors": error.errors,
            }
            return Template("admin/roles.html", context=context, status_code=400)
        return Redirect(
            path="/admin/roles", cookies=[flash_cookie("role_granted", request.app.state.settings)]
        )

    @post("/roles/{assignment_id:int}/revoke", sync_to_thread=True)
    def revoke(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        assignment_id: FromPath[int],
    ) -> Response[Any]:
        roles.revoke_role(db_session, _account(db_session, request), assignment_id)
        return Redirect(
            path="/admin/roles", cookies=[flash_cookie("role_revoked", request.app.state.settings)]
        )

    @post("/invitations", sync_to_thread=True)
    def invite(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[InviteForm, Form],
    ) -> Response[Any]:
        account = _account(db_session, request)
        unit = units.get_unit(db_session, data.unit_code.strip())
        activation.invite_members(
            db_session, request.app.state.settings, request.app.state.hasher, unit, actor=account
        )
        return Redirect(
            path=f"/units/{unit.code}",
            cookies=[flash_cookie("invitations_sent", request.app.state.settings)],
        )

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
        account = _account(db_session, request)
        if not policies.is_admin_anywhere(db_session, account):
            raise Forbidden
        query = audit_view.AuditQuery(action, person, since, until, before)
        page = audit_view.audit_page(db_session, account, query)
        record_event(db_session, "audit:viewed", actor_id=account.id)
        db_session.commit()
        status = 400 if page.errors else 200
        return Template("admin/audit.html", context={"page": page}, status_code=status)

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
