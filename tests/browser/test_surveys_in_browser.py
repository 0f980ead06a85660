"""A Mitgliederbefragung in Chromium, from the staff's form to a verified record.

Staff build a survey with a condition on the no-JavaScript form, look at the preview and
open it; five members answer in their own browsers (one at phone size 390×844, one with
JavaScript off first: every question shown, nothing to send); the answers leave the
browser without a cookie. After the close the results page has its charts and tables,
the XLSX export opens with openpyxl, and the downloaded record verifies with
``stimmwerk verify`` — and fails at the one answer changed in a copy. axe-core finds no
violation on any of the pages.

One server (``stimmwerk serve`` on a port of this module's range) and one database for
the module; one story, one test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.db import Database
from app.core.settings import (
    DatabaseSettings,
    MailSettings,
    SecuritySettings,
    Settings,
    VotingSettings,
)
from crypto.merkle import leaf_hash
from tests.browser.axe import axe_violations
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.referendum_support import log_in, run_verifier
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member, make_tree

pytestmark = pytest.mark.browser

PORTS = range(8250, 8300)
MEMBERS = ("anna", "bernd", "carla", "dora", "emil")
PHONE = {"width": 390, "height": 844}


@dataclass
class World:
    base_url: str
    database: Database
    tmp: Path


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 8250-8299")


def _people(session: Session, settings: Settings) -> None:
    units = make_tree(session)
    staff = make_account(session, settings, "sonja@example.org", TEST_PASSWORD, name="Sonja Stab")
    grant(session, staff, Role.STAFF, units["LV1"])
    places = ("OV-A", "OV-B", "OV-C")
    for i, name in enumerate(MEMBERS):
        member = make_member(session, units[places[i % 3]], name.title(), "Muster")
        make_account(
            session, settings, f"{name}@example.org", TEST_PASSWORD,
            name=f"{name.title()} Muster", member=member,
        )  # fmt: skip
    session.commit()


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("surveys-browser")
    path = tmp / "db.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{path}"),
        mail=MailSettings(
            backend="outbox", outbox_dir=tmp / "outbox", sender="Stimmwerk <noreply@stimmwerk.test>"
        ),
        security=SecuritySettings(
            secret_key="survey-browser-" + "x" * 32,
            argon2_time_cost=1,
            argon2_memory_kib=8,
            argon2_parallelism=1,
        ),
        voting=VotingSettings(cast_per_minute=0, credential_per_minute=0),
        var_dir=tmp / "var",
    )
    database = Database(settings.database.url)
    with database.session() as session:
        _people(session, settings)
    port = _free_port()
    env = {
        **os.environ,
        "STIMMWERK_DATABASE_URL": settings.database.url,
        "STIMMWERK_SECRET_KEY": settings.security.secret_key,
        "STIMMWERK_MAIL_BACKEND": "outbox",
        "STIMMWERK_VAR_DIR": str(tmp / "server-var"),
        "STIMMWERK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(  # fixed argv: our own server
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--no-schedule"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("server did not start: " + process.communicate()[0].decode()[-2000:])
    try:
        yield World(base, database, tmp)
    finally:
        process.terminate()
        process.wait(timeout=20)
        database.dispose()


def _context(browser: Browser, world: World, errors: list[str], **options: Any) -> Page:
    context = browser.new_context(
        locale="de-DE", base_url=world.base_url, accept_downloads=True, **options
    )
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page


def _no_violations(page: Page) -> None:
    found = axe_violations(page)
    assert not found, f"{page.url}: {found}"


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width} px)"


# --- staff ------------------------------------------------------------------------------


def _preview(staff: Page, survey_id: str) -> None:
    """The preview is live: question 2 shows for "Ja" and for "Enthaltung", not for "Nein"."""
    staff.goto(f"/surveys/{survey_id}/preview")
    expect(staff.locator("body")).to_have_attribute("data-survey-state", "preview")
    expect(staff.locator("#cond-q2")).to_contain_text(
        "Nur gefragt, wenn Frage 1 mit einer dieser Antworten beantwortet wurde: „Ja“, „Enthaltung“."
    )
    expect(staff.locator("#question-q2")).to_be_hidden()
    for value, shown in (("yes", True), ("no", False), ("abstain", True)):
        staff.locator(f'label[for="q-q1-{value}"]').click()
        if shown:
            expect(staff.locator("#question-q2")).to_be_visible()
        else:
            expect(staff.locator("#question-q2")).to_be_hidden()
    expect(staff.locator("#send-answers")).to_be_disabled()
    _no_violations(staff)


def _build(staff: Page) -> str:
    staff.goto("/surveys/new")
    _no_violations(staff)
    staff.get_by_label("Titel").fill("Digitale Parteiarbeit")
    staff.get_by_label("Einleitung").fill("Wie soll die Partei digital arbeiten?")
    staff.locator("#unit_code").select_option("LV1")
    staff.locator("#s0_q0_type").select_option("yes_no_abstain")
    staff.locator("#s0_q0_text").fill("Sollen Parteitage auch online stattfinden?")
    staff.locator("#add-question-0").click()
    # The form came back with everything kept and a second block.
    expect(staff.locator("#s0_q0_text")).to_have_value("Sollen Parteitage auch online stattfinden?")
    staff.locator("#s0_q1_type").select_option("long_text")
    staff.locator("#s0_q1_text").fill("Warum?")
    staff.locator('input[name="s0_q1_required"]').uncheck()
    condition = staff.locator("#s0_q1_condition")  # asked if question 1 is "Ja" or "Enthaltung"
    condition.get_by_label("Ja", exact=True).check()
    condition.get_by_label("Enthaltung", exact=True).check()
    staff.locator("#add-question-0").click()
    staff.locator("#s0_q2_type").select_option("multiple_choice")
    staff.locator("#s0_q2_text").fill("Welche Themen sollen wir zuerst angehen?")
    staff.locator("#s0_q2_options").fill("Klima\nBildung\nRente\nVerkehr")
    staff.locator("#s0_q2_choice_max").fill("2")
    staff.locator('input[name="s0_q2_shuffle"]').check()
    staff.locator("#add-question-0").click()
    staff.locator("#s0_q3_type").select_option("scale")
    staff.locator("#s0_q3_text").fill("Wie zufrieden bist du mit unserer Website?")
    staff.locator("#s0_q3_low_label").fill("gar nicht")
    staff.locator("#s0_q3_high_label").fill("sehr")
    # A second section with the other types, all optional.
    staff.locator("#add-section").click()
    optional = {
        "single_choice": ("Wie bist du zu uns gekommen?", {"options": "Freunde\nInternet"}),
        "matrix": ("Wie findest du …", {"statements": "die Website\ndie App"}),
        "ranking": (
            "Was ist dir am wichtigsten?",
            {"options": "Klima\nBildung\nRente", "rank_max": "2"},
        ),
        "number": ("Wie alt bist du?", {"number_min": "14", "number_max": "120"}),
        "short_text": ("Wo wohnst du?", {"max_length": "40"}),
    }
    for j, (kind, (text, settings)) in enumerate(optional.items()):
        if j:
            staff.locator("#add-question-1").click()
        staff.locator(f"#s1_q{j}_type").select_option(kind)
        staff.locator(f"#s1_q{j}_text").fill(text)
        staff.locator(f'input[name="s1_q{j}_required"]').uncheck()
        for field, value in settings.items():
            staff.locator(f"#s1_q{j}_{field}").fill(value)
    _no_violations(staff)
    staff.locator("#save-survey").click()
    staff.wait_for_url("**/manage?saved=1")
    expect(staff.locator("#saved-notice")).to_be_visible()
    survey_id = staff.url.split("/surveys/")[1].split("/")[0]
    _no_violations(staff)

    _preview(staff, survey_id)

    staff.goto(f"/surveys/{survey_id}/manage")
    staff.get_by_label("Ja, die Befragung jetzt öffnen; die Fragen sind endgültig.").check()
    staff.locator("#open-survey").click()
    expect(staff.locator("#frozen-notice")).to_be_visible()
    return survey_id


# --- members ----------------------------------------------------------------------------


def _without_javascript(browser: Browser, world: World, survey_id: str, errors: list[str]) -> None:
    """JavaScript off: every question shown (the conditional one too), nothing to send."""
    page = _context(
        browser, world, errors, java_script_enabled=False, viewport={"width": 320, "height": 700}
    )
    log_in_without_js(page, "anna@example.org")
    page.goto(f"/surveys/{survey_id}")
    expect(page.locator("#question-q2")).to_be_visible()
    expect(page.locator("#cond-q2")).to_be_visible()
    expect(page.locator("#send-answers")).to_be_disabled()
    assert page.locator("#survey-form [name]").count() == 0
    assert page.locator("#survey-form fieldset.survey-question:not([disabled])").count() == 0
    _no_sideways_scroll(page)  # every question shown, at 320 px
    page.context.close()


def log_in_without_js(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/dashboard")


def _answer(
    page: Page, survey_id: str, *, yes: bool, topics: list[str], rating: int, every_type: bool
) -> str:
    """Answer like a member; returns the receipt's answer hash."""
    sent: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.headers) if r.method == "POST" and r.url.endswith("/answers") else None
        ),
    )
    page.goto(f"/surveys/{survey_id}")
    expect(page.locator("body")).to_have_attribute("data-survey-state", "ready", timeout=20_000)
    expect(page.locator("#question-q2")).to_be_hidden()  # condition false until "Ja"
    page.locator(f'label[for="q-q1-{"yes" if yes else "no"}"]').click()
    if yes:
        expect(page.locator("#question-q2")).to_be_visible()
        page.locator("#q-q2").fill("Weil dann mehr Mitglieder mitmachen können.")
    else:
        expect(page.locator("#question-q2")).to_be_hidden()
    for topic in topics:
        page.locator(f'label[for="q-q3-{topic}"]').click()
    page.locator(f'label[for="q-q4-{rating}"]').click()
    if every_type:
        _every_other_type(page)
    page.locator("#send-answers").click()
    expect(page.locator("#survey-receipt")).to_be_visible(timeout=20_000)
    assert sent, "no answer was sent"
    assert "cookie" not in {k.lower() for k in sent[0]}, "the answer travelled with a cookie"
    answer_hash = page.locator("#survey-receipt code.answer-hash").inner_text().strip()
    if every_type:  # the receipt is looked up without the login: received, waiting
        looked_up: list[dict[str, str]] = []
        page.on(
            "request",
            lambda r: looked_up.append(r.headers) if answer_hash in r.url else None,
        )
        page.locator("#receipt-check").click()
        expect(page.locator("#receipt-result")).to_contain_text("Sie wartet auf ihren Stapel")
        assert looked_up, "the receipt was not looked up"
        assert "cookie" not in {k.lower() for k in looked_up[0]}, "the lookup carried a cookie"
        _no_violations(page)
    return answer_hash


def _every_other_type(page: Page) -> None:
    """The optional questions of every other type, with a gap in the ranking first."""
    page.locator('label[for="q-q5-o2"]').click()
    page.locator('label[for="q-q6-s1-4"]').click()
    page.locator('label[for="q-q6-s2-2"]').click()
    page.locator("#q-q7-rank-2").select_option("o1")
    page.locator("#q-q8").fill("67")
    page.locator("#q-q9").fill("Köln")
    page.locator("#send-answers").click()
    expect(page.locator("#error-q7")).to_contain_text("Frage 7: Besetze die Plätze vom ersten an")
    page.locator("#q-q7-rank-1").select_option("o3")


def _too_many_is_refused(page: Page) -> None:
    """A third topic (at most two) is taken back at once, with the question named."""
    for topic in ("o1", "o2", "o3"):
        page.locator(f'label[for="q-q3-{topic}"]').click()
    expect(page.locator("#q-q3-o3")).not_to_be_checked()
    expect(page.locator("#error-q3")).to_contain_text("Frage 3: Wähle höchstens 2.")
    for topic in ("o1", "o2"):
        page.locator(f'label[for="q-q3-{topic}"]').click()


# --- after the close ----------------------------------------------------------------------


def _close_and_read(staff: Page, survey_id: str, world: World, receipt: str) -> Path:
    staff.goto(f"/surveys/{survey_id}/manage")
    staff.get_by_label("Ja, die Befragung jetzt beenden.").check()
    staff.locator("#close-survey").click()
    staff.wait_for_url(f"**/surveys/{survey_id}/results")
    members = staff.locator("#audience-members")
    expect(members.locator(".respondents")).to_have_text("5 Personen")
    for question in ("q1", "q3", "q4"):
        block = staff.locator(f"#result-members-{question}")
        expect(block.locator('svg[role="img"] title')).to_have_count(1)
        expect(block.locator("table caption")).to_have_count(1)
    expect(staff.locator("#result-members-q1 table")).to_contain_text("Ja")
    expect(staff.locator("#result-members-q6 table")).to_contain_text("die Website")
    expect(staff.locator("#result-members-q7 table tbody tr").first).to_contain_text("Rente")
    expect(staff.locator("#result-members-q8")).to_contain_text("67")
    _no_violations(staff)

    with staff.expect_download() as sheet:
        staff.locator("#export-xlsx").click()
    book = load_workbook(BytesIO(Path(sheet.value.path()).read_bytes()), read_only=True)
    rows = list(book["Antworten"].iter_rows(values_only=True))
    assert len(rows) == 1 + len(MEMBERS), rows

    with staff.expect_download() as download:
        staff.locator("#record-download").click()
    record = world.tmp / "record.zip"
    download.value.save_as(record)

    # Anyone can look a receipt up on the results page (here: a member's, by its hash).
    staff.locator("#receipt-hash").fill(receipt)
    staff.locator("#receipt-check").click()
    expect(staff.locator("#receipt-result")).to_contain_text(
        "steht auf der Anschlagtafel an Stelle"
    )

    staff.goto(f"/surveys/{survey_id}/results?question=q2&q=Mitglieder")
    expect(staff.locator("#texts .free-texts li")).to_have_count(3)
    _no_violations(staff)
    staff.set_viewport_size({"width": 320, "height": 700})
    _no_sideways_scroll(staff)
    staff.goto("/surveys/new")
    _no_sideways_scroll(staff)
    staff.set_viewport_size({"width": 1280, "height": 720})
    return record


def _answer_lines(record: Path) -> tuple[str, list[bytes]]:
    with zipfile.ZipFile(record) as archive:
        [name] = [n for n in archive.namelist() if n.endswith("answers.jsonl")]
        return name, archive.read(name).splitlines()


def _alter_one_answer(record: Path, target: Path, index: int) -> None:
    """A copy of the record with the scale answer of one line changed (still valid JSON)."""
    name, lines = _answer_lines(record)
    line = json.loads(lines[index])
    line["answers"]["q4"] = 1 if line["answers"]["q4"] != 1 else 2
    lines[index] = json.dumps(
        line, separators=(",", ":"), sort_keys=True, ensure_ascii=False
    ).encode()
    with zipfile.ZipFile(record) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info.filename)
            out.writestr(info, b"\n".join(lines) + b"\n" if info.filename == name else data)


def test_a_survey_from_the_staffs_form_to_a_verified_record(world: World) -> None:
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        staff = _context(browser, world, errors)
        log_in(staff, "sonja@example.org")
        survey_id = _build(staff)

        _without_javascript(browser, world, survey_id, errors)

        receipts: dict[str, str] = {}
        choices = {
            "anna": (True, ["o1", "o2"], 4),
            "bernd": (True, ["o2"], 5),
            "carla": (False, ["o3", "o4"], 2),
            "dora": (True, ["o1"], 3),
            "emil": (False, ["o1", "o4"], 4),
        }
        for name, (yes, topics, rating) in choices.items():
            phone = name == "emil"
            page = _context(browser, world, errors, **({"viewport": PHONE} if phone else {}))
            log_in(page, f"{name}@example.org")
            if name == "anna":
                page.goto("/dashboard")
                expect(page.locator("#my-surveys")).to_contain_text("Digitale Parteiarbeit")
                page.goto(f"/surveys/{survey_id}")
                expect(page.locator("body")).to_have_attribute("data-survey-state", "ready")
                _too_many_is_refused(page)
                _no_violations(page)
            receipts[name] = _answer(
                page, survey_id, yes=yes, topics=topics, rating=rating, every_type=name == "anna"
            )
            if phone:
                _no_sideways_scroll(page)
                _no_violations(page)
            page.context.close()

        record = _close_and_read(staff, survey_id, world, receipts["anna"])
        browser.close()

    # Every receipt is an answer of the record.
    _, lines = _answer_lines(record)
    assert {leaf_hash(line).hex() for line in lines} == set(receipts.values())
    verified = run_verifier(record)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "SURVEY RECORD VERIFIED" in verified.stdout

    altered = world.tmp / "altered.zip"
    _alter_one_answer(record, altered, index=2)
    failed = run_verifier(altered)
    assert failed.returncode == 1, failed.stdout
    assert "answer 2:" in failed.stdout, failed.stdout
    assert "SURVEY RECORD NOT VERIFIED" in failed.stdout
    assert not [e for e in errors if "Content Security Policy" in e], errors
