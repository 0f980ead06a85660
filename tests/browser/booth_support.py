"""Shared by the booth's browser test and its BDD scenarios: an open vote with two
questions (yes/no/abstain; up to two of three people), members with logins, and the
measurements the issue asks for (target sizes, axe-core)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page
from sqlalchemy.orm import Session

from app.core import i18n
from app.core.db import utcnow
from app.core.settings import Settings
from app.core.templating import format_when
from tests import ballots_support as support
from tests.conftest import TEST_PASSWORD
from tests.factories import make_account

MEMBERS = ("anna", "ben")
MIN_TARGET_PX = 44


@dataclass
class BoothVote:
    election_id: str
    emails: dict[str, str]
    deadline_words: str
    """The closing time as the page must say it ("Freitag, 18. Dezember 2026, 18:00 Uhr")."""

    @property
    def vote_url(self) -> str:
        return f"/referendums/{self.election_id}/vote"

    @property
    def check_url(self) -> str:
        return f"/referendums/{self.election_id}/ballot-check"


def open_booth_vote(db: Session, settings: Settings, tmp_path: Path) -> BoothVote:
    """An open vote of LV1: question 1 yes/no/abstain, question 2 up to two of three."""
    world = support.make_world(db, settings, tmp_path, members=MEMBERS, postal=())
    world.start = utcnow().replace(microsecond=0) - timedelta(days=2, hours=1)
    support.open_for_voting(world, questions=(support.YES_NO, support.UP_TO))
    emails = {}
    for name in MEMBERS:
        emails[name] = f"{name}@example.org"
        make_account(
            db, settings, emails[name], TEST_PASSWORD, name=name.title(), member=world.members[name]
        )
    db.commit()
    with i18n.using_locale("de"):
        words = format_when(world.closes)
    return BoothVote(str(world.id), emails, words)


def too_small_targets(page: Page, selector: str) -> list[str]:
    """Visible elements matching ``selector`` whose box is under 44 × 44 px."""
    found: list[str] = page.evaluate(
        """([selector, least]) => [...document.querySelectorAll(selector)]
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([, box]) => box.width < least || box.height < least)
            .map(([el, box]) => `${el.id || el.textContent.trim()}: ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        [selector, MIN_TARGET_PX],
    )
    return found


def count_targets(page: Page, selector: str) -> int:
    counted: int = page.evaluate(
        "(s) => [...document.querySelectorAll(s)].filter((el) => el.offsetParent !== null).length",
        selector,
    )
    return counted


def style_of(page: Page, selector: str, prop: str) -> str:
    value: str = page.evaluate(
        "([s, p]) => getComputedStyle(document.querySelector(s))[p]", [selector, prop]
    )
    return value


def check_audit_cli(
    audit_file: Path, client_data_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``stimmwerk check-audit FILE`` in its own process, as a member or auditor runs it."""
    argv = [sys.executable, "-m", "app.cli", "check-audit", str(audit_file)]
    if client_data_url:
        argv += ["--client-data", client_data_url]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def tampered(audit_text: str) -> str:
    """The same check data with one revealed choice flipped (and the listed choice fitted)."""
    audit: dict[str, Any] = json.loads(audit_text)
    row = audit["openings"][0]
    row[0][0], row[1][0] = row[1][0], row[0][0]
    yes_or_no = "yes" if row[0][0] == 1 else "no"
    audit["choices"] = {**audit["choices"], audit["ballot"]["answers"][0]["question"]: [yes_or_no]}
    return json.dumps(audit)
