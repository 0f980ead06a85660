"""One member's whole way in Chromium, on a phone and on a laptop (issue 10, "How it is checked").

A member of the register without a login activates herself (membership number and
register address, the link from the mail, a password). The vote of her Ortsverein then
opens the way production opens it: ``stimmwerk tick`` (what beat and cron run) opens the
ballot box and sends the invitations. She follows the link in her invitation, logs in,
lands on the vote (not on the dashboard), ticks, reviews ("Bitte prüfe deine Auswahl"),
casts and reads "Deine Stimme ist abgegeben". On every page of the way axe-core finds
nothing and, with the window 320 px wide, nothing scrolls sideways.

One server and one database for the module; each viewport has its own member and its
own vote, so the two runs do not depend on each other's order.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.accounts.models import Account
from app.core.db import Database
from app.core.settings import Settings
from app.organisations.models import Unit
from tests.browser.axe import axe_violations
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, server_env, serving
from tests.browser.referendum_support import (
    STEP_TIMEOUT_MS,
    activate_from_register,
    cast,
    fill_login,
    mailed_link,
    make_people,
    overflow_at,
    review,
)
from tests.conftest import MailCatcher, make_settings
from tests.factories import make_member
from tests.support.referendums_world import ONE_OF, YES_NO, build_referendum

pytestmark = pytest.mark.browser

NARROWEST_PX = 320
PASSWORD = "mein eigenes neues Passwort"


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    unit: str
    """The Ortsverein of this run's member (and of its vote)."""
    given: str


SIZES = {
    "390x844": Size(390, 844, "OV-A", "Mia"),
    "1280x800": Size(1280, 800, "OV-B", "Lea"),
}


@dataclass
class Server:
    base: str
    settings: Settings
    database: Database
    var_dir: Path
    staff_id: object
    trustee_ids: list[object]


@pytest.fixture(scope="module")
def server(
    sqlite_template: Path,
    smtp_server: tuple[Controller, MailCatcher],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("member-flow")
    shutil.copy(sqlite_template, tmp / "flow.sqlite3")
    settings = make_settings(f"sqlite:///{tmp / 'flow.sqlite3'}", tmp, smtp_server[0].port)
    database = Database(settings.database.url)
    with database.session() as session:
        people = make_people(session, settings)
        staff_id, trustee_ids = people.staff.id, [t.id for t in people.trustees[:2]]
    with serving(settings, tmp / "server-var") as base:
        yield Server(base, settings, database, tmp / "server-var", staff_id, trustee_ids)
    database.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _vote_waiting_to_open(server: Server, size: Size, tmp: Path) -> tuple[str, str, str]:
    """Her register entry, and her Ortsverein's vote: ceremony held, roll fixed (she is
    on it), the voting period begun, the ballot box not yet opened.
    Returns (membership number, e-mail address, vote id)."""
    email = f"{size.given.lower()}@example.org"
    with server.database.session() as session:
        unit = session.scalars(select(Unit).where(Unit.code == size.unit)).one()
        member = make_member(session, unit, size.given, "Meier", email=email)
        session.commit()
        staff = session.get(Account, server.staff_id)
        trustees = [session.get(Account, account_id) for account_id in server.trustee_ids]
        assert staff is not None
        assert all(trustees)
        world = build_referendum(
            session,
            server.settings,
            tmp,
            staff=staff,
            trustees=trustees,  # type: ignore[arg-type]
            unit_code=size.unit,
            stage="roll_frozen",
            title=f"Neue Satzung für {size.unit}",
            questions=(YES_NO, ONE_OF),
        )
        return member.membership_number, email, str(world.id)


def _tick(server: Server) -> str:
    """``stimmwerk tick`` in its own process: the run beat makes every minute."""
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "tick"],
        env=server_env(server.settings, server.var_dir, server.base),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.mark.parametrize("name", SIZES)
def test_a_member_gets_in_alone_and_votes(
    server: Server, chromium: Any, mailbox: MailCatcher, tmp_path: Path, name: str
) -> None:
    size = SIZES[name]
    number, email, vote_id = _vote_waiting_to_open(server, size, tmp_path)
    context = chromium.new_context(
        locale="de-DE",
        base_url=server.base,
        viewport={"width": size.width, "height": size.height},
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    problems: list[str] = []

    def check(current: Page) -> None:
        """axe-core, and no sideways scrolling at 320 px, on the page as it is now."""
        where = re.sub(r"[0-9a-f-]{36}", "<id>", current.url.removeprefix(server.base))
        if found := axe_violations(current):
            problems.append(f"{where}: axe {found}")
        if (extra := overflow_at(current, NARROWEST_PX)) > 0:
            problems.append(f"{where}: {extra} px too wide at {NARROWEST_PX} px")

    # Getting in alone: from the login page, with what the register knows about her.
    page.goto("/login")
    check(page)
    activate_from_register(page, mailbox, number, email, PASSWORD, check)

    # The vote opens as in production, and the invitation reaches her login's address.
    report = _tick(server)
    assert re.search(r"opened [1-9]", report), report
    link = mailed_link(mailbox, email, "Abstimmung geöffnet", rf"/referendums/{vote_id}/vote")

    # The link from the mail, logged out: the login, then the vote itself.
    page.goto(link)
    page.wait_for_url(re.compile(r"/login\?next="))
    check(page)
    fill_login(page, email, PASSWORD)
    page.wait_for_url(re.compile(rf"/referendums/{vote_id}/vote$"))
    expect(page.locator("body")).to_have_attribute(
        "data-credential", "ready", timeout=STEP_TIMEOUT_MS
    )
    check(page)

    review(page, ["Ja", "Bonn"])
    expect(page.locator("#review-title")).to_have_text("Bitte prüfe deine Auswahl")
    expect(page.locator("#review-choices")).to_contain_text("Ja")
    expect(page.locator("#review-choices")).to_contain_text("Bonn")
    check(page)

    cast(page)
    expect(page.locator("#vote-confirmation h2")).to_have_text("Deine Stimme ist abgegeben.")
    check(page)

    context.close()
    assert not problems, "\n".join(problems)
    # No script error (the browser's own favicon request may 404).
    assert not [e for e in errors if "404" not in e], errors
