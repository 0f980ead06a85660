"""Helpers for the Mitgliederentscheid browser test: people, logins, the browser's steps.

The people live in the test database (`tests.factories`): staff on LV1, three commission
members on LV1 with a TOTP secret (the commission role requires the second factor), five
members with accounts in the Ortsvereine below LV1. Every browser step goes through the
pages and the JavaScript bundles exactly as a person would click them.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from app.accounts import totp
from app.accounts.models import Account, Role
from app.core.settings import Settings
from app.organisations.models import Unit
from tests.conftest import TEST_PASSWORD, MailCatcher
from tests.factories import grant, make_account, make_member, make_tree

TRUSTEE_PASSPHRASE = "eine lange Passphrase für die Sicherung"
STEP_TIMEOUT_MS = 30_000
VOTERS = ("anna", "ben", "cem", "dora", "emil")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class People:
    units: dict[str, Unit]
    staff: Account
    trustees: list[Account]
    totp_secrets: dict[str, str]
    """email -> the plain TOTP secret of each trustee."""
    members: dict[str, Account] = field(default_factory=dict)


def make_people(session: Session, settings: Settings) -> People:
    units = make_tree(session)
    staff = make_account(session, settings, "staff@example.org", TEST_PASSWORD, name="Sabine")
    grant(session, staff, Role.STAFF, units["LV1"])
    trustees, secrets = [], {}
    for i in range(3):
        email = f"kommission{i + 1}@example.org"
        account = make_account(session, settings, email, TEST_PASSWORD, name=f"Kommission {i + 1}")
        grant(session, account, Role.COMMISSION, units["LV1"])
        secrets[email] = totp.new_secret()
        account.totp_secret = totp.seal_secret(settings.security.secret_key, secrets[email])
        trustees.append(account)
    people = People(units, staff, trustees, secrets)
    places = ("OV-A", "OV-B", "OV-C")
    for i, name in enumerate(VOTERS):
        member = make_member(session, units[places[i % 3]], name.title(), "Muster")
        people.members[name] = make_account(
            session,
            settings,
            f"{name}@example.org",
            TEST_PASSWORD,
            name=f"{name.title()} Muster",
            member=member,
        )
    session.commit()
    return people


def fill_login(page: Page, email: str, password: str = TEST_PASSWORD) -> None:
    """On the login page: e-mail address, password, "Anmelden"."""
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()


def log_in(page: Page, email: str, totp_secret: str | None = None) -> None:
    """Log in through the login page (and the TOTP page for the commission)."""
    page.goto("/login")
    fill_login(page, email)
    if totp_secret is not None:
        page.wait_for_url("**/login/totp")
        page.locator("#f-code").fill(pyotp.TOTP(totp_secret).now())
        page.locator('form[action="/login/totp"] button[type="submit"]').click()
    page.wait_for_url("**/dashboard")


PageCheck = Callable[[Page], None]


def activate_from_register(  # noqa: PLR0917 - the member's own data, named at each call
    page: Page,
    mailbox: MailCatcher,
    membership_number: str,
    email: str,
    password: str,
    check: PageCheck = lambda _page: None,
) -> None:
    """A register member without a login activates herself, from the login page on:
    "Mitgliedskonto aktivieren", membership number and register address, the link from
    the mail, a new password twice. Ends on the login page, not logged in. ``check``
    runs on every page on the way."""
    page.get_by_role("link", name="Mitgliedskonto aktivieren").click()
    page.wait_for_url(re.compile(r"/activate/start"))
    check(page)
    page.locator("#f-membership_number").fill(membership_number)
    page.locator("#f-email").fill(email)
    page.get_by_role("button", name="Aktivierungslink senden").first.click()
    page.wait_for_url(re.compile(r"/login"))
    expect(page.get_by_role("status")).to_contain_text("Wir haben dir eine E-Mail")
    check(page)
    page.goto(mailbox.last_link(email))
    expect(page.get_by_role("heading", name="Konto aktivieren")).to_be_visible()
    check(page)
    page.get_by_label("Neues Passwort", exact=True).fill(password)
    page.get_by_label("Neues Passwort wiederholen", exact=True).fill(password)
    page.get_by_role("button", name="Passwort speichern").click()
    page.wait_for_url(re.compile(r"/login"))
    check(page)


def mailed_link(mailbox: MailCatcher, email: str, subject_start: str, path: str) -> str:
    """The path of the first link matching the regular expression ``path`` in the last
    mail to ``email`` whose subject starts with ``subject_start``."""
    subjects = [(m, str(make_header(decode_header(m["Subject"])))) for m in mailbox.to(email)]
    mails = [m for m, subject in subjects if subject.startswith(subject_start)]
    assert mails, [subject for _, subject in subjects]
    body = mails[-1].get_payload(decode=True).decode()
    match = re.search(rf"https?://[^\s/]+({path})(?:\s|$)", body)
    assert match, body
    return match.group(1)


def overflow_px(page: Page) -> int:
    """How many CSS px the page is wider than the window (0: no sideways scrolling)."""
    width: int = page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    return width


def overflow_at(page: Page, width: int) -> int:
    """`overflow_px` with the window ``width`` CSS px wide for a moment (then as before)."""
    size = page.viewport_size
    assert size is not None
    page.set_viewport_size({"width": width, "height": size["height"]})
    try:
        return overflow_px(page)
    finally:
        page.set_viewport_size(size)


def trustee_round(pages: list[Page], url: str, button: str, done: str) -> None:
    """Every trustee clicks ``button`` on the commission page; wait for ``done`` on each.

    The trustees act at the same time (each in their own browser), so one round costs
    about one step. After checking the shares each trustee saves the backup of the key
    share (passphrase twice, download, "I have kept it"): the ceremony goes on only then.
    The message stays until the trustee dismisses it, which loads the next step.
    """
    for page in pages:
        page.goto(url)
        page.locator(f"#{button}").click()
    if button == "trustee-check":
        for page in pages:
            save_backup(page)
    for page in pages:
        expect(page.locator("#trustee-status")).to_contain_text(done, timeout=STEP_TIMEOUT_MS)
    for page in pages:
        with page.expect_navigation(timeout=STEP_TIMEOUT_MS):
            page.locator("#trustee-continue").click()


def save_backup(page: Page) -> None:
    """Save the key share's backup in the page's form and confirm having kept it."""
    expect(page.locator("#backup-form")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    page.locator("#backup-pass").fill(TRUSTEE_PASSPHRASE)
    page.locator("#backup-pass-again").fill(TRUSTEE_PASSPHRASE)
    with page.expect_download(timeout=STEP_TIMEOUT_MS):
        page.locator("#backup-save").click()
    page.locator("#backup-kept").check()
    page.locator("#backup-confirm").click()


def review(page: Page, labels: list[str]) -> None:
    """Tick ``labels`` in the booth and go to its review step ("Bitte prüfe deine Auswahl")."""
    for label in labels:
        page.get_by_label(label, exact=True).check()
    page.locator("#review-ballot").click()
    expect(page.locator("body")).to_have_attribute(
        "data-vote-state", "review", timeout=STEP_TIMEOUT_MS
    )


def cast(page: Page) -> str:
    """Click "Abstimmen" on the review step; return the receipt's ballot hash once the
    receipt verified against the board's signed checkpoint in the browser."""
    page.locator("#cast-ballot").click()
    expect(page.locator("body")).to_have_attribute(
        "data-vote-state", "receipt", timeout=STEP_TIMEOUT_MS
    )
    expect(page.locator("#vote-status .success")).to_have_count(1)
    ballot_hash = page.locator("#vote-status code.ballot-hash").inner_text().strip()
    assert _HEX64.fullmatch(ballot_hash), ballot_hash
    return ballot_hash


def vote(page: Page, election_id: object, choice_label: str, *, check_first: bool) -> str:
    """Vote for ``choice_label`` on the vote page; return the receipt's ballot hash.

    With ``check_first`` the member first uses "Stimmzettel prüfen" (Benaloh audit) and
    the page must show that the checked encryption holds exactly that choice.
    """
    page.goto(f"/referendums/{election_id}/vote")
    # The booth's review step ("Bitte prüfe deine Auswahl") comes before casting.
    review(page, [choice_label])
    if check_first:
        page.locator("#audit-box summary").click()
        page.locator("#check-ballot").click()
        expect(page.locator("body")).to_have_attribute(
            "data-vote-state", "audited", timeout=STEP_TIMEOUT_MS
        )
        expect(page.locator("#audit-choices li")).to_have_count(1)
        expect(page.locator("#audit-choices li")).to_contain_text(f": {choice_label}")
    return cast(page)


def run_verifier(path: Path) -> subprocess.CompletedProcess[str]:
    """``stimmwerk verify PATH`` in its own process, as an auditor runs it."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "verify", "--workers", "1", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tamper_one_ballot(record_zip: Path, target: Path, line_number: int = 1) -> str:
    """Copy ``record_zip`` to ``target`` with one hex digit of one ballot's signature changed.

    Returns the name of the changed entry (``…/ballots.jsonl``). The line stays valid,
    canonical JSON: only the Ed25519 signature no longer matches.
    """
    changed = ""
    with zipfile.ZipFile(record_zip) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("ballots.jsonl"):
                lines = data.split(b"\n")
                line = lines[line_number - 1]
                marker = b'"signature":"'
                at = line.rindex(marker) + len(marker)
                flipped = b"0" if line[at : at + 1] != b"0" else b"1"
                lines[line_number - 1] = line[:at] + flipped + line[at + 1 :]
                data = b"\n".join(lines)
                changed = info.filename
            out.writestr(info, data)
    assert changed, "the record has no ballots.jsonl"
    return changed


def record_ballot_hashes(record_zip: Path) -> set[str]:
    """The ballot hashes (RFC 9162 leaf hashes) of the lines of the record's ballots.jsonl."""
    with zipfile.ZipFile(record_zip) as archive:
        name = next(n for n in archive.namelist() if n.endswith("ballots.jsonl"))
        lines = archive.read(name).splitlines()
    return {hashlib.sha256(b"\x00" + line).hexdigest() for line in lines if line}


def open_context(browser: Any, base_url: str, errors: list[str]) -> Page:
    """A fresh browser context (own cookies, own localStorage) and its page.

    Console errors are collected in ``errors``; dialogs (the trustee's confirmation of
    the figures before decrypting) are accepted.
    """
    context = browser.new_context(locale="de-DE", base_url=base_url, accept_downloads=True)
    page: Page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())
    return page
