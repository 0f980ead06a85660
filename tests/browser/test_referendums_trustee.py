"""Three trustees hold the key ceremony and decrypt in real browsers (trustee.js).

Each trustee has their own Chromium context (their own localStorage), logs in with the
second factor and clicks through the commission page. A waiting page updates itself
(htmx polling) when the others have registered. Every trustee must save the backup of
the final key share (passphrase twice, file named by vote and step) before the shares
can be confirmed. Trustee 1 then tests the backup in a fresh browser context (restore,
matched against the public key, recorded), decrypts from that fresh context after the
close, after trustees 1 and 2 entered and confirmed the postal votes in the browser
(each signing them with their trustee key), and two commission members state and
confirm the result.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest

from app.accounts import totp
from ballots.models import ElectionStatus
from referendums.commission.models import ResultStatement, TrusteeBackup
from referendums.notifications.tasks import run_schedule
from tests import ballots_support as support
from tests.browser.axe import axe_violations
from tests.browser.referendum_support import overflow_at
from tests.conftest import TEST_PASSWORD, sqlite_only

# SQLite only: trustee.js in Chromium; the ceremony and decryption on PostgreSQL are run by tests/bdd/test_referendums_commission.py.
pytestmark = [pytest.mark.browser, sqlite_only]

PASSPHRASE = "eine lange Passphrase für die Sicherung"
TIMEOUT = 30000


def _log_in(page: Any, email: str, secret: str, *, later: int = 0) -> None:
    """``later``: use the code of a later 30-second step (a used code is not accepted twice)."""
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/login/totp")
    page.locator("#f-code").fill(pyotp.TOTP(secret).at(time.time() + 30 * later))
    page.locator('form[action="/login/totp"] button[type="submit"]').click()
    page.wait_for_url("**/dashboard")


def _status_says(page: Any, text: str) -> None:
    page.wait_for_function(
        "text => document.getElementById('trustee-status').textContent.includes(text)",
        arg=text,
        timeout=TIMEOUT,
    )


def _step(page: Any, url: str, button: str, done: str) -> None:
    page.goto(url)
    page.locator(f"#{button}").click()
    _status_says(page, done)
    # The message stays until the trustee dismisses it; dismissing loads the next step.
    with page.expect_navigation(timeout=TIMEOUT):
        page.get_by_role("button", name="Verstanden, weiter").click()


def _check_and_back_up(page: Any, url: str, folder: Path, me: int) -> Path:
    page.goto(url)
    page.locator("#trustee-check").click()
    _status_says(page, "Speichere jetzt seine Sicherung")
    if me == 1:  # the passphrase form, as every trustee sees it
        assert axe_violations(page) == []
    page.get_by_label("Passphrase (mindestens 12 Zeichen", exact=False).fill("zu kurz")
    page.get_by_label("Passphrase wiederholen").fill("zu kurz")
    page.get_by_role("button", name="Sicherung verschlüsseln und herunterladen").click()
    page.get_by_role("alert").filter(has_text="mindestens 12 Zeichen lang").wait_for()
    page.get_by_label("Passphrase (mindestens 12 Zeichen", exact=False).fill(PASSPHRASE)
    assert "stark" in page.locator("#backup-strength").text_content()
    page.get_by_label("Passphrase wiederholen").fill(PASSPHRASE)
    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("button", name="Sicherung verschlüsseln und herunterladen").click()
    name = download.value.suggested_filename
    assert name.endswith(f"-trustee-{me}-anteil.json"), name
    path = folder / name
    download.value.save_as(path)
    assert PASSPHRASE not in path.read_text()
    # Going on without ticking "I have kept it" is refused in the page.
    page.get_by_role("button", name="Bestätigen und weiter").click()
    page.get_by_role("alert").filter(has_text="Setze das Häkchen").wait_for()
    page.get_by_label("Ich habe die Sicherungsdatei").check()
    page.get_by_role("button", name="Bestätigen und weiter").click()
    _status_says(page, "geprüft und bestätigt")
    with page.expect_navigation(timeout=TIMEOUT):
        page.get_by_role("button", name="Verstanden, weiter").click()
    return path


def _test_restore(fresh: Any, url: str, backups: list[Path]) -> None:
    """Another trustee's file and a wrong passphrase are refused; the right one passes."""
    fresh.goto(url)
    for backup, passphrase, answer in (
        (backups[1], PASSPHRASE, "anderen Treuhänder"),
        (backups[0], "eine falsche Passphrase", "Passphrase ist falsch"),
        (backups[0], PASSPHRASE, "Die Sicherung ist in Ordnung"),
    ):
        fresh.get_by_label("Sicherungsdatei", exact=True).set_input_files(str(backup))
        fresh.get_by_label("Passphrase der Sicherung").fill(passphrase)
        fresh.get_by_role("button", name="Sicherung prüfen").click()
        _status_says(fresh, answer)
    assert axe_violations(fresh) == []  # the test form with its result


def _postal(page: Any, url: str, button: str, done: str, *, audit: bool = False) -> None:
    """One postal voter's envelope with a "yes", entered in the commission page's form."""
    page.goto(url)
    if audit:  # the signed postal form: accessible, and no sideways scrolling at 320 px
        assert axe_violations(page) == []
        assert overflow_at(page, 320) == 0
    figures = {"envelopes": "1", "count-q1-yes": "1", "count-q1-no": "0"}
    figures |= {"count-q1-abstain": "0", "invalid-q1": "0"}
    for name, value in figures.items():
        page.locator(f'#postal-form input[name="{name}"]').fill(value)
    page.get_by_role("button", name=button).click()
    page.get_by_text(done).first.wait_for(timeout=TIMEOUT)


def test_trustees_run_the_ceremony_back_up_restore_and_decrypt_in_the_browser(  # noqa: PLR0915 - one story
    live_server: str, db: Any, settings: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    world = support.make_world(db, settings, tmp_path, postal=("paul",))
    support.create(world, trustees=3, threshold=2)
    secrets = {}
    for account in world.trustees():
        secrets[account.email] = totp.new_secret()
        account.totp_secret = totp.seal_secret(settings.security.secret_key, secrets[account.email])
    db.commit()
    url = f"/referendums/{world.id}/commission"
    first_email = world.trustees()[0].email

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def context_page() -> Any:
            context = browser.new_context(
                locale="de-DE", base_url=live_server, accept_downloads=True
            )
            page = context.new_page()
            # The decryption asks the trustee to confirm the figures (confirm()); a
            # passphrase is never asked in a prompt().
            page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
            return page

        dialogs: list[str] = []
        pages = []
        for account in world.trustees():
            page = context_page()
            _log_in(page, account.email, secrets[account.email])
            pages.append(page)

        _step(pages[0], url, "trustee-register", "hinterlegt")
        # Trustee 1 waits; the page updates itself once the others have registered.
        assert pages[0].locator("#commission-poll").count() == 1
        for page in pages[1:]:
            _step(page, url, "trustee-register", "hinterlegt")
        pages[0].locator("#trustee-deal").wait_for(timeout=TIMEOUT)
        assert axe_violations(pages[0]) == []
        pages[0].goto("/dashboard")
        pages[0].get_by_text("Schlüsselzeremonie: Teile deine Anteile aus").wait_for()
        assert axe_violations(pages[0]) == []
        for page in pages:
            _step(page, url, "trustee-deal", "ausgeteilt")
        backups = [_check_and_back_up(page, url, tmp_path, me) for me, page in enumerate(pages, 1)]
        db.expire_all()
        assert world.election().status == ElectionStatus.KEYS
        assert json.loads(backups[0].read_text())["format"] == "stimmwerk-trustee-backup/v1"

        # "Sicherung prüfen": trustee 1 restores the file in a fresh browser profile.
        fresh = context_page()
        _log_in(fresh, first_email, secrets[first_email], later=1)
        _test_restore(fresh, url, backups)
        db.expire_all()
        tested = db.get(TrusteeBackup, (world.id, 1))
        assert tested is not None
        assert tested.tested_at is not None

        run_schedule(db, settings, now=world.opens)
        for member, choice in (("anna", "yes"), ("ben", "no"), ("cem", "yes")):
            support.cast(world, support.credential(world, member), {"q1": [choice]})
        run_schedule(db, settings, now=world.closes)
        db.expire_all()
        assert world.election().status == ElectionStatus.CLOSED

        # The test kept nothing in the fresh profile; after the close the trustee loads
        # the backup there again and decrypts with it.
        fresh.goto(url)
        assert fresh.evaluate("() => window.localStorage.length") == 0
        fresh.get_by_label("Sicherungsdatei", exact=True).set_input_files(str(backups[0]))
        fresh.get_by_label("Passphrase der Sicherung").fill(PASSPHRASE)
        fresh.get_by_role("button", name="Sicherung laden").click()
        _status_says(fresh, "in diesen Browser geladen")
        # Record §7.3: trustee 1 (key from the backup) enters the postal votes, trustee 2
        # confirms them; each browser signs the figures with its own trustee key.
        _postal(fresh, url, "Briefwahlergebnis eingeben", "muss es jetzt bestätigen", audit=True)
        _postal(pages[1], url, "Briefwahlergebnis bestätigen", "Briefwahlergebnis ist bestätigt")
        _step(fresh, url, "trustee-decrypt", "angenommen")
        _step(pages[2], url, "trustee-decrypt", "angenommen")

        kai = pages[1]
        kai.goto(url)
        kai.get_by_role("button", name="Ergebnis auszählen").click()
        kai.get_by_role("button", name="Ergebnis feststellen").click()
        kai.get_by_text("muss es jetzt bestätigen").first.wait_for()
        assert axe_violations(kai) == []  # the review of the counted result
        fresh.goto(url)
        fresh.get_by_role("button", name="Ergebnis bestätigen").click()
        fresh.get_by_role("link", name="Niederschrift herunterladen (PDF)").wait_for()
        browser.close()
    assert "prompt" not in dialogs, dialogs

    db.expire_all()
    tally = world.election().tally
    assert tally is not None
    assert tally["questions"][0]["result"] == [3, 1, 0]  # with Paul's postal "yes"
    confirmations = world.election().outcome_statement["postal"]["confirmations"]
    assert [(c["step"], c["trustee"]) for c in confirmations] == [
        ("entered", 1),
        ("confirmed", 2),
    ]
    statement = db.get(ResultStatement, world.id)
    assert statement is not None
    assert statement.is_confirmed
    assert statement.stated_by_id != statement.confirmed_by_id
