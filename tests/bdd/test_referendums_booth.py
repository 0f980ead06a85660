"""Steps for referendums/booth.feature, in Chromium against the real server.

The booth is browser code, so these scenarios drive the vote page, the public check
page and ``stimmwerk check-audit`` exactly as a member would (``tests/browser``'s
server and Chromium; marked ``browser``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy.orm import Session

from app.core.settings import Settings
from tests.browser.booth_support import BoothVote, check_audit_cli, open_booth_vote, tampered
from tests.browser.conftest import (  # noqa: F401 - fixtures
    CHROMIUM,
    fresh_chromium,
    live_server,
    module_chromium,
)
from tests.browser.referendum_support import STEP_TIMEOUT_MS, log_in
from tests.conftest import sqlite_only

# SQLite only: the booth's browser code; casting and the record's checks run on
# PostgreSQL in tests/bdd/test_referendums_voting.py and test_ballots_verify_record.py.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="no Chromium found; browser tests skipped"),
    sqlite_only,
]

scenarios("referendums/booth.feature")

QUESTION_IDS = {1: "q1", 2: "q3"}


@dataclass
class Booth:
    vote: BoothVote
    page: Page
    browser: Any
    base_url: str
    tmp: Path
    audit_text: str = ""
    check_page: Page | None = None
    runs: list[Any] = field(default_factory=list)


@pytest.fixture
def chromium(fresh_chromium: Any) -> Any:  # noqa: F811 - the imported fixture
    """One Chromium for the module, fresh contexts per test (tests/browser/conftest.py)."""
    return fresh_chromium


@given("the member vote with two questions is open", target_fixture="vote")
def vote_open(db: Session, settings: Settings, tmp_path: Path) -> BoothVote:
    return open_booth_vote(db, settings, tmp_path)


@given("Anna has opened the vote page", target_fixture="booth")
def opened(vote: BoothVote, live_server: str, chromium: Any, tmp_path: Path) -> Booth:  # noqa: F811
    page = chromium.new_context(locale="de-DE", base_url=live_server).new_page()
    log_in(page, vote.emails["anna"])
    page.goto(vote.vote_url)
    expect(page.locator("body")).to_have_attribute(
        "data-credential", "ready", timeout=STEP_TIMEOUT_MS
    )
    return Booth(vote, page, chromium, live_server, tmp_path)


@when(parsers.parse('she ticks "{a}", "{b}" and "{c}" in question 2'))
def ticks_three(booth: Booth, a: str, b: str, c: str) -> None:
    for label in (a, b, c):
        booth.page.get_by_label(label, exact=True).click()


@when(parsers.re(r'she ticks "(?P<label>[^"]+)" in question 2'))
def ticks_one(booth: Booth, label: str) -> None:
    booth.page.get_by_label(label, exact=True).check()


@when(parsers.parse('she answers question 1 with "{label}"'))
def answers(booth: Booth, label: str) -> None:
    booth.page.get_by_label(label, exact=True).check()


@when("she goes on to the review")
def goes_to_review(booth: Booth) -> None:
    booth.page.locator("#review-ballot").click()


@when("she wants to change her choice")
def changes(booth: Booth) -> None:
    booth.page.locator("#change-ballot").click()


@when("she casts her vote")
def casts(booth: Booth) -> None:
    booth.page.locator("#cast-ballot").click()
    expect(booth.page.locator("body")).to_have_attribute(
        "data-vote-state", "receipt", timeout=STEP_TIMEOUT_MS
    )


@when("she reloads the page")
def reloads(booth: Booth) -> None:
    booth.page.reload()
    expect(booth.page.locator("body")).to_have_attribute(
        "data-vote-state", "receipt", timeout=STEP_TIMEOUT_MS
    )


@when("she checks her ballot")
def checks(booth: Booth) -> None:
    page = booth.page
    page.locator("#audit-box summary").click()
    page.locator("#check-ballot").click()
    expect(page.locator("body")).to_have_attribute(
        "data-vote-state", "audited", timeout=STEP_TIMEOUT_MS
    )
    booth.audit_text = page.locator("#audit-data").input_value()


@when("someone changes the revealed choice of question 1 in the check data")
def changes_check_data(booth: Booth) -> None:
    booth.audit_text = tampered(booth.audit_text)


@when("she pastes the check data into the check page, without logging in")
def pastes(booth: Booth) -> None:
    page = booth.browser.new_context(locale="de-DE", base_url=booth.base_url).new_page()
    page.goto(booth.vote.check_url)
    page.locator("#audit-text").fill(booth.audit_text)
    page.locator("#audit-check").click()
    expect(page.locator("#audit-verdict")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    booth.check_page = page


@then("she reads until when she can vote, with weekday, date and time")
def reads_deadline(booth: Booth) -> None:
    expected = f"Du kannst bis {booth.vote.deadline_words} abstimmen."
    expect(booth.page.locator("#vote-deadline")).to_have_text(expected)
    weekdays = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
    assert booth.vote.deadline_words.startswith(weekdays)
    assert booth.vote.deadline_words.endswith(" Uhr")


@then(parsers.parse('she reads "{text}"'))
def reads(booth: Booth, text: str) -> None:
    expect(booth.page.locator("main")).to_contain_text(
        text, use_inner_text=True, timeout=STEP_TIMEOUT_MS
    )


@then(parsers.parse('"{label}" is not ticked'))
def not_ticked(booth: Booth, label: str) -> None:
    expect(booth.page.get_by_label(label, exact=True)).not_to_be_checked()


@then("she does not see the review")
def no_review(booth: Booth) -> None:
    expect(booth.page.locator("#ballot-review")).to_be_hidden()


@then(parsers.parse('the review shows "{first}" and "{second}"'))
def review_shows(booth: Booth, first: str, second: str) -> None:
    answers = booth.page.locator("#review-choices .answer")
    expect(answers).to_have_text([first, second])


@then("she can tick the options again")
def can_tick_again(booth: Booth) -> None:
    expect(booth.page.locator("#ballot-review")).to_be_hidden()
    expect(booth.page.get_by_label("Ja", exact=True)).to_be_enabled()
    booth.page.get_by_label("Anna", exact=True).check()
    expect(
        booth.page.get_by_label("Ich enthalte mich bei dieser Frage (keine Option)")
    ).not_to_be_checked()


@then("the choices are disabled")
def choices_disabled(booth: Booth) -> None:
    for label in ("Ja", "Nein", "Anna", "Ben"):
        expect(booth.page.get_by_label(label, exact=True)).to_be_disabled()
    expect(booth.page.locator("#cast-ballot")).to_be_hidden()


@then("she is not told that she may finish voting")
def not_told_to_finish(booth: Booth) -> None:
    expect(booth.page.locator("main")).not_to_contain_text(
        "kannst du sie hier abschließen", use_inner_text=True
    )
    expect(booth.page.locator("#review-ballot")).to_be_disabled()


@then(parsers.parse('the page shows that the encrypted ballot contains "{first}" and "{second}"'))
def audit_shows(booth: Booth, first: str, second: str) -> None:
    items = booth.page.locator("#audit-choices li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(f": {first}")
    expect(items.nth(1)).to_contain_text(f": {second}")


@then(parsers.parse('the check page says "{verdict}" and lists "{label}"'))
def check_page_passes(booth: Booth, verdict: str, label: str) -> None:
    assert booth.check_page is not None
    expect(booth.check_page.locator("#audit-verdict h2")).to_have_text(verdict)
    expect(booth.check_page.locator("#audit-check-choices")).to_contain_text(label)


@then(parsers.parse('the check page says "{verdict}" and names question {number:d}'))
def check_page_fails(booth: Booth, verdict: str, number: int) -> None:
    assert booth.check_page is not None
    expect(booth.check_page.locator("#audit-verdict h2")).to_have_text(verdict)
    expect(booth.check_page.locator("#audit-check-problems")).to_contain_text(f"Frage {number}")


def _cli(booth: Booth) -> Any:
    path = booth.tmp / "pruefdaten.json"
    path.write_text(booth.audit_text, encoding="utf-8")
    url = f"{booth.base_url}/api/elections/{booth.vote.election_id}/client-data"
    return check_audit_cli(path, url)


@then('the command "stimmwerk check-audit" accepts the check data')
def cli_accepts(booth: Booth) -> None:
    run = _cli(booth)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Ben" in run.stdout


@then('the command "stimmwerk check-audit" refuses the check data')
def cli_refuses(booth: Booth) -> None:
    run = _cli(booth)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAILED" in run.stdout
