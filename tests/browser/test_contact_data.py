"""A member logs in through the real pages and corrects their contact data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.organisations.models import Member
from tests.conftest import TEST_PASSWORD, sqlite_only
from tests.factories import make_account, make_member, make_tree

# SQLite only: the form in Chromium; the same edits run on PostgreSQL in tests/bdd/test_platform_own_contact_data.py.
pytestmark = [pytest.mark.browser, sqlite_only]


def test_member_logs_in_and_edits_own_contact_data(page, db, settings):
    units = make_tree(db)
    member = make_member(db, units["OV-A"], "Anna", "Ahorn", email="anna@example.org")
    make_account(db, settings, "anna@example.org", TEST_PASSWORD, name="Anna Ahorn", member=member)
    db.commit()

    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "de"
    page.get_by_label("E-Mail-Adresse", exact=True).fill("anna@example.org")
    page.get_by_label("Passwort", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/dashboard")
    assert page.get_by_role("heading", name="Hallo, Anna Ahorn").is_visible()
    assert page.get_by_role("link", name="Ortsverein Ahorn").is_visible()

    page.get_by_role("link", name="Meine Daten").click()
    page.get_by_label("Telefon", exact=True).fill("+49 30 1234567")
    page.get_by_label("Straße und Hausnummer", exact=True).fill("Lindenweg 5")
    page.get_by_label("Postleitzahl", exact=True).fill("10115")
    page.get_by_label("Ort", exact=True).fill("Berlin")
    page.get_by_label("IBAN für den Mitgliedsbeitrag", exact=True).fill(
        "DE89 3704 0044 0532 0130 00"
    )
    page.get_by_role("button", name="Speichern", exact=True).click()

    page.wait_for_url("**/me/")
    assert page.get_by_role("status").inner_text() == "Deine Änderungen sind gespeichert."
    assert page.get_by_label("Telefon", exact=True).input_value() == "+49 30 1234567"
    assert page.get_by_label("Ort", exact=True).input_value() == "Berlin"
    assert "DE89 •••• 3000" in page.content()

    db.expire_all()
    stored = db.scalar(select(Member).where(Member.id == member.id))
    assert stored.city == "Berlin"
    assert stored.iban_encrypted
    assert "DE89" not in stored.iban_encrypted


def test_bad_iban_is_refused_in_the_browser_and_nothing_changes(page, db, settings):
    units = make_tree(db)
    member = make_member(db, units["OV-A"], "Bert", "Birke", email="bert@example.org")
    make_account(db, settings, "bert@example.org", TEST_PASSWORD, member=member)
    db.commit()

    page.goto("/login")
    page.get_by_label("E-Mail-Adresse", exact=True).fill("bert@example.org")
    page.get_by_label("Passwort", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/dashboard")
    page.goto("/me/")
    page.get_by_label("Ort", exact=True).fill("Hamburg")
    page.get_by_label("IBAN für den Mitgliedsbeitrag", exact=True).fill(
        "DE00 1234 5678 9012 3456 78"
    )
    page.get_by_role("button", name="Speichern", exact=True).click()

    assert page.get_by_role("alert").is_visible()
    assert "Diese IBAN ist ungültig" in page.content()
    db.expire_all()
    stored = db.scalar(select(Member).where(Member.id == member.id))
    assert stored.city is None
    assert stored.iban_encrypted is None


def test_keyboard_user_can_skip_to_content(page, db):
    page.goto("/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Zum Inhalt springen"
