"""The dashboard's task list for election commission members (an htmx fragment)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.orm import Session

from app.accounts.current import required_account
from app.accounts.guards import requires_login
from referendums.commission.guidance import tasks_for


class CommissionTasksController(Controller):
    path = "/referendums/commission-tasks"
    guards = [requires_login]

    @get("/", sync_to_thread=True)
    def tasks(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[Session]
    ) -> Template:
        account = required_account(db_session, request)
        return Template(
            "referendums/_commission_tasks.html", context={"tasks": tasks_for(db_session, account)}
        )
