"""The vote page in Chromium: no choice ever leaves in the clear; a second device recovers.

Issue 8, points 6 and 7, against the real server (``stimmwerk serve``) and Debian's
Chromium. The election is set up through the services (key ceremony included) with a
window around the real clock; the members act only in the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.settings import Settings
from tests import ballots_support as support
from tests.browser.referendum_support import STEP_TIMEOUT_MS, log_in
from tests.conftest import TEST_PASSWORD, sqlite_only
from tests.factories import make_account

# SQLite only: what the browser sends; casting on PostgreSQL is run by tests/bdd/test_referendums_voting.py.
pytestmark = [pytest.mark.browser, sqlite_only]

YES = "Ja"
OPTION_IDS = ("yes", "no", "abstain")


@dataclass
class OpenVote:
    election_id: str
    emails: dict[str, str]


@pytest.fixture
def open_vote(db: Session, settings: Settings, tmp_path: Path) -> OpenVote:
    world = support.make_world(db, settings, tmp_path, members=("anna", "ben"), postal=())
    # The window runs now (the live server uses the real clock).
    world.start = utcnow().replace(microsecond=0) - timedelta(days=2, hours=1)
    support.open_for_voting(world)
    emails = {}
    for name in ("anna", "ben"):
        emails[name] = f"{name}@example.org"
        make_account(
            db, settings, emails[name], TEST_PASSWORD, name=name.title(), member=world.members[name]
        )
    db.commit()
    return OpenVote(str(world.id), emails)


@pytest.fixture
def chromium(fresh_chromium: Any) -> Any:
    """One Chromium for the module, fresh contexts per test (tests/browser/conftest.py)."""
    return fresh_chromium


def _carries_a_choice(request: Request) -> bool:
    """Does the request name a question (q-…) or an option anywhere in URL or body?"""
    text = request.url + (request.post_data or "")
    if re.search(r"[?&]q-", text) or "q-q1" in text:
        return True
    return (
        request.method == "POST"
        and "ballots" not in request.url
        and (any(f"={option}" in text for option in OPTION_IDS))
    )


def _watch(page: Page) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request))  # noqa: PLW0108 - a bound builtin breaks Playwright
    return seen


def test_with_javascript_off_no_request_carries_a_choice(
    live_server: str, open_vote: OpenVote, chromium: Any
) -> None:
    context = chromium.new_context(locale="de-DE", base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    log_in(page, open_vote.emails["anna"])
    page.goto(f"/referendums/{open_vote.election_id}/vote")
    seen = _watch(page)
    # The page says what voting online needs.
    assert "Online abstimmen geht nur mit JavaScript" in page.locator("main").inner_text()
    # The ballot is locked, and the buttons do nothing (pressed anyway, and Enter too).
    expect(page.get_by_label(YES, exact=True)).to_be_disabled()
    page.locator("#review-ballot").click(force=True)
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)
    assert page.url.endswith(f"/referendums/{open_vote.election_id}/vote")
    assert not [r.url for r in seen if _carries_a_choice(r)]
    assert not [r for r in seen if r.resource_type == "document"]  # no navigation at all
    context.close()


def test_a_click_before_the_client_started_sends_no_choice(
    live_server: str, open_vote: OpenVote, chromium: Any
) -> None:
    context = chromium.new_context(locale="de-DE", base_url=live_server)
    page = context.new_page()
    log_in(page, open_vote.emails["anna"])
    # voter.js never arrives (a slow or blocked script): the page is as before it started.
    page.route("**/static/vendor/voter.js", lambda route: route.abort())
    page.goto(f"/referendums/{open_vote.election_id}/vote")
    seen = _watch(page)
    # Even with the lock forced open, a choice made and "Abstimmen" pressed go nowhere:
    # there is no form and no input has a name.
    page.evaluate(
        """() => { for (const el of document.querySelectorAll("#vote-app [disabled]"))
                     el.disabled = false; }"""
    )
    page.get_by_label(YES, exact=True).check()
    page.locator("#review-ballot").click()
    page.get_by_label(YES, exact=True).press("Enter")
    page.wait_for_timeout(1000)
    assert not [r.url for r in seen if _carries_a_choice(r)]
    assert not [r for r in seen if r.resource_type == "document"]
    context.close()


def test_a_second_device_votes_with_the_recovery_code(
    live_server: str, open_vote: OpenVote, chromium: Any
) -> None:
    vote_url = f"/referendums/{open_vote.election_id}/vote"
    first = chromium.new_context(locale="de-DE", base_url=live_server).new_page()
    log_in(first, open_vote.emails["anna"])
    first.goto(vote_url)
    # Opening the page fetched the credential, before anything was filled in.
    expect(first.locator("body")).to_have_attribute(
        "data-credential", "ready", timeout=STEP_TIMEOUT_MS
    )
    code = first.locator("#recovery-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}", code), code

    # A fresh browser (another device): told at once, ballot locked, code offered.
    second = chromium.new_context(locale="de-DE", base_url=live_server).new_page()
    log_in(second, open_vote.emails["anna"])
    second.goto(vote_url)
    expect(second.locator("#recovery-entry")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    expect(second.locator("#recovery-entry")).to_contain_text("Wahlkommission")
    expect(second.get_by_label(YES, exact=True)).to_be_disabled()
    expect(second.locator("#review-ballot")).to_be_disabled()
    # A wrong code is refused and changes nothing.
    second.locator("#recovery-code-input").fill("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
    second.locator("#recovery-submit").click()
    expect(second.locator("#vote-status")).to_contain_text("gehört nicht", timeout=STEP_TIMEOUT_MS)
    expect(second.locator("#review-ballot")).to_be_disabled()
    # The right code (typed in lower case) unlocks the one credential; the vote counts.
    second.locator("#recovery-code-input").fill(code.lower())
    second.locator("#recovery-submit").click()
    expect(second.locator("body")).to_have_attribute(
        "data-credential", "ready", timeout=STEP_TIMEOUT_MS
    )
    second.get_by_label(YES, exact=True).check()
    second.locator("#review-ballot").click()
    second.locator("#cast-ballot").click()
    expect(second.locator("body")).to_have_attribute(
        "data-vote-state", "receipt", timeout=STEP_TIMEOUT_MS
    )
    expect(second.locator("#vote-status .success")).to_have_count(1)

    # The first device holds the same credential: it cannot vote a second time.
    first.get_by_label("Nein", exact=True).check()
    first.locator("#review-ballot").click()
    first.locator("#cast-ballot").click()
    expect(first.locator("#vote-status")).to_contain_text(
        "bereits ein Stimmzettel", timeout=STEP_TIMEOUT_MS
    )
    first.context.close()
    second.context.close()
