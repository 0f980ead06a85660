"""A member and a guest discuss in a debate in Chromium; a moderator hides a post and its
author sees why; the member's open page shows the guest's reply without a reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from app.accounts.models import Account, Role
from app.core.db import utcnow
from app.discussions import services
from app.discussions.models import Post, PostScope, ReadScope
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member, make_tree

pytestmark = pytest.mark.browser


def _log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/dashboard")


def _post_id(db, text: str) -> int:
    db.expire_all()
    found = db.scalar(select(Post.id).where(Post.body == text))
    assert found is not None
    return found


def test_member_and_guest_discuss_and_a_moderator_hides(db, settings, live_server):
    units = make_tree(db)
    staff_member = make_member(db, units["OV-A"], "Sabine", "Schmidt", email="sabine@example.org")
    staff = make_account(db, settings, "sabine@example.org", TEST_PASSWORD, member=staff_member)
    grant(db, staff, Role.STAFF, units["LV1"])
    anna = make_member(db, units["OV-A"], "Anna", "Arndt", email="anna@example.org")
    make_account(db, settings, "anna@example.org", TEST_PASSWORD, member=anna)
    make_account(db, settings, "gustav@example.org", TEST_PASSWORD, name="Gustav Gast")
    db.commit()
    draft = services.DebateDraft(
        title="Radverkehr im Kreis",
        opening="Wie kommen wir sicher zur Schule?",
        closes_at=utcnow() + timedelta(days=7),
        read_scope=ReadScope.PUBLIC,
        post_scope=PostScope.EVERYONE,
    )
    debate = services.open_debate(db, db.get(Account, staff.id), units["LV1"], draft)
    url = f"/discussions/{debate.id}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        member, guest, moderator = (
            browser.new_context(locale="de-DE", base_url=live_server).new_page() for _ in range(3)
        )
        errors: list[str] = []
        member.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        # The member opens the debate and posts.
        _log_in(member, "anna@example.org")
        member.goto(url)
        member.get_by_label("Dein Beitrag").fill("Wir brauchen *sichere* Radwege.")
        member.get_by_role("button", name="Beitrag senden").click()
        expect(member.locator(".post-body em")).to_have_text("sichere")
        anna_post = _post_id(db, "Wir brauchen *sichere* Radwege.")
        member.evaluate("window.__same_document = true")

        # The guest replies in a second browser; the guest is labelled "Gast".
        _log_in(guest, "gustav@example.org")
        guest.goto(url)
        thread = guest.locator(f"#post-{anna_post}")
        thread.locator("details.reply > summary").last.click()
        thread.get_by_label("Deine Antwort").last.fill("Ja, und bessere Beleuchtung!")
        thread.get_by_role("button", name="Antwort senden").last.click()
        reply = _post_id(db, "Ja, und bessere Beleuchtung!")
        expect(guest.locator(f"#post-{reply} .guest-badge")).to_have_text("Gast")

        # The member's open page shows the reply without a reload (htmx polling).
        expect(member.locator("#live-posts")).to_contain_text(
            "Ja, und bessere Beleuchtung!", timeout=15_000
        )
        assert member.evaluate("window.__same_document === true"), "the page was reloaded"

        # A moderator hides the guest's reply with a reason.
        _log_in(moderator, "sabine@example.org")
        moderator.goto(url)
        item = moderator.locator(f"#post-{reply}")
        item.locator("details.inline-details > summary").first.click()
        item.get_by_label("Grund für das Ausblenden").fill("Bitte beim Thema bleiben")
        item.get_by_role("button", name="Beitrag ausblenden").click()
        expect(moderator.locator(f"#post-{reply} .hidden-reason")).to_be_visible()

        # The author sees why; the member sees only the placeholder.
        guest.goto(url)
        expect(guest.locator(f"#post-{reply} .hidden-reason")).to_contain_text(
            "Von der Moderation ausgeblendet: Bitte beim Thema bleiben"
        )
        member.goto(url)
        expect(member.locator(f"#post-{reply}")).to_contain_text(
            "Dieser Beitrag wurde von der Moderation ausgeblendet."
        )
        assert not [e for e in errors if "Content Security Policy" in e], errors
        browser.close()
