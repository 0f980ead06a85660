"""A Mitgliederbegehren in Chromium, from the initiators' form to a checked receipt.

Two initiators start an initiative on the no-JavaScript form and confirm it, staff admit
it; members sign in their own browsers (one at phone size 390x844, one with JavaScript
off at 320 px: the page works and nothing scrolls sideways); the count and the progress
bar on an open page follow without a reload (htmx polls the count); one member withdraws.
After the deadline (the schedule run with a ``now`` past it, as ``stimmwerk tick`` runs
it) a signer asks "Ist meine Unterschrift gezählt?" with her receipt and it is found; the
receipt of the member who withdrew is not; the auditor's command agrees with the page.
axe-core finds no violation on the pages on the way.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.db import Database, utcnow
from app.core.runtime import set_runtime
from app.core.settings import Settings
from motions import rules as rules_service
from motions import services
from motions.models import Initiative, InitiativeRules, InitiativeStatus
from tests.browser.axe import axe_violations
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.referendum_support import log_in
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member, make_tree

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 700}
TITLE = "Mitglieder wählen den Vorstand direkt"
MEMBERS = {  # login name: unit
    "anna": "OV-A",
    "ben": "OV-B",
    "carla": "OV-A",
    "dora": "OV-B",
    "emil": "OV-A",
    "fritz": "OV-B",
}


def _people(session: Session, settings: Settings) -> dict[str, str]:
    """Six members in Unterbezirk Eins (threshold 50 %: three signatures), staff of it;
    the membership numbers by login name."""
    units = make_tree(session)
    values = rules_service.DEFAULTS
    session.add(
        InitiativeRules(
            unit_id=units["UB1"].id,
            valid_from=utcnow().date() - timedelta(days=30),
            threshold_percent=50,
            signing_days=values.signing_days,
            min_initiators=2,
            board_days=values.board_days,
            quorum_kind=values.quorum_kind,
            quorum_percent=values.quorum_percent,
            binding_months=values.binding_months,
            overturn_body=values.overturn_body,
            overturn_numerator=values.overturn_numerator,
            overturn_denominator=values.overturn_denominator,
        )
    )
    staff = make_account(session, settings, "sonja@example.org", TEST_PASSWORD, name="Sonja Stab")
    grant(session, staff, Role.STAFF, units["UB1"])
    numbers = {}
    for name, code in MEMBERS.items():
        member = make_member(session, units[code], name.title(), "Muster")
        make_account(
            session, settings, f"{name}@example.org", TEST_PASSWORD,
            name=f"{name.title()} Muster", member=member,
        )  # fmt: skip
        numbers[name] = member.membership_number
    session.commit()
    return numbers


def _page(browser: Browser, base: str, errors: list[str], **options: Any) -> Page:
    context = browser.new_context(locale="de-DE", base_url=base, **options)
    page = context.new_page()
    page.on("console", lambda m: _console(errors, m))
    return page


def _console(errors: list[str], message: Any) -> None:
    """Errors in the console, except Chromium's own request for a favicon."""
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        errors.append(f"{message.text} {message.location}")


def _no_violations(page: Page) -> None:
    found = axe_violations(page)
    assert not found, f"{page.url}: {found}"


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"{page.url} scrolls sideways ({width} px)"


def _receipt(page: Page) -> dict[str, str]:
    page.locator("#receipt > summary").click()
    return {
        key: page.locator(f"#receipt-{key}").inner_text().strip()
        for key in ("number", "salt", "leaf")
    }


def _initiative(database: Database) -> Initiative:
    with database.session() as session:
        found = session.scalar(select(Initiative).where(Initiative.title == TITLE))
        assert found is not None
        session.expunge(found)
        return found


def test_initiative_from_start_to_a_checked_receipt(  # noqa: PLR0915 - one story
    db: Session, settings: Settings, database: Database, live_server: str, tmp_path: Path
) -> None:
    numbers = _people(db, settings)
    set_runtime(settings, database)  # the schedule's mail task runs here, on this database
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        # Anna starts it on the form, with Ben as co-initiator.
        anna = _page(browser, live_server, errors)
        log_in(anna, "anna@example.org")
        anna.goto("/initiatives/new")
        _no_violations(anna)
        anna.locator("#f-unit_id").select_option(label="Unterbezirk Eins")
        anna.locator("#f-title").fill(TITLE)
        anna.locator("#f-proposal").fill("Der Vorstand wird von allen Mitgliedern direkt gewählt.")
        anna.locator("#f-reasons").fill("Mehr Mitbestimmung stärkt die Partei.")
        anna.locator("#f-co_initiators").fill(numbers["ben"])
        anna.locator('form[action="/initiatives/new"] button[type="submit"]').click()
        anna.wait_for_url(re.compile(r"/initiatives/[0-9a-f-]{36}$"))
        url = anna.url.removeprefix(live_server)
        _no_violations(anna)

        # Ben confirms; Anna submits; staff admit it.
        ben = _page(browser, live_server, errors)
        log_in(ben, "ben@example.org")
        ben.goto(url)
        ben.locator(f'form[action="{url}/confirm"] button').click()
        anna.reload()
        anna.locator("#submit-button").click()
        staff = _page(browser, live_server, errors)
        log_in(staff, "sonja@example.org")
        staff.goto(url)
        _no_violations(staff)
        staff.locator("#admit-button").click()
        expect(staff.locator("#signature-count")).to_have_text("0")
        initiative = _initiative(database)
        assert initiative.status == InitiativeStatus.SIGNING
        assert initiative.threshold == 3  # half of the six members

        # Anna keeps the page open; it follows the count by itself.
        anna.goto(url)
        expect(anna.locator("#signature-count")).to_have_text("0")

        # Carla signs on her phone.
        carla = _page(browser, live_server, errors, viewport=PHONE)
        log_in(carla, "carla@example.org")
        carla.goto(url)
        carla.locator("#sign-button").click()
        expect(carla.locator("#signed-note")).to_be_visible()
        expect(carla.locator("#signature-count")).to_have_text("1")
        expect(carla.locator("#live-count progress")).to_have_attribute("value", "1")
        carla_receipt = _receipt(carla)
        assert carla_receipt["number"] == numbers["carla"]
        _no_sideways_scroll(carla)
        _no_violations(carla)

        # Dora signs, keeps her receipt, and withdraws.
        dora = _page(browser, live_server, errors)
        log_in(dora, "dora@example.org")
        dora.goto(url)
        dora.locator("#sign-button").click()
        expect(dora.locator("#signature-count")).to_have_text("2")
        dora_receipt = _receipt(dora)
        # Anna's open page has moved on without a reload (htmx polls every 15 s).
        anna.evaluate("window.__same_document = true")
        expect(anna.locator("#signature-count")).to_have_text("2", timeout=25_000)
        expect(anna.locator("#live-count progress")).to_have_attribute("value", "2")
        assert anna.evaluate("window.__same_document") is True
        dora.locator(f'form[action="{url}/withdraw"] button').click()
        expect(dora.locator("#sign-button")).to_be_visible()
        expect(dora.locator("#signature-count")).to_have_text("1")
        _no_violations(dora)

        # Emil signs with JavaScript off in a 320 px window: plain forms, no sideways scroll.
        emil = _page(browser, live_server, errors, viewport=NARROW, java_script_enabled=False)
        log_in(emil, "emil@example.org")
        emil.goto(url)
        _no_sideways_scroll(emil)
        emil.locator("#sign-button").click()
        expect(emil.locator("#signature-count")).to_have_text("2")
        expect(emil.locator("#receipt")).to_be_attached()
        _no_sideways_scroll(emil)
        staff.goto(f"{url}/paper")
        _no_violations(staff)

        # The deadline passes: the schedule runs with a `now` after it.
        assert initiative.closes_at is not None
        with database.session() as session:
            report = services.run_deadlines(
                session, now=initiative.closes_at + timedelta(minutes=1)
            )
        assert initiative.id in report.decided
        decided = _initiative(database)
        assert (decided.status, decided.final_count) == (InitiativeStatus.FAILED, 2)

        # Carla asks on her phone: is my signature counted? Her receipt fills the form.
        carla.goto(url)
        expect(carla.locator("#commitment-root")).to_have_text(decided.commitment_root or "")
        expect(carla.locator("#f-check-salt")).to_have_value(carla_receipt["salt"])
        carla.locator("#check-button").click()
        expect(carla.locator("#check-result")).to_contain_text("Gefunden")
        expect(carla.locator("#checked-leaf")).to_have_text(carla_receipt["leaf"])
        _no_sideways_scroll(carla)
        _no_violations(carla)

        # Dora's receipt from before her withdrawal is not counted.
        dora.goto(url)
        dora.locator("#f-check-number").fill(dora_receipt["number"])
        dora.locator("#f-check-salt").fill(dora_receipt["salt"])
        dora.locator("#check-button").click()
        expect(dora.locator("#check-result")).to_contain_text("Nicht in der veröffentlichten Liste")

        # Emil checks without JavaScript too.
        emil.goto(url)
        emil.locator("#check-button").click()
        expect(emil.locator("#check-result")).to_contain_text("Gefunden")
        _no_sideways_scroll(emil)
        browser.close()

    # The auditor's command, on the list as published, agrees with the page.
    published = tmp_path / "signatures.json"
    published.write_text(httpx.get(f"{live_server}{url}/signatures.json", timeout=10).text)
    for receipt, status in ((carla_receipt, 0), (dora_receipt, 1)):
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "initiative-check", str(published),
             "--number", receipt["number"], "--salt", receipt["salt"]],
            cwd=ROOT, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert done.returncode == status, done.stdout + done.stderr
    assert not errors, errors
