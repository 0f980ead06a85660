"""A member without a login activates her own account in Chromium (issue 10, point 1).

From the login page to "Mitgliedskonto aktivieren", membership number and register
address, the link from the mail, a new password, the login, the dashboard; then the
way back to a page opened while logged out (point 2). axe-core finds nothing on these
pages, and none scrolls sideways at 320 px.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.axe import axe_violations
from tests.browser.referendum_support import activate_from_register, fill_login, overflow_px
from tests.conftest import MailCatcher, sqlite_only
from tests.factories import make_member, make_tree

# SQLite only: the form in Chromium; self-activation runs on PostgreSQL in tests/bdd/test_platform_member_self_activation.py.
pytestmark = [pytest.mark.browser, sqlite_only]

PASSWORD = "mein neues Passwort"


def _no_sideways_scroll(page) -> None:
    assert overflow_px(page) <= 0


def _checked(page) -> None:
    assert axe_violations(page) == []
    _no_sideways_scroll(page)


def test_a_member_activates_herself_and_lands_where_she_wanted(
    page, db, settings, mailbox: MailCatcher
):
    units = make_tree(db)
    member = make_member(db, units["OV-A"], "Mia", "Meier", email="mia@example.org")
    db.commit()
    page.set_viewport_size({"width": 320, "height": 700})

    page.goto("/units/OV-A")  # a page she wants to see, while logged out
    page.wait_for_url(re.compile(r"/login\?next=/units/OV-A$"))
    assert axe_violations(page) == []
    activate_from_register(
        page, mailbox, member.membership_number, "mia@example.org", PASSWORD, _checked
    )
    fill_login(page, "mia@example.org", PASSWORD)
    # The page she wanted at the start, kept through activation and login.
    page.wait_for_url(re.compile(r"/units/OV-A$"))
    assert page.get_by_role("heading", name="Ortsverein Ahorn").is_visible()
    assert axe_violations(page) == []


def test_a_wrong_membership_number_is_refused_clearly(page, db, settings, mailbox: MailCatcher):
    units = make_tree(db)
    make_member(db, units["OV-A"], "Mia", "Meier", email="mia@example.org")
    db.commit()
    page.goto("/activate/start")
    page.locator("#f-membership_number").fill("999999")
    page.locator("#f-email").fill("mia@example.org")
    page.get_by_role("button", name="Aktivierungslink senden").first.click()
    alert = page.get_by_role("alert")
    assert "passen nicht zusammen" in alert.inner_text()
    assert axe_violations(page) == []
    assert mailbox.to("mia@example.org") == []
