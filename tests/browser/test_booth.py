"""The booth in Chromium at a phone's and a laptop's size (issue 10, points 3 and 4).

A member opens the vote, ticks too many options and is told which question, reviews,
checks the encryption ("Stimmzettel prüfen") and has the opened ballot checked by the
separate check page and by ``stimmwerk check-audit``, casts, sees "Deine Stimme ist
abgegeben", reloads and is told she has voted. Targets are measured (≥ 44 px) and
axe-core finds nothing on the vote page (each step) and the check page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from app.core.settings import Settings
from tests.browser.axe import axe_violations
from tests.browser.booth_support import (
    BoothVote,
    check_audit_cli,
    count_targets,
    open_booth_vote,
    style_of,
    tampered,
    too_small_targets,
)
from tests.browser.referendum_support import STEP_TIMEOUT_MS, log_in
from tests.conftest import sqlite_only

# SQLite only: the booth's browser code; casting on PostgreSQL is run by tests/bdd/test_referendums_voting.py.
pytestmark = [pytest.mark.browser, sqlite_only]

VIEWPORTS = {"phone": (390, 844), "laptop": (1280, 800)}
CHOICE_TARGETS = "label.ballot-option"
BUTTONS = "#vote-app button, #vote-app summary, #ballot-check-app button"


@pytest.fixture
def booth(db: Session, settings: Settings, tmp_path: Path) -> BoothVote:
    return open_booth_vote(db, settings, tmp_path)


@pytest.fixture
def chromium(fresh_chromium: Any) -> Any:
    """One Chromium for the module, fresh contexts per test (tests/browser/conftest.py)."""
    return fresh_chromium


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def _sizes_ok(page: Page) -> None:
    assert count_targets(page, CHOICE_TARGETS + ", " + BUTTONS) > 0
    assert too_small_targets(page, CHOICE_TARGETS) == []
    assert too_small_targets(page, BUTTONS) == []


@pytest.mark.parametrize("size", VIEWPORTS)
def test_a_member_votes_in_the_booth(
    live_server: str, booth: BoothVote, chromium: Any, tmp_path: Path, size: str
) -> None:
    width, height = VIEWPORTS[size]
    context = chromium.new_context(
        locale="de-DE", base_url=live_server, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, booth.emails["anna"])
    page.goto(booth.vote_url)
    expect(page.locator("body")).to_have_attribute(
        "data-credential", "ready", timeout=STEP_TIMEOUT_MS
    )
    _ballot_step(page, booth)
    audit_text = _review_and_check_step(page)
    _independent_checks(chromium, live_server, booth, audit_text, tmp_path, (width, height))
    _cast_and_reload(page)
    # No script error and no blocked code (the browser's own favicon request may 404).
    assert not [e for e in errors if "404" not in e], errors
    context.close()


def _ballot_step(page: Page, booth: BoothVote) -> None:
    main = page.locator("main")
    # The deadline in words, local time.
    expect(page.locator("#vote-deadline")).to_have_text(
        f"Du kannst bis {booth.deadline_words} abstimmen."
    )
    assert "Uhr" in booth.deadline_words
    _sizes_ok(page)
    _no_sideways_scroll(page)
    assert axe_violations(page) == []

    # Nothing chosen: each question says what is missing, by its number.
    page.locator("#review-ballot").click()
    expect(main).to_contain_text("Bei Frage 1 hast du noch keine Antwort gewählt.")
    expect(main).to_contain_text("Bei Frage 2 hast du nichts gewählt.")
    assert axe_violations(page) == []
    # Too many ticks: refused as she ticks, the message names the question.
    page.get_by_label("Ja", exact=True).check()
    page.get_by_label("Anna", exact=True).check()
    page.get_by_label("Ben", exact=True).check()
    page.get_by_label("Cem", exact=True).click()
    expect(page.locator("#error-q3")).to_have_text(
        "Bei Frage 2 darfst du höchstens 2 Optionen wählen."
    )
    expect(page.get_by_label("Cem", exact=True)).not_to_be_checked()
    expect(page.locator("#error-q1")).to_have_text("")


def _review_and_check_step(page: Page) -> str:
    """Review, then "Stimmzettel prüfen"; returns the check data the page offers."""
    page.locator("#review-ballot").click()
    expect(page.locator("#review-title")).to_have_text("Bitte prüfe deine Auswahl")
    expect(page.locator("body")).to_have_attribute("data-vote-state", "review")
    expect(page.locator("#review-choices")).to_contain_text("Ja")
    expect(page.locator("#review-choices")).to_contain_text("Anna, Ben")
    page.locator("#audit-box summary").click()
    _sizes_ok(page)
    _no_sideways_scroll(page)
    # "Abstimmen" is the filled primary action; "Stimmzettel prüfen" is outlined.
    cast_bg = style_of(page, "#cast-ballot", "backgroundColor")
    check_bg = style_of(page, "#check-ballot", "backgroundColor")
    assert cast_bg != check_bg
    assert check_bg in {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"}
    expect(page.locator("#cast-ballot")).to_have_text("Abstimmen")
    expect(page.locator("#check-ballot")).to_have_text("Stimmzettel prüfen")
    assert axe_violations(page) == []

    # "Stimmzettel prüfen": the opened ballot, explained, and its check data.
    page.locator("#check-ballot").click()
    expect(page.locator("body")).to_have_attribute(
        "data-vote-state", "audited", timeout=STEP_TIMEOUT_MS
    )
    expect(page.locator("#audit-choices")).to_contain_text("Ja")
    expect(page.locator("#audit-choices")).to_contain_text("Anna, Ben")
    expect(page.locator("#audit-result")).to_contain_text("weggeworfen und zählt nicht")
    audit_text = page.locator("#audit-data").input_value()
    assert axe_violations(page) == []
    return audit_text


def _independent_checks(  # noqa: PLR0917 - the step's inputs, named at the one call
    chromium: Any,
    live_server: str,
    booth: BoothVote,
    audit_text: str,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    width, height = size
    # Checked by the command line (with the server's public data) ...
    client_data_url = f"{live_server}/api/elections/{booth.election_id}/client-data"
    good, bad = tmp_path / "pruefung.json", tmp_path / "pruefung-geaendert.json"
    good.write_text(audit_text, encoding="utf-8")
    bad.write_text(tampered(audit_text), encoding="utf-8")
    run = check_audit_cli(good, client_data_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Anna, Ben" in run.stdout
    run = check_audit_cli(bad, client_data_url)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAILED" in run.stdout

    # ... and by the public check page (another context: no login, own storage).
    other = chromium.new_context(
        locale="de-DE", base_url=live_server, viewport={"width": width, "height": height}
    )
    check = other.new_page()
    check.goto(booth.check_url)
    expect(check.locator("h1")).to_have_text("Geöffneten Stimmzettel prüfen")
    check.locator("#audit-text").fill(audit_text)
    check.locator("#audit-check").click()
    expect(check.locator("body")).to_have_attribute(
        "data-audit-check", "passed", timeout=STEP_TIMEOUT_MS
    )
    expect(check.locator("#audit-verdict h2")).to_have_text("Prüfung bestanden.")
    expect(check.locator("#audit-check-choices")).to_contain_text("Anna, Ben")
    _sizes_ok(check)
    _no_sideways_scroll(check)
    assert axe_violations(check) == []
    check.locator("#audit-text").fill(tampered(audit_text))
    check.locator("#audit-check").click()
    expect(check.locator("body")).to_have_attribute(
        "data-audit-check", "failed", timeout=STEP_TIMEOUT_MS
    )
    expect(check.locator("#audit-verdict h2")).to_have_text("Prüfung NICHT bestanden.")
    expect(check.locator("#audit-check-problems")).to_contain_text("Frage 1")
    assert axe_violations(check) == []
    other.close()


def _cast_and_reload(page: Page) -> None:
    main = page.locator("main")
    # Casting: an unmistakable confirmation, and controls that are and look disabled.
    page.locator("#cast-ballot").click()
    expect(page.locator("body")).to_have_attribute(
        "data-vote-state", "receipt", timeout=STEP_TIMEOUT_MS
    )
    expect(page.locator("#vote-confirmation h2")).to_have_text("Deine Stimme ist abgegeben.")
    expect(page.locator("#vote-status .success")).to_have_count(1)
    expect(page.get_by_label("Ja", exact=True)).to_be_disabled()
    assert style_of(page, "label.ballot-option", "cursor") == "not-allowed"
    _no_sideways_scroll(page)
    assert axe_violations(page) == []

    # A reload says she has voted (not that she may finish).
    page.reload()
    expect(page.locator("#vote-confirmation h2")).to_contain_text(
        "bereits abgestimmt", timeout=STEP_TIMEOUT_MS
    )
    expect(page.locator("#issued-notice")).to_be_hidden()
    expect(page.get_by_label("Ja", exact=True)).to_be_disabled()
    expect(main).not_to_contain_text("kannst du sie hier abschließen", use_inner_text=True)
    assert axe_violations(page) == []
