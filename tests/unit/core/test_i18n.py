"""German is the first language: every message the UI can show has a German text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from app.core import i18n
from app.core.templating import render_text

ROOT = Path(__file__).resolve().parents[3]


def _extracted_ids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "--omit-header",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def test_every_message_has_a_german_translation(tmp_path):
    catalog = i18n.read_catalog("de")
    assert catalog is not None
    german = {m.id: m.string for m in catalog if m.id}
    missing = sorted(mid for mid in _extracted_ids(tmp_path) if not german.get(mid))
    assert not missing, f"untranslated (run `make messages` and translate): {missing}"


def test_locale_choice_prefers_cookie_then_browser_then_german():
    assert i18n.pick_locale("en", "de-DE,de;q=0.9") == "en"
    assert i18n.pick_locale(None, "en-GB,en;q=0.8") == "en"
    assert i18n.pick_locale("fr", "fr-FR") == "de"
    assert i18n.pick_locale(None, None) == "de"


def test_mail_is_rendered_in_the_recipients_language():
    german = render_text("emails/verify_email.txt", "de", name="Ada", link="https://x/y", hours=48)
    english = render_text("emails/verify_email.txt", "en", name="Ada", link="https://x/y", hours=48)
    assert "bitte bestätige deine E-Mail-Adresse" in german
    assert "please confirm your e-mail address" in english
    assert "48 Stunden" in german
