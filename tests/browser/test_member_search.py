"""A board member searches the member list; htmx swaps the rows in place (under our CSP)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member, make_tree

pytestmark = pytest.mark.browser


def test_typing_in_the_search_box_updates_the_rows_without_reloading(page, db, settings):
    units = make_tree(db)
    board_member = make_member(db, units["OV-A"], "Vera", "Vorstand", email="vera@example.org")
    for family in ("Albers", "Becker", "Bauer", "Celik"):
        make_member(db, units["OV-A"], "Test", family)
    account = make_account(db, settings, "vera@example.org", TEST_PASSWORD, member=board_member)
    grant(db, account, Role.BOARD, units["OV-A"])
    db.commit()
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    page.goto("/login")
    page.get_by_label("E-Mail-Adresse", exact=True).fill("vera@example.org")
    page.get_by_label("Passwort", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/dashboard")
    page.goto("/units/OV-A/members")
    assert page.locator("#member-rows tr").count() == 6  # 5 members + the pager row

    page.evaluate("window.__same_document = true")
    page.get_by_label("Suche nach Nachname oder Mitgliedsnummer").press_sequentially("Ba")
    expect(page.locator("#member-rows tr")).to_have_count(2)
    assert "Bauer" in page.locator("#member-rows").inner_text()
    assert "Becker" not in page.locator("#member-rows").inner_text()
    assert page.evaluate("window.__same_document === true"), "the page was reloaded"
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
