"""Driving every route of the app as every role (tests/security/test_authorisation_matrix.py).

Each route of ``app.routes`` is called once per role with real objects of the *own*
unit (UB1) in its path: a member of OV-A, the unit OV-A, a referendum of UB1 whose key
ceremony is done, a comment on it, a role assignment in UB1. POSTs carry a valid CSRF
token and an empty form (or ``{}`` for JSON routes): the point is whether the route
lets the role in, not whether the body is complete. Reads run before writes so the
writes' side effects (a frozen roll, a revoked role) cannot change what a read sees.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from app.accounts.models import Role, RoleAssignment
from referendums import services
from tests.factories import grant
from tests.security.support import Cast
from tests.support.referendums_world import build_referendum

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
_PARAM = re.compile(r"\{(\w+):(\w+)\}")
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')

ALLOWED, DENIED = "allowed", "denied"


@dataclass
class Objects:
    """The own-unit objects put into route paths."""

    cast: Cast
    election_id: uuid.UUID
    comment_id: int | None = None

    def value(self, name: str, kind: str) -> str:
        makers: dict[str, Callable[[], str]] = {
            "code": lambda: "OV-A",
            "member_id": lambda: str(self.cast.members["own"].id),
            "election_id": lambda: str(self.election_id),
            "comment_id": self._comment,
            "assignment_id": self._assignment,
            "ballot_hash": lambda: "00" * 32,
            "answer_hash": lambda: "00" * 32,
            "survey_id": lambda: "00000000-0000-4000-8000-000000000000",  # none exists
            "initiative_id": lambda: "00000000-0000-4000-8000-000000000000",  # none exists
            "unit_id": lambda: str(self.cast.units["OV-A"].id),
            "discussion_id": self._discussion,
            "post_id": self._comment,
            "account_id": lambda: str(self.cast.accounts["member"].id),
            "token": lambda: "not-a-valid-token",
            "kind": lambda: "csv",
            "question_id": lambda: "q1",
            "file_path": lambda: "css/site.css",
            "passkey_id": lambda: "1",
        }
        if name not in makers:
            msg = f"no test object for path parameter {name}:{kind}: add one to Objects"
            raise KeyError(msg)
        return makers[name]()

    def _comment(self) -> str:
        """One comment of the member on the referendum (posting more would hit the
        discussion's flood limit); a role hiding or deleting it changes what later
        roles get, so writes run after reads and in role order."""
        if self.comment_id is None:
            post = services.post_comment(
                self.cast.session, self.election_id, self.cast.accounts["member"], "Test"
            )
            self.comment_id = post.id
        return str(self.comment_id)

    def _discussion(self) -> str:
        view = services.get_referendum(self.cast.session, self.election_id)
        found = services.discussion(self.cast.session, view)
        self.cast.session.commit()
        return str(found.id)

    def _assignment(self) -> str:
        """A fresh role assignment in the own unit (revoking one removes it)."""
        session = self.cast.session
        session.expire_all()
        account, unit = self.cast.accounts["member"], self.cast.units["OV-A"]
        existing = session.scalar(
            select(RoleAssignment).where(
                RoleAssignment.account_id == account.id,
                RoleAssignment.role == Role.AUDITOR,
                RoleAssignment.unit_id == unit.id,
            )
        )
        assignment = existing or grant(session, account, Role.AUDITOR, unit)
        session.commit()
        return str(assignment.id)


def make_objects(cast: Cast, tmp_path: Path) -> Objects:
    world = build_referendum(
        cast.session,
        cast.settings,
        tmp_path,
        staff=cast.accounts["staff_own"],
        trustees=[cast.accounts["commission_own"]],
        unit_code="UB1",
        stage="ceremony",
    )
    return Objects(cast, world.id)


def route_keys(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every route, reads first."""
    keys = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in SKIPPED_METHODS
    }
    destructive = ("/delete", "/revoke", "/ban")  # last: they remove what others act on
    return sorted(
        keys, key=lambda key: (key[0] != "GET", key[1].endswith(destructive), key[1], key[0])
    )


def concrete_path(objects: Objects, template: str) -> str:
    return _PARAM.sub(lambda m: objects.value(m.group(1), m.group(2)), template)


def call(
    cast: Cast,
    objects: Objects,
    role: str,
    method: str,
    template: str,
    *,
    client: TestClient[Litestar] | None = None,
) -> tuple[int, str]:
    """One request of ``role``. With ``client`` (an open test client, reused across
    calls), its cookies are replaced first, so each call is still a fresh browser of
    the role; opening a client per call (~10 ms: a thread, the app's start-up and
    shutdown) made up half of the matrix's time."""
    if client is None:
        with cast.browser(role) as fresh:
            return _request(objects, method, template, fresh)
    cast.dress(client, role)
    return _request(objects, method, template, client)


def _request(
    objects: Objects, method: str, template: str, client: TestClient[Litestar]
) -> tuple[int, str]:
    path = concrete_path(objects, template)
    headers = {"accept": "text/html"}
    kwargs: dict[str, object] = {}
    if method != "GET":
        page = client.get("/password/forgot")
        match = _TOKEN.search(page.text)
        token = match.group(1) if match else ""
        headers["x-csrftoken"] = token
        if template.startswith("/api/"):
            headers["accept"] = "application/json"
            kwargs["json"] = {}
        else:
            kwargs["data"] = {"_csrf_token": token}
    response = client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
    return response.status_code, response.headers.get("location", "")
