"""A member keeps the receipt of her survey answer, and it checks against the record.

In Chromium, on the real server (``stimmwerk serve``): Anna answers at 320 px; her answer
waits for its batch, the page asks again without the login, and once the batch is on
the board it keeps the full receipt (record §10) in the browser and offers it as a file
("Quittung speichern"). Bernd's answer is still waiting when the page stops asking: the
page tells him to come back, and after the close the answer page hands him the receipt.
Both downloaded files verify with ``stimmwerk verify RECORD --receipt FILE`` (a separate
process) against the record exported after the close, and hold nothing about the
members. Without JavaScript the page names the look-up address, which gives the same
receipt. axe-core finds no violation on the pages with a receipt.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app.accounts.models import Account, Role
from app.core.db import Database
from app.core.settings import Settings
from surveys import services
from tests.browser.axe import axe_violations
from tests.browser.conftest import serving
from tests.browser.referendum_support import log_in
from tests.conftest import TEST_PASSWORD, free_port, make_settings
from tests.factories import grant, make_account, make_member, make_tree
from tests.surveys_support import example_definition

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 700}
RECEIPT_FIELDS = {
    "survey", "fingerprint", "answer_hash", "status", "index", "checkpoint", "inclusion_path",
}  # fmt: skip
MEMBERS = {"anna": ("Anna", "Ahornweg", "OV-A"), "bernd": ("Bernd", "Birkenau", "OV-B")}


@dataclass
class World:
    base_url: str
    database: Database
    settings: Settings
    survey_id: str
    tmp: Path

    def staff(self, session: Any) -> Account:
        account = session.query(Account).filter_by(email="sonja@example.org").one()
        assert isinstance(account, Account)
        return account


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A survey of UB1, open now, answered by Anna and Bernd (two members of UB1)."""
    tmp = tmp_path_factory.mktemp("survey-receipt")
    path = tmp / "db.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    settings = make_settings(f"sqlite:///{path}", tmp, free_port())
    database = Database(settings.database.url)
    with database.session() as session:
        units = make_tree(session)
        staff = make_account(
            session, settings, "sonja@example.org", TEST_PASSWORD, name="Sonja Stab"
        )
        grant(session, staff, Role.STAFF, units["UB1"])
        for login, (first, last, unit) in MEMBERS.items():
            member = make_member(session, units[unit], first, last)
            make_account(
                session, settings, f"{login}@example.org", TEST_PASSWORD,
                name=f"{first} {last}", member=member,
            )  # fmt: skip
        session.commit()
        now = datetime.now(UTC)
        draft = services.create_survey(
            session, staff, units["UB1"], example_definition(),
            opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=7),
        )  # fmt: skip
        survey = services.open_survey(session, settings, staff, draft.id, key_bits=2048)
        survey_id = str(survey.id)
    with serving(settings, tmp / "server-var") as base:
        yield World(base, database, settings, survey_id, tmp)
    database.dispose()


def _page(browser: Browser, world: World, **options: Any) -> Page:
    context = browser.new_context(
        locale="de-DE", base_url=world.base_url, accept_downloads=True, **options
    )
    return context.new_page()


def _no_violations(page: Page) -> None:
    found = axe_violations(page)
    assert not found, f"{page.url}: {found}"


def _answer(page: Page, world: World) -> str:
    """Answer the required questions and send; the answer hash shown."""
    page.goto(f"/surveys/{world.survey_id}")
    expect(page.locator("body")).to_have_attribute("data-survey-state", "ready", timeout=20_000)
    for label in ("q-q1-monat", "q-q2-no", "q-q3-klima", "q-q5-4"):
        page.locator(f'label[for="{label}"]').click()
    page.locator("#send-answers").click()
    expect(page.locator("#survey-receipt")).to_be_visible(timeout=20_000)
    return page.locator("#survey-receipt code.answer-hash").inner_text().strip()


def _save(page: Page, answer_hash: str, target: Path) -> dict[str, Any]:
    """Press "Quittung speichern"; the file, checked to be the receipt and nothing more."""
    button = page.get_by_role("link", name="Quittung speichern")
    expect(button).to_have_count(1)
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == f"befragung-quittung-{answer_hash[:16]}.json"
    download.value.save_as(target)
    saved = json.loads(target.read_text(encoding="utf-8"))
    assert set(saved) == {"receipt"}
    assert set(saved["receipt"]) == RECEIPT_FIELDS
    assert saved["receipt"]["answer_hash"] == answer_hash
    assert saved["receipt"]["status"] == "on_board"
    text = target.read_text(encoding="utf-8").lower()
    for login, (first, last, _) in MEMBERS.items():
        for personal in (login, first.lower(), last.lower(), "example.org"):
            assert personal not in text, f"the receipt names {personal!r}"
    return dict(saved["receipt"])


def _kept_in_browser(page: Page, world: World) -> dict[str, Any]:
    stored = page.evaluate(
        "(key) => JSON.parse(window.localStorage.getItem(key))",
        f"stimmwerk.survey.{world.survey_id}",
    )
    assert set(stored) == {"answered", "receipt"}, stored  # no secret key left
    return dict(stored["receipt"])


def _anna_gets_her_receipt_once_her_batch_is_on_the_board(
    browser: Browser, world: World
) -> dict[str, Any]:
    page = _page(browser, world, viewport=NARROW)
    log_in(page, "anna@example.org")
    lookups: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: lookups.append(r.headers) if r.method == "GET" and "/answers/" in r.url else None,
    )
    with page.expect_response(
        lambda r: r.request.method == "GET" and "/answers/" in r.url
    ) as first:
        answer_hash = _answer(page, world)
    assert first.value.json()["receipt"]["status"] == "waiting"
    expect(page.locator("#receipt-keep")).to_contain_text("Deine Quittung wird geladen")
    # The batch goes onto the board (as when 64 answers are in); the page asks again.
    with world.database.session() as session:
        assert services.flush_board(session, world.settings, uuid.UUID(world.survey_id)) == 1
    body = page.locator("body")
    expect(body).to_have_attribute("data-receipt-state", "kept", timeout=20_000)
    assert len(lookups) >= 2, "the page did not ask again"
    assert not [h for h in lookups if "cookie" in {k.lower() for k in h}], "a look-up had a cookie"
    keep = page.locator("#receipt-keep")
    expect(keep).to_contain_text("Deine Quittung ist fertig und in diesem Browser gespeichert.")
    expect(keep.get_by_role("link", name="der Ergebnisseite dieser Befragung")).to_have_attribute(
        "href", f"/surveys/{world.survey_id}/results"
    )
    expect(keep.locator("code")).to_have_text("stimmwerk verify PROTOKOLL --receipt QUITTUNG.json")
    receipt = _save(page, answer_hash, world.tmp / "anna.json")
    assert _kept_in_browser(page, world) == receipt
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"the receipt scrolls sideways ({width} px)"
    _no_violations(page)
    # Coming back: the kept receipt is offered again, without asking the server.
    lookups.clear()
    page.reload()
    expect(body).to_have_attribute("data-receipt-state", "kept", timeout=20_000)
    expect(page.locator("#survey-receipt h2")).to_have_text(
        "Du hast diese Befragung in diesem Browser schon beantwortet."
    )
    assert not lookups
    page.context.close()
    return receipt


def _bernd_is_told_to_come_back(browser: Browser, world: World) -> tuple[Page, str]:
    page = _page(browser, world)
    page.clock.install()  # the page's waits between look-ups pass at once below
    log_in(page, "bernd@example.org")
    answer_hash = _answer(page, world)
    body = page.locator("body")
    for _ in range(12):
        if body.get_attribute("data-receipt-state") == "waiting":
            break
        page.clock.fast_forward(15_000)
        page.wait_for_timeout(250)
    expect(body).to_have_attribute("data-receipt-state", "waiting")
    expect(page.locator("#receipt-keep")).to_contain_text(
        "Deine Antwort wartet noch auf ihren Stapel, darum ist deine Quittung noch nicht fertig."
    )
    expect(page.locator("#receipt-keep")).to_contain_text("Öffne diese Seite dann noch einmal")
    expect(page.get_by_role("link", name="Quittung speichern")).to_have_count(0)
    assert _kept_in_browser(page, world)["answer_hash"] == answer_hash
    _no_violations(page)
    return page, answer_hash


def _bernd_comes_back_after_the_close(page: Page, world: World, answer_hash: str) -> dict[str, Any]:
    later = page.context.new_page()  # same browser, same storage
    later.goto(f"/surveys/{world.survey_id}")
    expect(later.locator("#survey-refusal")).to_contain_text("Diese Befragung ist beendet")
    expect(later.locator("body")).to_have_attribute("data-receipt-state", "kept", timeout=20_000)
    expect(later.get_by_role("heading", name="Deine Quittung zum Aufbewahren")).to_be_visible()
    receipt = _save(later, answer_hash, world.tmp / "bernd.json")
    assert _kept_in_browser(later, world) == receipt
    _no_violations(later)
    page.context.close()
    return receipt


def _without_javascript(browser: Browser, world: World, receipt: dict[str, Any]) -> None:
    """No JavaScript: the page names the look-up address, which gives the same receipt."""
    page = _page(browser, world, java_script_enabled=False, viewport=NARROW)
    log_in(page, "bernd@example.org")
    page.goto(f"/surveys/{world.survey_id}")
    by_hand = page.locator("#receipt-by-hand")
    expect(by_hand).to_contain_text("Ohne JavaScript kannst du deine Quittung selbst abrufen")
    address = page.locator("code.receipt-lookup").inner_text().strip()
    assert address == f"{world.base_url}/api/surveys/{world.survey_id}/answers/"
    # As in a private window: no cookie.
    fetched = httpx.get(address + receipt["answer_hash"], timeout=10)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == {"receipt": receipt}
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"the page scrolls sideways ({width} px)"
    page.context.close()


def _close_and_export(world: World) -> Path:
    with world.database.session() as session:
        services.close_survey(
            session, world.settings, world.staff(session), uuid.UUID(world.survey_id)
        )
    record = httpx.get(f"{world.base_url}/api/surveys/{world.survey_id}/record.zip", timeout=30)
    assert record.status_code == 200, record.text
    path = world.tmp / "record.zip"
    path.write_bytes(record.content)
    return path


def _verify(record: Path, *receipts: Path) -> subprocess.CompletedProcess[str]:
    """``stimmwerk verify RECORD --receipt FILE …`` in its own process, as an auditor."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "verify", str(record),
         *[arg for path in receipts for arg in ("--receipt", str(path))]],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_members_keep_their_receipts_and_they_verify_against_the_record(
    world: World, fresh_chromium: Browser
) -> None:
    anna = _anna_gets_her_receipt_once_her_batch_is_on_the_board(fresh_chromium, world)
    bernd_page, bernd_hash = _bernd_is_told_to_come_back(fresh_chromium, world)
    record = _close_and_export(world)
    bernd = _bernd_comes_back_after_the_close(bernd_page, world, bernd_hash)
    assert anna["checkpoint"] != bernd["checkpoint"]  # two batches: Anna's, and the close's
    _without_javascript(fresh_chromium, world, bernd)

    anna_file, bernd_file = world.tmp / "anna.json", world.tmp / "bernd.json"
    checked = _verify(record, anna_file, bernd_file)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SURVEY RECORD VERIFIED" in checked.stdout
    assert f"RECEIPT VERIFIED: {anna_file}" in checked.stdout
    assert f"RECEIPT VERIFIED: {bernd_file}" in checked.stdout

    # The file is what protects the member: a receipt whose place was changed fails.
    moved = world.tmp / "moved.json"
    moved.write_text(json.dumps({"receipt": {**anna, "index": 1 - anna["index"]}}))
    failed = _verify(record, moved)
    assert failed.returncode == 1, failed.stdout
    assert f"RECEIPT NOT VERIFIED: {moved}" in failed.stdout
