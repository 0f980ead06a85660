"""People in every role, own and other unit, each with a logged-in browser.

The organisation is ``tests.factories.make_tree``: the *own* unit is UB1 (with the
Ortsvereine OV-A and OV-B), the *other* unit is UB2 (OV-C). Everyone with a role on UB1
acts on objects of their own unit; everyone with the same role on UB2 acts on them
from another unit. Sessions are started through the real session service and handed
to the browser as its cookie, so each role costs no password hashing or TOTP round.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import Session

from app.accounts import sessions, totp
from app.accounts.models import Account, Role
from app.core.settings import Settings
from app.organisations.models import Member, Unit
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member, make_tree

ROLES = (
    "anonymous",
    "guest",
    "member",
    "staff_own",
    "staff_other",
    "commission_own",
    "commission_other",
    "admin_own",
    "admin_other",
)
"""Every role the authorisation matrix checks, own and other unit."""

_GRANTS = {
    "staff_own": (Role.STAFF, "UB1"),
    "staff_other": (Role.STAFF, "UB2"),
    "commission_own": (Role.COMMISSION, "UB1"),
    "commission_other": (Role.COMMISSION, "UB2"),
    "admin_own": (Role.ADMIN, "UB1"),
    "admin_other": (Role.ADMIN, "UB2"),
}


@dataclass
class Cast:
    """The organisation, one account per role, and a member record of the own unit."""

    session: Session
    settings: Settings
    app: Litestar
    units: dict[str, Unit]
    accounts: dict[str, Account] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def browser(self, role: str) -> Iterator[TestClient[Litestar]]:
        """A browser of ``role`` (logged in unless anonymous)."""
        with TestClient(self.app, base_url="https://testserver.local") as client:
            self.dress(client, role)
            yield client

    def dress(self, client: TestClient[Litestar], role: str) -> None:
        """Make an open ``client`` a fresh browser of ``role``: no cookie of an earlier
        request is left, and a logged-in role gets a fresh session (see ``browser``)."""
        client.cookies.clear()
        if role != "anonymous":
            client.cookies.set(sessions.cookie_name(self.settings.security), self.token(role))

    def token(self, role: str) -> str:
        """A fresh complete login session of ``role``'s account."""
        account = self.accounts[role]
        token = sessions.start_session(
            self.session, account, second_factor_done=True, second_factor_verified=True
        )
        self.session.commit()
        return token


def make_cast(session: Session, settings: Settings, app: Litestar, tmp: Path) -> Cast:
    del tmp
    units = make_tree(session)
    cast = Cast(session, settings, app, units)
    cast.members["own"] = make_member(
        session, units["OV-A"], "Olga", "Ortmann", email="olga@example.org"
    )
    cast.members["other"] = make_member(
        session, units["OV-C"], "Otto", "Anders", email="otto@example.org"
    )
    cast.accounts["guest"] = make_account(
        session, settings, "gast@example.org", TEST_PASSWORD, name="Gerda Gast"
    )
    cast.accounts["member"] = make_account(
        session,
        settings,
        "olga@example.org",
        TEST_PASSWORD,
        name="Olga Ortmann",
        member=cast.members["own"],
    )
    for role, (kind, unit_code) in _GRANTS.items():
        member = make_member(session, units[unit_code], role.title(), "Rolle")
        account = make_account(
            session, settings, f"{role}@example.org", TEST_PASSWORD, name=role, member=member
        )
        if kind in {Role.ADMIN, Role.COMMISSION}:
            account.totp_secret = totp.seal_secret(settings.security.secret_key, totp.new_secret())
        grant(session, account, kind, units[unit_code])
        cast.accounts[role] = account
    session.commit()
    return cast
