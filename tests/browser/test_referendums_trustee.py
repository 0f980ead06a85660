"""Three trustees hold the key ceremony and decrypt in real browsers (trustee.js).

Each trustee has their own Chromium context (their own localStorage), logs in with the
second factor and clicks through the commission page; one trustee saves the encrypted
backup, loses the browser's copy, loads the backup and decrypts with it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyotp
import pytest

from app.accounts import totp
from ballots import services
from ballots.models import ElectionStatus
from referendums.notifications.tasks import run_schedule
from tests import ballots_support as support
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

PASSPHRASE = "eine lange Passphrase für die Sicherung"


def _log_in(page: Any, email: str, secret: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/login/totp")
    page.locator("#f-code").fill(pyotp.TOTP(secret).now())
    page.locator('form[action="/login/totp"] button[type="submit"]').click()
    page.wait_for_url("**/dashboard")


def _step(page: Any, url: str, button: str, done: str) -> None:
    page.goto(url)
    # After a step the page shows the result, then reloads itself for the next step.
    with page.expect_navigation(timeout=30000):
        page.locator(f"#{button}").click()
        page.wait_for_function(
            "text => document.getElementById('trustee-status').textContent.includes(text)",
            arg=done,
            timeout=30000,
        )


def test_trustees_run_the_ceremony_and_decrypt_in_the_browser(
    live_server: str, db: Any, settings: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    world = support.make_world(db, settings, tmp_path, postal=())
    support.create(world, trustees=3, threshold=2)
    secrets = {}
    for account in world.trustees():
        secrets[account.email] = totp.new_secret()
        account.totp_secret = totp.seal_secret(settings.security.secret_key, secrets[account.email])
    db.commit()
    url = f"/referendums/{world.id}/commission"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for account in world.trustees():
            context = browser.new_context(
                locale="de-DE", base_url=live_server, accept_downloads=True
            )
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept(PASSPHRASE))
            _log_in(page, account.email, secrets[account.email])
            pages.append(page)

        for page in pages:
            _step(page, url, "trustee-register", "hinterlegt")
        for page in pages:
            _step(page, url, "trustee-deal", "ausgeteilt")
        for page in pages:
            _step(page, url, "trustee-check", "geprüft und bestätigt")
        db.expire_all()
        assert world.election().status == ElectionStatus.KEYS

        first = pages[0]
        first.goto(url)
        with first.expect_download() as download:
            first.locator("#trustee-save-backup").click()
        backup = tmp_path / "backup.json"
        download.value.save_as(backup)
        assert PASSPHRASE not in backup.read_text()

        run_schedule(db, settings, now=world.opens)
        for member, choice in (("anna", "yes"), ("ben", "no"), ("cem", "yes")):
            support.cast(world, support.credential(world, member), {"q1": [choice]})
        run_schedule(db, settings, now=world.closes)
        db.expire_all()
        assert world.election().status == ElectionStatus.CLOSED

        # Trustee 1's browser forgot everything; the backup file brings the key back.
        first.evaluate("() => window.localStorage.clear()")
        first.goto(url)
        first.locator("#trustee-load-backup").set_input_files(str(backup))
        first.wait_for_function(
            "() => document.getElementById('trustee-status').textContent.includes('geladen')",
            timeout=30000,
        )
        _step(first, url, "trustee-decrypt", "angenommen")
        _step(pages[2], url, "trustee-decrypt", "angenommen")
        time.sleep(0.5)
        browser.close()

    db.expire_all()
    services.tally_election(db, world.id, world.commission[1])
    tally = world.election().tally
    assert tally is not None
    assert tally["questions"][0]["result"] == [2, 1, 0]
