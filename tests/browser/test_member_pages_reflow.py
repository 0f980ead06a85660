"""Phones and zoom (issue 10, point 6): the member's pages reflow without sideways scrolling.

WCAG 1.4.10: at 320 CSS px, and at 1280 px with 200 % zoom (the same 640 CSS px at a
device scale of 2), no page of the member's flow scrolls sideways
(``document.scrollingElement.scrollWidth <= clientWidth``); the header stays compact on
a phone; axe-core finds no violation. The referendum is counted, so the board, the
receipt lookup, the results and the legal and help pages all have content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.core.settings import Settings
from tests.browser.axe import axe_violations
from tests.browser.referendum_support import log_in, make_people
from tests.conftest import sqlite_only
from tests.support.referendums_world import ONE_OF, YES_NO, build_referendum

# SQLite only: layout and accessibility of rendered pages, the same on either database.
pytestmark = [pytest.mark.browser, sqlite_only]

# (width, height, device scale): a small phone, a common phone, a desktop at 200 % zoom.
VIEWPORTS = [(320, 640, 1), (390, 844, 3), (640, 400, 2)]
PHONE_HEADER_MAX_PX = 170


@pytest.fixture
def counted(db: Session, settings: Settings, tmp_path: Path) -> dict[str, Any]:
    people = make_people(db, settings)
    members = {name: account.member_id for name, account in people.members.items()}
    world = build_referendum(
        db,
        settings,
        tmp_path,
        staff=people.staff,
        trustees=people.trustees[:2],
        unit_code="LV1",
        stage="tallied",
        title="Neue Satzung für den Landesverband mit einem recht langen Titel",
        questions=(YES_NO, ONE_OF),
        votes={
            members["anna"]: {"q1": ["yes"], "q2": ["o1"]},
            members["ben"]: {"q1": ["no"], "q2": ["o2"]},
            members["cem"]: {"q1": ["yes"], "q2": ["o1"]},
        },
    )
    receipt = world.receipts[members["anna"]]
    return {"id": world.id, "hash": receipt.ballot_hash}


def _member_paths(election: dict[str, Any]) -> list[str]:
    base = f"/referendums/{election['id']}"
    return [
        "/",
        "/referendums",
        base,
        f"{base}/results",
        f"{base}/board",
        f"{base}/board/lookup?hash={election['hash']}",
        f"{base}/roll-check",
        "/dashboard",
        "/hilfe",
        "/impressum",
        "/datenschutz",
        "/barrierefreiheit",
    ]


@pytest.fixture
def browser(fresh_chromium: Any) -> Any:
    """One Chromium for the module, fresh contexts per test (tests/browser/conftest.py)."""
    return fresh_chromium


def _overflow(page: Any) -> int:
    """How many CSS px the page is wider than the window (0: no sideways scrolling)."""
    width: int = page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    return width


def _widest(page: Any) -> list[str]:
    """The elements that stick out on the right, for the failure message."""
    found: list[str] = page.evaluate(
        """() => { const w = document.scrollingElement.clientWidth; return [...document
        .querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 1)
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`); }"""
    )
    return found


PHONE_WIDTH = 390


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["320px", "390px", "1280px-zoom200"])
def test_no_member_page_scrolls_sideways(
    browser: Any, live_server: str, counted: dict[str, Any], viewport: tuple[int, int, int]
) -> None:
    width, height, scale = viewport
    context = browser.new_context(
        locale="de-DE",
        base_url=live_server,
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
    )
    page = context.new_page()
    log_in(page, "anna@example.org")
    problems = []
    for path in _member_paths(counted):
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        if (extra := _overflow(page)) > 0:
            problems.append(f"{path}: {extra} px too wide ({_widest(page)})")
        if width <= PHONE_WIDTH:
            header = page.locator(".site-header").bounding_box()
            assert header is not None
            if header["height"] > PHONE_HEADER_MAX_PX:
                problems.append(f"{path}: header {header['height']:.0f} px high")
    context.close()
    assert not problems, "\n".join(problems)


def test_member_pages_have_no_accessibility_violations(
    browser: Any, live_server: str, counted: dict[str, Any]
) -> None:
    context = browser.new_context(
        locale="de-DE", base_url=live_server, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in(page, "anna@example.org")
    found = {}
    for path in _member_paths(counted):
        page.goto(path)
        if violations := axe_violations(page):
            found[path] = violations
    context.close()
    assert not found, found
