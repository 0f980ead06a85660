"""The reminder mail's opt-out link: works without a login, the signed token is the proof.

GET shows a confirmation page with a button (mail scanners that open links must not
switch anything off); POST switches the reminders off for the token's account.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.audit import record_event
from app.core.lookup import get_or_404
from app.core.settings import Settings
from referendums.notifications.tasks import account_from_token

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class ReminderOptOutController(Controller):
    path = "/referendums/reminders/opt-out"

    @get("/", sync_to_thread=True)
    def ask(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        token: FromQuery[str] = "",
    ) -> Template:
        self._account(request, db_session, token)
        return Template(
            "referendums/commission_reminder_opt_out.html", context={"token": token, "done": False}
        )

    @post("/", sync_to_thread=True, status_code=200)
    def opt_out(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[Session],
        data: Annotated[dict[str, str], Form],
    ) -> Template:
        token = data.get("token", "")
        account = self._account(request, db_session, token)
        if not account.referendum_reminders_opt_out:
            account.referendum_reminders_opt_out = True
            record_event(db_session, "referendum:reminders_opted_out", actor_id=account.id)
            db_session.commit()
        return Template(
            "referendums/commission_reminder_opt_out.html", context={"token": "", "done": True}
        )

    @staticmethod
    def _account(request: Request[Any, Any, Any], db_session: Session, token: str) -> Account:
        settings: Settings = request.app.state.settings
        account_id = account_from_token(settings.security.secret_key, token)
        return get_or_404(db_session, Account, account_id)
