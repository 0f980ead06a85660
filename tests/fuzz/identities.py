"""Who sends a fuzzed request: a browser (TestClient) of a role, with its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from litestar import Litestar
from litestar.testing import TestClient

from app.accounts.sessions import cookie_name
from tests.fuzz.conftest import FuzzWorld

BASE_URL = "https://testserver.local"
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
ROLES = ("anonymous", "member", "staff_own", "commission_own", "admin_own")


@dataclass
class Browser:
    role: str
    client: TestClient[Litestar]
    token: str


@contextmanager
def browsers(world: FuzzWorld) -> Iterator[dict[str, Browser]]:
    """One browser per role, each with a CSRF cookie and token and (unless anonymous) a
    complete login session."""
    with ExitStack() as stack:
        found: dict[str, Browser] = {}
        for role in ROLES:
            client = stack.enter_context(TestClient(world.app, base_url=BASE_URL))
            if role != "anonymous":
                name = cookie_name(world.cast.settings.security)
                client.cookies.set(name, world.cast.token(role))
            page = client.get("/password/forgot")
            match = _TOKEN.search(page.text)
            assert match, "no CSRF token on /password/forgot"
            found[role] = Browser(role, client, match.group(1))
        yield found


def role_for(path: str) -> str:
    """The role that gets furthest into a route (past its guard, into its parsing)."""
    if "/commission" in path or "/ceremony" in path or "/decryption" in path:
        return "commission_own"
    if path.startswith(("/admin", "/members")):
        return "admin_own"
    if path.startswith(("/referendums", "/units")):
        return "staff_own"
    return "member"
